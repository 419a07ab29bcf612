package notify

import (
	"errors"
	"fmt"
	"strings"
)

// CPE is a parsed CPE 2.3 name or match criterion (NISTIR 7695 formatted
// string: cpe:2.3:part:vendor:product:version:update:edition:language:
// sw_edition:target_sw:target_hw:other). Values are kept unescaped and in
// lower case, because CPE matching ignores case; String writes the
// canonical formatted string back.
type CPE struct {
	attrs [cpeAttrs]cpeAttr
}

const cpeAttrs = 11

// The attributes, in formatted-string order.
const (
	attrPart = iota
	attrVendor
	attrProduct
	attrVersion
	attrUpdate
	attrEdition
	attrLanguage
	attrSWEdition
	attrTargetSW
	attrTargetHW
	attrOther
)

var cpeAttrNames = [cpeAttrs]string{"part", "vendor", "product", "version", "update", "edition",
	"language", "sw_edition", "target_sw", "target_hw", "other"}

type attrKind uint8

const (
	attrAny   attrKind = iota // * : any value
	attrNA                    // - : not applicable
	attrValue                 // a value, possibly with wildcards at its ends
)

// cpeAttr is one attribute. A value may begin and end with wildcards (in a
// criterion): lead and trail are 0 for none, -1 for *, or the length of a
// run of ?.
type cpeAttr struct {
	kind        attrKind
	body        string // unescaped, lower case
	lead, trail int
}

func (a cpeAttr) wild() bool { return a.lead != 0 || a.trail != 0 }

// logical is a plain value's text, and "" for ANY, NA and patterns.
func (a cpeAttr) logical() string {
	if a.kind == attrValue && !a.wild() {
		return a.body
	}
	return ""
}

const cpePrefix = "cpe:2.3:"

// ParseCPE parses a CPE 2.3 formatted string. It never panics; the error
// says which attribute is wrong and why.
func ParseCPE(s string) (CPE, error) {
	var c CPE
	if len(s) < len(cpePrefix) || !strings.EqualFold(s[:len(cpePrefix)], cpePrefix) {
		if len(s) >= 5 && strings.EqualFold(s[:5], "cpe:/") {
			return c, errors.New("a CPE 2.2 URI; write the CPE 2.3 formatted string, cpe:2.3:part:vendor:product:version and so on")
		}
		return c, fmt.Errorf("not a CPE 2.3 formatted string (cpe:2.3:part:vendor:product:version:...)")
	}
	rest := s[len(cpePrefix):]
	n, start := 0, 0
	for i := 0; ; i++ {
		if i >= len(rest) || rest[i] == ':' {
			if n == cpeAttrs {
				return c, fmt.Errorf("more than %d attributes after cpe:2.3: (escape a colon inside a value as \\:)", cpeAttrs)
			}
			a, err := parseCPEAttr(rest[start:min(i, len(rest))], n)
			if err != nil {
				return c, err
			}
			c.attrs[n] = a
			n++
			start = i + 1
			if i >= len(rest) {
				break
			}
			continue
		}
		if rest[i] == '\\' && i+1 < len(rest) {
			i++
		}
	}
	if n != cpeAttrs {
		return c, fmt.Errorf("%d attributes after cpe:2.3:, a CPE 2.3 name has %d (use * for any value)", n, cpeAttrs)
	}
	return c, nil
}

func parseCPEAttr(f string, idx int) (cpeAttr, error) {
	name := cpeAttrNames[idx]
	switch f {
	case "":
		return cpeAttr{}, fmt.Errorf("%s is empty (use * for any value)", name)
	case "*":
		return cpeAttr{kind: attrAny}, nil
	case "-":
		if idx == attrPart {
			return cpeAttr{}, fmt.Errorf("part must be a, o or h")
		}
		return cpeAttr{kind: attrNA}, nil
	}
	a := cpeAttr{kind: attrValue}
	i := 0
	if f[0] == '*' {
		a.lead, i = -1, 1
	} else {
		for i < len(f) && f[i] == '?' {
			i++
		}
		a.lead = i
	}
	var body strings.Builder
	for j := i; j < len(f); j++ {
		c := f[j]
		switch {
		case c == '\\':
			if j+1 == len(f) {
				return cpeAttr{}, fmt.Errorf("%s ends with a lone backslash", name)
			}
			d := f[j+1]
			if !cpePunct(d) {
				return cpeAttr{}, fmt.Errorf("%s: \\%s is not an escape; only punctuation is escaped", name, printable(d))
			}
			body.WriteByte(d)
			j++
		case c == '*' || c == '?':
			tail := f[j:]
			switch {
			case tail == "*":
				a.trail = -1
			case strings.Trim(tail, "?") == "":
				a.trail = len(tail)
			default:
				return cpeAttr{}, fmt.Errorf("%s: an unescaped %c may only stand at the start or end of a value (write \\%c for the character)", name, c, c)
			}
			j = len(f)
		case cpeUnreserved(c):
			body.WriteByte(lowerASCII(c))
		case c <= ' ' || c >= 0x7f:
			return cpeAttr{}, fmt.Errorf("%s contains a space, control or non-ASCII character", name)
		default:
			return cpeAttr{}, fmt.Errorf("%s: %c must be escaped as \\%c", name, c, c)
		}
	}
	a.body = body.String()
	if a.body == "" && (a.lead < 0 || a.trail != 0) {
		return cpeAttr{}, fmt.Errorf("%s: a value of wildcards alone must be * or a run of ?", name)
	}
	if idx == attrPart && (a.wild() || a.body != "a" && a.body != "o" && a.body != "h") {
		return cpeAttr{}, fmt.Errorf("part must be a (application), o (operating system) or h (hardware)")
	}
	return a, nil
}

