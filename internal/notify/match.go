package notify

import (
	"fmt"
	"net/netip"
	"strings"
)

// Observable is one value a piece of intelligence names: a STIX cyber
// observable's type and value, with the pattern operator that relates them.
type Observable struct {
	// Type is ipv4-addr, ipv6-addr, domain-name, url, email-addr,
	// autonomous-system or software.
	Type string `json:"type"`
	// Value is an address or a network in CIDR notation, a name, a URL, an
	// e-mail address, an AS number (64500 or AS64500), or a CPE 2.3 name
	// or package URL.
	Value string `json:"value"`
	// Op is the pattern's operator: "" or = (the value itself), ISSUBSET
	// (any address in the network Value) or ISSUPERSET (a network that
	// contains Value). Every other operator matches nothing: LIKE and
	// MATCHES cannot be answered from an index.
	Op string `json:"op,omitempty"`
}

// Hit is an organization an observable or a vulnerability concerns.
type Hit struct {
	OrgID string `json:"org_id"`
	// Item is the organization's inventory entry as stored.
	Item Item `json:"item"`
	// Reason says in a sentence why, for the notification.
	Reason string `json:"reason"`
	// Uncertain marks a software hit that depends on what the inventory
	// does not say (no version, or an attribute the vulnerability
	// constrains left open).
	Uncertain bool `json:"uncertain,omitempty"`
}

// Match returns every inventory entry the observable concerns, one Hit per
// organization and entry.
func (m *Matcher) Match(obs Observable) []Hit {
	return m.AppendMatches(nil, obs)
}

// AppendMatches is Match appending to dst, so a caller matching many
// observables can reuse one slice.
func (m *Matcher) AppendMatches(dst []Hit, obs Observable) []Hit {
	return m.snap.Load().match(dst, obs)
}

func (s *snapshot) match(dst []Hit, obs Observable) []Hit {
	switch strings.ToUpper(obs.Op) {
	case "", "=", "==", "IN", "ISSUBSET", "ISSUPERSET":
	default:
		return dst
	}
	value := strings.TrimSpace(obs.Value)
	switch obs.Type {
	case "ipv4-addr", "ipv6-addr":
		return s.matchNetwork(dst, value)
	case "domain-name":
		return s.matchName(dst, normName(value), nameDomain, value)
	case "email-addr":
		at := strings.LastIndexByte(value, '@')
		if at < 0 {
			return dst
		}
		return s.matchName(dst, normName(value[at+1:]), nameEmail, value)
	case "url":
		return s.matchURL(dst, value)
	case "autonomous-system":
		return s.matchASN(dst, value)
	case "software":
		return s.matchSoftwareName(dst, value)
	}
	return dst
}

// normName folds a name as inventory names are folded; it allocates only
// when there is upper case.
func normName(s string) string {
	s = strings.TrimSuffix(strings.TrimSpace(s), ".")
	s = strings.TrimPrefix(s, "*.")
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}

func (s *snapshot) hit(dst []Hit, id int32, reason string) []Hit {
	e := &s.entries[id]
	return append(dst, Hit{OrgID: s.orgs[e.org], Item: e.item(), Reason: reason})
}

// matchNetwork matches an address or network value.
func (s *snapshot) matchNetwork(dst []Hit, value string) []Hit {
	if strings.Contains(value, "/") {
		p, err := netip.ParsePrefix(value)
		if err != nil {
			return dst
		}
		return s.matchPrefix(dst, p.Masked(), "")
	}
	a, err := netip.ParseAddr(value)
	if err != nil {
		return dst
	}
	return s.matchPrefix(dst, netip.PrefixFrom(a.WithZone(""), a.BitLen()), "")
}

// matchPrefix matches a network, or an address as a full-length network;
// via, when set, is the URL whose host the address is. Texts for reasons
// are made only for hits: this runs for every address observed.
func (s *snapshot) matchPrefix(dst []Hit, p netip.Prefix, via string) []Hit {
	q, ok := netKeyOf(p)
	if !ok {
		return dst
	}
	address := p.Bits() == p.Addr().BitLen()
	shown := func() string {
		if address {
			return p.Addr().String()
		}
		return p.String()
	}
	for _, x := range s.indexes() {
		x.nets.overlaps(q, address, func(id int32, rel netRel) {
			if s.removed(id) {
				return
			}
			inv := s.entries[id].value()
			var reason string
			switch {
			case via != "":
				reason = fmt.Sprintf("the host %s of URL %s is in your network %s", shown(), clip(via), inv)
			case address:
				reason = fmt.Sprintf("address %s is in your network %s", shown(), inv)
			case rel == relEqual:
				reason = fmt.Sprintf("network %s is your network %s", shown(), inv)
			case rel == relContains:
				reason = fmt.Sprintf("network %s is in your network %s", shown(), inv)
			default:
				reason = fmt.Sprintf("your network %s is in network %s", inv, shown())
			}
			dst = s.hit(dst, id, reason)
		})
	}
	return dst
}

