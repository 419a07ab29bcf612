package notify

import (
	"errors"
	"fmt"
	"iter"
	"math"
	"sync"
	"sync/atomic"
)

// Matcher finds the organizations an observable concerns. Make one with
// NewMatcher. It is safe for concurrent use: Match and MatchSoftware never
// block; updates are serialised among themselves and publish a new
// snapshot when done.
type Matcher struct {
	snap atomic.Pointer[snapshot]

	mu sync.Mutex // guards everything below; readers never take it
	// entries is append-only between rebuilds: a published snapshot sees a
	// prefix of it, so appending never disturbs a reader.
	entries   []entry
	orgIDs    map[string]int32
	orgs      []string  // append-only, like entries
	byOrg     [][]int32 // each organization's live entries
	base      *index    // over entries[:baseLen]
	baseLen   int
	delta     []int32  // live entries added since base was built
	dead      []uint64 // bitmap over entries[:baseLen] removed since
	deadCount int
}

// snapshot is what one Match sees: an immutable base index, a delta index
// of recent additions, and the base entries removed since.
type snapshot struct {
	entries []entry
	orgs    []string
	base    *index
	delta   *index
	dead    []uint64
}

// NewMatcher returns an empty matcher.
func NewMatcher() *Matcher {
	m := &Matcher{orgIDs: map[string]int32{}}
	m.base = buildIndex(nil, nil)
	m.publish(m.base, buildIndex(nil, []int32{}))
	return m
}

func (m *Matcher) publish(base, delta *index) {
	m.snap.Store(&snapshot{entries: m.entries, orgs: m.orgs, base: base, delta: delta, dead: m.dead})
}

// Load replaces everything the matcher holds with the inventories in all
// and builds the index from scratch. Items that are not valid are left
// out; the error lists how many and the first. Duplicates are dropped.
// Items of one organization in a row are cheapest (one look-up of its id).
func (m *Matcher) Load(all iter.Seq2[string, Item]) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.entries, m.orgs, m.byOrg = nil, nil, nil
	m.orgIDs = map[string]int32{}
	var bad int
	var firstErr error
	lastOrg, last := "", int32(-1)
	for orgID, it := range all {
		n, _, err := Normalize(it)
		if err != nil {
			if bad == 0 {
				firstErr = fmt.Errorf("organization %s: %w", orgID, err)
			}
			bad++
			continue
		}
		if last < 0 || orgID != lastOrg {
			lastOrg, last = orgID, m.intern(orgID)
		}
		if len(m.entries) >= math.MaxInt32 {
			break
		}
		m.byOrg[last] = append(m.byOrg[last], int32(len(m.entries)))
		m.entries = append(m.entries, newEntry(last, n))
	}
	seen := map[Item]struct{}{}
	for o, ids := range m.byOrg {
		m.byOrg[o] = m.dedupe(ids, seen)
	}
	m.rebuild()
	if bad > 0 {
		return fmt.Errorf("notify: %d inventory items left out of the matcher, the first: %w", bad, firstErr)
	}
	return nil
}

// dedupe drops repeated items of one organization, keeping the first; seen
// is scratch space, reused across organizations.
func (m *Matcher) dedupe(ids []int32, seen map[Item]struct{}) []int32 {
	if len(ids) < 2 {
		return ids
	}
	clear(seen)
	out := ids[:0]
	for _, id := range ids {
		it := m.entries[id].item()
		if _, dup := seen[it]; dup {
			continue
		}
		seen[it] = struct{}{}
		out = append(out, id)
	}
	return out
}

func (m *Matcher) intern(orgID string) int32 {
	if o, ok := m.orgIDs[orgID]; ok {
		return o
	}
	o := int32(len(m.orgs))
	m.orgIDs[orgID] = o
	m.orgs = append(m.orgs, orgID)
	m.byOrg = append(m.byOrg, nil)
	return o
}

