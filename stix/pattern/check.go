package pattern

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"regexp/syntax"
	"strings"
	"time"
)

// checkTypeName applies the STIX 2.1 rules for type names (section 3.1):
// only a-z, 0-9 and '-', 3 to 250 characters. It returns "" when the name
// is acceptable.
func checkTypeName(name string, lenient bool) string {
	if lenient {
		return ""
	}
	if len(name) < 3 || len(name) > 250 {
		return "type names must be 3 to 250 characters long"
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z') && !isDigit(c) && c != '-' {
			return "type names may contain only lower-case letters, digits and hyphens"
		}
	}
	return ""
}

// checkComparison enforces the constant types each operator needs and the
// semantic rules on constants. It returns "" when c is acceptable.
func checkComparison(c *Comparison) string {
	v := c.Value
	switch c.Op {
	case OpLt, OpLe, OpGt, OpGe:
		if v.Kind == Bool {
			return fmt.Sprintf("operator %s cannot be used with a boolean: booleans are not ordered", c.Op)
		}
	case OpLike, OpMatches, OpIsSubset, OpIsSuperset:
		if v.Kind != String {
			return fmt.Sprintf("%s needs a string constant, found a %s", c.Op, v.Kind)
		}
	}
	switch c.Op {
	case OpIn:
		if msg := checkSet(v); msg != "" {
			return msg
		}
	case OpMatches:
		if _, err := compileRegexp(v.Str); err != nil {
			return err.Error()
		}
	case OpIsSubset:
		if _, err := parsePrefix(v.Str); err != nil {
			return fmt.Sprintf("ISSUBSET needs an IP address or CIDR block such as '10.0.0.0/8': %v", err)
		}
	case OpIsSuperset:
		if _, err := parsePrefix(v.Str); err != nil {
			return fmt.Sprintf("ISSUPERSET needs an IP address or CIDR block such as '10.0.0.1': %v", err)
		}
	}
	if c.Op == OpEq || c.Op == OpNe || c.Op == OpIn {
		return checkHashValue(c)
	}
	return ""
}

// checkSet requires the members of an IN set to share a type; integers and
// floats may mix, as numbers.
func checkSet(v Value) string {
	var first ValueKind
	for _, m := range v.Set {
		k := m.Kind
		if k == Float {
			k = Int
		}
		if first == NoValue {
			first = k
		} else if k != first {
			return "the members of an IN set must all have the same type"
		}
	}
	return ""
}

// hashLengths gives the hex length of well-known hash algorithms, keyed by
// the upper-cased name without hyphens. SSDEEP and TLSH are not hex digests
// of fixed length and are not checked.
var hashLengths = map[string][]int{
	"MD5": {32}, "SHA1": {40}, "SHA224": {56}, "SHA256": {64}, "SHA384": {96},
	"SHA512": {128}, "SHA3224": {56}, "SHA3256": {64}, "SHA3384": {96},
	"SHA3512": {128}, "RIPEMD160": {40}, "WHIRLPOOL": {128},
	"MD6": {32, 40, 56, 64, 96, 128},
}

