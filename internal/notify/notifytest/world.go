// Package notifytest generates inventories and observables for the
// matcher's benchmarks: a national-scale world of organizations and a
// realistic stream of observables, both determined by a seed.
//
// Every entry is a pure function of its kind, its index and the seed, so a
// world of millions of entries is streamed to the matcher without being
// held in memory (what the benchmark measures is then the matcher alone),
// and observables aimed at an entry are made by recomputing it.
package notifytest

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strconv"

	"github.com/rampart-project/rampart/internal/notify"
)

// World describes a generated set of inventories.
type World struct {
	Seed     uint64
	Orgs     int
	CIDRs    int // 70% IPv4, 30% IPv6
	Domains  int
	Software int // 70% CPE, 30% package URLs
	// Extras adds what the headline figures leave out but real
	// inventories have: one e-mail domain per organization, a URL for one
	// organization in five, and an AS number for one in ten.
	Extras bool
}

// National is the world the notification issue sizes the matcher for.
func National() World {
	return World{Seed: 1, Orgs: 90_000, CIDRs: 1_000_000, Domains: 2_000_000, Software: 500_000, Extras: true}
}

// Scaled is National divided by div, for quick benchmarks.
func Scaled(div int) World {
	w := National()
	w.Orgs, w.CIDRs, w.Domains, w.Software = w.Orgs/div, w.CIDRs/div, w.Domains/div, w.Software/div
	return w
}

// Size is the number of items Items yields.
func (w World) Size() int {
	n := w.CIDRs + w.Domains + w.Software
	if w.Extras {
		n += w.Orgs + w.Orgs/5 + w.Orgs/10
	}
	return n
}

const (
	kindCIDR = iota + 1
	kindDomain
	kindSoftware
	kindObservable
)

// h is the world's hash of (kind, index, salt): splitmix64's finalizer over
// a mix of the inputs.
func (w World) h(kind, i, salt uint64) uint64 {
	x := w.Seed*0x9e3779b97f4a7c15 ^ kind*0xbf58476d1ce4e5b9 ^ i*0x94d049bb133111eb ^ salt*0x2545f4914f6cdd1d
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

// org assigns entry i of a kind to an organization, skewed the way real
// inventories are: a few states and cities hold far more than the many
// small towns and districts.
func (w World) org(kind, i uint64) int {
	u := float64(w.h(kind, i, 99)>>11) / (1 << 53)
	return min(int(float64(w.Orgs)*u*u), w.Orgs-1)
}

// OrgID names organization o.
func OrgID(o int) string { return "org-" + strconv.Itoa(o) }

var (
	words = []string{"springfield", "riverside", "franklin", "greenville", "clinton", "fairview", "salem", "madison",
		"georgetown", "arlington", "ashland", "dover", "oxford", "jackson", "burlington", "manchester", "milton", "newport"}
	tlds   = []string{"gov", "us", "org", "com", "net", "edu"}
	labels = []string{"www", "mail", "vpn", "portal", "pay", "dmv", "courts", "police", "fire", "water", "gis", "intranet", "sso", "owa", "remote"}
)

// base is organization o's main domain.
func base(o int) string {
	return words[o%len(words)] + strconv.Itoa(o) + "." + tlds[(o/len(words))%len(tlds)]
}

// Items yields every inventory item of the world, organization ids first.
func (w World) Items(yield func(string, notify.Item) bool) {
	for i := range w.CIDRs {
		if !yield(OrgID(w.org(kindCIDR, uint64(i))), notify.Item{Kind: notify.KindCIDR, Value: w.cidr(i).String()}) {
			return
		}
	}
	for i := range w.Domains {
		if !yield(OrgID(w.org(kindDomain, uint64(i))), notify.Item{Kind: notify.KindDomain, Value: w.domain(i)}) {
			return
		}
	}
	for i := range w.Software {
		if !yield(OrgID(w.org(kindSoftware, uint64(i))), w.software(i)) {
			return
		}
	}
	if !w.Extras {
		return
	}
	for o := range w.Orgs {
		if !yield(OrgID(o), notify.Item{Kind: notify.KindEmailDomain, Value: base(o)}) {
			return
		}
		if o%5 == 0 && !yield(OrgID(o), notify.Item{Kind: notify.KindURL, Value: "https://portal." + base(o) + "/services"}) {
			return
		}
		if o%10 == 0 && !yield(OrgID(o), notify.Item{Kind: notify.KindASN, Value: "AS" + strconv.Itoa(1000+o)}) {
			return
		}
	}
}

// cidr is network i: mostly /24s and smaller blocks in public IPv4 space,
// some larger ones that nest others, and IPv6 /48s to /64s with a few /32s
// and single hosts.
func (w World) cidr(i int) netip.Prefix {
	r := w.h(kindCIDR, uint64(i), 0)
	pick := (r >> 40) % 100
	if r%10 < 7 {
		first := 11 + byte((r>>8)%212) // 11..222: public unicast, roughly
		if first == 127 {
			first = 128
		}
		var b [4]byte
		binary.BigEndian.PutUint32(b[:], uint32(r>>8))
		b[0] = first
		var bits int
		switch {
		case pick < 50:
			bits = 24
		case pick < 65:
			bits = 22 + int(pick%2)
		case pick < 85:
			bits = 25 + int(pick%5)
		case pick < 95:
			bits = 32
		default:
			bits = 16 + int(pick%6)
		}
		p, _ := netip.AddrFrom4(b).Prefix(bits)
		return p
	}
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], 0x2600<<48|(r>>4)&0x000f_ffff_ffff_ffff)
	binary.BigEndian.PutUint64(b[8:], w.h(kindCIDR, uint64(i), 1))
	var bits int
	switch {
	case pick < 5:
		bits = 32
	case pick < 55:
		bits = 48
	case pick < 75:
		bits = 56
	case pick < 95:
		bits = 64
	default:
		bits = 128
	}
	p, _ := netip.AddrFrom16(b).Prefix(bits)
	return p
}

