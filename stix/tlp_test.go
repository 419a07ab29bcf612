package stix

import "testing"

func TestTLPOf(t *testing.T) {
	cases := []struct {
		refs []string
		want string
		ok   bool
	}{
		{nil, "", false},
		{[]string{"marking-definition--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"}, "", false},
		{[]string{TLP1WhiteID}, TLPClear, true},
		{[]string{TLP2ClearID, TLP1GreenID}, TLPGreen, true},
		{[]string{TLP1AmberID, TLP2GreenID}, TLPAmber, true},
		{[]string{TLP2AmberStrictID, TLP1AmberID}, TLPAmberStrict, true},
		{[]string{OpenCTIAmberStrictID}, TLPAmberStrict, true},
		{[]string{TLP1RedID, TLP2AmberStrictID}, TLPRed, true},
		{[]string{TLP2RedID}, TLPRed, true},
	}
	for _, tc := range cases {
		got, ok := TLPOf(tc.refs)
		if got != tc.want || ok != tc.ok {
			t.Errorf("TLPOf(%v) = %q, %v; want %q, %v", tc.refs, got, ok, tc.want, tc.ok)
		}
	}
}

func TestTLPOfDefinitions(t *testing.T) {
	defs := map[string]string{
		// A TLP 1.0 definition with its own id, as older MISP exports write.
		"marking-definition--1c1b3a8a-3d0f-4c5c-8a0b-1f2d3e4f5a6b": `{"type":"marking-definition","spec_version":"2.1","id":"marking-definition--1c1b3a8a-3d0f-4c5c-8a0b-1f2d3e4f5a6b","created":"2020-01-01T00:00:00.000Z","definition_type":"tlp","definition":{"tlp":"amber"}}`,
		// A statement named like a TLP level.
		"marking-definition--2c1b3a8a-3d0f-4c5c-8a0b-1f2d3e4f5a6b": `{"type":"marking-definition","spec_version":"2.1","id":"marking-definition--2c1b3a8a-3d0f-4c5c-8a0b-1f2d3e4f5a6b","created":"2020-01-01T00:00:00.000Z","name":"TLP:AMBER+STRICT","definition_type":"statement","definition":{"statement":"TLP:AMBER+STRICT"}}`,
		// The TLP 2.0 extension with another id.
		"marking-definition--3c1b3a8a-3d0f-4c5c-8a0b-1f2d3e4f5a6b": `{"type":"marking-definition","spec_version":"2.1","id":"marking-definition--3c1b3a8a-3d0f-4c5c-8a0b-1f2d3e4f5a6b","created":"2022-10-01T00:00:00.000Z","extensions":{"` + TLP2ExtensionID + `":{"extension_type":"property-extension","tlp_2_0":"red"}}}`,
		// Not TLP.
		"marking-definition--4c1b3a8a-3d0f-4c5c-8a0b-1f2d3e4f5a6b": `{"type":"marking-definition","spec_version":"2.1","id":"marking-definition--4c1b3a8a-3d0f-4c5c-8a0b-1f2d3e4f5a6b","created":"2020-01-01T00:00:00.000Z","definition_type":"statement","definition":{"statement":"Copyright TLP Inc."}}`,
	}
	m := map[string]Object{}
	for id, js := range defs {
		o, err := ParseObject([]byte(js))
		if err != nil {
			t.Fatal(err)
		}
		m[id] = o
	}
	for id, want := range map[string]string{
		"marking-definition--1c1b3a8a-3d0f-4c5c-8a0b-1f2d3e4f5a6b": TLPAmber,
		"marking-definition--2c1b3a8a-3d0f-4c5c-8a0b-1f2d3e4f5a6b": TLPAmberStrict,
		"marking-definition--3c1b3a8a-3d0f-4c5c-8a0b-1f2d3e4f5a6b": TLPRed,
		"marking-definition--4c1b3a8a-3d0f-4c5c-8a0b-1f2d3e4f5a6b": "",
	} {
		got, _ := TLPOfDefinitions([]string{id}, m)
		if got != want {
			t.Errorf("%s: got %q, want %q", id, got, want)
		}
	}
	got, _ := TLPOfDefinitions([]string{TLP1GreenID, "marking-definition--1c1b3a8a-3d0f-4c5c-8a0b-1f2d3e4f5a6b"}, m)
	if got != TLPAmber {
		t.Errorf("most restrictive: got %q", got)
	}
}

// TestTLPMarkingDefinitions checks the emitted OASIS objects: valid, with
// the published ids, and recognised by TLPOfMarking.
func TestTLPMarkingDefinitions(t *testing.T) {
	defs := TLPMarkingDefinitions()
	if len(defs) != 5 {
		t.Fatalf("got %d definitions", len(defs))
	}
	for _, d := range defs {
		if fs := Validate(d); len(fs) > 0 {
			t.Errorf("%s: %v", d.ID(), fs)
		}
		l, ok := TLPOfMarking(d)
		id, _ := TLPMarkingID(l)
		if !ok || id != d.ID() {
			t.Errorf("%s: level %q, id %q", d.ID(), l, id)
		}
		md, _ := MarkingDefinitionOf(d)
		if md.TLP != l {
			t.Errorf("MarkingDefinitionOf: %+v", md)
		}
	}
	if _, ok := TLPMarkingDefinition("white"); !ok {
		t.Error("white should map to clear")
	}
	if !TLPMoreRestrictive(TLPAmberStrict, TLPAmber) || TLPMoreRestrictive(TLPGreen, TLPAmber) {
		t.Error("TLPMoreRestrictive")
	}
}

// TestTLP1Objects checks that the spec's TLP 1.0 objects validate.
func TestTLP1Objects(t *testing.T) {
	for level, id := range tlp1ByLevel {
		js := `{"type":"marking-definition","spec_version":"2.1","id":"` + id + `","created":"2017-01-20T00:00:00.000Z","definition_type":"tlp","name":"TLP:` +
			map[string]string{"white": "WHITE", "green": "GREEN", "amber": "AMBER", "red": "RED"}[level] + `","definition":{"tlp":"` + level + `"}}`
		o, err := ParseObject([]byte(js))
		if err != nil {
			t.Fatal(err)
		}
		if fs := Validate(o); len(fs) > 0 {
			t.Errorf("%s: %v", level, fs)
		}
	}
}
