package stix

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/rampart-project/rampart/stix/pattern"
)

// Severity says whether a finding breaks a MUST of the specification
// (Error) or a SHOULD (Warning).
type Severity int

const (
	// Error is a violation of a MUST: the object is not valid STIX 2.1.
	Error Severity = iota + 1
	// Warning is a violation of a SHOULD: the object is valid but not as
	// the specification recommends.
	Warning
)

func (s Severity) String() string {
	switch s {
	case Error:
		return "error"
	case Warning:
		return "warning"
	}
	return "Severity(" + strconv.Itoa(int(s)) + ")"
}

// Finding is one problem Validate found.
type Finding struct {
	Severity Severity
	ObjectID string // the object's id, or "" when it has none
	Path     string // property path, e.g. external_references[2].source_name; "" for the object as a whole
	Message  string // for a person
}

// String formats the finding on one line.
func (f Finding) String() string {
	var b strings.Builder
	b.WriteString(f.Severity.String())
	b.WriteString(": ")
	if f.ObjectID != "" {
		b.WriteString(f.ObjectID)
		b.WriteString(": ")
	}
	if f.Path != "" {
		b.WriteString(f.Path)
		b.WriteString(": ")
	}
	b.WriteString(f.Message)
	return b.String()
}

// HasErrors reports whether any finding is an Error.
func HasErrors(fs []Finding) bool {
	for _, f := range fs {
		if f.Severity == Error {
			return true
		}
	}
	return false
}

// Validate checks one STIX 2.1 object against the rules of the
// specification: required properties, identifier form and type, timestamp
// form and precision, modified not before created, reference target
// types, vocabularies and enumerations, indicator patterns, custom
// property names and extensions. Objects of types STIX does not define
// get the common checks only.
func Validate(obj Object) []Finding {
	v := &validator{id: obj.ID()}
	if obj.raw == nil {
		v.errf("", "empty object")
		return v.out
	}
	m := make(map[string]any, len(obj.props))
	for k, raw := range obj.props {
		val, err := decodeValue(k, raw)
		if err != nil {
			v.errf(k, "cannot be read: %v", err)
			continue
		}
		m[k] = val
	}
	v.object(m)
	return v.out
}

// decodeValue decodes one property for validation, with numbers kept as
// json.Number so integers can be told from floats. Scalars take fast
// paths; the text of descriptions and of custom properties is never
// inspected, only its JSON type, so it is not copied.
func decodeValue(name string, raw []byte) (any, error) {
	if len(raw) == 0 {
		return nil, errors.New("empty value")
	}
	switch c := raw[0]; {
	case c == '"':
		if name == "description" || (strings.HasPrefix(name, "x_") && !strings.HasSuffix(name, "_bin") && !strings.HasSuffix(name, "_hex")) {
			return "", nil
		}
		if s, ok := plainString(raw); ok {
			return s, nil
		}
		var s string
		err := json.Unmarshal(raw, &s)
		return s, err
	case c == 't':
		return true, nil
	case c == 'f':
		return false, nil
	case c == 'n':
		return nil, nil
	case c == '-' || c >= '0' && c <= '9':
		return json.Number(raw), nil
	}
	if strings.HasPrefix(name, "x_") && !strings.HasSuffix(name, "_bin") && !strings.HasSuffix(name, "_hex") {
		// Custom lists and objects are only checked for emptiness, and
		// only walked by a granular marking's selector: ATT&CK has a dozen
		// per object, and decoding them was a third of validating.
		return lazyJSON(raw), nil
	}
	return decodeAny(raw)
}

// lazyJSON is a custom list or object left undecoded until something
// needs to look inside it.
type lazyJSON []byte

func (l lazyJSON) decode() any {
	v, _ := decodeAny(l)
	return v
}