// nameSource says what kind of observable a name came from.
type nameSource uint8

const (
	nameDomain nameSource = iota // a domain-name
	nameEmail                    // the domain of an email-addr
	nameURL                      // the host of a url
)

// matchName walks name and each parent at label boundaries. Domain entries
// match the name and its subdomains; e-mail domains and URL hosts only the
// name itself. raw is the observed value, for the reason.
func (s *snapshot) matchName(dst []Hit, name string, src nameSource, raw string) []Hit {
	return s.matchNameURL(dst, name, src, raw, urlParts{})
}

func (s *snapshot) matchNameURL(dst []Hit, name string, src nameSource, raw string, obsURL urlParts) []Hit {
	if name == "" {
		return dst
	}
	for _, x := range s.indexes() {
		for n := name; ; {
			for l := x.names.first(n); l >= 0; l = x.names.links[l].next {
				id := x.names.links[l].entry
				if s.removed(id) {
					continue
				}
				if r := nameReason(s.entries[id].item(), n == name, src, name, raw, obsURL); r != "" {
					dst = s.hit(dst, id, r)
				}
			}
			// Parents only while they have two labels: the inventory never
			// holds a single label, and the look-up of "com" is a cache
			// miss per observable.
			i := strings.IndexByte(n, '.')
			if i < 0 || strings.IndexByte(n[i+1:], '.') < 0 {
				break
			}
			n = n[i+1:]
		}
	}
	return dst
}

func nameReason(inv Item, exact bool, src nameSource, name, raw string, obsURL urlParts) string {
	raw = clip(raw)
	switch inv.Kind {
	case KindDomain:
		rel := "is under"
		if exact {
			rel = "is"
		}
		switch src {
		case nameEmail:
			return fmt.Sprintf("the domain of e-mail address %s %s your domain %s", raw, rel, inv.Value)
		case nameURL:
			return fmt.Sprintf("the host %s of URL %s %s your domain %s", name, raw, rel, inv.Value)
		}
		return fmt.Sprintf("domain %s %s your domain %s", name, rel, inv.Value)
	case KindEmailDomain:
		if !exact {
			return ""
		}
		switch src {
		case nameEmail:
			return fmt.Sprintf("e-mail address %s is at your e-mail domain %s", raw, inv.Value)
		case nameDomain:
			return fmt.Sprintf("domain %s is your e-mail domain %s", name, inv.Value)
		}
	case KindURL:
		if !exact {
			return ""
		}
		switch src {
		case nameURL:
			if invURL, ok := splitURL(inv.Value); ok && underURL(obsURL, invURL) {
				return fmt.Sprintf("URL %s is under your URL %s", raw, inv.Value)
			}
			return fmt.Sprintf("URL %s is on the host of your URL %s", raw, inv.Value)
		case nameDomain:
			return fmt.Sprintf("domain %s is the host of your URL %s", name, inv.Value)
		}
	}
	return ""
}

func (s *snapshot) matchURL(dst []Hit, value string) []Hit {
	u, ok := splitURL(value)
	if !ok {
		return dst
	}
	if ipLiteral(u.host) {
		a, err := netip.ParseAddr(u.host)
		if err != nil {
			return dst
		}
		a = a.WithZone("")
		dst = s.matchPrefix(dst, netip.PrefixFrom(a, a.BitLen()), value)
		// URL entries with an IP host are filed under the address's
		// canonical text.
		return s.matchNameURL(dst, a.Unmap().String(), nameURL, value, u)
	}
	return s.matchNameURL(dst, u.host, nameURL, value, u)
}

// ipLiteral tells an address from a name without the allocation of a
// failed netip.ParseAddr: IPv6 has colons, IPv4 only digits and dots.
func ipLiteral(h string) bool {
	if strings.IndexByte(h, ':') >= 0 {
		return true
	}
	for i := 0; i < len(h); i++ {
		if c := h[i]; c != '.' && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

func (s *snapshot) matchASN(dst []Hit, value string) []Hit {
	n, ok := parseASN(value)
	if !ok {
		return dst
	}
	for _, x := range s.indexes() {
		for l := x.asns.first(n); l >= 0; l = x.asns.links[l].next {
			id := x.asns.links[l].entry
			if s.removed(id) {
				continue
			}
			dst = s.hit(dst, id, fmt.Sprintf("autonomous system AS%d is your %s", n, s.entries[id].value()))
		}
	}
	return dst
}