// domain is domain i: an organization's main domain or a name under it.
func (w World) domain(i int) string {
	o := w.org(kindDomain, uint64(i))
	r := w.h(kindDomain, uint64(i), 0)
	switch r % 10 {
	case 0:
		return base(o)
	case 1, 2:
		return labels[(r>>8)%uint64(len(labels))] + "." + base(o)
	}
	return "h" + strconv.FormatUint((r>>8)%1_000_000, 36) + "." + labels[(r>>32)%uint64(len(labels))] + "." + base(o)
}

// software is entry i: a CPE of a catalog of 2,000 products, or a package
// of a catalog of 3,000, at one of their versions.
func (w World) software(i int) notify.Item {
	r := w.h(kindSoftware, uint64(i), 0)
	version := fmt.Sprintf("%d.%d.%d", (r>>8)%12, (r>>16)%30, (r>>24)%60)
	if r%10 < 7 {
		p := (r >> 32) % 2000
		return notify.Item{Kind: notify.KindCPE, Value: fmt.Sprintf("cpe:2.3:a:vendor%d:product%d:%s:*:*:*:*:*:*:*", p/4, p, version)}
	}
	p := (r >> 32) % 3000
	types := []string{"npm", "pypi", "maven/org.example"}
	return notify.Item{Kind: notify.KindPURL, Value: fmt.Sprintf("pkg:%s/package%d@%s", types[p%3], p, version)}
}