// ValidateBundle validates a bundle: its own properties and every object.
// Besides what Validate checks, it reports objects that appear twice with
// the same id and modified time, and references to marking definitions
// that neither the bundle nor the TLP predefinitions provide.
func ValidateBundle(b *Bundle) []Finding {
	v := &validator{id: b.ID}
	if b.Type != "bundle" {
		v.errf("type", "a bundle's type must be \"bundle\", not %q", b.Type)
	}
	if b.ID == "" {
		v.errf("id", "required property id is missing")
	} else {
		v.checkID("id", b.ID, "bundle", 4)
	}
	if _, ok := b.Other["spec_version"]; ok {
		v.warnf("spec_version", "STIX 2.1 bundles have no spec_version; it looks like a STIX 2.0 bundle")
	}
	out := v.out
	seen := make(map[string]bool, len(b.Objects))
	markings := map[string]bool{}
	for _, o := range b.Objects {
		if o.Type() == "marking-definition" {
			markings[o.ID()] = true
		}
	}
	for i, o := range b.Objects {
		fs := Validate(o)
		for j := range fs {
			if fs[j].ObjectID == "" {
				fs[j].ObjectID = fmt.Sprintf("objects[%d]", i)
			}
		}
		out = append(out, fs...)
		key := o.ID() + "\x00" + o.ModifiedRaw()
		if o.ID() != "" && seen[key] {
			out = append(out, Finding{Warning, o.ID(), "", "this version (same id and modified) appears more than once in the bundle"})
		}
		seen[key] = true
		for _, ref := range o.ObjectMarkingRefs() {
			if !markings[ref] && !isPredefinedMarking(ref) {
				out = append(out, Finding{Warning, o.ID(), "object_marking_refs",
					fmt.Sprintf("marking %s is neither in the bundle nor a TLP marking definition, so a recipient cannot interpret it", ref)})
			}
		}
	}
	return out
}

type validator struct {
	id   string
	out  []Finding
	spec *typeSpec
}

func (v *validator) errf(path, format string, args ...any) {
	v.out = append(v.out, Finding{Error, v.id, path, fmt.Sprintf(format, args...)})
}

func (v *validator) warnf(path, format string, args ...any) {
	v.out = append(v.out, Finding{Warning, v.id, path, fmt.Sprintf(format, args...)})
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// reservedProps are names STIX 2.1 reserves; objects MUST NOT use them.
var reservedProps = []string{"severity", "action", "username", "phone_numbers"}

var customPropName = regexp.MustCompile(`^[a-z0-9_]{3,250}$`)

func (v *validator) object(m map[string]any) {
	typ, _ := m["type"].(string)
	if _, ok := m["type"]; !ok {
		v.errf("type", "required property type is missing")
	} else if typ == "" {
		v.errf("type", "type must be a non-empty string")
	} else if !validTypeName(typ) {
		v.errf("type", "%q is not a valid type name (3 to 250 characters of a-z, 0-9 and single hyphens, starting with a letter)", typ)
	}
	spec, known := specs[typ]
	if !known {
		spec = customSpec(m)
	}
	v.spec = spec

	// Identifier.
	if id, ok := m["id"]; !ok {
		v.errf("id", "required property id is missing")
	} else if s, ok := id.(string); !ok {
		v.errf("id", "id must be a string")
	} else {
		want := 4
		if spec.class == classSCO {
			want = 5
		}
		v.checkID("id", s, typ, want)
	}

	// spec_version.
	if sv, ok := m["spec_version"]; ok {
		if s, _ := sv.(string); s != "2.1" {
			v.errf("spec_version", "spec_version must be \"2.1\" for STIX 2.1 content, not %s", show(sv))
		}
	} else if spec.class != classSCO {
		v.errf("spec_version", "required property spec_version is missing")
	}

	// Required properties.
	for _, r := range spec.required {
		if _, ok := m[r]; !ok {
			v.errf(r, "required property %s is missing", r)
		}
	}
	if known {
		for _, r := range reservedProps {
			if _, ok := m[r]; ok {
				v.errf(r, "%s is a reserved property name in STIX 2.1 and must not be used", r)
			}
		}
	}

	// Extensions first: they decide whether unprefixed custom properties
	// are expected.
	toplevelExt := false
	if ext, ok := m["extensions"]; ok {
		toplevelExt = v.extensions("extensions", ext, spec)
	}

	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		val := m[k]
		if k == "type" || k == "id" || k == "spec_version" || k == "extensions" {
			continue
		}
		if ps, ok := spec.props[k]; ok {
			v.prop(k, val, ps)
			continue
		}
		if ps, ok := commonProps(spec.class)[k]; ok {
			v.prop(k, val, ps)
			continue
		}
		v.custom(k, val, known && !toplevelExt)
	}

	v.resolveSelectors(m)

	// Cross-property rules.
	if spec.class == classSDO || spec.class == classSRO || spec.class == classMeta {
		v.createdModified(m)
	}
	if spec.check != nil {
		spec.check(v, m)
	}
}

