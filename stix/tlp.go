package stix

import (
	"encoding/json"
	"strings"
)

// TLP levels, in TLP 2.0 terms, from least to most restrictive.
const (
	TLPClear       = "clear"
	TLPGreen       = "green"
	TLPAmber       = "amber"
	TLPAmberStrict = "amber+strict"
	TLPRed         = "red"
)

// tlpRank orders the levels; a higher rank is more restrictive.
var tlpRank = map[string]int{TLPClear: 1, TLPGreen: 2, TLPAmber: 3, TLPAmberStrict: 4, TLPRed: 5}

// TLP2ExtensionID is the extension-definition the OASIS TLP 2.0 marking
// definitions use (cti-stix-common-objects, tlp-2.0).
const TLP2ExtensionID = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"

// The OASIS TLP 2.0 marking-definition ids, published in
// oasis-open/cti-stix-common-objects (extension-definition-specifications/tlp-2.0).
const (
	TLP2ClearID       = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
	TLP2GreenID       = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
	TLP2AmberID       = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
	TLP2AmberStrictID = "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"
	TLP2RedID         = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
)

// The TLP 1.0 marking-definition ids predefined by STIX 2.1 section 7.2.1.4.
const (
	TLP1WhiteID = "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"
	TLP1GreenID = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"
	TLP1AmberID = "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"
	TLP1RedID   = "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"
)

// OpenCTIAmberStrictID is the id OpenCTI gives TLP:AMBER+STRICT. OpenCTI
// uses the TLP 1.0 ids for its other levels (TLP:CLEAR is the TLP 1.0
// white id) and this one, which no OASIS document defines, for
// AMBER+STRICT; its connectors and exports carry it.
const OpenCTIAmberStrictID = "marking-definition--826578e1-40ad-459f-bc73-ede076f81f37"

var tlp1ByLevel = map[string]string{"white": TLP1WhiteID, "green": TLP1GreenID, "amber": TLP1AmberID, "red": TLP1RedID}

// knownTLPIDs maps every marking-definition id we recognise to its TLP 2.0
// level. Only ids seen in real published sources are listed.
var knownTLPIDs = map[string]string{
	TLP2ClearID: TLPClear, TLP2GreenID: TLPGreen, TLP2AmberID: TLPAmber, TLP2AmberStrictID: TLPAmberStrict, TLP2RedID: TLPRed,
	TLP1WhiteID: TLPClear, TLP1GreenID: TLPGreen, TLP1AmberID: TLPAmber, TLP1RedID: TLPRed,
	OpenCTIAmberStrictID: TLPAmberStrict,
}

func isPredefinedMarking(id string) bool { _, ok := knownTLPIDs[id]; return ok }

// TLPOf returns the most restrictive TLP level among markingRefs, as a TLP
// 2.0 level name (TLPClear ... TLPRed). It recognises the OASIS TLP 2.0
// ids, the TLP 1.0 ids of the specification (white maps to clear) and
// OpenCTI's AMBER+STRICT id. ok is false when none of the refs is a TLP
// marking it knows; use TLPOfDefinitions to also recognise marking
// definitions by their content.
func TLPOf(markingRefs []string) (level string, ok bool) {
	return TLPOfDefinitions(markingRefs, nil)
}

// TLPOfDefinitions is TLPOf that also consults the marking definitions in
// defs (keyed by id, for example those of the same bundle or the store):
// a definition is recognised by a TLP 2.0 extension, a TLP 1.0 definition
// ({"tlp": "amber"}), a statement or name such as "TLP:AMBER+STRICT".
func TLPOfDefinitions(markingRefs []string, defs map[string]Object) (level string, ok bool) {
	best := 0
	for _, ref := range markingRefs {
		l, found := knownTLPIDs[ref]
		if !found {
			if d, present := defs[ref]; present {
				l, found = TLPOfMarking(d)
			}
		}
		if found && tlpRank[l] > best {
			best, level = tlpRank[l], l
		}
	}
	return level, best > 0
}

