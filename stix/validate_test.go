package stix

import (
	"encoding/json"
	"strings"
	"testing"
)

// obj builds a JSON object from a base and overrides; a nil value removes
// the property.
func mk(t *testing.T, base string, edits map[string]any) Object {
	t.Helper()
	o, err := ParseObject([]byte(base))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range edits {
		if v == nil {
			// Removal: rebuild without the property (order does not
			// matter to the validator).
			var m map[string]json.RawMessage
			_ = json.Unmarshal(o.Raw(), &m)
			delete(m, k)
			b, _ := json.Marshal(m)
			o, err = ParseObject(b)
		} else {
			o, err = o.With(k, v)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return o
}

const (
	baseIndicator = `{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
"created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.000Z","pattern":"[ipv4-addr:value = '10.0.0.1']",
"pattern_type":"stix","valid_from":"2016-01-01T00:00:00Z"}`
	baseRel = `{"type":"relationship","spec_version":"2.1","id":"relationship--44298a74-ba52-4f0c-87a3-1824e67d7fad",
"created":"2016-04-06T20:06:37.000Z","modified":"2016-04-06T20:06:37.000Z","relationship_type":"indicates",
"source_ref":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","target_ref":"malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b"}`
	baseSighting = `{"type":"sighting","spec_version":"2.1","id":"sighting--ee20065d-2555-424f-ad9e-0f8428623c75",
"created":"2016-04-06T20:08:31.000Z","modified":"2016-04-06T20:08:31.000Z","sighting_of_ref":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"}`
	baseFile     = `{"type":"file","id":"file--364fe3e5-b1f4-5ba3-b951-ee5983b3538d","name":"a.exe"}`
	baseLocation = `{"type":"location","spec_version":"2.1","id":"location--a6e9345f-5a15-4c29-8bb3-7dcc5d168d64",
"created":"2016-04-06T20:03:00.000Z","modified":"2016-04-06T20:03:00.000Z","region":"europe"}`
	baseMarking = `{"type":"marking-definition","spec_version":"2.1","id":"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
"created":"2017-01-20T00:00:00.000Z","definition_type":"tlp","name":"TLP:GREEN","definition":{"tlp":"green"}}`
)

func TestValidateCases(t *testing.T) {
	cases := []struct {
		name  string
		base  string
		edits map[string]any
		sev   Severity // expected severity at path; 0 means no finding at all
		path  string
		msg   string // substring of the message
	}{
		{"valid indicator", baseIndicator, nil, 0, "", ""},
		{"valid relationship", baseRel, nil, 0, "", ""},
		{"valid sighting", baseSighting, nil, 0, "", ""},
		{"valid file (v5 id)", baseFile, nil, 0, "", ""},
		{"valid location", baseLocation, nil, 0, "", ""},
		{"TLP 1.0 green", baseMarking, nil, 0, "", ""},
		{"id prefix mismatch", baseIndicator, map[string]any{"id": "malware--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"}, Error, "id", "does not match"},
		{"id not a uuid", baseIndicator, map[string]any{"id": "indicator--1234"}, Error, "id", "not a UUID"},
		{"id wrong variant", baseIndicator, map[string]any{"id": "indicator--8e2e2d2b-17d4-4cbf-138f-98ee46b3cd3f"}, Error, "id", "variant"},
		{"id uuid v1 is a warning", baseIndicator, map[string]any{"id": "indicator--8e2e2d2b-17d4-1cbf-938f-98ee46b3cd3f"}, Warning, "id", "UUIDv4"},
		{"SCO v4 id is a warning", baseFile, map[string]any{"id": "file--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"}, Warning, "id", "UUIDv5"},
		{"missing spec_version", baseIndicator, map[string]any{"spec_version": nil}, Error, "spec_version", "missing"},
		{"spec_version 2.0", baseIndicator, map[string]any{"spec_version": "2.0"}, Error, "spec_version", "2.1"},
		{"timestamp with offset", baseIndicator, map[string]any{"valid_from": "2016-01-01T00:00:00+01:00"}, Error, "valid_from", "Z"},
		{"timestamp not a date", baseIndicator, map[string]any{"valid_from": "2016-02-30T00:00:00Z"}, Error, "valid_from", "real date"},
		{"created without millis", baseIndicator, map[string]any{"created": "2016-04-06T20:03:48Z", "modified": "2016-04-06T20:03:48Z"}, Error, "created", "millisecond"},
		{"modified before created", baseIndicator, map[string]any{"modified": "2015-04-06T20:03:48.000Z"}, Error, "modified", "before created"},
		{"leap second accepted", baseIndicator, map[string]any{"valid_from": "2016-12-31T23:59:60Z"}, 0, "", ""},
		{"valid_until equal to valid_from", baseIndicator, map[string]any{"valid_until": "2016-01-01T00:00:00Z"}, Error, "valid_until", "at or before"},
		{"bad stix pattern", baseIndicator, map[string]any{"pattern": "[ipv4-addr:value = ]"}, Error, "pattern", "line 1, column"},
		{"other pattern type not parsed", baseIndicator, map[string]any{"pattern": "alert tcp any", "pattern_type": "snort"}, 0, "", ""},
		{"unknown pattern type warns", baseIndicator, map[string]any{"pattern": "x", "pattern_type": "kql"}, Warning, "pattern_type", "pattern-type-ov"},
		{"open vocab warns", baseIndicator, map[string]any{"indicator_types": []string{"malicious-activity", "evil"}}, Warning, "indicator_types[1]", "indicator-type-ov"},
		{"empty list", baseIndicator, map[string]any{"labels": []string{}}, Error, "labels", "empty"},
		{"confidence range", baseIndicator, map[string]any{"confidence": 101}, Error, "confidence", "maximum"},
		{"confidence integer", baseIndicator, map[string]any{"confidence": 1.5}, Error, "confidence", "integer"},
		{"created_by_ref must be identity", baseIndicator, map[string]any{"created_by_ref": "malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b"}, Error, "created_by_ref", "identity"},
		{"marking ref type", baseIndicator, map[string]any{"object_marking_refs": []string{"identity--31b940d4-6f7f-459a-80ea-9c1f17b5891b"}}, Error, "object_marking_refs[0]", "marking-definition"},
		{"external ref needs more than source", baseIndicator, map[string]any{"external_references": []any{map[string]any{"source_name": "a", "url": "https://x"}, map[string]any{"source_name": "b"}}}, Error, "external_references[1]", "at least one"},
		{"external ref cve id", baseIndicator, map[string]any{"external_references": []any{map[string]any{"source_name": "cve", "external_id": "CVE-21-1"}}}, Error, "external_references[0].external_id", "CVE"},
		{"bad hash", baseFile, map[string]any{"hashes": map[string]string{"MD5": "abc"}}, Error, "hashes.MD5", "MD5"},
		{"unknown hash warns", baseFile, map[string]any{"hashes": map[string]string{"CRC32": "abc"}}, Warning, "hashes.CRC32", "hashing-algorithm-ov"},
		{"custom property bad name", baseIndicator, map[string]any{"X-Foo": 1}, Error, "X-Foo", "custom property name"},
		{"custom property without x_", baseIndicator, map[string]any{"score": 1}, Warning, "score", "x_"},
		{"custom empty list", baseIndicator, map[string]any{"x_platforms": []string{}}, Error, "x_platforms", "must not be empty"},
		{"custom list", baseIndicator, map[string]any{"x_platforms": []string{"Windows"}, "x_meta": map[string]any{}}, 0, "", ""},
		{"granular marking selector into a custom list", baseIndicator, map[string]any{"x_platforms": []string{"Windows", "Linux"}, "granular_markings": []any{map[string]any{"marking_ref": "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", "selectors": []string{"x_platforms.[1]"}}}}, 0, "", ""},
		{"granular marking selector past a custom list", baseIndicator, map[string]any{"x_platforms": []string{"Windows"}, "granular_markings": []any{map[string]any{"marking_ref": "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", "selectors": []string{"x_platforms.[1]"}}}}, Error, "granular_markings[0].selectors[0]", "does not name"},
		{"custom _hex", baseIndicator, map[string]any{"x_key_hex": "abc"}, Error, "x_key_hex", "hexadecimal"},
		{"reserved property", baseIndicator, map[string]any{"severity": "high"}, Error, "severity", "reserved"},
		{"extension without extension_type", baseIndicator, map[string]any{"extensions": map[string]any{"extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e": map[string]any{"rank": 5}}}, Error, "extensions.extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e.extension_type", "missing"},
		{"toplevel extension allows unprefixed", baseIndicator, map[string]any{"score": 1, "extensions": map[string]any{"extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e": map[string]any{"extension_type": "toplevel-property-extension"}}}, 0, "", ""},
		{"bad extension key", baseIndicator, map[string]any{"extensions": map[string]any{"foo": map[string]any{"a": 1}}}, Error, "extensions.foo", "extension-definition"},
		{"relationship to a relationship", baseRel, map[string]any{"target_ref": "relationship--44298a74-ba52-4f0c-87a3-1824e67d7fad"}, Error, "target_ref", "SDO or SCO"},
		{"relationship to an SCO", baseRel, map[string]any{"target_ref": "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd"}, 0, "", ""},
		{"relationship type charset", baseRel, map[string]any{"relationship_type": "Indicates"}, Error, "relationship_type", "a-z"},
		{"relationship type unknown warns", baseRel, map[string]any{"relationship_type": "subtechnique-of"}, Warning, "relationship_type", "not a relationship type"},
		{"sighting of an SCO", baseSighting, map[string]any{"sighting_of_ref": "file--364fe3e5-b1f4-5ba3-b951-ee5983b3538d"}, Error, "sighting_of_ref", "SDO"},
		{"where_sighted_refs", baseSighting, map[string]any{"where_sighted_refs": []string{"malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b"}}, Error, "where_sighted_refs[0]", "identity or a location"},
		{"observed_data_refs", baseSighting, map[string]any{"observed_data_refs": []string{"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"}}, Error, "observed_data_refs[0]", "observed-data"},
		{"sighting count range", baseSighting, map[string]any{"count": -1}, Error, "count", "minimum"},
		{"file needs hashes or name", baseFile, map[string]any{"name": nil, "size": 3}, Error, "", "hashes or name"},
		{"file size negative", baseFile, map[string]any{"size": -3}, Error, "size", "minimum"},
		{"location latitude alone", baseLocation, map[string]any{"latitude": 10}, Error, "latitude", "together"},
		{"location region open vocab", baseLocation, map[string]any{"region": "mars"}, Warning, "region", "region-ov"},
		{"opinion closed enum", `{"type":"opinion","spec_version":"2.1","id":"opinion--b01efc25-77b4-4003-b18b-f6e24b5cd9f7","created":"2016-05-12T08:17:27.000Z","modified":"2016-05-12T08:17:27.000Z","object_refs":["indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"],"opinion":"agree"}`, map[string]any{"opinion": "meh"}, Error, "opinion", "opinion-enum"},
		{"tlp marking with a new id", baseMarking, map[string]any{"id": "marking-definition--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"}, Error, "id", "predefined id"},
		{"tlp level unknown", baseMarking, map[string]any{"definition": map[string]string{"tlp": "purple"}}, Error, "definition.tlp", "TLP 1.0"},
		{"marking without definition", baseMarking, map[string]any{"definition": nil}, Error, "definition", "must have definition"},
		{"granular marking selector", baseIndicator, map[string]any{"granular_markings": []any{map[string]any{"marking_ref": "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", "selectors": []string{"description.[x]"}}}}, Error, "granular_markings[0].selectors[0]", "selector"},
		{"granular marking selector resolves", baseIndicator, map[string]any{"labels": []string{"a", "b"}, "granular_markings": []any{map[string]any{"marking_ref": "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", "selectors": []string{"labels.[1]", "pattern"}}}}, 0, "", ""},
		{"granular marking selector points nowhere", baseIndicator, map[string]any{"labels": []string{"a"}, "granular_markings": []any{map[string]any{"marking_ref": "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", "selectors": []string{"labels.[1]"}}}}, Error, "granular_markings[0].selectors[0]", "does not name"},
		{"granular marking needs ref or lang", baseIndicator, map[string]any{"granular_markings": []any{map[string]any{"selectors": []string{"pattern"}}}}, Error, "granular_markings[0]", "marking_ref or lang"},
		{"ipv4 value", `{"type":"ipv4-addr","id":"ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd","value":"10.0.0.300"}`, nil, Error, "value", "IPv4"},
		{"mac value", `{"type":"mac-addr","id":"mac-addr--ff26c055-6336-5bc5-b98d-13d6226742dd","value":"AA:BB:CC:DD:EE:FF"}`, nil, Error, "value", "MAC"},
		{"network-traffic needs an end point", `{"type":"network-traffic","id":"network-traffic--ff26c055-6336-5bc5-b98d-13d6226742dd","protocols":["tcp"]}`, nil, Error, "", "src_ref or dst_ref"},
		{"artifact url needs hashes", `{"type":"artifact","id":"artifact--ff26c055-6336-5bc5-b98d-13d6226742dd","url":"https://x/y"}`, nil, Error, "hashes", "hashes"},
		{"malware family needs name", `{"type":"malware","spec_version":"2.1","id":"malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b","created":"2016-04-06T20:07:09.000Z","modified":"2016-04-06T20:07:09.000Z","is_family":true}`, nil, Error, "name", "family"},
		{"custom object type", `{"type":"x-mitre-tactic","spec_version":"2.1","id":"x-mitre-tactic--31b940d4-6f7f-459a-80ea-9c1f17b5891b","created":"2016-04-06T20:07:09.000Z","modified":"2016-04-06T20:07:09.000Z","name":"t"}`, nil, 0, "", ""},
		{"bad type name", `{"type":"Bad_Type","id":"Bad_Type--31b940d4-6f7f-459a-80ea-9c1f17b5891b"}`, nil, Error, "type", "type name"},
		{"missing type", `{"id":"x--31b940d4-6f7f-459a-80ea-9c1f17b5891b"}`, nil, Error, "type", "missing"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fs := Validate(mk(t, tc.base, tc.edits))
			if tc.sev == 0 {
				for _, f := range fs {
					t.Errorf("unexpected finding: %s", f)
				}
				return
			}
			for _, f := range fs {
				if f.Severity == tc.sev && f.Path == tc.path && strings.Contains(f.Message, tc.msg) {
					if f.ObjectID == "" && !strings.Contains(tc.name, "type") {
						t.Errorf("finding without object id: %s", f)
					}
					return
				}
			}
			t.Errorf("want %s at %q containing %q; got %v", tc.sev, tc.path, tc.msg, fs)
		})
	}
}

func TestValidateBundle(t *testing.T) {
	in := `{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[` + baseIndicator + `,` + baseIndicator +
		`,{"type":"identity","spec_version":"2.1","id":"identity--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.000Z","name":"n","object_marking_refs":["marking-definition--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"]}]}`
	b, err := ParseBundle([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	fs := ValidateBundle(b)
	var dup, undefined bool
	for _, f := range fs {
		dup = dup || strings.Contains(f.Message, "more than once")
		undefined = undefined || strings.Contains(f.Message, "neither in the bundle")
	}
	if !dup || !undefined {
		t.Errorf("want duplicate and undefined-marking warnings: %v", fs)
	}
	if HasErrors(fs) {
		t.Errorf("unexpected errors: %v", fs)
	}
}

func TestFindingString(t *testing.T) {
	f := Finding{Error, "indicator--x", "external_references[2].source_name", "required property source_name is missing"}
	if got := f.String(); got != "error: indicator--x: external_references[2].source_name: required property source_name is missing" {
		t.Error(got)
	}
}
