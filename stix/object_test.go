package stix

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// TestRoundTripSharedData parses every object of the shared data and
// checks that marshalling returns the original bytes.
func TestRoundTripSharedData(t *testing.T) {
	needSharedData(t)
	objs := append(exampleObjects(t), attackObjects(t)...)
	step := 1
	if raceEnabled {
		step = 7 // the race detector makes the full run slow; sample
	}
	for i := 0; i < len(objs); i += step {
		s := objs[i]
		o, err := ParseObject(s.raw)
		if err != nil {
			t.Fatalf("%s: %v", s.file, err)
		}
		out, err := o.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out, bytes.TrimSpace(s.raw)) {
			t.Fatalf("%s: %s: round trip changed the object", s.file, o.ID())
		}
		// Inside a larger document json.Marshal compacts (and HTML-escapes)
		// the bytes, which keeps their meaning.
		wrapped, err := json.Marshal([]Object{o})
		if err != nil || !json.Valid(wrapped) {
			t.Fatalf("%s: marshal in a list: %v", o.ID(), err)
		}
	}
	if len(objs) == 0 {
		t.Skip("no objects")
	}
}

const customObj = `{
  "type": "indicator", "spec_version": "2.1",
  "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
  "created": "2016-04-06T20:03:48.000Z", "modified": "2016-04-06T20:03:48.000Z",
  "x_score":   1.50,
  "pattern": "[ipv4-addr:value = '10.0.0.1']", "pattern_type": "stix",
  "valid_from": "2016-01-01T00:00:00Z",
  "extensions": {"extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e": {"extension_type": "property-extension", "rank": 5}},
  "object_marking_refs": ["marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"],
  "confidence": 80, "revoked": false, "labels": ["a"], "lang": "en",
  "external_references": [{"source_name": "cve", "external_id": "CVE-2021-44228"}]
}`

func TestObjectAccessors(t *testing.T) {
	o, err := ParseObject([]byte(customObj))
	if err != nil {
		t.Fatal(err)
	}
	if o.Type() != "indicator" || o.ID() != "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f" || o.SpecVersion() != "2.1" {
		t.Errorf("common properties: %q %q %q", o.Type(), o.ID(), o.SpecVersion())
	}
	if c, ok := o.Created(); !ok || c.Year() != 2016 {
		t.Errorf("Created = %v, %v", c, ok)
	}
	if c, ok := o.Confidence(); !ok || c != 80 {
		t.Errorf("Confidence = %d, %v", c, ok)
	}
	if o.Lang() != "en" || len(o.Labels()) != 1 || o.Revoked() {
		t.Error("lang, labels or revoked wrong")
	}
	if got := o.Extensions(); len(got) != 1 {
		t.Errorf("Extensions = %v", got)
	}
	if raw, _ := o.Property("x_score"); string(raw) != "1.50" {
		t.Errorf("x_score raw = %s, want the original spelling 1.50", raw)
	}
	if lvl, ok := TLPOf(o.ObjectMarkingRefs()); !ok || lvl != TLPGreen {
		t.Errorf("TLPOf = %q, %v", lvl, ok)
	}
	ind, ok := IndicatorOf(o)
	if !ok || ind.PatternType != "stix" || ind.ValidFrom.IsZero() || !ind.ValidUntil.IsZero() {
		t.Errorf("IndicatorOf = %+v", ind)
	}
	if got := CVEIDs(o); len(got) != 1 || got[0] != "CVE-2021-44228" {
		t.Errorf("CVEIDs = %v", got)
	}
	if out, _ := o.MarshalJSON(); string(out) != customObj {
		t.Error("MarshalJSON changed the bytes")
	}
}

func TestWith(t *testing.T) {
	o, _ := ParseObject([]byte(customObj))
	o2, err := o.With("revoked", true)
	if err != nil {
		t.Fatal(err)
	}
	if !o2.Revoked() || o.Revoked() {
		t.Error("With did not set revoked on the copy only")
	}
	want := strings.Replace(customObj, `"revoked": false`, `"revoked": true`, 1)
	if string(o2.Raw()) != want {
		t.Errorf("With rewrote more than the value:\n%s", o2.Raw())
	}
	o3, err := o2.With("x_new", []string{"v"})
	if err != nil {
		t.Fatal(err)
	}
	if raw, ok := o3.Property("x_new"); !ok || string(raw) != `["v"]` {
		t.Errorf("x_new = %s", raw)
	}
	if !strings.HasPrefix(string(o3.Raw()), strings.TrimSuffix(want, "\n}")) {
		t.Error("With changed the existing bytes when appending")
	}
	if fs := Validate(o3); HasErrors(fs) {
		t.Errorf("edited object invalid: %v", fs)
	}
}

