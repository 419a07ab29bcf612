package taxiiserver_test

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/rampart-project/rampart/internal/platform/access"
	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/db/dbtest"
	"github.com/rampart-project/rampart/internal/platform/identity"
	taxiiserver "github.com/rampart-project/rampart/internal/taxii"
	"github.com/rampart-project/rampart/stix"
	"github.com/rampart-project/rampart/taxii"
)

// Object ids of the visibility test: green is the state's, shared with
// the community; amberState is the state's, shared with no one else;
// red is addressed to nobody; amberCounty is the county's, shared with
// the community.
var (
	greenID       = "indicator--" + uuid(1, 1)
	amberStateID  = "indicator--" + uuid(1, 2)
	redID         = "indicator--" + uuid(1, 3)
	amberCountyID = "indicator--" + uuid(1, 4)
)

func visibilityWorld(e *env) {
	e.t.Helper()
	const v = "2026-01-01T00:00:00.000Z"
	e.ingest(e.stateAnalyst, e.shared, nil, indicator(uuid(1, 1), v, "198.51.100.1"))
	e.ingest(e.stateAnalyst, e.shared, []access.Grant{{Kind: access.GrantOrg, ID: e.state.ID}},
		indicator(uuid(1, 2), v, "198.51.100.2", stix.TLP2AmberID))
	e.ingest(e.stateAnalyst, e.shared, nil, indicator(uuid(1, 3), v, "198.51.100.3", stix.TLP2RedID))
	e.ingest(e.county1, e.shared, nil, indicator(uuid(1, 4), v, "198.51.100.4", stix.TLP2AmberID))
	e.ingest(e.stateAnalyst, e.inbox, nil, indicator(uuid(1, 5), v, "198.51.100.5"))
}

func TestObjectsShowOnlyWhatTheCallerMaySee(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, taxiiserver.Options{})
		visibilityWorld(e)
		objects := objectsPath(e.shared)
		manifest := collPath(e.shared) + "manifest/"
		e.run([]scenario{
			{name: "county", req: request{method: "GET", path: objects, as: e.county1}, status: 200,
				must: []string{greenID, amberCountyID, `"more":false`}, mustNot: []string{amberStateID, redID, `"next"`}},
			{name: "another user of the state: not the RED one", req: request{method: "GET", path: objects, as: e.stateAdmin}, status: 200,
				must: []string{greenID, amberStateID, amberCountyID}, mustNot: []string{redID}},
			{name: "the RED object's creator", req: request{method: "GET", path: objects, as: e.stateAnalyst}, status: 200,
				must: []string{greenID, amberStateID, redID, amberCountyID}},
			{name: "outside the community", req: request{method: "GET", path: objects, as: e.companyAdmin}, status: 404,
				mustNot: []string{greenID, "Election"}},
			{name: "inbox: members write but do not read", req: request{method: "GET", path: objectsPath(e.inbox), as: e.county1}, status: 403,
				mustNot: []string{"198.51.100.5"}},
			{name: "inbox: its owner reads", req: request{method: "GET", path: objectsPath(e.inbox), as: e.stateAdmin}, status: 200,
				must: []string{"198.51.100.5"}},
			{name: "inbox manifest is not readable either", req: request{method: "GET", path: collPath(e.inbox) + "manifest/", as: e.companyAdmin}, status: 403},
			{name: "manifest", req: request{method: "GET", path: manifest, as: e.county1}, status: 200,
				must:    []string{greenID, amberCountyID, `"media_type":"application/stix+json;version=2.1"`, `"version":"2026-01-01T00:00:00.000Z"`},
				mustNot: []string{amberStateID, redID}},
			{name: "one visible object", req: request{method: "GET", path: objects + greenID + "/", as: e.county1}, status: 200,
				must: []string{greenID}},
			// Stored unmarked, GREEN by the collection's default: the
			// marking travels with it, so a receiver cannot take it for
			// an unmarked object.
			{name: "an object's TLP travels with it", req: request{method: "GET", path: objects + greenID + "/", as: e.county1}, status: 200,
				must: []string{`"object_marking_refs":["` + stix.TLP2GreenID + `"]`}},
			{name: "hidden AMBER object", req: request{method: "GET", path: objects + amberStateID + "/", as: e.county1}, status: 404,
				mustNot: []string{"198.51.100.2"}},
			{name: "hidden RED object", req: request{method: "GET", path: objects + redID + "/", as: e.stateAdmin}, status: 404},
			{name: "hidden RED object's versions", req: request{method: "GET", path: objects + redID + "/versions/", as: e.county1}, status: 404},
			{name: "visible object's versions", req: request{method: "GET", path: objects + greenID + "/versions/", as: e.county1}, status: 200,
				must: []string{`"versions":["2026-01-01T00:00:00.000Z"]`}},
			{name: "object in another collection", req: request{method: "GET", path: objects + "indicator--" + uuid(1, 5) + "/", as: e.stateAdmin}, status: 404},
			{name: "not an id", req: request{method: "GET", path: objects + "nonsense/", as: e.county1}, status: 404},
			{name: "anonymous", req: request{method: "GET", path: objects}, status: 401, mustNot: []string{greenID}},
			{name: "not acceptable", req: request{method: "GET", path: objects, as: e.county1, accept: "application/stix+json;version=2.1"}, status: 406,
				mustNot: []string{greenID}},
		})
	})
}