// checkID checks an object's own identifier.
func (v *validator) checkID(path, id, typ string, wantVersion int) {
	ver, err := CheckID(id)
	if err != nil {
		v.errf(path, "%v", err)
		return
	}
	if t, _, _ := SplitID(id); typ != "" && t != typ {
		v.errf(path, "the identifier's type prefix %q does not match the object's type %q", t, typ)
	}
	if ver != wantVersion {
		what := "STIX Domain, Relationship and Meta Objects and bundles"
		if wantVersion == 5 {
			what = "cyber-observables (deterministic identifiers)"
		}
		v.warnf(path, "UUID version %d; %s should use UUIDv%d", ver, what, wantVersion)
	}
}

func (v *validator) createdModified(m map[string]any) {
	cs, cok := m["created"].(string)
	ms, mok := m["modified"].(string)
	if !cok || !mok {
		return
	}
	c, ok1 := parseTimestampValue(cs)
	mt, ok2 := parseTimestampValue(ms)
	if ok1 && ok2 && mt.Before(c) {
		v.errf("modified", "modified (%s) is before created (%s); a version cannot be modified before it was created", ms, cs)
	}
}

// custom checks a property the object's type does not define.
func (v *validator) custom(name string, val any, wantPrefix bool) {
	if !customPropName.MatchString(name) {
		v.errf(name, "%q is not a valid custom property name (3 to 250 characters of a-z, 0-9 and underscore)", name)
		return
	}
	if wantPrefix && !strings.HasPrefix(name, "x_") {
		v.warnf(name, "property %q is not defined for this type; custom properties should start with x_ (or be defined by a toplevel-property-extension)", name)
	}
	switch {
	case strings.HasSuffix(name, "_bin"):
		v.prop(name, val, propSpec{k: kBinary})
	case strings.HasSuffix(name, "_hex"):
		v.prop(name, val, propSpec{k: kHex})
	}
	if lz, ok := val.(lazyJSON); ok {
		val = nil
		if t := bytes.TrimSpace(lz); len(t) > 0 && t[0] == '[' && len(bytes.TrimSpace(t[1:len(t)-1])) == 0 {
			val = []any{}
		}
	}
	if l, ok := val.([]any); ok && len(l) == 0 {
		v.errf(name, "lists must not be empty; omit the property instead")
	}
}

// show renders a JSON value briefly for a message.
func show(val any) string {
	b, err := json.Marshal(val)
	if err != nil {
		return fmt.Sprint(val)
	}
	if len(b) > 80 {
		return string(b[:77]) + "..."
	}
	return string(b)
}

func jsonType(val any) string {
	switch t := val.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case json.Number:
		return "a number"
	case string:
		return "a string"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	case lazyJSON:
		return jsonType(t.decode())
	}
	return fmt.Sprintf("%T", val)
}

