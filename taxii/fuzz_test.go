package taxii_test

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/rampart-project/rampart/taxii"
)

// FuzzAccept checks that header parsing never panics and that its answers
// hang together: a header never turns acceptable by appending an element
// that refuses everything, and listing the exact TAXII type with q=1 after a
// header that mentions no TAXII-specific range makes it acceptable.
func FuzzAccept(f *testing.F) {
	for _, s := range []string{
		"", taxii.MediaTypeTAXII, "application/taxii+json", "*/*", "application/*;q=0",
		"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
		`application/taxii+json;x="a,\"b";version=2.1;q=0.5`, "a/b;;;c=d;q=1.000", `"`, `\`, ";,;",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, accept string) {
		got := taxii.AcceptsTAXII(accept)
		if again := taxii.AcceptsTAXII(accept); again != got {
			t.Fatalf("AcceptsTAXII(%q) is not deterministic", accept)
		}
		taxii.IsTAXIIContentType(accept)

		// An unbalanced quote would swallow what follows, so the
		// properties below hold only for headers with balanced quotes.
		if strings.Count(accept, `"`)%2 != 0 || strings.Contains(accept, `\`) {
			return
		}
		if strings.TrimSpace(accept) != "" && !got && taxii.AcceptsTAXII(accept+", text/x-none;q=0") {
			t.Errorf("appending a refusal made %q acceptable", accept)
		}
		lower := strings.ToLower(accept)
		if !strings.Contains(lower, "taxii") && !strings.Contains(lower, "*") {
			if !taxii.AcceptsTAXII(accept + "," + taxii.MediaTypeTAXII) {
				t.Errorf("%q followed by %s is not acceptable", accept, taxii.MediaTypeTAXII)
			}
		}
	})
}

// FuzzParseFilter checks that ParseFilter never panics and that a filter
// it accepts survives Values and ParseFilter unchanged.
func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{
		"",
		"added_after=2016-01-01T01:01:01.123456Z&limit=10&next=abc",
		"match[type]=indicator,malware&match[type]=report",
		"match[id]=indicator--cd981c25-8042-4166-8945-51178443bdac",
		"match[version]=first,last,all,2016-01-01T00:00:00.000Z&match[spec_version]=2.0,2.1",
		"match[foo]=bar", "limit=-1", "limit=+1", "added_after=2016-12-31T23:59:60.5Z",
		"match[type]=a,,b", "added_after=2016-01-01T00:00:00.1234567891Z",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		flt, err := taxii.ParseFilter(q)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		back, err := taxii.ParseFilter(flt.Values())
		if err != nil {
			t.Fatalf("ParseFilter(%q) = %+v, whose Values %q do not parse: %v", raw, flt, flt.Values().Encode(), err)
		}
		if !filtersEqual(flt, back) {
			t.Fatalf("round trip of %q: %+v became %+v", raw, flt, back)
		}
	})
}

func filtersEqual(a, b taxii.Filter) bool {
	return a.AddedAfter.Equal(b.AddedAfter) && a.Limit == b.Limit && a.Next == b.Next &&
		slices.Equal(a.IDs, b.IDs) && slices.Equal(a.Types, b.Types) &&
		slices.Equal(a.Versions, b.Versions) && slices.Equal(a.SpecVersions, b.SpecVersions)
}
