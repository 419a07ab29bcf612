package stix

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// schemaBase is the $id prefix of the OASIS STIX 2.1 schemas.
const schemaBase = "http://raw.githubusercontent.com/oasis-open/cti-stix2-json-schemas/stix2.1/schemas/"

// schemaSet compiles the official schemas from the shared data, with
// every $id mapped to its local file so nothing touches the network.
type schemaSet struct {
	byType map[string]*jsonschema.Schema
}

func loadSchemas(t testing.TB) *schemaSet {
	t.Helper()
	root := filepath.Join(sharedData, "stix2-json-schemas", "schemas")
	if _, err := os.Stat(root); err != nil {
		t.Skip("schemas not present:", err)
	}
	c := jsonschema.NewCompiler()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		doc, err := jsonschema.UnmarshalJSON(f)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		rel, _ := filepath.Rel(root, path)
		return c.AddResource(schemaBase+filepath.ToSlash(rel), doc)
	})
	if err != nil {
		t.Fatal(err)
	}
	s := &schemaSet{byType: map[string]*jsonschema.Schema{}}
	add := func(typ, rel string) {
		sch, err := c.Compile(schemaBase + rel)
		if err != nil {
			t.Fatalf("compile %s: %v", rel, err)
		}
		s.byType[typ] = sch
	}
	for typ := range sdoTypes {
		add(typ, "sdos/"+typ+".json")
	}
	for typ := range sroTypes {
		add(typ, "sros/"+typ+".json")
	}
	for typ := range scoTypes {
		add(typ, "observables/"+typ+".json")
	}
	for typ := range metaTypes {
		add(typ, "common/"+typ+".json")
	}
	add("bundle", "common/bundle.json")
	return s
}

// verdict validates raw with the schema for its type; ok is false when
// there is no schema for the type.
func (s *schemaSet) verdict(typ string, raw []byte) (err error, ok bool) {
	sch, ok := s.byType[typ]
	if !ok {
		return nil, false
	}
	inst, uerr := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if uerr != nil {
		return uerr, true
	}
	return sch.Validate(inst), true
}

// stricter lists objects the schemas accept and our validator rejects,
// because it checks what the schemas do not. Keyed by object id; the
// value is the reason.
var stricter = map[string]string{}

// schemaMisses lists objects the schema rejects for reasons our
// validator deliberately does not treat as errors. Keyed by id.
var schemaMisses = map[string]string{}

// customErrors lists objects (some versions of which are) of custom types (no schema exists for them)
// in the shared data that break a MUST of the specification's common
// rules, so our validator reports errors where no schema can. Keyed by id.
var customErrors = map[string]string{
	// os-threat incident extension examples (event, task, evidence,
	// impact objects of the Incident Core Extension).
	"event--84ede1e8-aa78-4c63-98cd-02f4387fc1ec":     "subevents is an empty list; STIX forbids empty lists",
	"task--2d254737-fbf8-4969-adb3-80ac5c293f57":      "external_references is an empty list",
	"task--2d254737-fbf8-4969-addd-80ac5c293f57":      "external_references is an empty list",
	"task--2d254737-fbff-4969-bbbb-80ac5c293f57":      "external_references is an empty list",
	"task--2d254737-fbff-4969-addd-80ac5c293f57":      "external_references is an empty list",
	"task--2d254737-fbbb-4969-addd-80ac5c293f57":      "external_references is an empty list",
	"evidence--2d2541111-fbf8-4969-addd-80ac5c293f57": "the UUID's first group has 9 digits",
	"evidence--2d2542222-fbf8-4969-addd-80ac5c293f57": "the UUID's first group has 9 digits",
	"evidence--2d2543333-fbf8-4969-addd-80ac5c293f57": "the UUID's first group has 9 digits",
	"impact--1032f48b-28d1-451f-970e-78b736db8e13":    "extensions holds plain properties (information_type, loss-type, record_count) instead of extension objects",
}

type compareStats struct {
	objects, compared, schemaReject, oursReject, agreeReject int
}

