package pattern

import (
	"strconv"
)

// MaxLength is the longest pattern, in bytes, that Parse accepts. Real
// indicator patterns are far shorter; the limit keeps hostile input cheap.
const MaxLength = 1 << 20

// MaxDepth is the deepest nesting of brackets and parentheses that Parse
// accepts.
const MaxDepth = 100

// Option configures Parse.
type Option func(*config)

type config struct {
	version Version
	lenient bool
}

// WithVersion selects the dialect; the default is V21.
func WithVersion(v Version) Option {
	return func(c *config) { c.version = v }
}

// Lenient turns off the checks that go beyond what the OASIS reference
// matcher enforces: object type names (lower case, digits and hyphens, 3
// to 250 characters), START before STOP, and the validator's rule that a
// bracketed expression may not carry the same qualifier twice
// ([a] REPEATS 2 TIMES REPEATS 2 TIMES). Use it for patterns from
// producers that use non-standard type names.
func Lenient() Option {
	return func(c *config) { c.lenient = true }
}

// Parse parses and checks a STIX pattern. The error, if any, is an *Error
// carrying the line and column of the problem.
func Parse(s string, opts ...Option) (*Pattern, error) {
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	if len(s) > MaxLength {
		return nil, &Error{Line: 1, Column: 1, Msg: "pattern is longer than " + strconv.Itoa(MaxLength) + " bytes"}
	}
	p := &parser{lex: lexer{src: s}, src: s, cfg: cfg}
	root, err := p.parse()
	if err != nil {
		return nil, err
	}
	c, err := compilePattern(root)
	if err != nil {
		return nil, &Error{Line: 1, Column: 1, Msg: err.Error()}
	}
	return &Pattern{Root: root, Version: cfg.version, compiled: c}, nil
}

type parser struct {
	lex   lexer
	src   string
	cfg   config
	tok   token
	depth int
}

func (p *parser) errAt(off int, format string, args ...any) *Error {
	return newError(p.src, off, format, args...)
}

func (p *parser) advance() error {
	t, err := p.lex.next()
	if err != nil {
		return err
	}
	p.tok = t
	return nil
}

// isKeyword reports whether the current token is the given keyword.
// Keywords are case-sensitive, as in the STIX grammar.
func (p *parser) isKeyword(kw string) bool {
	return p.tok.kind == tIdent && p.tok.text == kw
}

func (p *parser) enter(off int) error {
	p.depth++
	if p.depth > MaxDepth {
		return p.errAt(off, "nesting is deeper than %d levels", MaxDepth)
	}
	return nil
}

func (p *parser) parse() (ObsExpr, error) {
	if err := p.advance(); err != nil {
		return nil, err
	}
	if p.tok.kind == tEOF {
		return nil, p.errAt(0, "empty pattern: expected an observation expression such as [file:name = 'x']")
	}
	if p.tok.kind != tLBrack && p.tok.kind != tLParen {
		return nil, p.errAt(p.tok.off, "expected '[' to start an observation expression, found %s (comparisons must be inside square brackets)", p.tok.describe(p.src))
	}
	e, err := p.obsFollowedBy()
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tEOF {
		return nil, p.errAt(p.tok.off, "expected AND, OR, FOLLOWEDBY, a qualifier or the end of the pattern, found %s%s", p.tok.describe(p.src), keywordHint(p.tok))
	}
	return e, nil
}

// keywordHint explains the common mistake of lower-case keywords.
func keywordHint(t token) string {
	if t.kind != tIdent {
		return ""
	}
	switch up := upper(t.text); up {
	case "AND", "OR", "FOLLOWEDBY", "WITHIN", "REPEATS", "START", "STOP", "NOT", "IN", "LIKE", "MATCHES", "ISSUBSET", "ISSUPERSET", "EXISTS", "SECONDS", "TIMES":
		if up != t.text {
			return " (keywords must be upper case: " + up + ")"
		}
	}
	return ""
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 32
		}
	}
	return string(b)
}

func (p *parser) obsFollowedBy() (ObsExpr, error) {
	return leftAssoc(p, "FOLLOWEDBY", p.obsOr, func(l, r ObsExpr) ObsExpr { return &ObsBinary{Op: FollowedBy, Left: l, Right: r} })
}

