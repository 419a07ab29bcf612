package sharing_test

import (
	"strings"
	"testing"

	"github.com/rampart-project/rampart/internal/platform/access"
	"github.com/rampart-project/rampart/internal/sharing"
	"github.com/rampart-project/rampart/stix"
)

func TestEgressCarriesTheTLP(t *testing.T) {
	amber, _ := stix.TLPMarkingID("amber")
	red, _ := stix.TLPMarkingID("red")
	for _, tc := range []struct {
		name, obj string
		tlp       access.TLP
		want      []string // marking ids the result must carry
		unchanged bool
	}{
		{"unmarked amber gains its marking", indicator(id1, "2026-01-01T00:00:00.000Z", "192.0.2.1"), access.Amber, []string{amber}, false},
		{"unmarked red gains its marking", indicator(id1, "2026-01-01T00:00:00.000Z", "192.0.2.1"), access.Red, []string{red}, false},
		{"marked amber stays as it is", indicator(id1, "2026-01-01T00:00:00.000Z", "192.0.2.1", amber), access.Amber, []string{amber}, true},
		{"a TLP 1.0 marking of the same level is enough", indicator(id1, "2026-01-01T00:00:00.000Z", "192.0.2.1", stix.TLP1AmberID), access.Amber, []string{stix.TLP1AmberID}, true},
		{"a custom marking gains the TLP", indicator(id1, "2026-01-01T00:00:00.000Z", "192.0.2.1", "marking-definition--00000000-0000-4000-8000-00000000abcd"), access.Green, []string{"marking-definition--00000000-0000-4000-8000-00000000abcd"}, false},
		{"unmarked clear stays unmarked", indicator(id1, "2026-01-01T00:00:00.000Z", "192.0.2.1"), access.Clear, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			obj, err := stix.ParseObject([]byte(tc.obj))
			if err != nil {
				t.Fatal(err)
			}
			out, err := sharing.EgressObject(obj, tc.tlp)
			if err != nil {
				t.Fatal(err)
			}
			before, _ := obj.MarshalJSON()
			after, _ := out.MarshalJSON()
			if tc.unchanged != (string(before) == string(after)) {
				t.Fatalf("unchanged=%v, got %s", tc.unchanged, after)
			}
			refs := out.ObjectMarkingRefs()
			for _, w := range tc.want {
				if !strings.Contains(strings.Join(refs, " "), w) {
					t.Errorf("result lacks %s: %v", w, refs)
				}
			}
			if level, ok := stix.TLPOf(refs); tc.tlp != access.Clear && (!ok || !strings.EqualFold(level, string(tc.tlp))) {
				t.Errorf("result reads as TLP %q %v, want %s", level, ok, tc.tlp)
			}
			if fs := stix.Validate(out); stix.HasErrors(fs) {
				t.Errorf("result does not validate: %v", fs)
			}
		})
	}
}

// TestEgressFastPathAgreesWithParsing checks that the stored-bytes
// shortcut of Version.Egress gives an object equal to the parsed route.
func TestEgressFastPathAgreesWithParsing(t *testing.T) {
	for _, tlp := range []access.TLP{access.Green, access.Amber, access.AmberStrict, access.Red} {
		raw := indicator(id1, "2026-01-01T00:00:00.000Z", "192.0.2.1") + "\n"
		v := sharing.Version{StixID: "indicator--" + id1, TLP: tlp, Body: []byte(raw)}
		fast, err := v.Egress()
		if err != nil {
			t.Fatal(err)
		}
		obj, err := stix.ParseObject(fast)
		if err != nil {
			t.Fatalf("%s: fast path made invalid JSON: %v\n%s", tlp, err, fast)
		}
		if level, ok := stix.TLPOf(obj.ObjectMarkingRefs()); !ok || !strings.EqualFold(level, string(tlp)) {
			t.Errorf("%s: fast path reads as %q", tlp, level)
		}
		if fs := stix.Validate(obj); stix.HasErrors(fs) {
			t.Errorf("%s: %v", tlp, fs)
		}
	}
}