// prop checks one property value against its specification.
func (v *validator) prop(path string, val any, ps propSpec) {
	switch ps.k {
	case kAny:
	case kString:
		if _, ok := val.(string); !ok {
			v.errf(path, "must be a string, not %s", jsonType(val))
		}
	case kTimestamp, kTimestampMillis:
		s, ok := val.(string)
		if !ok {
			v.errf(path, "must be a timestamp string, not %s", jsonType(val))
			return
		}
		digits, err := CheckTimestamp(s)
		if err != nil {
			v.errf(path, "%v", err)
			return
		}
		if ps.k == kTimestampMillis && digits < 3 {
			v.errf(path, "%q must be precise to the millisecond (three digits after the seconds, e.g. .000Z)", s)
		}
	case kBool:
		if _, ok := val.(bool); !ok {
			v.errf(path, "must be true or false, not %s", jsonType(val))
		}
	case kInt, kFloat:
		n, ok := val.(json.Number)
		if !ok {
			v.errf(path, "must be a number, not %s", jsonType(val))
			return
		}
		f, err := n.Float64()
		if err != nil {
			v.errf(path, "%s is not a usable number", n)
			return
		}
		if ps.k == kInt {
			if _, err := n.Int64(); err != nil && (f != math.Trunc(f) || math.Abs(f) > 1<<62) {
				v.errf(path, "must be an integer, not %s", n)
				return
			}
		}
		if ps.hasMin && f < ps.min {
			v.errf(path, "%s is below the minimum of %v", n, ps.min)
		}
		if ps.hasMax && f > ps.max {
			v.errf(path, "%s is above the maximum of %v", n, ps.max)
		}
	case kRef:
		v.ref(path, val, ps.target)
	case kRefs:
		l := v.list(path, val)
		for i, e := range l {
			v.ref(index(path, i), e, ps.target)
		}
	case kStrings:
		for i, e := range v.list(path, val) {
			if _, ok := e.(string); !ok {
				v.errf(index(path, i), "must be a string, not %s", jsonType(e))
			}
		}
	case kVocab:
		v.vocabValue(path, val, ps.vocab)
	case kVocabs:
		for i, e := range v.list(path, val) {
			v.vocabValue(index(path, i), e, ps.vocab)
		}
	case kKillChain:
		for i, e := range v.list(path, val) {
			v.killChainPhase(index(path, i), e)
		}
	case kExternalRefs:
		for i, e := range v.list(path, val) {
			v.externalReference(index(path, i), e)
		}
	case kGranular:
		for i, e := range v.list(path, val) {
			v.granularMarking(index(path, i), e)
		}
	case kHashes:
		v.hashes(path, val)
	case kDict:
		v.dict(path, val)
	case kObject:
		if _, ok := val.(map[string]any); !ok {
			v.errf(path, "must be an object, not %s", jsonType(val))
		}
	case kList:
		v.list(path, val)
	case kBinary:
		s, ok := val.(string)
		if !ok {
			v.errf(path, "must be a base64 string, not %s", jsonType(val))
		} else if _, err := base64.StdEncoding.DecodeString(s); err != nil {
			v.errf(path, "is not valid base64 (RFC 4648 with padding): %v", err)
		}
	case kHex:
		s, ok := val.(string)
		if !ok {
			v.errf(path, "must be a hexadecimal string, not %s", jsonType(val))
		} else if len(s)%2 != 0 || !allHex(s) {
			v.errf(path, "%q is not an even number of hexadecimal digits", s)
		}
	}
	if ps.item != nil {
		for i, e := range v.listOrNil(val) {
			ps.item(v, index(path, i), e)
		}
	}
	if ps.check != nil {
		ps.check(v, path, val)
	}
}

func allHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isHexDigit(s[i]) {
			return false
		}
	}
	return true
}

// list checks that val is a non-empty list and returns it.
func (v *validator) list(path string, val any) []any {
	l, ok := val.([]any)
	if !ok {
		v.errf(path, "must be a list, not %s", jsonType(val))
		return nil
	}
	if len(l) == 0 {
		v.errf(path, "lists must not be empty; omit the property instead")
	}
	return l
}

func (v *validator) listOrNil(val any) []any {
	l, _ := val.([]any)
	return l
}