// page is one listing response, decoded.
type page struct {
	More     bool     `json:"more"`
	Next     string   `json:"next"`
	Objects  []objRef `json:"objects"`
	Versions []string `json:"versions"`
	first    string   // X-TAXII-Date-Added-First
	last     string   // X-TAXII-Date-Added-Last
}

// objRef is what the tests compare of an object: decoding only these
// keeps paging through thousands of objects quick under the race detector.
type objRef struct {
	ID       string `json:"id"`
	Modified string `json:"modified"`
}

func (e *env) page(u *identity.User, path string, q url.Values) page {
	e.t.Helper()
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var p page
	h := e.get(u, path, &p)
	p.first, p.last = h.Get(taxii.HeaderDateAddedFirst), h.Get(taxii.HeaderDateAddedLast)
	return p
}

func ids(objs []objRef) []string {
	var out []string
	for _, o := range objs {
		out = append(out, o.ID+"@"+o.Modified)
	}
	return out
}

func TestPagingThroughThousandsOfObjects(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, taxiiserver.Options{})
		const n = 2500
		objs := make([]string, n)
		for i := range objs {
			objs[i] = indicator(uuid(2, i), "2026-01-01T00:00:00.000Z", "10.0."+strconv.Itoa(i/250)+"."+strconv.Itoa(i%250))
		}
		e.ingest(e.stateAnalyst, e.bulk, nil, objs...)
		path := objectsPath(e.bulk)

		// With next.
		var all []string
		var lastHeader string
		q := url.Values{"limit": {"1000"}}
		for i := 0; ; i++ {
			p := e.page(e.county1, path, q)
			want := min(1000, n-1000*i)
			if len(p.Objects) != want {
				t.Fatalf("page %d: %d objects, want %d", i, len(p.Objects), want)
			}
			if p.first == "" || p.last == "" || p.first > p.last || p.first <= lastHeader {
				t.Errorf("page %d: headers first %q last %q after %q", i, p.first, p.last, lastHeader)
			}
			lastHeader = p.last
			all = append(all, ids(p.Objects)...)
			if !p.More {
				if p.Next != "" {
					t.Errorf("last page has next %q", p.Next)
				}
				break
			}
			if p.Next == "" {
				t.Fatalf("page %d: more without next", i)
			}
			q.Set("next", p.Next)
		}
		checkComplete(t, "next", all, n)

		// With added_after from the last header, as the specification's
		// example pages. Every object has one version, so "all" lists the
		// same records as the default "last", for less work.
		var byDate []string
		q = url.Values{"limit": {"1000"}, "match[version]": {"all"}}
		for {
			p := e.page(e.county1, path, q)
			byDate = append(byDate, ids(p.Objects)...)
			if !p.More {
				break
			}
			q.Set("added_after", p.last)
		}
		checkComplete(t, "added_after", byDate, n)
		if !slices.Equal(all, byDate) {
			t.Error("next and added_after page in different orders")
		}

		// The server's page size bounds every page.
		for _, limit := range []string{"", "5000"} {
			q := url.Values{}
			if limit != "" {
				q.Set("limit", limit)
			}
			if p := e.page(e.county1, path, q); len(p.Objects) != taxiiserver.DefaultPageSize || !p.More || p.Next == "" {
				t.Errorf("limit %q: %d objects, more %v", limit, len(p.Objects), p.More)
			}
		}
		if p := e.page(e.county1, path, url.Values{"limit": {"7"}}); len(p.Objects) != 7 || !slices.Equal(ids(p.Objects), all[:7]) {
			t.Errorf("limit 7: %v", ids(p.Objects))
		}

		// The manifest pages the same way.
		var records []string
		q = url.Values{"limit": {"900"}, "match[version]": {"all"}}
		for {
			var m struct {
				More    bool                   `json:"more"`
				Next    string                 `json:"next"`
				Objects []taxii.ManifestRecord `json:"objects"`
			}
			mp := collPath(e.bulk) + "manifest/?" + q.Encode()
			e.get(e.county1, mp, &m)
			for _, r := range m.Objects {
				records = append(records, r.ID+"@"+r.Version)
			}
			if !m.More {
				break
			}
			q.Set("next", m.Next)
		}
		if !slices.Equal(records, all) {
			t.Errorf("manifest paging: %d records, differ from the objects", len(records))
		}

		// A token belongs to its query.
		p := e.page(e.county1, path, url.Values{"limit": {"10"}})
		e.run([]scenario{
			{name: "token with other filters", req: request{method: "GET", path: path + "?match[type]=malware&next=" + p.Next, as: e.county1}, status: 400,
				must: []string{"next"}},
			{name: "token of the objects on the manifest", req: request{method: "GET", path: collPath(e.bulk) + "manifest/?next=" + p.Next, as: e.county1}, status: 400},
			{name: "forged token", req: request{method: "GET", path: path + "?next=AAAAAAAAAAAAAAAAAA", as: e.county1}, status: 400},
			{name: "token with another limit", req: request{method: "GET", path: path + "?limit=3&next=" + p.Next, as: e.county1}, status: 200,
				must: []string{strings.Split(all[10], "@")[0]}, mustNot: []string{strings.Split(all[9], "@")[0]}},
		})
	})
}

func checkComplete(t *testing.T, how string, got []string, n int) {
	t.Helper()
	if len(got) != n {
		t.Errorf("%s: %d objects, want %d", how, len(got), n)
	}
	seen := map[string]bool{}
	for _, id := range got {
		if seen[id] {
			t.Errorf("%s: %s twice", how, id)
		}
		seen[id] = true
	}
}
