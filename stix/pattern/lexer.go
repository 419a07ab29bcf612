package pattern

import (
	"strings"
	"unicode/utf8"
)

type tokKind int

const (
	tEOF tokKind = iota
	tIdent
	tString
	tInt
	tFloat
	tBinary
	tHex
	tTimestamp
	tLBrack
	tRBrack
	tLParen
	tRParen
	tColon
	tDot
	tComma
	tStar
	tEq
	tNe
	tLt
	tLe
	tGt
	tGe
)

// token is one lexeme. For tString, text is the unescaped value; for the
// prefixed constants (b”, h”, t”) it is the content between the quotes;
// otherwise it is the source text.
type token struct {
	kind tokKind
	text string
	off  int // byte offset of the first character
	end  int // byte offset just past the token
}

// describe renders a token for "found X" in error messages.
func (t token) describe(src string) string {
	switch t.kind {
	case tEOF:
		return "end of pattern"
	case tIdent:
		return "'" + t.text + "'"
	}
	s := src[t.off:t.end]
	if utf8.RuneCountInString(s) > 40 {
		s = string([]rune(s)[:37]) + "..."
	}
	if t.kind == tString {
		return "string " + s
	}
	return s
}

// lexer turns the pattern into tokens on demand.
type lexer struct {
	src string
	pos int
}

// isSpace is the whitespace set of the STIX grammar.
func isSpace(r rune) bool {
	switch r {
	case ' ', '\t', '\r', '\n', '\v', '\f', 0x85, 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000:
		return true
	}
	return r >= 0x2000 && r <= 0x200a
}

func isIdentStart(c byte) bool {
	return c == '_' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
}

