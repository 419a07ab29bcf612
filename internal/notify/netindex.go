package notify

import (
	"cmp"
	"encoding/binary"
	"net/netip"
	"slices"
)

// netRel says how an inventory network relates to the observed one.
type netRel uint8

const (
	relContains netRel = iota // the inventory network contains the observed address or network
	relEqual                  // they are the same network
	relInside                 // the inventory network lies inside the observed network
)

// netIndex holds inventory networks in two sorted arrays (see the package
// documentation): IPv4 space as 32-bit keys, the rest of IPv6 as 128-bit
// keys. Arrays of plain numbers rather than a pointer trie keep it compact
// and invisible to the garbage collector.
type netIndex struct {
	v4 net4s
	v6 net6s
}

type net4s struct {
	start  []uint32
	bits   []uint8
	parent []int32 // nearest earlier element containing this one, or -1
	entry  []int32
	// bucket[k] is the first element whose start has k as its top 16
	// bits, so a search only looks at one /16's worth of elements. Small
	// arrays (a delta) go without: the table alone is 256 KiB.
	bucket []int32
}

const bucketFrom = 4096

type net6s struct {
	hi, lo []uint64
	bits   []uint8
	parent []int32
	entry  []int32
}

// netKey is an inventory network in the index's terms.
type netKey struct {
	v4     bool
	hi, lo uint64 // v4: the address in lo
	bits   uint8
	entry  int32
}

// netKeyOf places a network in the index's space: IPv4 and IPv4-mapped
// IPv6 networks of length >= 96 become 32-bit keys.
func netKeyOf(p netip.Prefix) (netKey, bool) {
	if !p.IsValid() {
		return netKey{}, false
	}
	p = p.Masked()
	a := p.Addr().WithZone("")
	bits := p.Bits()
	if a.Is4In6() && bits >= 96 {
		a, bits = a.Unmap(), bits-96
	}
	if a.Is4() {
		b := a.As4()
		return netKey{v4: true, lo: uint64(binary.BigEndian.Uint32(b[:])), bits: uint8(bits)}, true
	}
	b := a.As16()
	return netKey{hi: binary.BigEndian.Uint64(b[:8]), lo: binary.BigEndian.Uint64(b[8:]), bits: uint8(bits)}, true
}

func buildNetIndex(keys []netKey) netIndex {
	var x netIndex
	var k4, k6 []netKey
	for _, k := range keys {
		if k.v4 {
			k4 = append(k4, k)
		} else {
			k6 = append(k6, k)
		}
	}
	order := func(a, b netKey) int {
		if c := cmp.Compare(a.hi, b.hi); c != 0 {
			return c
		}
		if c := cmp.Compare(a.lo, b.lo); c != 0 {
			return c
		}
		if c := cmp.Compare(a.bits, b.bits); c != 0 {
			return c
		}
		return cmp.Compare(a.entry, b.entry)
	}
	slices.SortFunc(k4, order)
	slices.SortFunc(k6, order)

	t4 := &x.v4
	t4.start = make([]uint32, len(k4))
	t4.bits = make([]uint8, len(k4))
	t4.entry = make([]int32, len(k4))
	for i, k := range k4 {
		t4.start[i], t4.bits[i], t4.entry[i] = uint32(k.lo), k.bits, k.entry
	}
	t4.parent = parents(len(k4), func(p, c int) bool { return contains4(t4.start[p], t4.bits[p], t4.start[c], t4.bits[c]) })
	if len(k4) >= bucketFrom {
		t4.bucket = make([]int32, 1<<16+1)
		j := 0
		for k := 0; k <= 1<<16; k++ {
			for j < len(k4) && int(t4.start[j]>>16) < k {
				j++
			}
			t4.bucket[k] = int32(j)
		}
	}

	t6 := &x.v6
	t6.hi = make([]uint64, len(k6))
	t6.lo = make([]uint64, len(k6))
	t6.bits = make([]uint8, len(k6))
	t6.entry = make([]int32, len(k6))
	for i, k := range k6 {
		t6.hi[i], t6.lo[i], t6.bits[i], t6.entry[i] = k.hi, k.lo, k.bits, k.entry
	}
	t6.parent = parents(len(k6), func(p, c int) bool {
		return contains6(t6.hi[p], t6.lo[p], t6.bits[p], t6.hi[c], t6.lo[c], t6.bits[c])
	})
	return x
}

// parents links each element of a sorted laminar family to the nearest
// earlier element containing it, with a stack of the currently open
// networks: O(n).
func parents(n int, contains func(p, c int) bool) []int32 {
	out := make([]int32, n)
	var stack []int32
	for i := range n {
		for len(stack) > 0 && !contains(int(stack[len(stack)-1]), i) {
			stack = stack[:len(stack)-1]
		}
		out[i] = -1
		if len(stack) > 0 {
			out[i] = stack[len(stack)-1]
		}
		stack = append(stack, int32(i))
	}
	return out
}