// Observables returns n observables in a mix like an indicator feed's:
// IPv4 addresses 35%, IPv6 addresses 8%, networks 5%, domains 30%, URLs
// 15%, e-mail addresses 7%. One in aimed is derived from an inventory
// entry so that it hits; the rest are random and mostly miss (random IPv4
// addresses still land in inventory networks now and then).
func (w World) Observables(n, aimed int, seed uint64) []notify.Observable {
	out := make([]notify.Observable, n)
	for j := range out {
		r := w.h(kindObservable, uint64(j), seed)
		hit := aimed > 0 && (r>>50)%uint64(aimed) == 0
		ci := int((r >> 8) % uint64(max(w.CIDRs, 1)))
		di := int((r >> 8) % uint64(max(w.Domains, 1)))
		q := w.h(kindObservable, uint64(j), seed+1)
		switch pick := r % 100; {
		case pick < 43: // addresses
			var a netip.Addr
			if hit && w.CIDRs > 0 {
				a = inside(w.cidr(ci), q)
			} else if pick < 35 {
				var b [4]byte
				binary.BigEndian.PutUint32(b[:], uint32(q))
				a = netip.AddrFrom4(b)
			} else {
				var b [16]byte
				binary.BigEndian.PutUint64(b[:8], 0x2600<<48|q>>16)
				binary.BigEndian.PutUint64(b[8:], q*31)
				a = netip.AddrFrom16(b)
			}
			typ := "ipv4-addr"
			if a.Is6() {
				typ = "ipv6-addr"
			}
			out[j] = notify.Observable{Type: typ, Value: a.String()}
		case pick < 48: // networks
			var p netip.Prefix
			if hit && w.CIDRs > 0 {
				c := w.cidr(ci)
				p, _ = inside(c, q).Prefix(min(c.Bits()+int(q%4), c.Addr().BitLen()))
			} else {
				var b [4]byte
				binary.BigEndian.PutUint32(b[:], uint32(q))
				p, _ = netip.AddrFrom4(b).Prefix(24 + int(q>>40)%9)
			}
			typ := "ipv4-addr"
			if p.Addr().Is6() {
				typ = "ipv6-addr"
			}
			out[j] = notify.Observable{Type: typ, Value: p.String(), Op: "ISSUBSET"}
		case pick < 78:
			name := "x" + strconv.FormatUint(q%10_000_000, 36) + "." + words[q%uint64(len(words))] + "-news.com"
			if hit && w.Domains > 0 {
				name = "cdn." + w.domain(di)
			}
			out[j] = notify.Observable{Type: "domain-name", Value: name}
		case pick < 93:
			host := "login-" + strconv.FormatUint(q%10_000_000, 36) + ".example-phish.net"
			if hit && w.Domains > 0 {
				host = w.domain(di)
			}
			out[j] = notify.Observable{Type: "url", Value: "https://" + host + "/account/verify?id=" + strconv.FormatUint(q>>40, 10)}
		default:
			domain := "mailer" + strconv.FormatUint(q%1_000_000, 36) + ".bulk.example"
			if hit && w.Orgs > 0 {
				domain = base(int(q % uint64(w.Orgs)))
			}
			out[j] = notify.Observable{Type: "email-addr", Value: "billing@" + domain}
		}
	}
	return out
}

// inside returns an address of p chosen by r.
func inside(p netip.Prefix, r uint64) netip.Addr {
	host := p.Addr().BitLen() - p.Bits()
	if p.Addr().Is4() {
		b := p.Addr().As4()
		v := binary.BigEndian.Uint32(b[:])
		if host > 0 {
			v |= uint32(r) & (1<<host - 1)
		}
		binary.BigEndian.PutUint32(b[:], v)
		return netip.AddrFrom4(b)
	}
	b := p.Addr().As16()
	hi, lo := binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])
	switch {
	case host >= 64:
		lo = r * 0x9e3779b97f4a7c15
		if host > 64 {
			hi |= r & (1<<(host-64) - 1)
		}
	case host > 0:
		lo |= r & (1<<host - 1)
	}
	binary.BigEndian.PutUint64(b[:8], hi)
	binary.BigEndian.PutUint64(b[8:], lo)
	return netip.AddrFrom16(b)
}
