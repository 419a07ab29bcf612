package notify_test

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/rampart-project/rampart/internal/notify"
)

// world is a set of inventories, the input of a matcher and of the oracles.
type world map[string][]notify.Item

func (w world) seq(yield func(string, notify.Item) bool) {
	for _, org := range slices.Sorted(maps.Keys(w)) {
		for _, it := range w[org] {
			if !yield(org, it) {
				return
			}
		}
	}
}

func buildMatcher(t testing.TB, w world) *notify.Matcher {
	t.Helper()
	m := notify.NewMatcher()
	if err := m.Load(w.seq); err != nil {
		t.Fatal(err)
	}
	return m
}

func hitKeys(hits []notify.Hit) []string {
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = h.OrgID + "|" + string(h.Item.Kind) + "|" + h.Item.Value
	}
	slices.Sort(out)
	return out
}

func reasons(hits []notify.Hit) map[string]string {
	out := map[string]string{}
	for _, h := range hits {
		out[h.OrgID+" "+h.Item.Value] = h.Reason
	}
	return out
}

func TestMatchExamples(t *testing.T) {
	t.Parallel()
	m := buildMatcher(t, world{
		"county": {
			item("cidr", "203.0.113.0/24", ""), item("cidr", "2001:db8:1::/48", ""), item("asn", "AS64500", ""),
			item("domain", "county.example", ""), item("email-domain", "mail.example", ""),
			item("url", "https://portal.city.example/app", ""), item("url", "http://198.51.100.80/status", ""),
		},
		"state": {item("cidr", "203.0.0.0/16", ""), item("cidr", "::/0", "")},
	})
	cases := []struct {
		obs  notify.Observable
		want map[string]string // "org value" -> reason
	}{
		{notify.Observable{Type: "ipv4-addr", Value: "203.0.113.7"}, map[string]string{
			"county 203.0.113.0/24": "address 203.0.113.7 is in your network 203.0.113.0/24",
			"state 203.0.0.0/16":    "address 203.0.113.7 is in your network 203.0.0.0/16",
			"state ::/0":            "address 203.0.113.7 is in your network ::/0",
		}},
		{notify.Observable{Type: "ipv6-addr", Value: "::ffff:203.0.113.7"}, map[string]string{
			"county 203.0.113.0/24": "address ::ffff:203.0.113.7 is in your network 203.0.113.0/24",
			"state 203.0.0.0/16":    "address ::ffff:203.0.113.7 is in your network 203.0.0.0/16",
			"state ::/0":            "address ::ffff:203.0.113.7 is in your network ::/0",
		}},
		{notify.Observable{Type: "ipv4-addr", Value: "203.0.113.128/25", Op: "ISSUBSET"}, map[string]string{
			"county 203.0.113.0/24": "network 203.0.113.128/25 is in your network 203.0.113.0/24",
			"state 203.0.0.0/16":    "network 203.0.113.128/25 is in your network 203.0.0.0/16",
			"state ::/0":            "network 203.0.113.128/25 is in your network ::/0",
		}},
		{notify.Observable{Type: "ipv4-addr", Value: "203.0.0.0/8", Op: "ISSUBSET"}, map[string]string{
			"county 203.0.113.0/24": "your network 203.0.113.0/24 is in network 203.0.0.0/8",
			"state 203.0.0.0/16":    "your network 203.0.0.0/16 is in network 203.0.0.0/8",
			"state ::/0":            "network 203.0.0.0/8 is in your network ::/0",
		}},
		{notify.Observable{Type: "ipv4-addr", Value: "203.0.113.0/24"}, map[string]string{
			"county 203.0.113.0/24": "network 203.0.113.0/24 is your network 203.0.113.0/24",
			"state 203.0.0.0/16":    "network 203.0.113.0/24 is in your network 203.0.0.0/16",
			"state ::/0":            "network 203.0.113.0/24 is in your network ::/0",
		}},
		{notify.Observable{Type: "ipv6-addr", Value: "2001:db8:1:2::1"}, map[string]string{
			"county 2001:db8:1::/48": "address 2001:db8:1:2::1 is in your network 2001:db8:1::/48",
			"state ::/0":             "address 2001:db8:1:2::1 is in your network ::/0",
		}},
		{notify.Observable{Type: "ipv4-addr", Value: "203.0.113.7", Op: "LIKE"}, nil},
		{notify.Observable{Type: "domain-name", Value: "Mail.County.Example."}, map[string]string{
			"county county.example": "domain mail.county.example is under your domain county.example",
		}},
		{notify.Observable{Type: "domain-name", Value: "badcounty.example"}, nil},
		{notify.Observable{Type: "domain-name", Value: "county.example"}, map[string]string{
			"county county.example": "domain county.example is your domain county.example",
		}},
		{notify.Observable{Type: "domain-name", Value: "mail.example"}, map[string]string{
			"county mail.example": "domain mail.example is your e-mail domain mail.example",
		}},
		{notify.Observable{Type: "domain-name", Value: "sub.mail.example"}, nil}, // e-mail domains do not cover subdomains
		{notify.Observable{Type: "email-addr", Value: "Pat@Mail.Example"}, map[string]string{
			"county mail.example": "e-mail address Pat@Mail.Example is at your e-mail domain mail.example",
		}},
		{notify.Observable{Type: "email-addr", Value: "pat@hr.county.example"}, map[string]string{
			"county county.example": "the domain of e-mail address pat@hr.county.example is under your domain county.example",
		}},
		{notify.Observable{Type: "url", Value: "https://portal.city.example/app/login?u=1"}, map[string]string{
			"county https://portal.city.example/app": "URL https://portal.city.example/app/login?u=1 is under your URL https://portal.city.example/app",
		}},
		{notify.Observable{Type: "url", Value: "https://portal.city.example/application"}, map[string]string{
			"county https://portal.city.example/app": "URL https://portal.city.example/application is on the host of your URL https://portal.city.example/app",
		}},
		{notify.Observable{Type: "url", Value: "HTTP://WWW.County.Example:8080/x"}, map[string]string{
			"county county.example": "the host www.county.example of URL HTTP://WWW.County.Example:8080/x is under your domain county.example",
		}},
		{notify.Observable{Type: "url", Value: "http://198.51.100.80/status/x"}, map[string]string{
			"county http://198.51.100.80/status": "URL http://198.51.100.80/status/x is under your URL http://198.51.100.80/status",
			"state ::/0":                         "the host 198.51.100.80 of URL http://198.51.100.80/status/x is in your network ::/0",
		}},
		{notify.Observable{Type: "url", Value: "http://[2001:db8:1::5]:8443/"}, map[string]string{
			"county 2001:db8:1::/48": "the host 2001:db8:1::5 of URL http://[2001:db8:1::5]:8443/ is in your network 2001:db8:1::/48",
			"state ::/0":             "the host 2001:db8:1::5 of URL http://[2001:db8:1::5]:8443/ is in your network ::/0",
		}},
		{notify.Observable{Type: "domain-name", Value: "portal.city.example"}, map[string]string{
			"county https://portal.city.example/app": "domain portal.city.example is the host of your URL https://portal.city.example/app",
		}},
		{notify.Observable{Type: "autonomous-system", Value: "64500"}, map[string]string{
			"county AS64500": "autonomous system AS64500 is your AS64500",
		}},
		{notify.Observable{Type: "file", Value: "x"}, nil},
	}
	for _, tc := range cases {
		got := reasons(m.Match(tc.obs))
		if tc.want == nil {
			tc.want = map[string]string{}
		}
		if !maps.Equal(got, tc.want) {
			t.Errorf("Match(%+v):\n got  %v\n want %v", tc.obs, got, tc.want)
		}
	}
	// "example" was rejected by Normalize, so Load reported it.
	if err := notify.NewMatcher().Load(world{"x": {item("domain", "example", "")}}.seq); err == nil {
		t.Error("Load accepted a single-label domain")
	}
}