func TestParseObjectErrors(t *testing.T) {
	for _, in := range []string{"", "[]", "null", `"x"`, `{"type":`, `{"a":1}x`} {
		if _, err := ParseObject([]byte(in)); err == nil {
			t.Errorf("ParseObject(%q) succeeded", in)
		}
	}
	_, err := ParseObject([]byte("{\n  \"type\": \"x\",,\n}"))
	if err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("syntax error without a line: %v", err)
	}
}

func TestParseBundle(t *testing.T) {
	in := `{"type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d",
	  "objects": [` + customObj + `, 42, {"type": "x-thing", "id": "x-thing--5d0092c5-5f74-4287-9642-33f4c354e56d"}]}`
	b, err := ParseBundle([]byte(in))
	var oe *ObjectError
	if !errors.As(err, &oe) || oe.Index != 1 {
		t.Fatalf("want an ObjectError for objects[1], got %v", err)
	}
	if len(b.Objects) != 2 || b.ID != "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d" {
		t.Fatalf("bundle = %+v", b)
	}
	if string(b.Objects[0].Raw()) != customObj {
		t.Error("bundle object not byte-faithful")
	}
	if _, err := ParseBundle([]byte(`{"type":"bundle","objects":[{"a":1},`)); err == nil {
		t.Error("truncated bundle accepted")
	}
	if _, err := ParseBundle([]byte(`{"type":"report","objects":[]}`)); err == nil {
		t.Error("a report accepted as a bundle")
	}
}

// TestSCOIDOfficialExamples checks SCOID against the deterministic ids in
// the OASIS examples (the other v5 ids in the shared data are hand-made).
func TestSCOIDOfficialExamples(t *testing.T) {
	needSharedData(t)
	want := map[string]bool{
		"file--364fe3e5-b1f4-5ba3-b951-ee5983b3538d":                 true,
		"windows-registry-key--16b80d14-d574-5620-abad-10ff304b1c26": true,
	}
	found := 0
	for _, s := range exampleObjects(t) {
		o, _ := ParseObject(s.raw)
		if !want[o.ID()] {
			continue
		}
		found++
		got, err := SCOID(o)
		if err != nil || got != o.ID() {
			t.Errorf("SCOID(%s) = %s, %v", o.ID(), got, err)
		}
	}
	if found == 0 {
		t.Skip("examples with deterministic ids not found")
	}
}

func TestSCOID(t *testing.T) {
	a, _ := ParseObject([]byte(`{"type":"url","value":"http://a.example/"}`))
	b, _ := ParseObject([]byte(`{"value" : "http://a.example/", "type":"url", "id":"url--x"}`))
	ia, err := SCOID(a)
	if err != nil {
		t.Fatal(err)
	}
	ib, _ := SCOID(b)
	if ia != ib {
		t.Errorf("same value, different ids: %s %s", ia, ib)
	}
	if v, err := CheckID(ia); err != nil || v != 5 {
		t.Errorf("SCOID gave %s: version %d, %v", ia, v, err)
	}
	p, _ := ParseObject([]byte(`{"type":"process","pid":1}`))
	if _, err := SCOID(p); err == nil {
		t.Error("process has no contributing properties; want an error")
	}
}

func TestCanonicalNumbers(t *testing.T) {
	for in, want := range map[float64]string{1: "1", 1.5: "1.5", 1e21: "1e+21", 1e-7: "1e-7", 123456789: "123456789", -0.000001: "-0.000001"} {
		if got := esNumber(in); got != want {
			t.Errorf("esNumber(%v) = %s, want %s", in, got, want)
		}
	}
}

func TestPlainStringAgreesWithEncodingJSON(t *testing.T) {
	for _, in := range []string{`""`, `"a"`, `"Windows, Linux"`, `"é ü 日本"`, `"a\"b"`, `"\u00e9"`, `"tab\there"`, "\"\xff\"", `"x\\"`} {
		var want string
		if err := json.Unmarshal([]byte(in), &want); err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		if got, ok := plainString([]byte(in)); ok && got != want {
			t.Errorf("plainString(%q) = %q, encoding/json says %q", in, got, want)
		}
		o, err := ParseObject([]byte(`{"type":"x-test","id":"x-test--6ba7b810-9dad-11d1-80b4-00c04fd430c8","name":` + in + `}`))
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := o.String("name"); got != want {
			t.Errorf("String(name) of %q = %q, want %q", in, got, want)
		}
	}
}
