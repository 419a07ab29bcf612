package stix

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
)

// SplitID splits "type--uuid" into its parts; ok is false when there is
// no "--" separator.
func SplitID(id string) (typ, uuid string, ok bool) {
	i := strings.Index(id, "--")
	if i < 0 {
		return "", "", false
	}
	return id[:i], id[i+2:], true
}

// CheckID checks that id has the form type--UUID with a valid object type
// name and an RFC 4122 UUID (variant 10xx, version 1 to 5), and returns
// the UUID version. It does not check which version the object's kind
// should use; Validate does.
func CheckID(id string) (version int, err error) {
	typ, u, ok := SplitID(id)
	if !ok {
		return 0, fmt.Errorf("identifier %q is not of the form type--UUID", id)
	}
	if !validTypeName(typ) {
		return 0, fmt.Errorf("identifier %q: %q is not a valid object type name", id, typ)
	}
	v, err := checkUUID(u)
	if err != nil {
		return 0, fmt.Errorf("identifier %q: %w", id, err)
	}
	return v, nil
}

// checkUUID checks the 8-4-4-4-12 hexadecimal form, the RFC 4122 variant
// and a version from 1 to 5, which is what the STIX schemas accept.
func checkUUID(u string) (int, error) {
	if len(u) != 36 {
		return 0, fmt.Errorf("%q is not a UUID (want 36 characters like 8-4-4-4-12 hex digits)", u)
	}
	for i := 0; i < 36; i++ {
		c := u[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return 0, fmt.Errorf("%q is not a UUID (want a hyphen at position %d)", u, i+1)
			}
		default:
			if !isHexDigit(c) {
				return 0, fmt.Errorf("%q is not a UUID (%q is not a hexadecimal digit)", u, c)
			}
		}
	}
	version := int(u[14] - '0')
	if u[14] < '1' || u[14] > '5' {
		return 0, fmt.Errorf("UUID %q has version %c; RFC 4122 defines versions 1 to 5", u, u[14])
	}
	switch u[19] {
	case '8', '9', 'a', 'b', 'A', 'B':
	default:
		return 0, fmt.Errorf("UUID %q does not have the RFC 4122 variant (the first digit of the fourth group must be 8, 9, a or b)", u)
	}
	return version, nil
}