func (v *validator) vocabValue(path string, val any, voc *vocab) {
	s, ok := val.(string)
	if !ok {
		v.errf(path, "must be a string from %s, not %s", voc.name, jsonType(val))
		return
	}
	if voc.values[s] {
		return
	}
	if voc.closed {
		v.errf(path, "%q is not one of the values %s allows (%s)", s, voc.name, voc.list())
	} else {
		v.warnf(path, "%q is not in the open vocabulary %s; use a listed value where one fits", s, voc.name)
	}
}

func (voc *vocab) list() string {
	l := make([]string, 0, len(voc.values))
	for k := range voc.values {
		l = append(l, k)
	}
	sort.Strings(l)
	return strings.Join(l, ", ")
}

// ref checks a reference: an identifier of one of the allowed types.
func (v *validator) ref(path string, val any, t *target) {
	s, ok := val.(string)
	if !ok {
		v.errf(path, "must be an identifier string, not %s", jsonType(val))
		return
	}
	if _, err := CheckID(s); err != nil {
		v.errf(path, "%v", err)
		return
	}
	if t == nil {
		return
	}
	typ, _, _ := SplitID(s)
	if !t.allows(typ) {
		v.errf(path, "must refer to %s, not to a %s (%s)", t.desc, typ, s)
	}
}

func (v *validator) killChainPhase(path string, val any) {
	m, ok := val.(map[string]any)
	if !ok {
		v.errf(path, "a kill chain phase must be an object, not %s", jsonType(val))
		return
	}
	for _, r := range []string{"kill_chain_name", "phase_name"} {
		s, ok := m[r].(string)
		if _, present := m[r]; !present {
			v.errf(join(path, r), "required property %s is missing", r)
		} else if !ok {
			v.errf(join(path, r), "must be a string")
		} else if s != strings.ToLower(s) || strings.ContainsAny(s, " _") {
			v.warnf(join(path, r), "%q should be lowercase with hyphens between words", s)
		}
	}
}

var (
	cveID   = regexp.MustCompile(`^CVE-\d{4}-(0\d{3}|[1-9]\d{3,})$`)
	capecID = regexp.MustCompile(`^CAPEC-\d+$`)
)

func (v *validator) externalReference(path string, val any) {
	m, ok := val.(map[string]any)
	if !ok {
		v.errf(path, "an external reference must be an object, not %s", jsonType(val))
		return
	}
	src, ok := m["source_name"].(string)
	if _, present := m["source_name"]; !present {
		v.errf(join(path, "source_name"), "required property source_name is missing")
	} else if !ok {
		v.errf(join(path, "source_name"), "must be a string")
	}
	for _, p := range []string{"description", "url", "external_id"} {
		if x, present := m[p]; present {
			if _, ok := x.(string); !ok {
				v.errf(join(path, p), "must be a string, not %s", jsonType(x))
			}
		}
	}
	ext, hasExt := m["external_id"].(string)
	switch src {
	case "cve":
		if !hasExt {
			v.errf(join(path, "external_id"), "an external reference to cve must carry the CVE id in external_id")
		} else if !cveID.MatchString(ext) {
			v.errf(join(path, "external_id"), "%q is not a CVE id (CVE-YYYY-NNNN)", ext)
		}
	case "capec":
		if !hasExt {
			v.errf(join(path, "external_id"), "an external reference to capec must carry the CAPEC id in external_id")
		} else if !capecID.MatchString(ext) {
			v.errf(join(path, "external_id"), "%q is not a CAPEC id (CAPEC-N)", ext)
		}
	default:
		_, d := m["description"]
		_, u := m["url"]
		_, e := m["external_id"]
		if !d && !u && !e {
			v.errf(path, "an external reference needs at least one of description, url or external_id besides source_name")
		}
		if hasExt && (cveID.MatchString(ext) || capecID.MatchString(ext)) && src != "" {
			v.warnf(join(path, "source_name"), "external_id %q looks like a CVE or CAPEC id; its source_name should then be \"cve\" or \"capec\"", ext)
		}
	}
	if h, ok := m["hashes"]; ok {
		v.hashes(join(path, "hashes"), h)
	}
	if u, ok := m["url"].(string); ok && !looksLikeURL(u) {
		v.warnf(join(path, "url"), "%q does not look like an absolute URL", u)
	}
}