func compareWithSchema(t *testing.T, s *schemaSet, objs []sample, every int) compareStats {
	var st compareStats
	for i, smp := range objs {
		obj, err := ParseObject(smp.raw)
		if err != nil {
			t.Errorf("%s: object %d: %v", smp.file, i, err)
			continue
		}
		st.objects++
		fs := Validate(obj)
		ours := HasErrors(fs)
		if ours {
			st.oursReject++
		}
		if every > 1 && i%every != 0 && !ours {
			continue
		}
		serr, ok := s.verdict(obj.Type(), smp.raw)
		if !ok {
			_, listed := customErrors[obj.ID()]
			if ours && !listed {
				t.Errorf("%s: %s (no schema for %s): our errors: %v", filepath.Base(smp.file), obj.ID(), obj.Type(), errorsOf(fs))
			}
			continue
		}
		st.compared++
		schemaBad := serr != nil
		if schemaBad {
			st.schemaReject++
		}
		id := obj.ID()
		switch {
		case schemaBad && ours:
			st.agreeReject++
			t.Logf("both reject %s: ours: %v", id, errorsOf(fs))
		case schemaBad && !ours:
			if _, listed := schemaMisses[id]; !listed {
				t.Errorf("%s: %s: the schema rejects it and we do not:\n%v", filepath.Base(smp.file), id, serr)
			}
		case !schemaBad && ours:
			if _, listed := stricter[id]; !listed {
				t.Errorf("%s: %s: we reject what the schema accepts: %v", filepath.Base(smp.file), id, errorsOf(fs))
			}
		}
	}
	return st
}

func errorsOf(fs []Finding) []string {
	var out []string
	for _, f := range fs {
		if f.Severity == Error {
			out = append(out, f.Path+": "+f.Message)
		}
	}
	return out
}

// TestSchemaAgreementExamples compares our verdict with the official
// schemas on every object of the example bundles.
func TestSchemaAgreementExamples(t *testing.T) {
	needSharedData(t)
	s := loadSchemas(t)
	objs := exampleObjects(t)
	st := compareWithSchema(t, s, objs, 1)
	t.Logf("examples: %d objects, %d compared with a schema, schema rejects %d, we reject %d, both reject %d",
		st.objects, st.compared, st.schemaReject, st.oursReject, st.agreeReject)
}

// TestSchemaAgreementATTACK validates every ATT&CK object and compares
// with the schemas on a deterministic sample.
func TestSchemaAgreementATTACK(t *testing.T) {
	needSharedData(t)
	s := loadSchemas(t)
	objs := attackObjects(t)
	if len(objs) == 0 {
		t.Skip("no ATT&CK data")
	}
	every := 1
	if testing.Short() || raceEnabled {
		every = 8
	}
	start := time.Now()
	st := compareWithSchema(t, s, objs, every)
	t.Logf("ATT&CK: %d objects in %v, %d compared with a schema, schema rejects %d, we reject %d, both reject %d",
		st.objects, time.Since(start).Round(time.Millisecond), st.compared, st.schemaReject, st.oursReject, st.agreeReject)
}

// TestKnownDefects checks the defects the shared data's README documents
// in the os-threat incident examples: an identity id with a space and an
// indicator without a pattern must be errors.
func TestKnownDefects(t *testing.T) {
	needSharedData(t)
	var spaceID, noPattern int
	for _, smp := range exampleObjects(t) {
		if !strings.Contains(smp.file, "os-threat") {
			continue
		}
		obj, err := ParseObject(smp.raw)
		if err != nil {
			t.Fatal(err)
		}
		fs := Validate(obj)
		switch {
		case obj.Type() == "identity" && strings.Contains(obj.ID(), " "):
			spaceID++
			if !hasErrorAt(fs, "id") {
				t.Errorf("%s: identity id with a space not reported: %v", obj.ID(), fs)
			}
		case obj.Type() == "indicator":
			if _, ok := obj.Property("pattern"); !ok {
				noPattern++
				if !hasErrorAt(fs, "pattern") {
					t.Errorf("%s: indicator without pattern not reported: %v", obj.ID(), fs)
				}
			}
		}
	}
	if spaceID == 0 || noPattern == 0 {
		t.Errorf("expected both defects in the data; found %d identity ids with a space, %d indicators without pattern", spaceID, noPattern)
	}
}

func hasErrorAt(fs []Finding, path string) bool {
	for _, f := range fs {
		if f.Severity == Error && f.Path == path {
			return true
		}
	}
	return false
}

var _ = json.Valid
