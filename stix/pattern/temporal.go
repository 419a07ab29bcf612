package pattern

import (
	"iter"
	"time"
)

// This file combines observations across observation expressions. The
// algorithm mirrors the OASIS reference matcher: every sub-expression
// yields "bindings", tuples assigning an observation instance to each of
// its bracketed expressions; operators join or filter them lazily, so the
// first match is found without enumerating every combination.
//
// An observed-data with number_observed n stands for n observations with
// the same time interval: each is an instance (observation, copy). AND,
// FOLLOWEDBY and REPEATS require the instances they combine to be
// distinct, so one observed-data with number_observed 3 can satisfy
// [x] REPEATS 3 TIMES on its own.

// inst is one observation instance; obs < 0 marks a slot left unbound by
// the untaken side of an OR.
type inst struct{ obs, copy int32 }

type binding []inst

// disjoint reports whether a and b share no bound instance.
func disjoint(a, b binding) bool {
	for _, x := range a {
		if x.obs < 0 {
			continue
		}
		for _, y := range b {
			if x == y {
				return false
			}
		}
	}
	return true
}

func concat(a, b binding) binding {
	out := make(binding, 0, len(a)+len(b))
	return append(append(out, a...), b...)
}

func (ev *evaluator) seq(e ObsExpr) iter.Seq[binding] {
	switch e := e.(type) {
	case *Bracketed:
		return ev.leafSeq(e)
	case *ObsBinary:
		l, r := ev.seq(e.Left), ev.seq(e.Right)
		switch e.Op {
		case ObsAnd:
			return ev.join(l, r, disjoint)
		case FollowedBy:
			return ev.join(l, r, func(a, b binding) bool {
				return disjoint(a, b) && !ev.latestFirst(a).After(ev.earliestLast(b))
			})
		default:
			return ev.or(l, r, ev.sizes[e.Left], ev.sizes[e.Right])
		}
	case *Qualified:
		inner := ev.seq(e.Expr)
		q := e.Qualifier
		switch q.Kind {
		case Within:
			secs := float64(q.Count.Int)
			if q.Count.Kind == Float {
				secs = q.Count.Float
			}
			d := time.Duration(secs * float64(time.Second))
			return ev.filter(inner, func(b binding) bool { return ev.within(b, d) })
		case Repeats:
			return ev.repeats(inner, int(q.Count.Int))
		case StartStop:
			start, stop := q.Start.Time, q.Stop.Time
			if !start.Before(stop) {
				return func(func(binding) bool) {}
			}
			return ev.filter(inner, func(b binding) bool {
				for _, in := range b {
					if in.obs < 0 {
						continue
					}
					o := &ev.obs[in.obs]
					// The observation interval must overlap [start, stop):
					// touching start counts, touching stop does not.
					if !o.FirstObserved.Before(stop) || o.LastObserved.Before(start) {
						return false
					}
				}
				return true
			})
		}
	}
	return func(func(binding) bool) {}
}

func (ev *evaluator) leafSeq(e *Bracketed) iter.Seq[binding] {
	return func(yield func(binding) bool) {
		for _, i := range ev.leaves[e] {
			n := min(ev.obs[i].NumberObserved, ev.copies)
			for c := range n {
				if !ev.tick() || !yield(binding{{int32(i), int32(c)}}) {
					return
				}
			}
		}
	}
}

// join yields every pair (a from l, b from r) with ok(a, b), interleaving
// the two inputs so that a match is found early whichever side is long.
func (ev *evaluator) join(l, r iter.Seq[binding], ok func(a, b binding) bool) iter.Seq[binding] {
	return func(yield func(binding) bool) {
		nextL, stopL := iter.Pull(l)
		defer stopL()
		nextR, stopR := iter.Pull(r)
		defer stopR()
		var lc, rc []binding
		lb, lok := nextL()
		rb, rok := nextR()
		if !lok || !rok {
			return
		}
		for lok || rok {
			if rok {
				for _, a := range lc {
					if !ev.tick() {
						return
					}
					if ok(a, rb) && !yield(concat(a, rb)) {
						return
					}
				}
				rc = append(rc, rb)
				rb, rok = nextR()
			}
			if lok {
				for _, b := range rc {
					if !ev.tick() {
						return
					}
					if ok(lb, b) && !yield(concat(lb, b)) {
						return
					}
				}
				lc = append(lc, lb)
				lb, lok = nextL()
			}
			if ev.err != nil {
				return
			}
		}
	}
}

