package pattern

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"
)

// MaxBindingSize bounds the number of observations one match may bind:
// the number of bracketed expressions, each multiplied by the REPEATS
// counts around it. Larger patterns make Match return ErrTooComplex.
const MaxBindingSize = 10000

// MaxSteps bounds the work one Match call does combining observations
// (AND, FOLLOWEDBY, REPEATS explore combinations). Exceeding it makes
// Match return ErrTooComplex instead of running for an unbounded time.
const MaxSteps = 1 << 20

// Result is the outcome of matching a pattern.
type Result struct {
	Matched bool
	// Bindings says which observation satisfied which bracketed
	// observation expression in the first match found. It is empty when
	// the pattern did not match. An expression under REPEATS n appears n
	// times; one on the untaken side of an OR does not appear.
	Bindings []Binding
}

// Binding ties a bracketed observation expression to an observation.
type Binding struct {
	// Expr numbers the bracketed observation expressions of the pattern
	// from 0, left to right as written.
	Expr int
	// Observation is the index of the observation in the slice given to
	// Match; ID is its observed-data id.
	Observation int
	ID          string
}

// ObservedData returns the ids of the observations in the match, in
// input order and without repeats.
func (r Result) ObservedData() []string {
	ids := map[int]string{}
	var idx []int
	for _, b := range r.Bindings {
		if _, ok := ids[b.Observation]; !ok {
			ids[b.Observation] = b.ID
			idx = append(idx, b.Observation)
		}
	}
	slices.Sort(idx)
	out := make([]string, len(idx))
	for i, n := range idx {
		out[i] = ids[n]
	}
	return out
}

// Match evaluates the pattern against observations. It honours
// first_observed, last_observed and number_observed for FOLLOWEDBY,
// WITHIN, REPEATS and START/STOP, and reports the first match found. An
// error means the observations could not be evaluated (for example a
// malformed timestamp compared with a t” constant), or the pattern is too
// complex (errors.Is(err, ErrTooComplex)).
func (p *Pattern) Match(observations []Observation) (Result, error) {
	return p.match(observations, MaxSteps)
}

// match is Match with a given step budget, so tests can exhaust it cheaply.
func (p *Pattern) match(observations []Observation, budget int) (Result, error) {
	c := p.compiled
	if c == nil {
		var err error
		if c, err = compilePattern(p.Root); err != nil {
			return Result{}, err
		}
	}
	ev := &evaluator{obs: observations, budget: budget, regexps: c.regexps, prefixes: c.prefixes}
	if err := ev.prepare(p.Root); err != nil {
		return Result{}, err
	}
	var first binding
	for b := range ev.seq(p.Root) {
		first = b
		break
	}
	if ev.err != nil {
		return Result{}, ev.err
	}
	if first == nil {
		return Result{}, nil
	}
	res := Result{Matched: true}
	for slot, in := range first {
		if in.obs < 0 {
			continue
		}
		res.Bindings = append(res.Bindings, Binding{Expr: ev.slotExpr[slot], Observation: int(in.obs), ID: observations[in.obs].ID})
	}
	return res, nil
}

// evaluator holds the state of one Match call.
type evaluator struct {
	obs      []Observation
	budget   int
	err      error
	copies   int                  // instances of an observation worth enumerating
	leaves   map[*Bracketed][]int // observations satisfying each [ ... ]
	sizes    map[ObsExpr]int      // binding size of each sub-expression
	slotExpr []int                // binding slot -> expression number
	regexps  map[*Comparison]*regexp.Regexp
	prefixes map[*Comparison]netip.Prefix
}

func (ev *evaluator) fail(err error) {
	if ev.err == nil {
		ev.err = err
	}
}

// tick charges one unit of work and reports whether evaluation may go on.
func (ev *evaluator) tick() bool {
	if ev.err != nil {
		return false
	}
	ev.budget--
	if ev.budget < 0 {
		ev.fail(fmt.Errorf("%w: more than %d steps", ErrTooComplex, MaxSteps))
		return false
	}
	return true
}

