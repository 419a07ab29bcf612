package stix

import (
	"regexp"
	"time"
)

// Indicator holds the fields of an indicator Rampart works with.
type Indicator struct {
	Pattern, PatternType, PatternVersion string
	ValidFrom                            time.Time
	ValidUntil                           time.Time // zero when absent
	IndicatorTypes                       []string
	KillChainPhases                      []KillChainPhase
}

// IndicatorOf returns the indicator fields of obj; ok is false when obj
// is not an indicator.
func IndicatorOf(obj Object) (ind Indicator, ok bool) {
	if obj.Type() != "indicator" {
		return ind, false
	}
	ind.Pattern, _ = obj.String("pattern")
	ind.PatternType, _ = obj.String("pattern_type")
	ind.PatternVersion, _ = obj.String("pattern_version")
	if s, found := obj.String("valid_from"); found {
		ind.ValidFrom, _ = parseTimestampValue(s)
	}
	if s, found := obj.String("valid_until"); found {
		ind.ValidUntil, _ = parseTimestampValue(s)
	}
	ind.IndicatorTypes = obj.Strings("indicator_types")
	obj.decode("kill_chain_phases", &ind.KillChainPhases)
	return ind, true
}

// ValidAt reports whether the indicator is valid at t: not before
// valid_from and, when valid_until is set, before it.
func (ind Indicator) ValidAt(t time.Time) bool {
	if t.Before(ind.ValidFrom) {
		return false
	}
	return ind.ValidUntil.IsZero() || t.Before(ind.ValidUntil)
}

// Relationship holds a relationship's type and ends.
type Relationship struct {
	Type, SourceRef, TargetRef string
}

// RelationshipOf returns the relationship fields; ok is false when obj is
// not a relationship.
func RelationshipOf(obj Object) (r Relationship, ok bool) {
	if obj.Type() != "relationship" {
		return r, false
	}
	r.Type, _ = obj.String("relationship_type")
	r.SourceRef, _ = obj.String("source_ref")
	r.TargetRef, _ = obj.String("target_ref")
	return r, true
}

// Sighting holds a sighting's references and counts.
type Sighting struct {
	SightingOfRef       string
	ObservedDataRefs    []string
	WhereSightedRefs    []string
	FirstSeen, LastSeen time.Time // zero when absent
	Count               int
	HasCount            bool
}

// SightingOf returns the sighting fields; ok is false when obj is not a
// sighting.
func SightingOf(obj Object) (s Sighting, ok bool) {
	if obj.Type() != "sighting" {
		return s, false
	}
	s.SightingOfRef, _ = obj.String("sighting_of_ref")
	s.ObservedDataRefs = obj.Strings("observed_data_refs")
	s.WhereSightedRefs = obj.Strings("where_sighted_refs")
	if v, found := obj.String("first_seen"); found {
		s.FirstSeen, _ = parseTimestampValue(v)
	}
	if v, found := obj.String("last_seen"); found {
		s.LastSeen, _ = parseTimestampValue(v)
	}
	s.HasCount = obj.decode("count", &s.Count)
	return s, true
}

var cveRe = regexp.MustCompile(`^CVE-\d{4}-\d{4,}$`)

// CVEIDs returns the CVE ids among obj's external references (source_name
// "cve"), which is how a vulnerability names its CVE.
func CVEIDs(obj Object) []string {
	var out []string
	for _, r := range obj.ExternalReferences() {
		if r.SourceName == "cve" && cveRe.MatchString(r.ExternalID) {
			out = append(out, r.ExternalID)
		}
	}
	return out
}

// Identity holds an identity's class and sectors.
type Identity struct {
	Name, IdentityClass, ContactInformation string
	Sectors, Roles                          []string
}

// IdentityOf returns the identity fields; ok is false when obj is not an
// identity.
func IdentityOf(obj Object) (id Identity, ok bool) {
	if obj.Type() != "identity" {
		return id, false
	}
	id.Name, _ = obj.String("name")
	id.IdentityClass, _ = obj.String("identity_class")
	id.ContactInformation, _ = obj.String("contact_information")
	id.Sectors = obj.Strings("sectors")
	id.Roles = obj.Strings("roles")
	return id, true
}

// MarkingDefinition holds a marking definition's kind and content.
type MarkingDefinition struct {
	Name           string
	DefinitionType string // "tlp", "statement", or "" when an extension defines it
	Statement      string // for statement markings
	TLP            string // TLP 2.0 level when the marking is a TLP marking
}

// MarkingDefinitionOf returns the marking-definition fields; ok is false
// when obj is not a marking definition.
func MarkingDefinitionOf(obj Object) (md MarkingDefinition, ok bool) {
	if obj.Type() != "marking-definition" {
		return md, false
	}
	md.Name, _ = obj.String("name")
	md.DefinitionType, _ = obj.String("definition_type")
	var def struct {
		Statement string `json:"statement"`
	}
	obj.decode("definition", &def)
	md.Statement = def.Statement
	md.TLP, _ = TLPOfMarking(obj)
	return md, true
}