func (p *parser) obsOr() (ObsExpr, error) {
	return leftAssoc(p, "OR", p.obsAnd, func(l, r ObsExpr) ObsExpr { return &ObsBinary{Op: ObsOr, Left: l, Right: r} })
}

func (p *parser) obsAnd() (ObsExpr, error) {
	return leftAssoc(p, "AND", p.obsQualified, func(l, r ObsExpr) ObsExpr { return &ObsBinary{Op: ObsAnd, Left: l, Right: r} })
}

// leftAssoc parses operands joined by a keyword operator of one precedence
// level, grouping to the left: a OR b OR c is (a OR b) OR c.
func leftAssoc[T any](p *parser, keyword string, operand func() (T, error), join func(left, right T) T) (T, error) {
	var zero T
	left, err := operand()
	if err != nil {
		return zero, err
	}
	for p.isKeyword(keyword) {
		if err := p.advance(); err != nil {
			return zero, err
		}
		right, err := operand()
		if err != nil {
			return zero, err
		}
		left = join(left, right)
	}
	return left, nil
}

// obsQualified parses a primary observation expression and its
// qualifiers. Qualifiers applied directly to a bracketed expression may not
// repeat a kind (the OASIS validator's rule); after a parenthesised group
// they may.
func (p *parser) obsQualified() (ObsExpr, error) {
	bracketed := p.tok.kind == tLBrack
	e, err := p.obsPrimary()
	if err != nil {
		return nil, err
	}
	var seen [3]bool
	for {
		off := p.tok.off
		var q Qualifier
		switch {
		case p.isKeyword("WITHIN"):
			q, err = p.within()
		case p.isKeyword("REPEATS"):
			q, err = p.repeats()
		case p.isKeyword("START"):
			q, err = p.startStop()
		case p.isKeyword("STOP"):
			return nil, p.errAt(off, "STOP without a preceding START")
		default:
			return e, nil
		}
		if err != nil {
			return nil, err
		}
		if bracketed && !p.cfg.lenient {
			if seen[q.Kind] {
				return nil, p.errAt(off, "duplicate %s qualifier on the same observation expression (put the first part in parentheses to qualify it twice)", q.Kind)
			}
			seen[q.Kind] = true
		}
		e = &Qualified{Expr: e, Qualifier: q}
	}
}