func isHexDigit(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// validTypeName reports whether s is a valid STIX object type name: 3 to
// 250 characters of lowercase ASCII letters, digits and hyphens, starting
// with a letter, without two hyphens in a row (which would make the
// "--" of an identifier ambiguous).
func validTypeName(s string) bool {
	if len(s) < 3 || len(s) > 250 {
		return false
	}
	if s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c == '-':
			if i+1 < len(s) && s[i+1] == '-' {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// Timestamps --------------------------------------------------------------

// CheckTimestamp checks that s is a STIX timestamp: RFC 3339 in UTC with
// a literal Z, YYYY-MM-DDTHH:MM:SS[.s+]Z, naming a real date, and returns
// its number of fractional digits.
func CheckTimestamp(s string) (digits int, err error) {
	const layout = "YYYY-MM-DDTHH:MM:SS"
	if len(s) < len(layout)+1 {
		return 0, fmt.Errorf("%q is not a STIX timestamp (want YYYY-MM-DDTHH:MM:SS[.sss]Z)", s)
	}
	for i := 0; i < len(layout); i++ {
		c := s[i]
		switch layout[i] {
		case '-', 'T', ':':
			if c != layout[i] {
				return 0, fmt.Errorf("%q is not a STIX timestamp (want %q at position %d)", s, layout[i], i+1)
			}
		default:
			if c < '0' || c > '9' {
				return 0, fmt.Errorf("%q is not a STIX timestamp (want a digit at position %d)", s, i+1)
			}
		}
	}
	rest := s[len(layout):]
	if rest[0] == '.' {
		j := 1
		for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
			j++
		}
		digits = j - 1
		if digits == 0 {
			return 0, fmt.Errorf("%q is not a STIX timestamp (a decimal point needs digits after it)", s)
		}
		rest = rest[j:]
	}
	if rest != "Z" {
		if strings.HasPrefix(rest, "+") || strings.HasPrefix(rest, "-") || rest == "z" {
			return 0, fmt.Errorf("%q is not a STIX timestamp: the time zone must be written Z (UTC)", s)
		}
		return 0, fmt.Errorf("%q is not a STIX timestamp (want it to end in Z)", s)
	}
	if _, ok := parseTimestampValue(s); !ok {
		return 0, fmt.Errorf("%q is not a real date and time", s)
	}
	return digits, nil
}

// parseTimestampValue parses a STIX timestamp. A leap second (:60), which
// RFC 3339 allows and Go's parser does not, is read as :59.999999999.
func parseTimestampValue(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	leap := false
	if len(s) >= 19 && s[17:19] == "60" {
		leap = true
		s = s[:17] + "59" + s[19:]
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || !strings.HasSuffix(s, "Z") {
		return time.Time{}, false
	}
	if leap {
		t = t.Truncate(time.Second).Add(time.Second - 1)
	}
	return t, true
}

// FormatTimestamp formats t in the form STIX uses for created and
// modified: UTC with exactly three fractional digits.
func FormatTimestamp(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

// Deterministic SCO identifiers --------------------------------------------

// SCONamespace is the UUIDv5 namespace STIX 2.1 uses for deterministic
// cyber-observable identifiers (section 2.9).
const SCONamespace = "00abedb4-aa42-466c-9c01-fed23315a9b7"

// idContributing lists, per SCO type, the properties whose values make up
// its deterministic id (the "ID Contributing Properties" of section 6).
var idContributing = map[string][]string{
	"artifact":             {"hashes", "payload_bin"},
	"autonomous-system":    {"number"},
	"directory":            {"path"},
	"domain-name":          {"value"},
	"email-addr":           {"value"},
	"email-message":        {"from_ref", "subject", "body"},
	"file":                 {"hashes", "name", "extensions", "parent_directory_ref"},
	"ipv4-addr":            {"value"},
	"ipv6-addr":            {"value"},
	"mac-addr":             {"value"},
	"mutex":                {"name"},
	"network-traffic":      {"start", "end", "src_ref", "dst_ref", "src_port", "dst_port", "protocols", "extensions"},
	"process":              {},
	"software":             {"name", "cpe", "swid", "vendor", "version"},
	"url":                  {"value"},
	"user-account":         {"account_type", "user_id", "account_login"},
	"windows-registry-key": {"key", "values"},
	"x509-certificate":     {"hashes", "serial_number"},
}

// hashPreference is the order in which a single hash is chosen for the
// hashes contributing property: the specification says to use one hash,
// preferring MD5, then SHA-1, SHA-256, SHA-512.
var hashPreference = []string{"MD5", "SHA-1", "SHA-256", "SHA-512"}

// SCOID computes the deterministic identifier of a cyber-observable: a
// UUIDv5 in the STIX namespace over the RFC 8785 canonical JSON of the
// object's ID contributing properties. It returns an error for types
// without contributing properties (process) or when none is present, in
// which case the specification says to use a UUIDv4.
func SCOID(obj Object) (string, error) {
	props, ok := idContributing[obj.Type()]
	if !ok {
		return "", fmt.Errorf("stix: sco id: %q is not a STIX cyber-observable type", obj.Type())
	}
	m := map[string]any{}
	for _, p := range props {
		raw, present := obj.props[p]
		if !present {
			continue
		}
		var v any
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			return "", fmt.Errorf("stix: sco id: %s: %w", p, err)
		}
		if p == "hashes" {
			if h, ok := v.(map[string]any); ok {
				for _, alg := range hashPreference {
					if hv, ok := h[alg]; ok {
						v = map[string]any{alg: hv}
						break
					}
				}
			}
		}
		m[p] = v
	}
	if len(m) == 0 {
		return "", fmt.Errorf("stix: sco id: %s has no ID contributing properties; use a UUIDv4", obj.Type())
	}
	var b bytes.Buffer
	if err := canonicalJSON(&b, m); err != nil {
		return "", fmt.Errorf("stix: sco id: %w", err)
	}
	return obj.Type() + "--" + uuidV5(SCONamespace, b.Bytes()), nil
}

// uuidV5 computes an RFC 4122 name-based SHA-1 UUID.
func uuidV5(namespace string, name []byte) string {
	ns, _ := hex.DecodeString(strings.ReplaceAll(namespace, "-", ""))
	h := sha1.New()
	h.Write(ns)
	h.Write(name)
	sum := h.Sum(nil)[:16]
	sum[6] = sum[6]&0x0f | 0x50
	sum[8] = sum[8]&0x3f | 0x80
	s := hex.EncodeToString(sum)
	return s[:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:]
}

// canonicalJSON writes v (as decoded with UseNumber) in the JSON
// Canonicalization Scheme of RFC 8785: object keys sorted by UTF-16 code
// units, no insignificant whitespace, minimal string escapes and numbers
// in the ECMAScript form.
func canonicalJSON(b *bytes.Buffer, v any) error {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case json.Number:
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return fmt.Errorf("number %s cannot be canonicalised", x)
		}
		b.WriteString(esNumber(f))
	case string:
		canonicalString(b, x)
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := canonicalJSON(b, e); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool { return utf16Less(keys[i], keys[j]) })
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			canonicalString(b, k)
			b.WriteByte(':')
			if err := canonicalJSON(b, x[k]); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	default:
		return fmt.Errorf("unexpected JSON value %T", v)
	}
	return nil
}

func utf16Less(a, b string) bool {
	ua, ub := utf16.Encode([]rune(a)), utf16.Encode([]rune(b))
	for i := 0; i < len(ua) && i < len(ub); i++ {
		if ua[i] != ub[i] {
			return ua[i] < ub[i]
		}
	}
	return len(ua) < len(ub)
}

func canonicalString(b *bytes.Buffer, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if r < 0x20 {
				fmt.Fprintf(b, `\u%04x`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
}

// esNumber formats f as ECMAScript's Number.prototype.toString does, which
// RFC 8785 requires.
func esNumber(f float64) string {
	if f == 0 {
		return "0"
	}
	abs := math.Abs(f)
	if abs >= 1e21 || abs < 1e-6 {
		s := strconv.FormatFloat(f, 'e', -1, 64)
		// Go writes e+21 / e-07; ECMAScript writes e+21 / e-7.
		mant, exp, _ := strings.Cut(s, "e")
		sign := exp[0]
		exp = strings.TrimLeft(exp[1:], "0")
		return mant + "e" + string(sign) + exp
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}