// --- networks: property test against a brute-force oracle ----------------

// canon16 puts a network into the one 128-bit space the matcher uses.
func canon16(p netip.Prefix) netip.Prefix {
	p = p.Masked()
	if p.Addr().Is4() {
		return netip.PrefixFrom(netip.AddrFrom16(p.Addr().As16()), p.Bits()+96)
	}
	return p
}

type netGen struct{ r *rand.Rand }

func (g netGen) addr() netip.Addr {
	switch g.r.IntN(6) {
	case 0:
		return netip.AddrFrom4([4]byte{203, 0, 113, byte(g.r.IntN(256))})
	case 1:
		return netip.AddrFrom4([4]byte{byte(g.r.IntN(256)), byte(g.r.IntN(256)), byte(g.r.IntN(256)), byte(g.r.IntN(256))})
	case 2:
		var b [16]byte
		copy(b[:], []byte{0x20, 0x01, 0x0d, 0xb8})
		b[4], b[15] = byte(g.r.IntN(4)), byte(g.r.IntN(256))
		return netip.AddrFrom16(b)
	case 3:
		var b [16]byte
		for i := range b {
			b[i] = byte(g.r.IntN(256))
		}
		return netip.AddrFrom16(b)
	case 4:
		// IPv4-mapped, written as IPv6.
		return netip.AddrFrom16(netip.AddrFrom4([4]byte{203, 0, 113, byte(g.r.IntN(256))}).As16())
	}
	edges := []netip.Addr{netip.MustParseAddr("0.0.0.0"), netip.MustParseAddr("255.255.255.255"),
		netip.MustParseAddr("::"), netip.MustParseAddr("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
		netip.MustParseAddr("::ffff:0.0.0.0"), netip.MustParseAddr("::fffe:ffff:ffff")}
	return edges[g.r.IntN(len(edges))]
}

func (g netGen) prefix() netip.Prefix {
	a := g.addr()
	n := a.BitLen()
	var bits int
	switch g.r.IntN(5) {
	case 0:
		bits = []int{0, 1, n - 1, n}[g.r.IntN(4)]
	case 1:
		if n == 128 {
			bits = []int{95, 96, 97, 120, 127, 48, 32}[g.r.IntN(7)]
		} else {
			bits = []int{8, 16, 23, 24, 25, 31}[g.r.IntN(6)]
		}
	case 2:
		bits = g.r.IntN(n + 1)
	default:
		bits = n/2 + g.r.IntN(n/2+1)
	}
	p, _ := a.Prefix(bits)
	return p
}

// neighbours returns addresses at and around a network's edges.
func neighbours(p netip.Prefix) []netip.Addr {
	first := p.Masked().Addr()
	last := first
	for range (1 << min(p.Addr().BitLen()-p.Bits(), 8)) - 1 {
		if n := last.Next(); n.IsValid() {
			last = n
		}
	}
	out := []netip.Addr{first, last}
	if a := first.Prev(); a.IsValid() {
		out = append(out, a)
	}
	if a := last.Next(); a.IsValid() {
		out = append(out, a)
	}
	return out
}

// netOracle answers by brute force over a world's networks, parsed once.
type netOracle []oracleNet

type oracleNet struct {
	key string
	p   netip.Prefix // canonical
}

func newNetOracle(w world) netOracle {
	var o netOracle
	for org, items := range w {
		for _, it := range items {
			if it.Kind == notify.KindCIDR {
				o = append(o, oracleNet{key: org + "|cidr|" + it.Value, p: canon16(netip.MustParsePrefix(it.Value))})
			}
		}
	}
	return o
}

// hits lists what overlaps obs, or contains it when it is an address.
func (o netOracle) hits(obs netip.Prefix, address bool) []string {
	q := canon16(obs)
	var out []string
	for _, n := range o {
		hit := n.p.Overlaps(q)
		if address {
			hit = n.p.Contains(q.Addr())
		}
		if hit {
			out = append(out, n.key)
		}
	}
	slices.Sort(out)
	return out
}

func randomNetWorld(r *rand.Rand, g netGen, orgs, perOrg int) world {
	w := world{}
	for o := range orgs {
		org := fmt.Sprintf("org%d", o)
		seen := map[string]bool{}
		for range perOrg {
			p := g.prefix()
			if r.IntN(4) == 0 && p.Bits() > 0 {
				// An adjacent network: the sibling of p.
				a := p.Addr().As16()
				bit := p.Bits() - 1
				if p.Addr().Is4() {
					b4 := p.Addr().As4()
					b4[bit/8] ^= 1 << (7 - bit%8)
					p = netip.PrefixFrom(netip.AddrFrom4(b4), p.Bits())
				} else {
					a[bit/8] ^= 1 << (7 - bit%8)
					p = netip.PrefixFrom(netip.AddrFrom16(a), p.Bits())
				}
			}
			n, _, err := notify.Normalize(item("cidr", p.String(), ""))
			if err != nil || seen[n.Value] {
				continue
			}
			seen[n.Value] = true
			w[org] = append(w[org], n)
		}
	}
	return w
}

func TestMatchNetworksProperty(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(7, 8))
	g := netGen{r}
	for round := range 25 {
		w := randomNetWorld(r, g, 1+r.IntN(6), r.IntN(60))
		m := buildMatcher(t, w)
		oracle := newNetOracle(w)
		var probes []netip.Prefix
		for _, items := range w {
			for _, it := range items {
				p := netip.MustParsePrefix(it.Value)
				probes = append(probes, p)
				for _, a := range neighbours(p) {
					probes = append(probes, netip.PrefixFrom(a, a.BitLen()))
				}
			}
		}
		for range 200 {
			probes = append(probes, g.prefix())
			a := g.addr()
			probes = append(probes, netip.PrefixFrom(a, a.BitLen()))
		}
		for _, q := range probes {
			address := q.Bits() == q.Addr().BitLen()
			value := q.String()
			if address {
				value = q.Addr().String()
			}
			typ := "ipv4-addr"
			if q.Addr().Is6() {
				typ = "ipv6-addr"
			}
			got := hitKeys(m.Match(notify.Observable{Type: typ, Value: value, Op: "ISSUBSET"}))
			want := oracle.hits(q, address)
			if !slices.Equal(got, want) {
				t.Fatalf("round %d, %s %s:\n got  %v\n want %v\n world %v", round, typ, value, got, want, w)
			}
			// The same address written IPv4-mapped matches the same.
			if address && q.Addr().Is4() {
				mapped := netip.AddrFrom16(q.Addr().As16()).String()
				if got6 := hitKeys(m.Match(notify.Observable{Type: "ipv6-addr", Value: mapped})); !slices.Equal(got6, want) {
					t.Fatalf("round %d, %s: got %v, want %v", round, mapped, got6, want)
				}
			}
		}
	}
}