// TLPOfMarking returns the TLP level a marking-definition object stands
// for: by its id when that is a known one, else by its TLP 2.0 extension,
// its TLP 1.0 definition, or a name or statement spelling a TLP level
// ("TLP:AMBER+STRICT", "tlp:white", "TLP: RED").
func TLPOfMarking(md Object) (level string, ok bool) {
	if l, found := knownTLPIDs[md.ID()]; found {
		return l, true
	}
	if md.Type() != "marking-definition" {
		return "", false
	}
	for k, raw := range md.Extensions() {
		if k != TLP2ExtensionID {
			continue
		}
		var e struct {
			TLP string `json:"tlp_2_0"`
		}
		if json.Unmarshal(raw, &e) == nil {
			if l, found := normaliseTLP(e.TLP); found {
				return l, true
			}
		}
	}
	var def struct {
		TLP       string `json:"tlp"`
		Statement string `json:"statement"`
	}
	_ = md.Decode("definition", &def)
	dt, _ := md.String("definition_type")
	if strings.EqualFold(dt, "tlp") {
		if l, found := normaliseTLP(def.TLP); found {
			return l, true
		}
	}
	name, _ := md.String("name")
	for _, s := range []string{name, def.Statement, def.TLP, dt} {
		if l, found := tlpFromText(s); found {
			return l, true
		}
	}
	return "", false
}

// normaliseTLP maps a level name of TLP 1.0 or 2.0 to TLP 2.0.
func normaliseTLP(s string) (string, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.ReplaceAll(s, " ", "")
	switch s {
	case "white", "clear":
		return TLPClear, true
	case "green":
		return TLPGreen, true
	case "amber":
		return TLPAmber, true
	case "amber+strict", "amber-strict", "amber_strict", "amberstrict":
		return TLPAmberStrict, true
	case "red":
		return TLPRed, true
	}
	return "", false
}

// tlpFromText recognises "TLP:LEVEL" (any case, optional spaces) as the
// whole text.
func tlpFromText(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if len(s) < 4 || !strings.EqualFold(s[:3], "tlp") {
		return "", false
	}
	rest := strings.TrimSpace(s[3:])
	if !strings.HasPrefix(rest, ":") {
		return "", false
	}
	return normaliseTLP(rest[1:])
}

// TLPMarkingID returns the OASIS TLP 2.0 marking-definition id for a
// level; Rampart emits these.
func TLPMarkingID(level string) (string, bool) {
	l, ok := normaliseTLP(level)
	if !ok {
		return "", false
	}
	return map[string]string{TLPClear: TLP2ClearID, TLPGreen: TLP2GreenID, TLPAmber: TLP2AmberID,
		TLPAmberStrict: TLP2AmberStrictID, TLPRed: TLP2RedID}[l], true
}

// TLPMoreRestrictive reports whether level a is more restrictive than b.
func TLPMoreRestrictive(a, b string) bool { return tlpRank[a] > tlpRank[b] }

// tlp2JSON are the OASIS TLP 2.0 marking definitions exactly as
// published (cti-stix-common-objects, extension-definition-specifications/
// tlp-2.0/examples).
var tlp2JSON = map[string]string{
	TLPClear:       tlp2Def(TLP2ClearID, "TLP:CLEAR", "clear"),
	TLPGreen:       tlp2Def(TLP2GreenID, "TLP:GREEN", "green"),
	TLPAmber:       tlp2Def(TLP2AmberID, "TLP:AMBER", "amber"),
	TLPAmberStrict: tlp2Def(TLP2AmberStrictID, "TLP:AMBER+STRICT", "amber+strict"),
	TLPRed:         tlp2Def(TLP2RedID, "TLP:RED", "red"),
}

func tlp2Def(id, name, level string) string {
	return `{"type":"marking-definition","spec_version":"2.1","id":"` + id +
		`","created":"2022-10-01T00:00:00.000Z","name":"` + name +
		`","extensions":{"` + TLP2ExtensionID + `":{"extension_type":"property-extension","tlp_2_0":"` + level + `"}}}`
}

// TLPMarkingDefinition returns the OASIS TLP 2.0 marking-definition
// object for a level (TLP 1.0 names are accepted: white is clear).
func TLPMarkingDefinition(level string) (Object, bool) {
	l, ok := normaliseTLP(level)
	if !ok {
		return Object{}, false
	}
	o, err := ParseObject([]byte(tlp2JSON[l]))
	if err != nil {
		return Object{}, false
	}
	return o, true
}

// TLPMarkingDefinitions returns the five OASIS TLP 2.0 marking
// definitions, from CLEAR to RED.
func TLPMarkingDefinitions() []Object {
	out := make([]Object, 0, 5)
	for _, l := range []string{TLPClear, TLPGreen, TLPAmber, TLPAmberStrict, TLPRed} {
		o, _ := TLPMarkingDefinition(l)
		out = append(out, o)
	}
	return out
}
