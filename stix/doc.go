// Package stix reads, validates and marks STIX 2.1 content.
//
// An Object keeps the exact bytes it was parsed from, so custom
// properties, extensions and formatting survive storage and
// retransmission unchanged, and gives typed access to the common
// properties (Type, ID, Created, Modified, ObjectMarkingRefs, ...) and to
// the per-type fields Rampart uses (IndicatorOf, RelationshipOf,
// SightingOf, ...). ParseBundle reads a bundle in memory; DecodeBundle
// streams one object at a time, so a 50 MB bundle costs one copy of each
// object rather than three.
//
// Validate checks an object against the specification: required
// properties, identifier form and its type prefix, timestamp form and
// precision, modified not before created, the object types references may
// point at, open vocabularies (a Warning for values outside them) and
// closed enumerations (an Error), indicator patterns (with stix/pattern),
// custom property names and extensions. A MUST broken is an Error, a
// SHOULD a Warning; each Finding names the object, the property path
// (external_references[2].source_name) and what is wrong.
//
//	obj, err := stix.ParseObject(data)
//	if err != nil {
//		return err
//	}
//	for _, f := range stix.Validate(obj) {
//		fmt.Println(f) // error: indicator--...: valid_until: ... is at or before valid_from (...)
//	}
//
// TLPOf maps marking references to a TLP 2.0 level, recognising the OASIS
// TLP 2.0 ids, the TLP 1.0 ids of the specification and OpenCTI's
// AMBER+STRICT id; TLPOfDefinitions also recognises marking definitions
// by their content. TLPMarkingDefinitions returns the OASIS TLP 2.0
// marking definitions to emit.
//
// SCOID computes deterministic cyber-observable identifiers (UUIDv5 over
// the RFC 8785 canonical JSON of the ID contributing properties).
//
// The package imports only the standard library and stix/pattern.
package stix