func printable(c byte) string {
	if c > ' ' && c < 0x7f {
		return string(rune(c))
	}
	return fmt.Sprintf("x%02x", c)
}

// cpeUnreserved are the characters a formatted string may carry unescaped.
func cpeUnreserved(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_'
}

// cpePunct are the characters a backslash may quote: printable ASCII that
// is neither a letter, a digit nor an underscore.
func cpePunct(c byte) bool {
	return c > ' ' && c < 0x7f && !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_')
}

func lowerASCII(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// String returns the canonical formatted string: lower case, with exactly
// the escapes the binding requires.
func (c CPE) String() string {
	var b strings.Builder
	b.WriteString("cpe:2.3")
	for _, a := range c.attrs {
		b.WriteByte(':')
		a.write(&b)
	}
	return b.String()
}

func (a cpeAttr) write(b *strings.Builder) {
	switch a.kind {
	case attrAny:
		b.WriteByte('*')
		return
	case attrNA:
		b.WriteByte('-')
		return
	}
	writeWild(b, a.lead)
	if a.body == "-" && !a.wild() {
		// A lone unescaped hyphen would mean NA.
		b.WriteString(`\-`)
	} else {
		for i := 0; i < len(a.body); i++ {
			c := a.body[i]
			if !cpeUnreserved(c) {
				b.WriteByte('\\')
			}
			b.WriteByte(c)
		}
	}
	writeWild(b, a.trail)
}

func writeWild(b *strings.Builder, n int) {
	if n < 0 {
		b.WriteByte('*')
	}
	for range n {
		b.WriteByte('?')
	}
}

func (a cpeAttr) String() string {
	var b strings.Builder
	a.write(&b)
	return b.String()
}

// Vendor, Product and Version return those attributes as written in the
// formatted string.
func (c CPE) Vendor() string  { return c.attrs[attrVendor].String() }
func (c CPE) Product() string { return c.attrs[attrProduct].String() }
func (c CPE) Version() string { return c.attrs[attrVersion].String() }

// validName checks what a CPE must satisfy to name software an organization
// runs: a definite part, vendor and product, and no wildcards, because an
// inventory entry is a thing, not a pattern.
func (c CPE) validName() error {
	if c.attrs[attrPart].kind != attrValue {
		return fmt.Errorf("part must be a, o or h")
	}
	for _, i := range []int{attrVendor, attrProduct} {
		if c.attrs[i].kind != attrValue {
			return fmt.Errorf("an inventory CPE must name its %s", cpeAttrNames[i])
		}
	}
	for i, a := range c.attrs {
		if a.wild() {
			return fmt.Errorf("%s: an inventory CPE names a product and may not contain wildcards", cpeAttrNames[i])
		}
	}
	return nil
}

// Match reports whether the criterion c matches the name n by the
// attribute comparison of NISTIR 7696, treating every attribute alike
// (the version as a string). uncertain is set when n leaves unspecified
// (ANY) an attribute that c constrains, so the match depends on what n
// does not say.
func (c CPE) Match(n CPE) (match, uncertain bool) {
	return c.matchExcept(n, -1)
}

// matchExcept is Match ignoring one attribute (the version, which
// software matching compares by version order instead).
func (c CPE) matchExcept(n CPE, skip int) (match, uncertain bool) {
	for i := range c.attrs {
		if i == skip {
			continue
		}
		m, u := attrMatch(c.attrs[i], n.attrs[i])
		if !m {
			return false, false
		}
		uncertain = uncertain || u
	}
	return true, uncertain
}

func attrMatch(src, tgt cpeAttr) (match, uncertain bool) {
	switch src.kind {
	case attrAny:
		return true, false
	case attrNA:
		switch tgt.kind {
		case attrNA:
			return true, false
		case attrAny:
			return true, true
		}
		return false, false
	}
	switch {
	case tgt.kind == attrAny:
		return true, true
	case tgt.kind == attrNA, tgt.wild():
		// A name with wildcards is undefined by NISTIR 7696; it never
		// matches rather than matching too much.
		return false, false
	}
	return src.matches(tgt.body), false
}

// matches reports whether the pattern a matches the value t: the body must
// occur in t with at most lead characters before it (any number for *) and
// at most trail after it, which is how NISTIR 7696 reads ? at either end.
func (a cpeAttr) matches(t string) bool {
	if !a.wild() {
		return a.body == t
	}
	for i := 0; i+len(a.body) <= len(t); i++ {
		if a.lead == 0 && i > 0 || a.lead > 0 && i > a.lead {
			return false
		}
		if t[i:i+len(a.body)] != a.body {
			continue
		}
		rest := len(t) - i - len(a.body)
		if a.trail == 0 && rest > 0 || a.trail > 0 && rest > a.trail {
			continue
		}
		return true
	}
	return false
}

// cpeKey is the software index key of a name or criterion, and false when
// part, vendor or product is not one plain value.
func cpeKey(c CPE) (string, bool) {
	for _, i := range []int{attrPart, attrVendor, attrProduct} {
		if c.attrs[i].kind != attrValue || c.attrs[i].wild() {
			return "", false
		}
	}
	return softKey("cpe", c.attrs[attrPart].body, c.attrs[attrVendor].body, c.attrs[attrProduct].body), true
}

// softKey joins key parts with NUL, which no part can contain.
func softKey(parts ...string) string {
	return strings.Join(parts, "\x00")
}