func looksLikeURL(s string) bool {
	i := strings.Index(s, ":")
	return i > 0 && !strings.ContainsAny(s[:i], "/ ")
}

var selectorRe = regexp.MustCompile(`^([a-z0-9_-]{3,249}(\.(\[\d+\]|[a-z0-9_-]{1,250}))*|id)$`)

func (v *validator) granularMarking(path string, val any) {
	m, ok := val.(map[string]any)
	if !ok {
		v.errf(path, "a granular marking must be an object, not %s", jsonType(val))
		return
	}
	_, hasRef := m["marking_ref"]
	_, hasLang := m["lang"]
	switch {
	case hasRef && hasLang:
		v.errf(path, "a granular marking has either marking_ref or lang, not both")
	case !hasRef && !hasLang:
		v.errf(path, "a granular marking needs marking_ref or lang")
	case hasRef:
		v.ref(join(path, "marking_ref"), m["marking_ref"], &target{desc: "a marking-definition", types: []string{"marking-definition"}})
	}
	sel, present := m["selectors"]
	if !present {
		v.errf(join(path, "selectors"), "required property selectors is missing")
		return
	}
	for i, s := range v.list(join(path, "selectors"), sel) {
		str, ok := s.(string)
		if !ok || !selectorRe.MatchString(str) {
			v.errf(index(join(path, "selectors"), i), "%s is not a valid selector (property names joined by dots, list indexes as [n])", show(s))
		}
	}
}

var hashPatterns = map[string]*regexp.Regexp{
	"MD5":      regexp.MustCompile(`^[a-fA-F0-9]{32}$`),
	"SHA-1":    regexp.MustCompile(`^[a-fA-F0-9]{40}$`),
	"SHA-256":  regexp.MustCompile(`^[a-fA-F0-9]{64}$`),
	"SHA-512":  regexp.MustCompile(`^[a-fA-F0-9]{128}$`),
	"SHA3-256": regexp.MustCompile(`^[a-fA-F0-9]{64}$`),
	"SHA3-512": regexp.MustCompile(`^[a-fA-F0-9]{128}$`),
	"SSDEEP":   regexp.MustCompile(`^[a-zA-Z0-9/+:.]{1,128}$`),
	"TLSH":     regexp.MustCompile(`^[a-zA-Z0-9]{70}$`),
}