// checkHashValue rejects a hash constant of the wrong form for its
// algorithm, e.g. file:hashes.'SHA-256' = 'f00'.
func checkHashValue(c *Comparison) string {
	steps := c.Path.Steps
	last := steps[len(steps)-1]
	if last.Kind != KeyStep || len(steps) < 2 {
		return ""
	}
	inHashes := false
	for _, s := range steps[:len(steps)-1] {
		if s.Kind == KeyStep && s.Key == "hashes" {
			inHashes = true
		}
	}
	if !inHashes {
		return ""
	}
	algo := strings.ReplaceAll(strings.ToUpper(last.Key), "-", "")
	lengths, ok := hashLengths[algo]
	if !ok {
		return ""
	}
	vals := []Value{c.Value}
	if c.Value.Kind == Set {
		vals = c.Value.Set
	}
	for _, v := range vals {
		if v.Kind != String {
			continue
		}
		good := false
		for _, n := range lengths {
			if len(v.Str) == n && isHex(v.Str) {
				good = true
			}
		}
		if !good {
			return fmt.Sprintf("'%s' is not a valid %s hash", v.Str, last.Key)
		}
	}
	return ""
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isDigit(c) && !('a' <= c && c <= 'f') && !('A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// compileRegexp compiles a MATCHES expression. STIX specifies PCRE; Go's
// RE2 engine accepts most PCRE syntax but not backreferences, lookaround,
// atomic groups or possessive quantifiers, which are reported as errors
// rather than silently matched differently.
func compileRegexp(expr string) (*regexp.Regexp, error) {
	re, err := regexp.Compile(expr)
	if err == nil {
		return re, nil
	}
	var se *syntax.Error
	if errors.As(err, &se) {
		switch {
		case se.Code == syntax.ErrInvalidEscape && len(se.Expr) >= 2 && se.Expr[1] >= '1' && se.Expr[1] <= '9':
			return nil, fmt.Errorf("MATCHES regular expression uses a backreference (%s), which is not supported (RE2 syntax)", se.Expr)
		case se.Code == syntax.ErrInvalidPerlOp && (strings.HasPrefix(se.Expr, "(?=") || strings.HasPrefix(se.Expr, "(?!") || strings.HasPrefix(se.Expr, "(?<=") || strings.HasPrefix(se.Expr, "(?<!")):
			return nil, fmt.Errorf("MATCHES regular expression uses lookaround (%s), which is not supported (RE2 syntax)", se.Expr)
		case se.Code == syntax.ErrInvalidPerlOp && strings.HasPrefix(se.Expr, "(?>"):
			return nil, fmt.Errorf("MATCHES regular expression uses an atomic group (%s), which is not supported (RE2 syntax)", se.Expr)
		case se.Code == syntax.ErrInvalidRepeatOp && strings.HasSuffix(se.Expr, "+"):
			return nil, fmt.Errorf("MATCHES regular expression uses a possessive quantifier (%s), which is not supported (RE2 syntax)", se.Expr)
		}
		return nil, fmt.Errorf("invalid MATCHES regular expression: %s: %s", se.Code, se.Expr)
	}
	return nil, fmt.Errorf("invalid MATCHES regular expression: %v", err)
}

// parsePrefix reads an IP address or CIDR block; a bare address is a
// single-host block.
func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return p, fmt.Errorf("%q is not a CIDR block", s)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, fmt.Errorf("%q is not an IP address", s)
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// parseTimestamp reads YYYY-MM-DDThh:mm:ss[.fraction]Z with the field
// ranges of the STIX 2.1 grammar (seconds may be 60, for leap seconds).
func parseTimestamp(s string) (time.Time, error) {
	bad := func(why string) (time.Time, error) {
		return time.Time{}, fmt.Errorf("%q is not an RFC 3339 UTC timestamp like 2016-01-20T12:31:12.123Z (%s)", s, why)
	}
	if len(s) < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[len(s)-1] != 'Z' {
		return bad("wrong layout")
	}
	num := func(i, n int) int {
		v := 0
		for j := i; j < i+n; j++ {
			if !isDigit(s[j]) {
				return -1
			}
			v = v*10 + int(s[j]-'0')
		}
		return v
	}
	y, mo, d, h, mi, sec := num(0, 4), num(5, 2), num(8, 2), num(11, 2), num(14, 2), num(17, 2)
	switch {
	case y < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || sec < 0:
		return bad("non-digit in a date or time field")
	case mo < 1 || mo > 12:
		return bad("month out of range")
	case d < 1 || d > 31:
		return bad("day out of range")
	case h > 23:
		return bad("hour out of range")
	case mi > 59:
		return bad("minute out of range")
	case sec > 60:
		return bad("second out of range")
	}
	nanos := 0
	if len(s) > 20 {
		frac := s[19 : len(s)-1]
		if frac[0] != '.' || len(frac) < 2 {
			return bad("wrong layout")
		}
		scale := 100000000
		for i := 1; i < len(frac); i++ {
			if !isDigit(frac[i]) {
				return bad("non-digit in the fraction of a second")
			}
			nanos += int(frac[i]-'0') * scale
			scale /= 10
		}
	}
	return time.Date(y, time.Month(mo), d, h, mi, sec, nanos, time.UTC), nil
}

// decodeBase64 decodes standard, padded base64, rejecting characters
// outside the alphabet (the standard library would skip newlines).
func decodeBase64(s string) ([]byte, error) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isIdentStart(c) && !isDigit(c) && c != '+' && c != '/' && c != '=' || c == '_' {
			return nil, fmt.Errorf("character %q is not base64", c)
		}
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, errors.New("not valid padded base64")
	}
	if b == nil {
		b = []byte{}
	}
	return b, nil
}

func decodeHex(s string) ([]byte, error) {
	if len(s)%2 != 0 {
		return nil, errors.New("odd number of hex digits")
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, errors.New("not hexadecimal")
	}
	return b, nil
}