// prepare computes binding sizes and, for every bracketed expression, the
// observations that satisfy it.
func (ev *evaluator) prepare(root ObsExpr) error {
	ev.sizes = map[ObsExpr]int{}
	ev.leaves = map[*Bracketed][]int{}
	var leafCount int
	slots, err := ev.layout(root, &leafCount)
	if err != nil {
		return err
	}
	ev.slotExpr = slots
	// Instances of one observation are interchangeable, and a match binds
	// at most len(slots) of them, so enumerating more cannot help.
	ev.copies = len(slots)
	return ev.err
}

// layout returns the expression number of each binding slot of e.
func (ev *evaluator) layout(e ObsExpr, leafCount *int) ([]int, error) {
	var slots []int
	switch e := e.(type) {
	case *Bracketed:
		n := *leafCount
		*leafCount++
		slots = []int{n}
		var hits []int
		for i := range ev.obs {
			if ev.observationMatches(e.Expr, &ev.obs[i]) {
				hits = append(hits, i)
			}
			if ev.err != nil {
				return nil, ev.err
			}
		}
		ev.leaves[e] = hits
	case *ObsBinary:
		l, err := ev.layout(e.Left, leafCount)
		if err != nil {
			return nil, err
		}
		r, err := ev.layout(e.Right, leafCount)
		if err != nil {
			return nil, err
		}
		slots = append(l, r...)
	case *Qualified:
		inner, err := ev.layout(e.Expr, leafCount)
		if err != nil {
			return nil, err
		}
		slots = inner
		if e.Qualifier.Kind == Repeats {
			n := e.Qualifier.Count.Int
			if n < 1 || int64(len(inner))*n > MaxBindingSize {
				return nil, fmt.Errorf("%w: a match would bind more than %d observations", ErrTooComplex, MaxBindingSize)
			}
			slots = make([]int, 0, len(inner)*int(n))
			for range n {
				slots = append(slots, inner...)
			}
		}
	default:
		return nil, fmt.Errorf("pattern: unknown observation expression %T", e)
	}
	if len(slots) > MaxBindingSize {
		return nil, fmt.Errorf("%w: a match would bind more than %d observations", ErrTooComplex, MaxBindingSize)
	}
	ev.sizes[e] = len(slots)
	return slots, nil
}

// compiled holds the regular expressions and CIDR blocks of a pattern,
// prepared once so that matching does not redo the work.
type compiled struct {
	regexps  map[*Comparison]*regexp.Regexp
	prefixes map[*Comparison]netip.Prefix
}

func compilePattern(root ObsExpr) (*compiled, error) {
	c := &compiled{regexps: map[*Comparison]*regexp.Regexp{}, prefixes: map[*Comparison]netip.Prefix{}}
	var obs func(ObsExpr) error
	var comp func(CompExpr) error
	obs = func(e ObsExpr) error {
		switch e := e.(type) {
		case *Bracketed:
			return comp(e.Expr)
		case *ObsBinary:
			if err := obs(e.Left); err != nil {
				return err
			}
			return obs(e.Right)
		case *Qualified:
			return obs(e.Expr)
		}
		return fmt.Errorf("pattern: unknown observation expression %T", e)
	}
	comp = func(e CompExpr) error {
		switch e := e.(type) {
		case *CompBinary:
			if err := comp(e.Left); err != nil {
				return err
			}
			return comp(e.Right)
		case *Comparison:
			switch e.Op {
			case OpMatches:
				re, err := compileRegexp(nfc(e.Value.Str))
				if err != nil {
					return err
				}
				c.regexps[e] = re
			case OpIsSubset, OpIsSuperset:
				pf, err := parsePrefix(e.Value.Str)
				if err != nil {
					return fmt.Errorf("%s: %v", e.Op, err)
				}
				c.prefixes[e] = pf
			}
			return nil
		}
		return fmt.Errorf("pattern: unknown comparison expression %T", e)
	}
	if err := obs(root); err != nil {
		return nil, err
	}
	return c, nil
}

// observationMatches reports whether some object of o satisfies e. AND
// and OR are evaluated per object, so every comparison joined by AND must
// hold on the same object (possibly through its references).
func (ev *evaluator) observationMatches(e CompExpr, o *Observation) bool {
	for _, id := range o.Roots {
		if ev.objectMatches(e, o, o.Objects[id]) {
			return true
		}
		if ev.err != nil {
			return false
		}
	}
	return false
}