func (v *validator) hashes(path string, val any) {
	m := v.dict(path, val)
	keys := sortedKeys(m)
	for _, k := range keys {
		h := m[k]
		p := join(path, k)
		s, ok := h.(string)
		if !ok {
			v.errf(p, "a hash value must be a string, not %s", jsonType(h))
			continue
		}
		if re, known := hashPatterns[k]; known {
			if !re.MatchString(s) {
				v.errf(p, "%q is not a valid %s hash", s, k)
			}
		} else {
			v.warnf(p, "hash algorithm %q is not in hashing-algorithm-ov (MD5, SHA-1, SHA-256, SHA-512, SHA3-256, SHA3-512, SSDEEP, TLSH)", k)
		}
	}
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// dict checks a dictionary: a non-empty object whose keys are at most 250
// ASCII characters.
func (v *validator) dict(path string, val any) map[string]any {
	m, ok := val.(map[string]any)
	if !ok {
		v.errf(path, "must be a dictionary (a JSON object), not %s", jsonType(val))
		return nil
	}
	if len(m) == 0 {
		v.errf(path, "a dictionary must have at least one entry; omit the property instead")
	}
	for k := range m {
		if len(k) > 250 {
			v.errf(join(path, k[:20]+"..."), "dictionary keys must be at most 250 characters")
		}
		for i := 0; i < len(k); i++ {
			if k[i] >= 0x80 {
				v.errf(join(path, k), "dictionary keys must be ASCII")
				break
			}
		}
	}
	return m
}

// extensions checks the extensions dictionary and reports whether one of
// the extensions is a toplevel-property-extension (whose properties sit
// at the top level without an x_ prefix).
func (v *validator) extensions(path string, val any, spec *typeSpec) (toplevel bool) {
	m := v.dict(path, val)
	for _, k := range sortedKeys(m) {
		e := m[k]
		p := join(path, k)
		em, ok := e.(map[string]any)
		if !ok {
			v.errf(p, "an extension must be an object, not %s", jsonType(e))
			continue
		}
		if strings.HasPrefix(k, "extension-definition--") {
			if _, err := CheckID(k); err != nil {
				v.errf(p, "extension key: %v", err)
			}
			et, present := em["extension_type"]
			if !present {
				v.errf(join(p, "extension_type"), "required property extension_type is missing")
			} else {
				v.vocabValue(join(p, "extension_type"), et, eExtensionType)
				if et == "toplevel-property-extension" {
					toplevel = true
				}
			}
			continue
		}
		if !strings.HasSuffix(k, "-ext") || !validTypeName(k) {
			v.errf(p, "extension keys must be an extension-definition id or a predefined extension name ending in -ext")
			continue
		}
		if len(em) == 0 {
			v.errf(p, "an extension must have at least one property")
		}
		if check, ok := spec.ext[k]; ok {
			check(v, p, em)
		} else if spec.class == classSCO {
			v.warnf(p, "%q is not a predefined extension of %s; STIX 2.1 custom extensions use an extension-definition", k, v.specType())
		}
	}
	return toplevel
}

func (v *validator) specType() string {
	if v.spec != nil && v.spec.name != "" {
		return v.spec.name
	}
	return "this type"
}

// checkPattern validates an indicator's pattern with stix/pattern.
func (v *validator) checkPattern(m map[string]any) {
	pat, ok := m["pattern"].(string)
	if !ok {
		return
	}
	pt, _ := m["pattern_type"].(string)
	if pt != "stix" {
		return
	}
	opts := []pattern.Option{}
	if pv, _ := m["pattern_version"].(string); pv == "2.0" {
		opts = append(opts, pattern.WithVersion(pattern.V20))
	}
	if _, err := pattern.Parse(pat, opts...); err != nil {
		v.errf("pattern", "invalid STIX pattern: %v", err)
	}
}

// resolveSelectors checks that every granular-marking selector names
// content of the object, as the specification requires; a selector the
// schema's regular expression accepts can still point at nothing.
func (v *validator) resolveSelectors(m map[string]any) {
	gms, _ := m["granular_markings"].([]any)
	for i, g := range gms {
		gm, _ := g.(map[string]any)
		sels, _ := gm["selectors"].([]any)
		for j, s := range sels {
			str, ok := s.(string)
			if !ok || !selectorRe.MatchString(str) {
				continue // already reported
			}
			if !selectorResolves(m, str) {
				v.errf(index(join(index("granular_markings", i), "selectors"), j),
					"selector %q does not name any content of this object", str)
			}
		}
	}
}

func selectorResolves(m map[string]any, sel string) bool {
	var cur any = m
	for _, part := range strings.Split(sel, ".") {
		if lz, ok := cur.(lazyJSON); ok {
			cur = lz.decode()
		}
		if strings.HasPrefix(part, "[") {
			n, err := strconv.Atoi(strings.Trim(part, "[]"))
			l, ok := cur.([]any)
			if err != nil || !ok || n < 0 || n >= len(l) {
				return false
			}
			cur = l[n]
			continue
		}
		obj, ok := cur.(map[string]any)
		if !ok {
			return false
		}
		if cur, ok = obj[part]; !ok {
			return false
		}
	}
	return true
}

// MarshalJSON writes the value as it came, for messages that show it.
func (l lazyJSON) MarshalJSON() ([]byte, error) { return l, nil }