// or yields the bindings of either side, padding the other side's slots
// as unbound. Bindings using both sides are never needed: binding more
// observations can only remove options elsewhere in the pattern.
func (ev *evaluator) or(l, r iter.Seq[binding], lsize, rsize int) iter.Seq[binding] {
	return func(yield func(binding) bool) {
		nextL, stopL := iter.Pull(l)
		defer stopL()
		nextR, stopR := iter.Pull(r)
		defer stopR()
		lpad, rpad := unbound(lsize), unbound(rsize)
		lb, lok := nextL()
		rb, rok := nextR()
		for lok || rok {
			if lok {
				if !yield(concat(lb, rpad)) {
					return
				}
				lb, lok = nextL()
			}
			if rok {
				if !yield(concat(lpad, rb)) {
					return
				}
				rb, rok = nextR()
			}
		}
	}
}

func unbound(n int) binding {
	b := make(binding, n)
	for i := range b {
		b[i] = inst{-1, -1}
	}
	return b
}

func (ev *evaluator) filter(s iter.Seq[binding], keep func(binding) bool) iter.Seq[binding] {
	return func(yield func(binding) bool) {
		for b := range s {
			if !ev.tick() {
				return
			}
			if keep(b) && !yield(b) {
				return
			}
		}
	}
}

// repeats yields every combination of n pairwise-disjoint bindings of s.
func (ev *evaluator) repeats(s iter.Seq[binding], n int) iter.Seq[binding] {
	if n == 1 {
		return s
	}
	return func(yield func(binding) bool) {
		var all []binding
		for b := range s {
			if !ev.tick() {
				return
			}
			all = append(all, b)
		}
		if len(all) < n {
			return
		}
		chosen := make([]int, 0, n)
		var rec func(from int) bool
		rec = func(from int) bool {
			if len(chosen) == n {
				out := make(binding, 0, n*len(all[0]))
				for _, i := range chosen {
					out = append(out, all[i]...)
				}
				return yield(out)
			}
			for i := from; i <= len(all)-(n-len(chosen)); i++ {
				if !ev.tick() {
					return false
				}
				ok := true
				for _, j := range chosen {
					if !disjoint(all[i], all[j]) {
						ok = false
						break
					}
				}
				if !ok {
					continue
				}
				chosen = append(chosen, i)
				if !rec(i + 1) {
					return false
				}
				chosen = chosen[:len(chosen)-1]
			}
			return true
		}
		rec(0)
	}
}

func (ev *evaluator) latestFirst(b binding) time.Time {
	var t time.Time
	for _, in := range b {
		if in.obs >= 0 {
			if f := ev.obs[in.obs].FirstObserved; t.IsZero() || f.After(t) {
				t = f
			}
		}
	}
	return t
}

func (ev *evaluator) earliestLast(b binding) time.Time {
	var t time.Time
	for _, in := range b {
		if in.obs >= 0 {
			if l := ev.obs[in.obs].LastObserved; t.IsZero() || l.Before(t) {
				t = l
			}
		}
	}
	return t
}

// within reports whether timestamps can be chosen in every bound
// observation's [first_observed, last_observed] so that all lie within d
// of each other: the latest first_observed may not exceed the earliest
// last_observed by more than d.
func (ev *evaluator) within(b binding, d time.Duration) bool {
	return !ev.latestFirst(b).After(ev.earliestLast(b).Add(d))
}
