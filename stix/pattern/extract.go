package pattern

import "strings"

// Observable is one comparison of a pattern in a form an index can use,
// for example ipv4-addr:value = '198.51.100.1' or
// network-traffic:dst_ref.value ISSUBSET '203.0.113.0/24'.
type Observable struct {
	// Type is the object type, e.g. "file".
	Type string
	// Path is the canonical property path below the type, e.g. "value",
	// "hashes.'SHA-256'", "dst_ref.value", "resolves_to_refs[*].value".
	Path  string
	Steps []Step
	Op    CompOp
	Not   bool
	Value Value
	// Expr numbers the bracketed observation expression holding the
	// comparison, from 0, left to right.
	Expr int
	// Sufficient reports that this comparison being true of one observed
	// object can on its own make the whole pattern match. See
	// (*Pattern).Observables for the rule.
	Sufficient bool
}

// String renders the observable as a comparison, e.g.
// "file:hashes.MD5 = '...'".
func (o Observable) String() string {
	c := Comparison{Path: ObjectPath{Type: o.Type, Steps: o.Steps}, Not: o.Not, Op: o.Op, Value: o.Value}
	var b strings.Builder
	writeComparison(&b, &c)
	return b.String()
}

// Observables lists every comparison of the pattern, in the order written.
//
// An observable is Sufficient when all of these hold:
//   - its operator is =, IN or ISSUBSET, without NOT (a positive test a
//     lookup in an index can answer);
//   - inside its brackets, the path from the comparison up to the brackets
//     passes only through OR (an AND would need the other operand too);
//   - above the brackets, the path to the pattern root passes only through
//     OR and through WITHIN, START/STOP and REPEATS 1 TIMES qualifiers (AND
//     and FOLLOWEDBY need another observation; REPEATS n > 1 needs n).
//
// WITHIN never rejects a single observation, and START/STOP depends only
// on when it was observed, so a sufficient observable can still fail to
// match an observation outside a START/STOP window: "sufficient" means the
// comparison alone may satisfy the pattern, not that it always does.
// Patterns with no sufficient observable (say [a] AND [b]) need every one
// of their brackets satisfied; an index should then require all of them.
func (p *Pattern) Observables() []Observable {
	var out []Observable
	n := 0
	var obs func(e ObsExpr, alone bool)
	var comp func(e CompExpr, alone bool, expr int)
	obs = func(e ObsExpr, alone bool) {
		switch e := e.(type) {
		case *Bracketed:
			comp(e.Expr, alone, n)
			n++
		case *ObsBinary:
			sub := alone && e.Op == ObsOr
			obs(e.Left, sub)
			obs(e.Right, sub)
		case *Qualified:
			q := e.Qualifier
			obs(e.Expr, alone && (q.Kind != Repeats || q.Count.Int == 1))
		}
	}
	comp = func(e CompExpr, alone bool, expr int) {
		switch e := e.(type) {
		case *CompBinary:
			comp(e.Left, alone && !e.And, expr)
			comp(e.Right, alone && !e.And, expr)
		case *Comparison:
			var b strings.Builder
			writeSteps(&b, e.Path.Steps)
			out = append(out, Observable{
				Type:       e.Path.Type,
				Path:       b.String(),
				Steps:      e.Path.Steps,
				Op:         e.Op,
				Not:        e.Not,
				Value:      e.Value,
				Expr:       expr,
				Sufficient: alone && !e.Not && (e.Op == OpEq || e.Op == OpIn || e.Op == OpIsSubset),
			})
		}
	}
	obs(p.Root, true)
	return out
}
