// Package pattern parses, checks, formats and evaluates STIX patterns, the
// detection language of STIX 2.1 (section 9 of the specification) and of
// STIX 2.0 (WithVersion(V20)).
//
// Parse turns a pattern into a syntax tree, or an *Error carrying the line
// and column of the first problem and a message meant for a person.
// Besides the grammar it enforces the specification's semantic rules:
// positive WITHIN and REPEATS counts, START before STOP, one qualifier of a
// kind per bracketed expression, constants of the right type for each
// operator, homogeneous IN sets, valid object type names, well-formed hash
// values and MATCHES expressions that Go's RE2 engine can run
// (backreferences and lookaround are rejected with a clear error). Lenient
// relaxes the checks the OASIS tools do not make.
//
// (*Pattern).String prints a canonical form that parses back to an equal
// pattern. (*Pattern).Match evaluates a pattern against observations, built
// from STIX 2.1 bundles (observed-data with object_refs) or STIX 2.0
// observed-data (embedded objects) by ObservationsFromJSON; it honours
// first_observed, last_observed and number_observed for FOLLOWEDBY,
// WITHIN, REPEATS and START/STOP. Where the specification is silent the
// matcher follows the OASIS reference matcher (cti-pattern-matcher): AND
// inside brackets holds on one object; != and NOT need the property to
// exist; [*] means any element; _ref and _refs properties are followed;
// an observed-data with number_observed n counts as n observations for
// REPEATS, AND and FOLLOWEDBY. It differs from the reference in these
// ways:
//
//   - MATCHES uses Go's RE2 syntax: backreferences, lookaround, atomic
//     groups and possessive quantifiers are parse errors.
//   - LIKE has SQL semantics: % and _ also match line breaks.
//   - In IN sets, booleans never equal numbers (Python's True == 1).
//   - ISSUBSET and ISSUPERSET also handle IPv6 and /0; a property value
//     that is not an address or CIDR block does not match instead of
//     raising an error.
//   - Integer constants are 64-bit; larger ones are a parse error.
//   - A _refs property that is not a list selects nothing instead of
//     raising an error. In STIX 2.1 input a reference resolves first to
//     the observed-data's own object_refs, then to the other SCOs given.
//
// Evaluation is bounded (MaxSteps, MaxBindingSize): a pattern whose
// matching would explode combinatorially returns ErrTooComplex.
//
// (*Pattern).Observables lists the comparisons an index can use and
// marks those that can satisfy the pattern on their own.
//
// Parsed patterns are immutable and safe for concurrent use.
package pattern