// TestMatchNetworksLarge is the property test on a world large enough for
// the IPv4 array's /16 bucket table.
func TestMatchNetworksLarge(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(15, 16))
	g := netGen{r}
	w := randomNetWorld(r, g, 4, 6000)
	m := buildMatcher(t, w)
	v4 := 0
	for _, items := range w {
		for _, it := range items {
			if netip.MustParsePrefix(it.Value).Addr().Is4() {
				v4++
			}
		}
	}
	if v4 < 4096 {
		t.Fatalf("only %d IPv4 networks; the test needs the bucket table", v4)
	}
	oracle := newNetOracle(w)
	for range 300 {
		q := g.prefix()
		if r.IntN(2) == 0 {
			a := g.addr()
			q = netip.PrefixFrom(a, a.BitLen())
		}
		got := hitKeys(m.Match(notify.Observable{Type: "ipv4-addr", Value: q.String(), Op: "ISSUBSET"}))
		if want := oracle.hits(q, q.Bits() == q.Addr().BitLen()); !slices.Equal(got, want) {
			t.Fatalf("%s:\n got  %d hits\n want %d", q, len(got), len(want))
		}
	}
}

// TestMatcherUpdatesProperty applies random updates and checks after each
// that the matcher answers as one built from scratch from the same
// inventories would, through the delta, tombstones and rebuilds.
func TestMatcherUpdatesProperty(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(9, 10))
	g := netGen{r}
	w := randomNetWorld(r, g, 4, 40)
	m := buildMatcher(t, w)
	orgs := []string{"org0", "org1", "org2", "org3", "org4"}
	var probes []netip.Prefix
	for range 100 {
		probes = append(probes, g.prefix())
		a := g.addr()
		probes = append(probes, netip.PrefixFrom(a, a.BitLen()))
	}
	check := func(step int) {
		t.Helper()
		oracle := newNetOracle(w)
		for _, q := range probes {
			// A full-length network overlaps exactly what contains it.
			got := hitKeys(m.Match(notify.Observable{Type: "ipv6-addr", Value: q.String()}))
			if want := oracle.hits(q, false); !slices.Equal(got, want) {
				t.Fatalf("step %d, %s:\n got  %v\n want %v", step, q, got, want)
			}
		}
	}
	rebuilt := false
	for step := range 45 {
		org := orgs[r.IntN(len(orgs))]
		op := r.IntN(4)
		big := r.IntN(8) == 0
		if step == 10 || step == 30 {
			// Large enough to pass the delta's limit and rebuild the base.
			op, big = 1, true
		}
		switch op {
		case 0: // replace
			nw := randomNetWorld(r, g, 1, r.IntN(40))
			w[org] = nw["org0"]
			if err := m.SetOrg(org, w[org]); err != nil {
				t.Fatal(err)
			}
		case 1: // add, sometimes many, to force a rebuild
			n := 1 + r.IntN(5)
			if big {
				n = 3000
			}
			nw := randomNetWorld(r, g, 1, n)
			have := map[notify.Item]bool{}
			for _, it := range w[org] {
				have[it] = true
			}
			for _, it := range nw["org0"] {
				if !have[it] {
					w[org] = append(w[org], it)
					have[it] = true
				}
			}
			if err := m.Add(org, nw["org0"]...); err != nil {
				t.Fatal(err)
			}
		case 2: // remove some
			var gone []notify.Item
			var kept []notify.Item
			for _, it := range w[org] {
				if r.IntN(3) == 0 {
					gone = append(gone, it)
				} else {
					kept = append(kept, it)
				}
			}
			w[org] = kept
			if err := m.Remove(org, gone...); err != nil {
				t.Fatal(err)
			}
		case 3: // remove the organization
			delete(w, org)
			if err := m.SetOrg(org, nil); err != nil {
				t.Fatal(err)
			}
		}
		check(step)
		st := m.Stats()
		n := 0
		for _, items := range w {
			n += len(items)
		}
		if st.Entries != n {
			t.Fatalf("step %d: stats say %d entries, the world has %d", step, st.Entries, n)
		}
		rebuilt = rebuilt || st.Base > 1024
	}
	if !rebuilt {
		t.Error("no update was large enough to rebuild the base")
	}
}

