package notify_test

import (
	"bytes"
	"testing"

	"github.com/rampart-project/rampart/internal/notify"
)

// checkParsed holds for any input: every item is normalised (normalising
// again changes nothing), lines are in order, and every rejection has a
// line and a reason.
func checkParsed(t *testing.T, p notify.Parsed) {
	t.Helper()
	if len(p.Items) != len(p.Lines) {
		t.Fatalf("%d items, %d lines", len(p.Items), len(p.Lines))
	}
	for i, it := range p.Items {
		again, _, err := notify.Normalize(it)
		if err != nil || again != it {
			t.Fatalf("item %v is not normalised: %v %v", it, again, err)
		}
		if p.Lines[i] < 1 || i > 0 && p.Lines[i] < p.Lines[i-1] {
			t.Fatalf("lines out of order: %v", p.Lines)
		}
	}
	for _, r := range p.Rejected {
		if r.Line < 1 || r.Reason == "" {
			t.Fatalf("rejection %+v", r)
		}
	}
}

func FuzzParseCSV(f *testing.F) {
	f.Add([]byte(mixedCSV))
	f.Add([]byte("kind,value,version\ncpe,cpe:2.3:a:v:p:*:*:*:*:*:*:*:*,1.0\npurl,pkg:npm/x@1,\n"))
	f.Add([]byte("version,kind,value\n,url,https://a.example/\n\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := notify.ParseCSV(bytes.NewReader(data))
		if err == nil {
			checkParsed(t, p)
		}
		// The auto-detecting entry point must not fail differently.
		_, _ = notify.Parse(bytes.NewReader(data))
	})
}

func FuzzParseJSON(f *testing.F) {
	f.Add([]byte(mixedJSON))
	f.Add([]byte(`{"items":[{"kind":"cidr","value":"::/0"}]}`))
	f.Add([]byte(`[{"kind":"asn","value":"1","version":null},[],{}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := notify.ParseJSON(bytes.NewReader(data))
		if err == nil {
			checkParsed(t, p)
		}
	})
}

func FuzzParseCPE(f *testing.F) {
	for _, s := range []string{
		"cpe:2.3:a:microsoft:internet_explorer:8.0.6001:beta:*:*:*:*:*:*",
		`cpe:2.3:a:foo\\bar:big\$money_2010:*:*:*:*:special:ipod_touch:80gb:*`,
		`cpe:2.3:a:v:*p?:??:\-:-:*:*:*:*:*`,
		`cpe:2.3:a:v:p:1\:2:*:*:*:*:*:*:\`,
	} {
		f.Add(s, "cpe:2.3:a:microsoft:internet_explorer:8.0.6001:beta:*:*:*:*:*:*")
	}
	f.Fuzz(func(t *testing.T, s, other string) {
		c, err := notify.ParseCPE(s)
		if err != nil {
			return
		}
		// The canonical form parses back to the same name.
		again, err := notify.ParseCPE(c.String())
		if err != nil || again != c {
			t.Fatalf("%q -> %q -> %v, %v", s, c.String(), again, err)
		}
		if o, err := notify.ParseCPE(other); err == nil {
			c.Match(o)
			o.Match(c)
		}
		// Every name matches itself, certainly, unless it carries
		// wildcards (a pattern is not a name).
		if m, u := c.Match(c); !m && !hasWildcard(c.String()) || m && u {
			t.Fatalf("%s does not match itself: %v %v", c, m, u)
		}
	})
}

func hasWildcard(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '?':
			return true
		case '*':
			// A lone * is ANY, not a wildcard inside a value.
			if (i == 0 || s[i-1] != ':') || (i+1 < len(s) && s[i+1] != ':') {
				return true
			}
		}
	}
	return false
}

// FuzzMatch checks that no observable makes the matcher fail, whatever
// its type, value and operator.
func FuzzMatch(f *testing.F) {
	m := notify.NewMatcher()
	_ = m.Load(world{"a": {
		item("cidr", "0.0.0.0/0", ""), item("cidr", "2001:db8::/32", ""), item("domain", "county.example", ""),
		item("email-domain", "county.example", ""), item("url", "https://portal.county.example/app", ""),
		item("asn", "AS64500", ""), item("cpe", "cpe:2.3:a:apache:http_server:2.4.57:*:*:*:*:*:*:*", ""),
		item("purl", "pkg:npm/lodash@4.17.20", ""),
	}}.seq)
	for _, s := range []string{"203.0.113.7", "::ffff:1.2.3.4/100", "a.county.example.", "pat@county.example",
		"https://x@portal.county.example:443/app?x", "http://[::1", "AS64500", "pkg:npm/lodash", "cpe:2.3:a:apache:*:*:*:*:*:*:*:*:*"} {
		for _, typ := range []string{"ipv4-addr", "domain-name", "url", "email-addr", "autonomous-system", "software"} {
			f.Add(typ, s, "=")
		}
	}
	f.Fuzz(func(t *testing.T, typ, value, op string) {
		for _, h := range m.Match(notify.Observable{Type: typ, Value: value, Op: op}) {
			if h.OrgID != "a" || h.Reason == "" {
				t.Fatalf("hit %+v", h)
			}
		}
		m.MatchSoftware(notify.Affected{
			CPEMatches: []notify.CPEMatch{{Criteria: value, VersionStartIncluding: op, VersionEndExcluding: typ}},
			Products:   []notify.Product{{CPEs: []string{value}, PackageURL: value, DefaultStatus: op, Versions: []notify.ProductVersion{{Version: typ, LessThan: op, Status: "affected"}}}},
			Packages:   []notify.PackageRange{{PURL: value, Versions: op}},
		})
	})
}