func (ev *evaluator) objectMatches(e CompExpr, o *Observation, obj map[string]any) bool {
	switch e := e.(type) {
	case *CompBinary:
		if e.And {
			return ev.objectMatches(e.Left, o, obj) && ev.objectMatches(e.Right, o, obj)
		}
		return ev.objectMatches(e.Left, o, obj) || ev.objectMatches(e.Right, o, obj)
	case *Comparison:
		if t, _ := obj["type"].(string); t != e.Path.Type {
			return false
		}
		return ev.walk(o, obj, e.Path.Steps, func(v any) bool {
			return ev.test(e, v) != e.Not
		})
	}
	return false
}

// test applies the comparison, without NOT, to one selected value.
func (ev *evaluator) test(c *Comparison, v any) bool {
	switch c.Op {
	case OpEq:
		return ev.equal(v, &c.Value)
	case OpNe:
		return !ev.equal(v, &c.Value)
	case OpLt, OpLe, OpGt, OpGe:
		r, ok := ev.order(v, &c.Value)
		if !ok {
			return false
		}
		switch c.Op {
		case OpLt:
			return r < 0
		case OpLe:
			return r <= 0
		case OpGt:
			return r > 0
		}
		return r >= 0
	case OpIn:
		return ev.member(v, c.Value.Set)
	case OpLike:
		return likeValue(v, c.Value.Str)
	case OpMatches:
		return matchesValue(v, ev.regexps[c], binaryRegexp(c.Value.Str))
	case OpIsSubset, OpIsSuperset:
		s, ok := v.(string)
		if !ok {
			return false
		}
		pv, err := parsePrefix(s)
		if err != nil {
			return false
		}
		if c.Op == OpIsSubset {
			return subset(pv, ev.prefixes[c])
		}
		return subset(ev.prefixes[c], pv)
	case OpExists:
		return true
	}
	return false
}

func binaryRegexp(expr string) bool {
	for _, r := range expr {
		if r >= 0x100 {
			return false
		}
	}
	return true
}

// walk selects the values at steps below v and reports whether pred holds
// for any of them. Keys ending in _ref and _refs are dereferenced within
// the observation; references that do not resolve select nothing.
func (ev *evaluator) walk(o *Observation, v any, steps []Step, pred func(any) bool) bool {
	if len(steps) == 0 {
		return pred(v)
	}
	s := steps[0]
	rest := steps[1:]
	switch s.Kind {
	case KeyStep:
		m, ok := v.(map[string]any)
		if !ok {
			return false
		}
		next, ok := m[s.Key]
		if !ok {
			return false
		}
		switch {
		case strings.HasSuffix(s.Key, "_ref"):
			id, ok := next.(string)
			if !ok {
				return false
			}
			target := o.resolve(id)
			if target == nil {
				return false
			}
			return ev.walk(o, target, rest, pred)
		case strings.HasSuffix(s.Key, "_refs"):
			ids, ok := next.([]any)
			if !ok {
				return false
			}
			targets := make([]any, 0, len(ids))
			for _, r := range ids {
				if id, ok := r.(string); ok {
					if t := o.resolve(id); t != nil {
						targets = append(targets, t)
					}
				}
			}
			if len(targets) == 0 {
				return false
			}
			return ev.walk(o, targets, rest, pred)
		}
		return ev.walk(o, next, rest, pred)
	case IndexStep:
		list, ok := v.([]any)
		if !ok {
			return false
		}
		i := s.Index
		if i < 0 {
			i += len(list)
		}
		if i < 0 || i >= len(list) {
			return false
		}
		return ev.walk(o, list[i], rest, pred)
	case AnyStep:
		list, ok := v.([]any)
		if !ok {
			return false
		}
		for _, e := range list {
			if ev.walk(o, e, rest, pred) {
				return true
			}
			if ev.err != nil {
				return false
			}
		}
	}
	return false
}

// resolve finds the object a reference names.
func (o *Observation) resolve(id string) map[string]any {
	if t, ok := o.Objects[id]; ok {
		return t
	}
	if t, ok := o.Lookup[id]; ok {
		return t
	}
	return nil
}
