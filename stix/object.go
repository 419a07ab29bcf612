package stix

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"time"
	"unicode/utf8"
)

// Object is one STIX 2.1 object kept exactly as it was received.
//
// The original bytes are the source of truth: MarshalJSON returns them
// unchanged, so custom properties, extensions, key order, whitespace and
// number spellings survive a round trip. The common properties are parsed
// once into typed fields, and every top-level property is available as raw
// JSON through Property.
//
// ParseObject succeeds for any JSON object; a property of the wrong JSON
// type simply reads as absent through the typed accessors and is reported
// by Validate. The zero Object is empty and marshals as null.
type Object struct {
	raw   []byte
	props map[string]rawValue
	c     common
}

// common holds the parsed common properties. Fields that fail to decode
// stay zero; Validate reports why.
type common struct {
	typ, specVersion, id string
	created, modified    string
	createdByRef, lang   string
	revoked, hasRevoked  bool
	confidence           int
	hasConfidence        bool
	objectMarkingRefs    []string
}

// ExternalReference is an entry of external_references.
type ExternalReference struct {
	SourceName  string            `json:"source_name"`
	Description string            `json:"description,omitempty"`
	URL         string            `json:"url,omitempty"`
	Hashes      map[string]string `json:"hashes,omitempty"`
	ExternalID  string            `json:"external_id,omitempty"`
}

// GranularMarking is an entry of granular_markings: a marking (or a
// language) applied to the parts of the object its selectors name.
type GranularMarking struct {
	Lang       string   `json:"lang,omitempty"`
	MarkingRef string   `json:"marking_ref,omitempty"`
	Selectors  []string `json:"selectors"`
}

// KillChainPhase is an entry of kill_chain_phases.
type KillChainPhase struct {
	KillChainName string `json:"kill_chain_name"`
	PhaseName     string `json:"phase_name"`
}

// rawValue is a JSON value that aliases the Object's own buffer instead of
// copying it (json.RawMessage copies): an Object then costs one copy of
// its bytes, not two, which matters for 50 MB bundles.
type rawValue []byte

// UnmarshalJSON keeps a reference to data. This is safe only because
// every caller decodes from a buffer the Object owns and never mutates.
func (r *rawValue) UnmarshalJSON(data []byte) error {
	*r = data
	return nil
}

// ParseObject parses one STIX object. data is copied, so the caller may
// reuse it. The error, if any, says where the JSON is malformed or that
// the value is not an object.
func ParseObject(data []byte) (Object, error) {
	return parseOwned(bytes.Clone(data))
}

// parseOwned parses data, which the new Object takes ownership of.
func parseOwned(data []byte) (Object, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 || data[0] != '{' {
		return Object{}, errors.New("stix: object: not a JSON object")
	}
	var props map[string]rawValue
	if err := json.Unmarshal(data, &props); err != nil {
		return Object{}, fmt.Errorf("stix: object: %w", describeJSONError(data, err))
	}
	o := Object{raw: data, props: props}
	o.parseCommon()
	return o, nil
}

// describeJSONError adds a line and column to syntax errors.
func describeJSONError(data []byte, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line, col := lineCol(data, int(se.Offset))
		return fmt.Errorf("line %d, column %d: %w", line, col, err)
	}
	return err
}