// --- names: property test against an oracle -------------------------------

func TestMatchNamesProperty(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(11, 12))
	labels := []string{"a", "b", "mail", "county", "badcounty", "example", "gov", "xn--bcher-kva", "x-y", "_dmarc"}
	name := func(n int) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = labels[r.IntN(len(labels))]
		}
		return strings.Join(parts, ".")
	}
	for round := range 40 {
		w := world{}
		for o := range 1 + r.IntN(5) {
			org := fmt.Sprintf("org%d", o)
			seen := map[notify.Item]bool{}
			for range r.IntN(25) {
				kinds := []string{"domain", "domain", "email-domain", "url"}
				kind := kinds[r.IntN(len(kinds))]
				value := name(2 + r.IntN(3))
				if kind == "url" {
					value = "https://" + value + "/p"
				}
				it, _, err := notify.Normalize(item(kind, value, ""))
				if err != nil || seen[it] {
					continue
				}
				seen[it] = true
				w[org] = append(w[org], it)
			}
		}
		m := buildMatcher(t, w)
		for range 300 {
			obs := name(1 + r.IntN(5))
			shown := obs
			if r.IntN(3) == 0 {
				shown = strings.ToUpper(obs) + "."
			}
			got := hitKeys(m.Match(notify.Observable{Type: "domain-name", Value: shown}))
			var want []string
			for org, items := range w {
				for _, it := range items {
					var hit bool
					switch it.Kind {
					case notify.KindDomain:
						hit = obs == it.Value || strings.HasSuffix(obs, "."+it.Value)
					case notify.KindEmailDomain:
						hit = obs == it.Value
					case notify.KindURL:
						hit = it.Value == "https://"+obs+"/p"
					}
					if hit {
						want = append(want, org+"|"+string(it.Kind)+"|"+it.Value)
					}
				}
			}
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Fatalf("round %d, domain %q:\n got  %v\n want %v\n world %v", round, shown, got, want, w)
			}
		}
	}
}

// TestMatchConcurrent runs matches while inventories change, for the race
// detector.
func TestMatchConcurrent(t *testing.T) {
	t.Parallel()
	m := buildMatcher(t, world{"a": {item("cidr", "10.0.0.0/8", ""), item("domain", "a.example", "")}})
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if len(m.Match(notify.Observable{Type: "ipv4-addr", Value: "10.1.2.3"})) == 0 {
					t.Error("10.1.2.3 stopped matching")
					return
				}
				m.Match(notify.Observable{Type: "domain-name", Value: "x.b.example"})
			}
		}()
	}
	for i := range 300 {
		items := []notify.Item{item("cidr", fmt.Sprintf("192.0.2.%d", i%256), ""), item("domain", "b.example", "")}
		if err := m.SetOrg(fmt.Sprintf("org%d", i%7), items); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
}
