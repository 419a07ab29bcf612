package pattern

import (
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"strings"
)

// String returns the canonical text of the pattern: single spaces around
// operators, upper-case keywords, '=' and '!=' spellings, parentheses only
// where precedence or the qualifier rules need them. Parse(p.String())
// yields a pattern Equal to p.
func (p *Pattern) String() string {
	var b strings.Builder
	writeObs(&b, p.Root, FollowedBy)
	return b.String()
}

// obsPrec is the binding strength of an observation expression: binary
// expressions bind as their operator, everything else binds tighter than
// any operator.
func obsPrec(e ObsExpr) int {
	if b, ok := e.(*ObsBinary); ok {
		return int(b.Op)
	}
	return 3
}

// writeObs writes e, parenthesised when it binds more loosely than min.
func writeObs(b *strings.Builder, e ObsExpr, min ObsOp) {
	if obsPrec(e) < int(min) {
		b.WriteByte('(')
		writeObs(b, e, FollowedBy)
		b.WriteByte(')')
		return
	}
	switch e := e.(type) {
	case *Bracketed:
		b.WriteByte('[')
		writeComp(b, e.Expr, 0)
		b.WriteByte(']')
	case *ObsBinary:
		writeObs(b, e.Left, e.Op)
		b.WriteByte(' ')
		b.WriteString(e.Op.String())
		b.WriteByte(' ')
		// Operators are left-associative: a right operand of the same
		// precedence needs parentheses to keep its shape.
		writeObs(b, e.Right, e.Op+1)
	case *Qualified:
		writeQualified(b, e)
	}
}

// writeQualified writes a chain of qualifiers. The parser rejects a
// repeated qualifier kind directly on a bracketed expression, so when the
// chain repeats a kind the part before the repetition is parenthesised.
func writeQualified(b *strings.Builder, q *Qualified) {
	var chain []Qualifier
	var base ObsExpr = q
	for {
		qq, ok := base.(*Qualified)
		if !ok {
			break
		}
		chain = append(chain, qq.Qualifier)
		base = qq.Expr
	}
	// chain is outermost first; write innermost first.
	var text strings.Builder
	_, isObs := base.(*Bracketed)
	writeObs(&text, base, ObsAnd+1)
	var seen [3]bool
	for i := len(chain) - 1; i >= 0; i-- {
		k := chain[i].Kind
		if isObs && seen[k] {
			s := text.String()
			text.Reset()
			text.WriteByte('(')
			text.WriteString(s)
			text.WriteByte(')')
			isObs = false
		}
		seen[k] = true
		text.WriteByte(' ')
		writeQualifier(&text, chain[i])
	}
	b.WriteString(text.String())
}

func writeQualifier(b *strings.Builder, q Qualifier) {
	switch q.Kind {
	case Within:
		b.WriteString("WITHIN ")
		writeValue(b, q.Count)
		b.WriteString(" SECONDS")
	case Repeats:
		b.WriteString("REPEATS ")
		writeValue(b, q.Count)
		b.WriteString(" TIMES")
	case StartStop:
		b.WriteString("START ")
		writeValue(b, q.Start)
		b.WriteString(" STOP ")
		writeValue(b, q.Stop)
	}
}

// compPrec is the binding strength of a comparison expression: OR 0,
// AND 1, a single comparison 2.
func compPrec(e CompExpr) int {
	if b, ok := e.(*CompBinary); ok {
		if b.And {
			return 1
		}
		return 0
	}
	return 2
}

// writeComp writes e, parenthesised when it binds more loosely than min.
func writeComp(b *strings.Builder, e CompExpr, min int) {
	if compPrec(e) < min {
		b.WriteByte('(')
		writeComp(b, e, 0)
		b.WriteByte(')')
		return
	}
	switch e := e.(type) {
	case *Comparison:
		writeComparison(b, e)
	case *CompBinary:
		prec := compPrec(e)
		writeComp(b, e.Left, prec)
		if e.And {
			b.WriteString(" AND ")
		} else {
			b.WriteString(" OR ")
		}
		// Left-associative: a right operand of equal precedence keeps its
		// parentheses so the tree survives a round trip.
		writeComp(b, e.Right, prec+1)
	}
}

func writeComparison(b *strings.Builder, c *Comparison) {
	if c.Op == OpExists {
		b.WriteString("EXISTS ")
		writePath(b, c.Path)
		return
	}
	writePath(b, c.Path)
	if c.Not {
		b.WriteString(" NOT")
	}
	b.WriteByte(' ')
	b.WriteString(c.Op.String())
	b.WriteByte(' ')
	writeValue(b, c.Value)
}

// PathString returns the canonical text of an object path, e.g.
// file:hashes.'SHA-256'.
func (o ObjectPath) String() string {
	var b strings.Builder
	writePath(&b, o)
	return b.String()
}

func writePath(b *strings.Builder, o ObjectPath) {
	b.WriteString(o.Type)
	b.WriteByte(':')
	writeSteps(b, o.Steps)
}

func writeSteps(b *strings.Builder, steps []Step) {
	for i, s := range steps {
		switch s.Kind {
		case KeyStep:
			if i > 0 {
				b.WriteByte('.')
			}
			if plainKey(s.Key) {
				b.WriteString(s.Key)
			} else {
				writeString(b, s.Key)
			}
		case IndexStep:
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(s.Index))
			b.WriteByte(']')
		case AnyStep:
			b.WriteString("[*]")
		}
	}
}

// plainKey reports whether a property name can be written unquoted:
// an identifier without hyphens that is not a keyword or a boolean.
func plainKey(k string) bool {
	if k == "" || !isIdentStart(k[0]) {
		return false
	}
	for i := 1; i < len(k); i++ {
		if !isIdentChar(k[i]) || k[i] == '-' {
			return false
		}
	}
	if len(k) > 1 && k[1] == '\'' {
		return false
	}
	switch k {
	case "AND", "OR", "NOT", "FOLLOWEDBY", "LIKE", "MATCHES", "ISSUPERSET", "ISSUBSET", "EXISTS",
		"LAST", "IN", "START", "STOP", "SECONDS", "TIMES", "WITHIN", "REPEATS", "true", "false":
		return false
	}
	return true
}

// String returns the constant as written in a pattern.
func (v Value) String() string {
	var b strings.Builder
	writeValue(&b, v)
	return b.String()
}

func writeValue(b *strings.Builder, v Value) {
	switch v.Kind {
	case String:
		writeString(b, v.Str)
	case Int:
		b.WriteString(strconv.FormatInt(v.Int, 10))
	case Float:
		s := strconv.FormatFloat(v.Float, 'f', -1, 64)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		b.WriteString(s)
	case Bool:
		b.WriteString(strconv.FormatBool(v.Bool))
	case Binary:
		b.WriteString("b'")
		b.WriteString(base64.StdEncoding.EncodeToString(v.Bytes))
		b.WriteByte('\'')
	case Hex:
		b.WriteString("h'")
		b.WriteString(hex.EncodeToString(v.Bytes))
		b.WriteByte('\'')
	case Timestamp:
		b.WriteString("t'")
		b.WriteString(v.Str)
		b.WriteByte('\'')
	case Set:
		b.WriteByte('(')
		for i, m := range v.Set {
			if i > 0 {
				b.WriteString(", ")
			}
			writeValue(b, m)
		}
		b.WriteByte(')')
	}
}

func writeString(b *strings.Builder, s string) {
	b.WriteByte('\'')
	for i := 0; i < len(s); i++ {
		if s[i] == '\'' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('\'')
}