func lineCol(data []byte, off int) (line, col int) {
	if off > len(data) {
		off = len(data)
	}
	line, col = 1, 1
	for _, b := range data[:off] {
		if b == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col
}

func (o *Object) parseCommon() {
	c := &o.c
	o.str("type", &c.typ)
	o.str("spec_version", &c.specVersion)
	o.str("id", &c.id)
	o.str("created", &c.created)
	o.str("modified", &c.modified)
	o.str("created_by_ref", &c.createdByRef)
	o.str("lang", &c.lang)
	if v, ok := o.props["revoked"]; ok && json.Unmarshal(v, &c.revoked) == nil {
		c.hasRevoked = true
	}
	if v, ok := o.props["confidence"]; ok && json.Unmarshal(v, &c.confidence) == nil {
		c.hasConfidence = true
	}
	// Markings are read for every access decision, so they are decoded
	// now; external references and the like are decoded on demand, which
	// halves the cost of parsing ATT&CK objects.
	o.decode("object_marking_refs", &c.objectMarkingRefs)
}

func (o *Object) str(name string, dst *string) {
	if v, ok := o.props[name]; ok && len(v) > 0 && v[0] == '"' {
		if json.Unmarshal(v, dst) != nil {
			*dst = ""
		}
	}
}

// decode decodes property name into dst, leaving dst zero when the
// property is absent or has the wrong shape.
func (o *Object) decode(name string, dst any) bool {
	v, ok := o.props[name]
	if !ok {
		return false
	}
	if err := json.Unmarshal(v, dst); err != nil {
		return false
	}
	return true
}

// MarshalJSON returns the bytes the Object was parsed from.
func (o Object) MarshalJSON() ([]byte, error) {
	if o.raw == nil {
		return []byte("null"), nil
	}
	return o.raw, nil
}

// UnmarshalJSON parses data as ParseObject does.
func (o *Object) UnmarshalJSON(data []byte) error {
	p, err := ParseObject(data)
	if err != nil {
		return err
	}
	*o = p
	return nil
}

// Raw returns the object's original JSON. The caller must not modify it.
func (o Object) Raw() json.RawMessage { return o.raw }

// Type returns the type property ("indicator", "file", ...).
func (o Object) Type() string { return o.c.typ }

// ID returns the id property.
func (o Object) ID() string { return o.c.id }

// SpecVersion returns spec_version, or "" when absent (SCOs may omit it).
func (o Object) SpecVersion() string { return o.c.specVersion }

// Created returns the created timestamp; ok is false when it is absent or
// not a valid STIX timestamp.
func (o Object) Created() (t time.Time, ok bool) { return parseTimestampValue(o.c.created) }

// Modified returns the modified timestamp; ok is false when it is absent
// or not a valid STIX timestamp.
func (o Object) Modified() (t time.Time, ok bool) { return parseTimestampValue(o.c.modified) }

// CreatedRaw and ModifiedRaw return the timestamps as written, which is
// what TAXII version filters compare.
func (o Object) CreatedRaw() string { return o.c.created }

// ModifiedRaw returns the modified property as written.
func (o Object) ModifiedRaw() string { return o.c.modified }

// CreatedByRef returns created_by_ref.
func (o Object) CreatedByRef() string { return o.c.createdByRef }

// Revoked reports the revoked property (false when absent).
func (o Object) Revoked() bool { return o.c.revoked }

// Labels returns labels.
func (o Object) Labels() []string { return o.Strings("labels") }

// Confidence returns confidence; ok is false when it is absent.
func (o Object) Confidence() (c int, ok bool) { return o.c.confidence, o.c.hasConfidence }

// Lang returns lang.
func (o Object) Lang() string { return o.c.lang }

// ExternalReferences returns external_references, decoded on each call.
func (o Object) ExternalReferences() []ExternalReference {
	var r []ExternalReference
	o.decode("external_references", &r)
	return r
}

// ObjectMarkingRefs returns object_marking_refs.
func (o Object) ObjectMarkingRefs() []string { return o.c.objectMarkingRefs }

// GranularMarkings returns granular_markings, decoded on each call.
func (o Object) GranularMarkings() []GranularMarking {
	var g []GranularMarking
	o.decode("granular_markings", &g)
	return g
}

// Extensions returns the extensions dictionary with each extension as raw
// JSON, keyed by extension-definition id or predefined extension name.
func (o Object) Extensions() map[string]json.RawMessage {
	var m map[string]json.RawMessage
	o.decode("extensions", &m)
	return m
}

// Property returns the raw JSON of a top-level property.
func (o Object) Property(name string) (json.RawMessage, bool) {
	v, ok := o.props[name]
	return json.RawMessage(v), ok
}

// PropertyNames returns the names of the top-level properties, sorted.
func (o Object) PropertyNames() []string {
	names := make([]string, 0, len(o.props))
	for k := range o.props {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// String returns a top-level string property; ok is false when it is
// absent or not a string.
func (o Object) String(name string) (s string, ok bool) {
	v, present := o.props[name]
	if !present || len(v) == 0 || v[0] != '"' {
		return "", false
	}
	if s, ok := plainString(v); ok {
		return s, true
	}
	if json.Unmarshal(v, &s) != nil {
		return "", false
	}
	return s, true
}

// Strings returns a top-level list-of-strings property; nil when it is
// absent or not a list of strings.
func (o Object) Strings(name string) []string {
	v, ok := o.props[name]
	if !ok || len(v) == 0 || v[0] != '[' {
		return nil
	}
	list, err := decodeAny(v)
	if err != nil {
		return nil
	}
	items, _ := list.([]any)
	out := make([]string, 0, len(items))
	for _, it := range items {
		s, ok := it.(string)
		if !ok {
			return nil
		}
		out = append(out, s)
	}
	return out
}

// ExternalIDs returns the external_id of each external reference that
// has one, in order.
func (o Object) ExternalIDs() []string {
	v, ok := o.props["external_references"]
	if !ok {
		return nil
	}
	list, err := decodeAny(v)
	if err != nil {
		return nil
	}
	items, _ := list.([]any)
	var out []string
	for _, it := range items {
		ref, _ := it.(map[string]any)
		if id, _ := ref["external_id"].(string); id != "" {
			out = append(out, id)
		}
	}
	return out
}

// Decode decodes a top-level property into v with encoding/json.
func (o Object) Decode(name string, v any) error {
	raw, ok := o.props[name]
	if !ok {
		return fmt.Errorf("stix: %s: no property %q", o.c.id, name)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("stix: %s: property %q: %w", o.c.id, name, err)
	}
	return nil
}

// With returns a copy of the object with property name set to value
// (encoded with encoding/json). The rest of the original bytes are kept
// as they were: an existing value is replaced in place, a new property is
// appended before the closing brace.
func (o Object) With(name string, value any) (Object, error) {
	if o.raw == nil {
		return Object{}, errors.New("stix: with: empty object")
	}
	enc, err := json.Marshal(value)
	if err != nil {
		return Object{}, fmt.Errorf("stix: with %q: %w", name, err)
	}
	var out []byte
	if old, ok := o.props[name]; ok {
		// old aliases o.raw, so its offset is the difference of the
		// capacities; check it before trusting it.
		off := cap(o.raw) - cap(old)
		if off < 0 || off+len(old) > len(o.raw) || !bytes.Equal(o.raw[off:off+len(old)], old) {
			return Object{}, fmt.Errorf("stix: with %q: cannot locate the old value", name)
		}
		out = make([]byte, 0, len(o.raw)-len(old)+len(enc))
		out = append(append(append(out, o.raw[:off]...), enc...), o.raw[off+len(old):]...)
	} else {
		key, _ := json.Marshal(name)
		end := bytes.LastIndexByte(o.raw, '}')
		body := bytes.TrimSpace(o.raw[1:end])
		out = append([]byte(nil), o.raw[:end]...)
		out = bytes.TrimRight(out, " \t\r\n")
		if len(body) > 0 {
			out = append(out, ',')
		}
		out = append(append(append(append(out, key...), ':'), enc...), '}')
	}
	return parseOwned(out)
}

// Bundle is a parsed STIX bundle. Objects keep their original bytes.
type Bundle struct {
	Type    string
	ID      string
	Objects []Object
	// Other holds any other top-level properties of the bundle (for
	// example a spec_version written by a STIX 2.0 producer).
	Other map[string]json.RawMessage
}

// ObjectError is a problem with one element of a bundle's objects list.
type ObjectError struct {
	Index int // position in objects
	Err   error
}

func (e *ObjectError) Error() string { return fmt.Sprintf("objects[%d]: %v", e.Index, e.Err) }
func (e *ObjectError) Unwrap() error { return e.Err }

// ParseBundle parses a bundle held in memory. See DecodeBundle. When some
// elements of objects are not JSON objects, the returned Bundle holds the
// objects that parsed and err joins one *ObjectError per bad element, so
// a half-valid bundle can still be stored in part; on a syntax error err
// says where, and Objects holds what came before it.
func ParseBundle(data []byte) (*Bundle, error) {
	b := &Bundle{}
	var errs []error
	hdr, err := DecodeBundle(bytes.NewReader(data), func(i int, obj Object, err error) error {
		if err != nil {
			errs = append(errs, err)
			return nil
		}
		b.Objects = append(b.Objects, obj)
		return nil
	})
	b.Type, b.ID, b.Other = hdr.Type, hdr.ID, hdr.Other
	if err != nil {
		return b, err
	}
	return b, errors.Join(errs...)
}

// DecodeBundle reads a bundle from r and calls fn for each element of its
// objects list, in order, as soon as it is decoded, so a large bundle is
// never held in memory more than one object at a time beyond what fn
// keeps. An element that is not a JSON object is passed to fn as an
// *ObjectError and decoding continues; a JSON syntax error ends decoding.
// If fn returns an error, decoding stops and that error is returned.
//
// The returned Bundle has Type, ID and Other set but no Objects. A type
// other than "bundle" is reported after the objects have been delivered,
// because the type may come last.
func DecodeBundle(r io.Reader, fn func(index int, obj Object, err error) error) (Bundle, error) {
	var b Bundle
	dec := json.NewDecoder(r)
	fail := func(what string, err error) (Bundle, error) {
		return b, fmt.Errorf("stix: bundle: %s at offset %d: %w", what, dec.InputOffset(), err)
	}
	tok, err := dec.Token()
	if err != nil {
		return fail("reading", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return b, errors.New("stix: bundle: not a JSON object")
	}
	sawObjects := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fail("reading key", err)
		}
		key, _ := tok.(string)
		switch key {
		case "objects":
			if sawObjects {
				return b, errors.New("stix: bundle: objects appears twice")
			}
			sawObjects = true
			tok, err := dec.Token()
			if err != nil {
				return fail("reading objects", err)
			}
			if d, ok := tok.(json.Delim); !ok || d != '[' {
				return b, errors.New("stix: bundle: objects is not a list")
			}
			for i := 0; dec.More(); i++ {
				var raw json.RawMessage
				if err := dec.Decode(&raw); err != nil {
					return fail(fmt.Sprintf("objects[%d]", i), err)
				}
				// raw is a fresh copy the decoder will not touch again,
				// so the Object can own it without another copy.
				obj, err := parseOwned(raw)
				if err != nil {
					err = &ObjectError{Index: i, Err: err}
				}
				if ferr := fn(i, obj, err); ferr != nil {
					return b, ferr
				}
			}
			if _, err := dec.Token(); err != nil {
				return fail("closing objects", err)
			}
		default:
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return fail(fmt.Sprintf("property %q", key), err)
			}
			switch key {
			case "type":
				_ = json.Unmarshal(raw, &b.Type)
			case "id":
				_ = json.Unmarshal(raw, &b.ID)
			default:
				if b.Other == nil {
					b.Other = map[string]json.RawMessage{}
				}
				b.Other[key] = raw
			}
		}
	}
	if _, err := dec.Token(); err != nil {
		return fail("closing bundle", err)
	}
	if b.Type != "bundle" {
		return b, fmt.Errorf("stix: bundle: type is %q, want \"bundle\"", b.Type)
	}
	return b, nil
}

// plainString returns the value of a JSON string without escapes, which
// is most of them, without encoding/json's second pass over the bytes. raw
// must be valid JSON (it comes from a parsed object); anything with an
// escape or invalid UTF-8 (which encoding/json would replace) is left to
// encoding/json.
func plainString(raw []byte) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return "", false
	}
	body := raw[1 : len(raw)-1]
	if bytes.IndexByte(body, '\\') >= 0 || !utf8.Valid(body) {
		return "", false
	}
	return string(body), true
}
