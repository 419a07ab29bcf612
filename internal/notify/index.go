package notify

import (
	"net/netip"
	"slices"
	"strings"
)

// entry is one organization's inventory item inside the matcher, packed:
// one string holds the value and then the version, so an entry is 24 bytes
// with one pointer for the garbage collector to follow instead of 56 with
// three. Item re-slices it without allocating.
type entry struct {
	text string // value, then version
	org  int32  // index into the snapshot's orgs
	vlen uint16 // length of the value (Normalize keeps it under maxValue)
	kind uint8  // index into kindOrder
}

func newEntry(org int32, it Item) entry {
	text := it.Value
	if it.Version != "" {
		text += it.Version
	}
	return entry{text: text, org: org, vlen: uint16(len(it.Value)), kind: kindCode(it.Kind)}
}

func (e *entry) item() Item {
	return Item{Kind: kindOrder[e.kind], Value: e.text[:e.vlen], Version: e.text[e.vlen:]}
}

func (e *entry) value() string { return e.text[:e.vlen] }

func kindCode(k Kind) uint8 {
	return uint8(max(slices.Index(kindOrder[:], k), 0))
}

// link chains the entries that share a key. Chains live in the index, not
// in the entries, so that snapshots sharing entries never write to them.
type link struct {
	entry, next int32
}

// chains maps a key to the entries filed under it.
type chains[K comparable] struct {
	heads map[K]int32
	links []link
}

func newChains[K comparable](n int) chains[K] {
	return chains[K]{heads: make(map[K]int32, n), links: make([]link, 0, n)}
}

func (c *chains[K]) add(k K, e int32) {
	next, ok := c.heads[k]
	if !ok {
		next = -1
	}
	c.links = append(c.links, link{entry: e, next: next})
	c.heads[k] = int32(len(c.links) - 1)
}

// first returns the first link of k's chain, or -1.
func (c *chains[K]) first(k K) int32 {
	if h, ok := c.heads[k]; ok {
		return h
	}
	return -1
}

// index is an immutable lookup structure over a set of entries.
type index struct {
	nets  netIndex
	names chains[string] // domains, e-mail domains and URL hosts
	asns  chains[uint32]
	soft  chains[string] // software by cpe or purl key
	size  int
}

// buildIndex indexes entries[ids] (every entry when ids is nil). Entries
// are normalised before they reach the matcher, so one that does not parse
// here is skipped rather than reported.
func buildIndex(entries []entry, ids []int32) *index {
	n := len(ids)
	if ids == nil {
		n = len(entries)
	}
	at := func(i int) int32 {
		if ids == nil {
			return int32(i)
		}
		return ids[i]
	}
	var nNets, nNames, nASNs, nSoft int
	for i := range n {
		switch kindOrder[entries[at(i)].kind] {
		case KindCIDR:
			nNets++
		case KindDomain, KindEmailDomain, KindURL:
			nNames++
		case KindASN:
			nASNs++
		case KindCPE, KindPURL:
			nSoft++
		}
	}
	x := &index{
		names: newChains[string](nNames),
		asns:  newChains[uint32](nASNs),
		soft:  newChains[string](nSoft),
	}
	keys := make([]netKey, 0, nNets)
	for i := range n {
		id := at(i)
		it := entries[id].item()
		switch it.Kind {
		case KindCIDR:
			p, err := netip.ParsePrefix(it.Value)
			if k, ok := netKeyOf(p); err == nil && ok {
				k.entry = id
				keys = append(keys, k)
				x.size++
			}
		case KindDomain, KindEmailDomain:
			x.names.add(it.Value, id)
			x.size++
		case KindURL:
			if u, ok := splitURL(it.Value); ok {
				x.names.add(u.host, id)
				x.size++
			}
		case KindASN:
			if a, ok := parseASN(it.Value); ok {
				x.asns.add(a, id)
				x.size++
			}
		case KindCPE:
			if c, err := ParseCPE(it.Value); err == nil {
				if k, ok := cpeKey(c); ok {
					x.soft.add(k, id)
					x.size++
				}
			}
		case KindPURL:
			if p, err := parsePURL(it.Value); err == nil {
				x.soft.add(purlKey(p), id)
				x.size++
			}
		}
	}
	x.nets = buildNetIndex(keys)
	return x
}

// urlParts is a URL as the matcher compares it.
type urlParts struct {
	scheme string // as written
	host   string // lower case, no port, no brackets, no trailing dot
	port   string // "" for none or the scheme's default
	rest   string // path, query and fragment as written; "/" when empty
}

// splitURL takes a URL apart without allocating unless its host has upper
// case to fold: it runs for every URL observable.
func splitURL(s string) (urlParts, bool) {
	var u urlParts
	s = strings.TrimSpace(s)
	i := strings.Index(s, "://")
	if i <= 0 {
		return u, false
	}
	u.scheme = s[:i]
	rest := s[i+3:]
	end := strings.IndexAny(rest, "/?#\\")
	if end < 0 {
		end = len(rest)
	}
	auth := rest[:end]
	u.rest = rest[end:]
	if u.rest == "" {
		u.rest = "/"
	}
	if at := strings.LastIndexByte(auth, '@'); at >= 0 {
		auth = auth[at+1:]
	}
	host := auth
	if strings.HasPrefix(auth, "[") {
		j := strings.IndexByte(auth, ']')
		if j < 0 {
			return u, false
		}
		host, u.port = auth[1:j], strings.TrimPrefix(auth[j+1:], ":")
	} else if j := strings.LastIndexByte(auth, ':'); j >= 0 {
		host, u.port = auth[:j], auth[j+1:]
	}
	if strings.EqualFold(u.scheme, "http") && u.port == "80" || strings.EqualFold(u.scheme, "https") && u.port == "443" {
		u.port = ""
	}
	u.host = strings.TrimSuffix(strings.ToLower(host), ".")
	return u, u.host != ""
}

// underURL reports whether the observed URL lies under the inventory URL:
// the same scheme, host and port, and a path that continues the entry's at
// a boundary, so /app covers /app, /app/x and /app?x but not /application.
func underURL(obs, inv urlParts) bool {
	if !strings.EqualFold(obs.scheme, inv.scheme) || obs.host != inv.host || obs.port != inv.port {
		return false
	}
	if !strings.HasPrefix(obs.rest, inv.rest) {
		return false
	}
	if len(obs.rest) == len(inv.rest) || strings.HasSuffix(inv.rest, "/") {
		return true
	}
	switch obs.rest[len(inv.rest)] {
	case '/', '?', '#':
		return true
	}
	return false
}