// SetOrg makes items the whole inventory of the organization: what is not
// in items is removed, what is new is added. Invalid items are left out
// and reported in the error; the valid ones are applied.
func (m *Matcher) SetOrg(orgID string, items []Item) error {
	norm, err := normalizeItems(items)
	want := make(map[Item]bool, len(norm))
	for _, it := range norm {
		want[it] = true
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.update(orgID, norm, func(it Item) bool { return !want[it] })
	return err
}

// Add adds items to the organization's inventory.
func (m *Matcher) Add(orgID string, items ...Item) error {
	norm, err := normalizeItems(items)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.update(orgID, norm, func(Item) bool { return false })
	return err
}

// Remove removes items from the organization's inventory.
func (m *Matcher) Remove(orgID string, items ...Item) error {
	norm, err := normalizeItems(items)
	gone := make(map[Item]bool, len(norm))
	for _, it := range norm {
		gone[it] = true
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.update(orgID, nil, func(it Item) bool { return gone[it] })
	return err
}

func normalizeItems(items []Item) ([]Item, error) {
	out := make([]Item, 0, len(items))
	var errList []error
	for _, it := range items {
		n, _, err := Normalize(it)
		if err != nil {
			errList = append(errList, err)
			continue
		}
		out = append(out, n)
	}
	if len(errList) > 0 {
		return out, fmt.Errorf("notify: %d items left out of the matcher: %w", len(errList), errors.Join(errList...))
	}
	return out, nil
}

// update removes the organization's entries for which remove is true and
// adds the items it does not have yet, then publishes a snapshot. m.mu is
// held.
func (m *Matcher) update(orgID string, add []Item, remove func(Item) bool) {
	o := m.intern(orgID)
	ids := m.byOrg[o]
	have := make(map[Item]bool, len(ids)+len(add))
	kept := make([]int32, 0, len(ids)+len(add))
	var removed []int32
	for _, id := range ids {
		it := m.entries[id].item()
		if remove(it) {
			removed = append(removed, id)
			continue
		}
		have[it] = true
		kept = append(kept, id)
	}
	var added []int32
	for _, it := range add {
		if have[it] {
			continue
		}
		if len(m.entries) >= math.MaxInt32 {
			break
		}
		have[it] = true
		id := int32(len(m.entries))
		m.entries = append(m.entries, newEntry(o, it))
		kept = append(kept, id)
		added = append(added, id)
	}
	if len(removed) == 0 && len(added) == 0 {
		return
	}
	m.byOrg[o] = kept

	gone := map[int32]bool{}
	var dead []uint64
	for _, id := range removed {
		if int(id) < m.baseLen {
			if dead == nil {
				// Copy on write: the published snapshot keeps the old
				// bitmap.
				dead = make([]uint64, (m.baseLen+63)/64)
				copy(dead, m.dead)
			}
			dead[id/64] |= 1 << (id % 64)
			m.deadCount++
		} else {
			gone[id] = true
		}
	}
	if dead != nil {
		m.dead = dead
	}
	delta := make([]int32, 0, len(m.delta)+len(added))
	for _, id := range m.delta {
		if !gone[id] {
			delta = append(delta, id)
		}
	}
	m.delta = append(delta, added...)
	if len(m.delta)+m.deadCount > compactAt(m.baseLen) {
		m.rebuild()
		return
	}
	m.publish(m.base, buildIndex(m.entries, m.delta))
}

// compactAt is how large the delta and tombstones may grow before they are
// folded into a new base. Every update rebuilds the delta, O(d), and every
// D changes the base is rebuilt, O(n), so an update costs O(D + n/D)
// amortised, least for D near sqrt(n): the constant weighs a base entry's
// build (about 30 times a delta entry's, mostly the map) against a delta
// entry's.
func compactAt(n int) int {
	return min(max(6*int(math.Sqrt(float64(n))), 1024), 65536)
}

// rebuild renumbers the live entries, organization by organization, and
// builds a new base. m.mu is held.
func (m *Matcher) rebuild() {
	live := 0
	for _, ids := range m.byOrg {
		live += len(ids)
	}
	// Room for the delta that may grow before the next rebuild, so that
	// the first additions do not copy the whole slab.
	entries := make([]entry, 0, live+compactAt(live)+1)
	for _, ids := range m.byOrg {
		for i, id := range ids {
			ids[i] = int32(len(entries))
			entries = append(entries, m.entries[id])
		}
	}
	m.entries = entries
	m.baseLen = len(entries)
	m.delta, m.dead, m.deadCount = nil, nil, 0
	m.base = buildIndex(entries, nil)
	m.publish(m.base, buildIndex(nil, []int32{}))
}

// MatcherStats describes what a matcher holds.
type MatcherStats struct {
	Organizations int          `json:"organizations"`
	Entries       int          `json:"entries"`
	ByKind        map[Kind]int `json:"by_kind"`
	Base          int          `json:"base"`
	Delta         int          `json:"delta"`
	Removed       int          `json:"removed"` // base entries awaiting the next rebuild
}

// Stats counts what the matcher holds. It walks every entry: it is for
// reports and metrics, not for every request.
func (m *Matcher) Stats() MatcherStats {
	m.mu.Lock()
	defer m.mu.Unlock()
	st := MatcherStats{ByKind: map[Kind]int{}, Base: m.baseLen, Delta: len(m.delta), Removed: m.deadCount}
	for _, ids := range m.byOrg {
		if len(ids) > 0 {
			st.Organizations++
		}
		st.Entries += len(ids)
		for _, id := range ids {
			st.ByKind[kindOrder[m.entries[id].kind]]++
		}
	}
	return st
}

func (s *snapshot) removed(id int32) bool {
	w := int(id / 64)
	return w < len(s.dead) && s.dead[w]&(1<<(id%64)) != 0
}

func (s *snapshot) indexes() [2]*index { return [2]*index{s.base, s.delta} }