func mask4(bits uint8) uint32 {
	if bits == 0 {
		return 0
	}
	return ^uint32(0) << (32 - bits)
}

func contains4(ps uint32, pb uint8, cs uint32, cb uint8) bool {
	return pb <= cb && cs&mask4(pb) == ps
}

func mask6(bits uint8) (uint64, uint64) {
	switch {
	case bits == 0:
		return 0, 0
	case bits <= 64:
		return ^uint64(0) << (64 - bits), 0
	case bits == 128:
		return ^uint64(0), ^uint64(0)
	}
	return ^uint64(0), ^uint64(0) << (128 - bits)
}

func contains6(ph, pl uint64, pb uint8, ch, cl uint64, cb uint8) bool {
	if pb > cb {
		return false
	}
	mh, ml := mask6(pb)
	return ch&mh == ph && cl&ml == pl
}

// span is the part of the array a search for a must look at.
func (t *net4s) span(a uint32) (int, int) {
	if t.bucket == nil {
		return 0, len(t.start)
	}
	return int(t.bucket[a>>16]), int(t.bucket[a>>16+1])
}

// last is the index of the last element starting at or before a, or -1.
func (t *net4s) last(a uint32) int {
	lo, hi := t.span(a)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if t.start[m] <= a {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo - 1
}

// first is the index of the first element at or after (s, bits).
func (t *net4s) first(s uint32, bits uint8) int {
	lo, hi := t.span(s)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if t.start[m] < s || t.start[m] == s && t.bits[m] < bits {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

func (t *net6s) last(h, l uint64) int {
	lo, hi := 0, len(t.hi)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if t.hi[m] < h || t.hi[m] == h && t.lo[m] <= l {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo - 1
}

func (t *net6s) first(h, l uint64, bits uint8) int {
	lo, hi := 0, len(t.hi)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if t.hi[m] < h || t.hi[m] == h && (t.lo[m] < l || t.lo[m] == l && t.bits[m] < bits) {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// overlaps calls fn for every inventory network that overlaps q. With
// address set, q is a single address and every hit contains it.
func (x *netIndex) overlaps(q netKey, address bool, fn func(entry int32, rel netRel)) {
	if q.v4 {
		x.v4.overlaps(uint32(q.lo), q.bits, address, fn)
		// IPv6 networks that contain the whole IPv4-mapped range contain
		// every IPv4 address and network.
		if len(x.v6.hi) > 0 {
			x.v6.ancestors(0, 0xffff<<32|q.lo, 96+q.bits, false, fn)
		}
		return
	}
	x.v6.overlaps(q.hi, q.lo, q.bits, address, fn)
	// An IPv6 network that contains ::ffff:0:0/96 contains all of IPv4.
	if q.bits <= 96 && len(x.v4.start) > 0 && contains6(q.hi, q.lo, q.bits, 0, 0xffff<<32, 96) {
		for _, e := range x.v4.entry {
			fn(e, relInside)
		}
	}
}

func (t *net4s) overlaps(s uint32, bits uint8, address bool, fn func(int32, netRel)) {
	if len(t.start) == 0 {
		return
	}
	i := t.last(s)
	for i >= 0 && !contains4(t.start[i], t.bits[i], s, bits) {
		i = int(t.parent[i])
	}
	for ; i >= 0; i = int(t.parent[i]) {
		if address || t.bits[i] < bits {
			fn(t.entry[i], relContains)
		}
	}
	if address {
		return
	}
	end := s | ^mask4(bits)
	for i := t.first(s, bits); i < len(t.start) && t.start[i] <= end; i++ {
		rel := relInside
		if t.start[i] == s && t.bits[i] == bits {
			rel = relEqual
		}
		fn(t.entry[i], rel)
	}
}

// ancestors calls fn for the elements containing (h, l, bits), all of
// them when address is set, else only those strictly larger.
func (t *net6s) ancestors(h, l uint64, bits uint8, address bool, fn func(int32, netRel)) {
	i := t.last(h, l)
	for i >= 0 && !contains6(t.hi[i], t.lo[i], t.bits[i], h, l, bits) {
		i = int(t.parent[i])
	}
	for ; i >= 0; i = int(t.parent[i]) {
		if address || t.bits[i] < bits {
			fn(t.entry[i], relContains)
		}
	}
}

func (t *net6s) overlaps(h, l uint64, bits uint8, address bool, fn func(int32, netRel)) {
	if len(t.hi) == 0 {
		return
	}
	t.ancestors(h, l, bits, address, fn)
	if address {
		return
	}
	mh, ml := mask6(bits)
	eh, el := h|^mh, l|^ml
	for i := t.first(h, l, bits); i < len(t.hi); i++ {
		if t.hi[i] > eh || t.hi[i] == eh && t.lo[i] > el {
			break
		}
		rel := relInside
		if t.hi[i] == h && t.lo[i] == l && t.bits[i] == bits {
			rel = relEqual
		}
		fn(t.entry[i], rel)
	}
}