func (p *parser) obsPrimary() (ObsExpr, error) {
	open := p.tok
	switch open.kind {
	case tLBrack:
		if err := p.enter(open.off); err != nil {
			return nil, err
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
		if p.tok.kind == tRBrack {
			return nil, p.errAt(p.tok.off, "empty observation expression: expected a comparison such as file:name = 'x'")
		}
		c, err := p.compOr()
		if err != nil {
			return nil, err
		}
		if p.tok.kind != tRBrack {
			return nil, p.errAt(p.tok.off, "expected ']' to close the observation expression started at column %d, found %s%s", columnOf(p.src, open.off), p.tok.describe(p.src), keywordHint(p.tok))
		}
		p.depth--
		return &Bracketed{Expr: c}, p.advance()
	case tLParen:
		if err := p.enter(open.off); err != nil {
			return nil, err
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
		e, err := p.obsFollowedBy()
		if err != nil {
			return nil, err
		}
		if p.tok.kind != tRParen {
			return nil, p.errAt(p.tok.off, "expected ')' to close the parenthesis at column %d, found %s%s", columnOf(p.src, open.off), p.tok.describe(p.src), keywordHint(p.tok))
		}
		p.depth--
		return e, p.advance()
	}
	return nil, p.errAt(open.off, "expected an observation expression ('[' or '('), found %s", open.describe(p.src))
}

func (p *parser) within() (Qualifier, error) {
	if err := p.advance(); err != nil {
		return Qualifier{}, err
	}
	t := p.tok
	if t.kind != tInt && t.kind != tFloat {
		return Qualifier{}, p.errAt(t.off, "expected a number of seconds after WITHIN, found %s", t.describe(p.src))
	}
	v, err := p.number(t)
	if err != nil {
		return Qualifier{}, err
	}
	if (v.Kind == Int && v.Int <= 0) || (v.Kind == Float && !(v.Float > 0)) {
		return Qualifier{}, p.errAt(t.off, "WITHIN needs a positive number of seconds, got %s", t.text)
	}
	if err := p.advance(); err != nil {
		return Qualifier{}, err
	}
	if !p.isKeyword("SECONDS") {
		return Qualifier{}, p.errAt(p.tok.off, "expected SECONDS after WITHIN %s, found %s (SECONDS is the only time unit)", t.text, p.tok.describe(p.src))
	}
	return Qualifier{Kind: Within, Count: v}, p.advance()
}

func (p *parser) repeats() (Qualifier, error) {
	if err := p.advance(); err != nil {
		return Qualifier{}, err
	}
	t := p.tok
	if t.kind != tInt {
		return Qualifier{}, p.errAt(t.off, "expected a whole number after REPEATS, found %s", t.describe(p.src))
	}
	v, err := p.number(t)
	if err != nil {
		return Qualifier{}, err
	}
	if v.Int <= 0 {
		return Qualifier{}, p.errAt(t.off, "REPEATS needs a positive count, got %s", t.text)
	}
	if err := p.advance(); err != nil {
		return Qualifier{}, err
	}
	if !p.isKeyword("TIMES") {
		return Qualifier{}, p.errAt(p.tok.off, "expected TIMES after REPEATS %s, found %s", t.text, p.tok.describe(p.src))
	}
	return Qualifier{Kind: Repeats, Count: v}, p.advance()
}

func (p *parser) startStop() (Qualifier, error) {
	startOff := p.tok.off
	if err := p.advance(); err != nil {
		return Qualifier{}, err
	}
	start, err := p.qualTime("START")
	if err != nil {
		return Qualifier{}, err
	}
	if !p.isKeyword("STOP") {
		return Qualifier{}, p.errAt(p.tok.off, "expected STOP after the START time, found %s", p.tok.describe(p.src))
	}
	if err := p.advance(); err != nil {
		return Qualifier{}, err
	}
	stop, err := p.qualTime("STOP")
	if err != nil {
		return Qualifier{}, err
	}
	if !p.cfg.lenient && !start.Time.Before(stop.Time) {
		return Qualifier{}, p.errAt(startOff, "START time must be before STOP time")
	}
	return Qualifier{Kind: StartStop, Start: start, Stop: stop}, nil
}

// qualTime reads a START or STOP time: t'...' in 2.1; in 2.0 a string
// holding a timestamp (t'...' is accepted too).
func (p *parser) qualTime(kw string) (Value, error) {
	t := p.tok
	var v Value
	switch {
	case t.kind == tTimestamp:
		tm, err := parseTimestamp(t.text)
		if err != nil {
			return v, p.errAt(t.off, "invalid timestamp after %s: %v", kw, err)
		}
		v = Value{Kind: Timestamp, Str: t.text, Time: tm}
	case t.kind == tString && p.cfg.version == V20:
		tm, err := parseTimestamp(t.text)
		if err != nil {
			return v, p.errAt(t.off, "invalid timestamp after %s: %v", kw, err)
		}
		v = Value{Kind: String, Str: t.text, Time: tm}
	case t.kind == tString:
		return v, p.errAt(t.off, "expected a timestamp t'...' after %s, found %s (plain strings are STIX 2.0 syntax)", kw, t.describe(p.src))
	default:
		return v, p.errAt(t.off, "expected a timestamp t'YYYY-MM-DDThh:mm:ssZ' after %s, found %s", kw, t.describe(p.src))
	}
	return v, p.advance()
}

func (p *parser) compOr() (CompExpr, error) {
	return leftAssoc(p, "OR", p.compAnd, func(l, r CompExpr) CompExpr { return &CompBinary{Left: l, Right: r} })
}

func (p *parser) compAnd() (CompExpr, error) {
	return leftAssoc(p, "AND", p.compPrimary, func(l, r CompExpr) CompExpr { return &CompBinary{And: true, Left: l, Right: r} })
}

func (p *parser) compPrimary() (CompExpr, error) {
	open := p.tok
	if open.kind == tLParen {
		if err := p.enter(open.off); err != nil {
			return nil, err
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
		c, err := p.compOr()
		if err != nil {
			return nil, err
		}
		if p.tok.kind != tRParen {
			return nil, p.errAt(p.tok.off, "expected ')' to close the parenthesis at column %d, found %s%s", columnOf(p.src, open.off), p.tok.describe(p.src), keywordHint(p.tok))
		}
		p.depth--
		return c, p.advance()
	}
	if p.isKeyword("EXISTS") {
		if p.cfg.version == V20 {
			return nil, p.errAt(open.off, "EXISTS is not part of STIX 2.0 patterning")
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
		path, err := p.objectPath()
		if err != nil {
			return nil, err
		}
		return &Comparison{Path: path, Op: OpExists}, nil
	}
	return p.comparison()
}

func (p *parser) objectPath() (ObjectPath, error) {
	var path ObjectPath
	t := p.tok
	if t.kind != tIdent {
		return path, p.errAt(t.off, "expected an object path such as file:name, found %s", t.describe(p.src))
	}
	if err := checkTypeName(t.text, p.cfg.lenient); err != "" {
		return path, p.errAt(t.off, "invalid object type %q: %s", t.text, err)
	}
	path.Type = t.text
	if err := p.advance(); err != nil {
		return path, err
	}
	if p.tok.kind != tColon {
		return path, p.errAt(p.tok.off, "expected ':' after the object type %q, found %s", t.text, p.tok.describe(p.src))
	}
	if err := p.advance(); err != nil {
		return path, err
	}
	key, err := p.pathKey()
	if err != nil {
		return path, err
	}
	path.Steps = append(path.Steps, Step{Kind: KeyStep, Key: key})
	for {
		switch p.tok.kind {
		case tDot:
			if err := p.advance(); err != nil {
				return path, err
			}
			key, err := p.pathKey()
			if err != nil {
				return path, err
			}
			path.Steps = append(path.Steps, Step{Kind: KeyStep, Key: key})
		case tLBrack:
			open := p.tok.off
			if err := p.advance(); err != nil {
				return path, err
			}
			var st Step
			switch p.tok.kind {
			case tStar:
				st = Step{Kind: AnyStep}
			case tInt:
				n, err := strconv.Atoi(p.tok.text)
				if err != nil {
					return path, p.errAt(p.tok.off, "list index %s is out of range", p.tok.text)
				}
				st = Step{Kind: IndexStep, Index: n}
			default:
				return path, p.errAt(p.tok.off, "expected a list index (a whole number or *) after '[', found %s", p.tok.describe(p.src))
			}
			if err := p.advance(); err != nil {
				return path, err
			}
			if p.tok.kind != tRBrack {
				return path, p.errAt(p.tok.off, "expected ']' to close the list index at column %d, found %s", columnOf(p.src, open), p.tok.describe(p.src))
			}
			if err := p.advance(); err != nil {
				return path, err
			}
			path.Steps = append(path.Steps, st)
		default:
			return path, nil
		}
	}
}

// pathKey reads a property name: a plain identifier without hyphens, or a
// quoted string.
func (p *parser) pathKey() (string, error) {
	t := p.tok
	switch t.kind {
	case tString:
		return t.text, p.advance()
	case tIdent:
		for i := 0; i < len(t.text); i++ {
			if t.text[i] == '-' {
				return "", p.errAt(t.off, "property name %s contains '-': quote it as '%s'", t.text, t.text)
			}
		}
		return t.text, p.advance()
	}
	return "", p.errAt(t.off, "expected a property name, found %s", t.describe(p.src))
}

func (p *parser) comparison() (CompExpr, error) {
	pathOff := p.tok.off
	path, err := p.objectPath()
	if err != nil {
		return nil, err
	}
	c := &Comparison{Path: path}
	if p.isKeyword("NOT") {
		c.Not = true
		if err := p.advance(); err != nil {
			return nil, err
		}
	}
	opTok := p.tok
	switch {
	case opTok.kind == tEq:
		c.Op = OpEq
	case opTok.kind == tNe:
		c.Op = OpNe
	case opTok.kind == tLt:
		c.Op = OpLt
	case opTok.kind == tLe:
		c.Op = OpLe
	case opTok.kind == tGt:
		c.Op = OpGt
	case opTok.kind == tGe:
		c.Op = OpGe
	case p.isKeyword("IN"):
		c.Op = OpIn
	case p.isKeyword("LIKE"):
		c.Op = OpLike
	case p.isKeyword("MATCHES"):
		c.Op = OpMatches
	case p.isKeyword("ISSUBSET"):
		c.Op = OpIsSubset
	case p.isKeyword("ISSUPERSET"):
		c.Op = OpIsSuperset
	default:
		return nil, p.errAt(opTok.off, "expected a comparison operator (=, !=, <, <=, >, >=, IN, LIKE, MATCHES, ISSUBSET, ISSUPERSET) after %s, found %s%s", p.src[pathOff:opTok.off], opTok.describe(p.src), keywordHint(opTok))
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	valTok := p.tok
	if c.Op == OpIn {
		c.Value, err = p.set()
	} else {
		c.Value, err = p.constant()
	}
	if err != nil {
		return nil, err
	}
	if msg := checkComparison(c); msg != "" {
		return nil, p.errAt(valTok.off, "%s", msg)
	}
	return c, nil
}

func (p *parser) set() (Value, error) {
	open := p.tok
	if open.kind != tLParen {
		return Value{}, p.errAt(open.off, "IN needs a parenthesised set such as ('a', 'b'), found %s", open.describe(p.src))
	}
	if err := p.advance(); err != nil {
		return Value{}, err
	}
	set := Value{Kind: Set, Set: []Value{}}
	for p.tok.kind != tRParen {
		if len(set.Set) > 0 {
			if p.tok.kind != tComma {
				return Value{}, p.errAt(p.tok.off, "expected ',' or ')' in the set started at column %d, found %s", columnOf(p.src, open.off), p.tok.describe(p.src))
			}
			if err := p.advance(); err != nil {
				return Value{}, err
			}
		}
		v, err := p.constant()
		if err != nil {
			return Value{}, err
		}
		set.Set = append(set.Set, v)
	}
	return set, p.advance()
}

// constant reads one constant and moves past it.
func (p *parser) constant() (Value, error) {
	t := p.tok
	var v Value
	switch t.kind {
	case tString:
		v = Value{Kind: String, Str: t.text}
	case tInt, tFloat:
		var err error
		if v, err = p.number(t); err != nil {
			return v, err
		}
	case tBinary:
		b, err := decodeBase64(t.text)
		if err != nil {
			return v, p.errAt(t.off, "invalid binary constant b'%s': %v", t.text, err)
		}
		v = Value{Kind: Binary, Bytes: b}
	case tHex:
		b, err := decodeHex(t.text)
		if err != nil {
			return v, p.errAt(t.off, "invalid hex constant h'%s': %v", t.text, err)
		}
		v = Value{Kind: Hex, Bytes: b}
	case tTimestamp:
		tm, err := parseTimestamp(t.text)
		if err != nil {
			return v, p.errAt(t.off, "invalid timestamp t'%s': %v", t.text, err)
		}
		v = Value{Kind: Timestamp, Str: t.text, Time: tm}
	case tIdent:
		switch t.text {
		case "true", "false":
			v = Value{Kind: Bool, Bool: t.text == "true"}
		default:
			hint := ""
			if u := upper(t.text); u == "TRUE" || u == "FALSE" {
				hint = " (booleans are lower case: true, false)"
			} else {
				hint = " (strings need single quotes)"
			}
			return v, p.errAt(t.off, "expected a constant, found %s%s", t.describe(p.src), hint)
		}
	default:
		return v, p.errAt(t.off, "expected a constant, found %s", t.describe(p.src))
	}
	return v, p.advance()
}

func (p *parser) number(t token) (Value, error) {
	if t.kind == tInt {
		n, err := strconv.ParseInt(t.text, 10, 64)
		if err != nil {
			return Value{}, p.errAt(t.off, "integer %s is out of range (64-bit)", t.text)
		}
		return Value{Kind: Int, Int: n}, nil
	}
	f, err := strconv.ParseFloat(t.text, 64)
	if err != nil {
		return Value{}, p.errAt(t.off, "float %s is out of range", t.text)
	}
	return Value{Kind: Float, Float: f}, nil
}