func isIdentChar(c byte) bool {
	return isIdentStart(c) || isDigit(c) || c == '-'
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// skip moves past whitespace and comments.
func (l *lexer) skip() *Error {
	for l.pos < len(l.src) {
		r, n := utf8.DecodeRuneInString(l.src[l.pos:])
		switch {
		case isSpace(r):
			l.pos += n
		case strings.HasPrefix(l.src[l.pos:], "/*"):
			end := strings.Index(l.src[l.pos+2:], "*/")
			if end < 0 {
				return newError(l.src, l.pos, "comment started here is never closed with */")
			}
			l.pos += end + 4
		case strings.HasPrefix(l.src[l.pos:], "//"):
			end := strings.IndexAny(l.src[l.pos:], "\r\n")
			if end < 0 {
				l.pos = len(l.src)
			} else {
				l.pos += end
			}
		default:
			return nil
		}
	}
	return nil
}

// next returns the next token.
func (l *lexer) next() (token, *Error) {
	if err := l.skip(); err != nil {
		return token{}, err
	}
	start := l.pos
	if start >= len(l.src) {
		return token{kind: tEOF, off: start, end: start}, nil
	}
	c := l.src[start]
	tok := func(k tokKind, n int) (token, *Error) {
		l.pos = start + n
		return token{kind: k, text: l.src[start:l.pos], off: start, end: l.pos}, nil
	}
	two := ""
	if start+1 < len(l.src) {
		two = l.src[start : start+2]
	}
	switch c {
	case '[':
		return tok(tLBrack, 1)
	case ']':
		return tok(tRBrack, 1)
	case '(':
		return tok(tLParen, 1)
	case ')':
		return tok(tRParen, 1)
	case ':':
		return tok(tColon, 1)
	case ',':
		return tok(tComma, 1)
	case '*':
		return tok(tStar, 1)
	case '=':
		if two == "==" {
			return tok(tEq, 2)
		}
		return tok(tEq, 1)
	case '!':
		if two == "!=" {
			return tok(tNe, 2)
		}
		return token{}, newError(l.src, start, "unexpected '!': did you mean '!='?")
	case '<':
		switch two {
		case "<=":
			return tok(tLe, 2)
		case "<>":
			return tok(tNe, 2)
		}
		return tok(tLt, 1)
	case '>':
		if two == ">=" {
			return tok(tGe, 2)
		}
		return tok(tGt, 1)
	case '\'':
		return l.lexString(start)
	case '.':
		if start+1 < len(l.src) && isDigit(l.src[start+1]) {
			return l.lexNumber(start)
		}
		return tok(tDot, 1)
	case '+', '-':
		if start+1 < len(l.src) && (isDigit(l.src[start+1]) || l.src[start+1] == '.') {
			return l.lexNumber(start)
		}
		return token{}, newError(l.src, start, "unexpected %q: a sign must be followed by a number", c)
	}
	if isDigit(c) {
		return l.lexNumber(start)
	}
	if (c == 'b' || c == 'h' || c == 't') && start+1 < len(l.src) && l.src[start+1] == '\'' {
		return l.lexPrefixed(start, c)
	}
	if isIdentStart(c) {
		i := start + 1
		for i < len(l.src) && isIdentChar(l.src[i]) {
			i++
		}
		return tok(tIdent, i-start)
	}
	r, _ := utf8.DecodeRuneInString(l.src[start:])
	if r == '"' {
		return token{}, newError(l.src, start, "unexpected '\"': strings and quoted property names use single quotes")
	}
	if r == '/' {
		return token{}, newError(l.src, start, "unexpected '/': regular expressions are written as strings, e.g. MATCHES '^a.*b$'")
	}
	return token{}, newError(l.src, start, "unexpected character %q", r)
}

// lexString reads a single-quoted string whose only escapes are \' and \\.
func (l *lexer) lexString(start int) (token, *Error) {
	var b strings.Builder
	i := start + 1
	plain := i // start of the run not yet copied into b
	for i < len(l.src) {
		switch l.src[i] {
		case '\'':
			b.WriteString(l.src[plain:i])
			l.pos = i + 1
			return token{kind: tString, text: b.String(), off: start, end: l.pos}, nil
		case '\\':
			if i+1 < len(l.src) && (l.src[i+1] == '\'' || l.src[i+1] == '\\') {
				b.WriteString(l.src[plain:i])
				b.WriteByte(l.src[i+1])
				i += 2
				plain = i
				continue
			}
			if i+1 >= len(l.src) {
				return token{}, newError(l.src, i, "string ends with a lone backslash")
			}
			r, _ := utf8.DecodeRuneInString(l.src[i+1:])
			return token{}, newError(l.src, i, "invalid escape sequence \\%c in string: only \\' and \\\\ are allowed (write \\\\%c for a backslash followed by %c)", r, r, r)
		}
		i++
	}
	return token{}, newError(l.src, start, "string started here is never closed with '")
}

// lexNumber reads [+-]? digits [. digits] or [+-]? . digits.
func (l *lexer) lexNumber(start int) (token, *Error) {
	i := start
	if l.src[i] == '+' || l.src[i] == '-' {
		i++
	}
	digits := i
	for i < len(l.src) && isDigit(l.src[i]) {
		i++
	}
	intEnd := i
	kind := tInt
	if i < len(l.src) && l.src[i] == '.' && i+1 < len(l.src) && isDigit(l.src[i+1]) {
		kind = tFloat
		i++
		for i < len(l.src) && isDigit(l.src[i]) {
			i++
		}
	}
	if i < len(l.src) && (l.src[i] == 'e' || l.src[i] == 'E') {
		return token{}, newError(l.src, start, "exponents are not allowed in numbers; write %s in full", l.src[start:i])
	}
	if kind == tInt && intEnd-digits > 1 && l.src[digits] == '0' {
		return token{}, newError(l.src, start, "integer %s has a leading zero", l.src[start:i])
	}
	if kind == tInt && intEnd == digits {
		return token{}, newError(l.src, start, "expected digits")
	}
	l.pos = i
	return token{kind: kind, text: l.src[start:i], off: start, end: i}, nil
}

// lexPrefixed reads b'...', h'...' or t'...'. The content is validated by
// the parser, which knows the rules for each kind.
func (l *lexer) lexPrefixed(start int, prefix byte) (token, *Error) {
	end := strings.IndexByte(l.src[start+2:], '\'')
	if end < 0 {
		return token{}, newError(l.src, start, "%c'...' constant started here is never closed with '", prefix)
	}
	kind := tTimestamp
	switch prefix {
	case 'b':
		kind = tBinary
	case 'h':
		kind = tHex
	}
	l.pos = start + 2 + end + 1
	return token{kind: kind, text: l.src[start+2 : start+2+end], off: start, end: l.pos}, nil
}
