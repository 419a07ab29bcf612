package pattern

import (
	"bytes"
	"cmp"
	"net/netip"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// This file holds the value semantics of comparisons. They follow the OASIS
// reference matcher (stix2matcher): integers and floats compare
// numerically; strings compare by code point; binary values compare as
// bytes, and against a string whose characters are all below U+0100 (taken
// as Latin-1 bytes); a timestamp constant makes the matcher read the JSON
// string as a timestamp, and a malformed one is an error; values of
// unrelated types are unequal and unordered (so != and NOT hold for them).

// timeOf reads a JSON value compared against a timestamp constant.
func (ev *evaluator) timeOf(v any) (time.Time, bool) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, false
	}
	t, err := parseTimestamp(s)
	if err != nil {
		ev.fail(&MatchError{Msg: "invalid timestamp in observed data", Err: err})
		return time.Time{}, false
	}
	return t, true
}

// latin1 converts s to bytes if every character is below U+0100.
func latin1(s string) ([]byte, bool) {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		if r >= 0x100 {
			return nil, false
		}
		b = append(b, byte(r))
	}
	return b, true
}

// latin1String decodes bytes as Latin-1, so a regular expression can match
// binary data one byte per character.
func latin1String(b []byte) string {
	var sb strings.Builder
	sb.Grow(len(b))
	for _, c := range b {
		sb.WriteRune(rune(c))
	}
	return sb.String()
}

func asFloat(v any) (float64, bool) {
	switch v := v.(type) {
	case int64:
		return float64(v), true
	case float64:
		return v, true
	}
	return 0, false
}

// equal implements = for a JSON value and a constant.
func (ev *evaluator) equal(v any, c *Value) bool {
	switch c.Kind {
	case Int:
		if i, ok := v.(int64); ok {
			return i == c.Int
		}
		f, ok := asFloat(v)
		return ok && f == float64(c.Int)
	case Float:
		f, ok := asFloat(v)
		return ok && f == c.Float
	case String:
		switch v := v.(type) {
		case string:
			return v == c.Str
		case []byte:
			b, ok := latin1(c.Str)
			return ok && bytes.Equal(b, v)
		}
	case Bool:
		b, ok := v.(bool)
		return ok && b == c.Bool
	case Binary, Hex:
		switch v := v.(type) {
		case []byte:
			return bytes.Equal(v, c.Bytes)
		case string:
			b, ok := latin1(v)
			return ok && bytes.Equal(b, c.Bytes)
		}
	case Timestamp:
		t, ok := ev.timeOf(v)
		return ok && t.Equal(c.Time)
	}
	return false
}

// order compares a JSON value with a constant; ok is false when the two
// are not ordered with respect to each other.
func (ev *evaluator) order(v any, c *Value) (r int, ok bool) {
	switch c.Kind {
	case Int:
		if i, ok := v.(int64); ok {
			return cmp.Compare(i, c.Int), true
		}
		if f, ok := v.(float64); ok {
			return cmp.Compare(f, float64(c.Int)), true
		}
	case Float:
		if f, ok := asFloat(v); ok {
			return cmp.Compare(f, c.Float), true
		}
	case String:
		switch v := v.(type) {
		case string:
			return strings.Compare(v, c.Str), true
		case []byte:
			if b, ok := latin1(c.Str); ok {
				return bytes.Compare(v, b), true
			}
		}
	case Binary, Hex:
		switch v := v.(type) {
		case []byte:
			return bytes.Compare(v, c.Bytes), true
		case string:
			if b, ok := latin1(v); ok {
				return bytes.Compare(b, c.Bytes), true
			}
		}
	case Timestamp:
		if t, ok := ev.timeOf(v); ok {
			return t.Compare(c.Time), true
		}
	}
	return 0, false
}

// member implements IN. Like the reference matcher's Python set lookup,
// numbers match numerically and strings never equal binary values.
func (ev *evaluator) member(v any, set []Value) bool {
	for i := range set {
		m := &set[i]
		switch m.Kind {
		case String:
			if s, ok := v.(string); ok && s == m.Str {
				return true
			}
		case Binary, Hex:
			if b, ok := v.([]byte); ok && bytes.Equal(b, m.Bytes) {
				return true
			}
		case Timestamp:
			if t, ok := ev.timeOf(v); ok && t.Equal(m.Time) {
				return true
			}
			if ev.err != nil {
				return false
			}
		default:
			if ev.equal(v, m) {
				return true
			}
		}
	}
	return false
}

// like implements SQL LIKE: % matches any run of characters (including
// none), _ exactly one character; everything else matches itself.
func like(s, pat string) bool {
	// Iterative wildcard matching with single-star backtracking, which is
	// linear-time enough for LIKE patterns.
	si, pi := 0, 0
	starP, starS := -1, 0
	for si < len(s) {
		if pi < len(pat) {
			pc, pn := utf8.DecodeRuneInString(pat[pi:])
			switch pc {
			case '%':
				starP, starS = pi, si
				pi += pn
				continue
			case '_':
				_, sn := utf8.DecodeRuneInString(s[si:])
				si += sn
				pi += pn
				continue
			default:
				sc, sn := utf8.DecodeRuneInString(s[si:])
				if sc == pc {
					si += sn
					pi += pn
					continue
				}
			}
		}
		if starP < 0 {
			return false
		}
		_, sn := utf8.DecodeRuneInString(s[starS:])
		starS += sn
		si = starS
		pi = starP + 1
	}
	for pi < len(pat) && pat[pi] == '%' {
		pi++
	}
	return pi == len(pat)
}

// likeValue applies LIKE to a JSON value: strings, and binary values that
// are valid UTF-8.
func likeValue(v any, pat string) bool {
	switch v := v.(type) {
	case string:
		return like(nfc(v), nfc(pat))
	case []byte:
		return utf8.Valid(v) && like(nfc(string(v)), nfc(pat))
	}
	return false
}

// nfc puts a string in Unicode Normalization Form C before LIKE and
// MATCHES, as the reference matcher does, so that "é" written as one code
// point matches "é" written as e and a combining accent. The check first
// keeps the common ASCII case free.
func nfc(s string) string {
	if norm.NFC.IsNormalString(s) {
		return s
	}
	return norm.NFC.String(s)
}

// matchesValue applies MATCHES (an unanchored search) to a JSON value.
// Binary values are searched byte by byte when the expression is written
// entirely in characters below U+0100, as the reference matcher does.
func matchesValue(v any, re *regexp.Regexp, binaryOK bool) bool {
	switch v := v.(type) {
	case string:
		return re.MatchString(nfc(v))
	case []byte:
		return binaryOK && re.MatchString(latin1String(v))
	}
	return false
}

// subset reports whether the IP address or CIDR block in v lies within
// the block c (for ISSUBSET), or contains it (for ISSUPERSET, with the
// arguments swapped by the caller). Addresses of different families are
// unrelated.
func subset(inner, outer netip.Prefix) bool {
	return inner.Addr().Is4() == outer.Addr().Is4() &&
		outer.Bits() <= inner.Bits() && outer.Contains(inner.Addr())
}
