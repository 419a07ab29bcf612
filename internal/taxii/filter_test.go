package taxiiserver_test

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/db/dbtest"
	taxiiserver "github.com/rampart-project/rampart/internal/taxii"
	"github.com/rampart-project/rampart/taxii"
)

// The objects of the filter test: an indicator in three versions, a
// malware and an IPv4 address (a cyber-observable without a version).
var (
	indID     = "indicator--" + uuid(3, 1)
	malwareID = "malware--" + uuid(3, 2)
	addrID    = "ipv4-addr--" + uuid(3, 3)
)

const (
	v1 = "2026-01-01T00:00:00.000Z"
	v2 = "2026-02-01T00:00:00.000Z"
	v3 = "2026-03-01T00:00:00.000Z"
)

func filterWorld(e *env) {
	e.t.Helper()
	e.ingest(e.stateAnalyst, e.shared, nil, indicator(uuid(3, 1), v1, "203.0.113.1"))
	e.ingest(e.stateAnalyst, e.shared, nil,
		fmt.Sprintf(`{"type":"malware","spec_version":"2.1","id":"%s","created":"%s","modified":"%s","name":"Ballot Stuffer","is_family":false}`, malwareID, v1, v1))
	e.ingest(e.stateAnalyst, e.shared, nil, indicator(uuid(3, 1), v3, "203.0.113.1"))
	e.ingest(e.stateAnalyst, e.shared, nil, fmt.Sprintf(`{"type":"ipv4-addr","spec_version":"2.1","id":"%s","value":"203.0.113.9"}`, addrID))
	e.ingest(e.stateAnalyst, e.shared, nil, indicator(uuid(3, 1), v2, "203.0.113.1"))
}

func TestObjectFilters(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, taxiiserver.Options{})
		filterWorld(e)
		path := objectsPath(e.shared)

		// date_added order: ind@v1, malware, ind@v3, addr, ind@v2.
		all := e.page(e.county1, path, url.Values{"match[version]": {"all"}})
		order := []string{indID + "@" + v1, malwareID + "@" + v1, indID + "@" + v3, addrID + "@", indID + "@" + v2}
		if got := ids(all.Objects); !slices.Equal(got, order) {
			t.Fatalf("all versions: %v", got)
		}
		var man struct {
			Objects []taxii.ManifestRecord `json:"objects"`
		}
		e.get(e.county1, collPath(e.shared)+"manifest/?match[version]=all", &man)
		added := func(i int) string { return taxii.FormatTimestamp(man.Objects[i].DateAdded.Time) }

		for _, tc := range []struct {
			query string
			want  []string
		}{
			// last and first go by version (modified), not by date added.
			{"", []string{malwareID + "@" + v1, indID + "@" + v3, addrID + "@"}},
			{"match[version]=last", []string{malwareID + "@" + v1, indID + "@" + v3, addrID + "@"}},
			{"match[version]=first", []string{indID + "@" + v1, malwareID + "@" + v1, addrID + "@"}},
			{"match[version]=first,last", []string{indID + "@" + v1, malwareID + "@" + v1, indID + "@" + v3, addrID + "@"}},
			{"match[version]=first&match[version]=last", []string{indID + "@" + v1, malwareID + "@" + v1, indID + "@" + v3, addrID + "@"}},
			{"match[version]=" + v3, []string{indID + "@" + v3}},
			{"match[version]=" + v1, []string{indID + "@" + v1, malwareID + "@" + v1}},
			{"match[version]=" + v2 + "," + v3, []string{indID + "@" + v3, indID + "@" + v2}},
			{"match[type]=malware", []string{malwareID + "@" + v1}},
			{"match[type]=indicator,ipv4-addr", []string{indID + "@" + v3, addrID + "@"}},
			{"match[type]=attack-pattern", nil},
			{"match[id]=" + indID, []string{indID + "@" + v3}},
			{"match[id]=" + indID + "&match[version]=all", []string{indID + "@" + v1, indID + "@" + v3, indID + "@" + v2}},
			{"match[id]=" + indID + "," + malwareID + "&match[type]=malware", []string{malwareID + "@" + v1}},
			{"match[spec_version]=2.1&match[version]=all", order},
			{"match[spec_version]=2.0", nil},
			{"added_after=" + added(0) + "&match[version]=all", order[1:]},
			{"added_after=" + added(3) + "&match[version]=all", order[4:]},
			{"added_after=" + added(4) + "&match[version]=all", nil},
			{"added_after=" + added(2), []string{addrID + "@"}},
			{"match[version]=all&limit=2", order[:2]},
		} {
			q, err := url.ParseQuery(tc.query)
			if err != nil {
				t.Fatal(err)
			}
			p := e.page(e.county1, path, q)
			if got := ids(p.Objects); !slices.Equal(got, tc.want) {
				t.Errorf("?%s: %v, want %v", tc.query, got, tc.want)
			}
			if len(tc.want) > 0 && (p.first == "" || p.last == "") {
				t.Errorf("?%s: date headers missing", tc.query)
			}
			if len(tc.want) == 0 && (p.first != "" || p.last != "") {
				t.Errorf("?%s: date headers on an empty page", tc.query)
			}
		}

		one := path + indID + "/"
		for _, tc := range []struct {
			path string
			want []string
		}{
			{one, []string{indID + "@" + v3}},
			{one + "?match[version]=first", []string{indID + "@" + v1}},
			{one + "?match[version]=all", []string{indID + "@" + v1, indID + "@" + v3, indID + "@" + v2}},
			{one + "?match[version]=all&limit=1", []string{indID + "@" + v1}},
			{one + "?match[version]=" + v3, []string{indID + "@" + v3}},
			{one + "?match[spec_version]=2.0", nil},
			{one + "?match[version]=all&added_after=" + added(2), []string{indID + "@" + v2}},
		} {
			var p page
			e.get(e.county1, tc.path, &p)
			if got := ids(p.Objects); !slices.Equal(got, tc.want) {
				t.Errorf("%s: %v, want %v", tc.path, got, tc.want)
			}
		}

		versions := one + "versions/"
		for _, tc := range []struct {
			query string
			want  []string
			more  bool
		}{
			{"", []string{v1, v3, v2}, false},
			{"limit=2", []string{v1, v3}, true},
			{"added_after=" + added(0), []string{v3, v2}, false},
			{"match[spec_version]=2.1", []string{v1, v3, v2}, false},
			{"match[spec_version]=2.0", nil, false},
		} {
			q, _ := url.ParseQuery(tc.query)
			p := e.page(e.county1, versions, q)
			if !slices.Equal(p.Versions, tc.want) || p.More != tc.more {
				t.Errorf("versions ?%s: %v more %v, want %v more %v", tc.query, p.Versions, p.More, tc.want, tc.more)
			}
		}
		p := e.page(e.county1, versions, url.Values{"limit": {"2"}})
		p = e.page(e.county1, versions, url.Values{"limit": {"2"}, "next": {p.Next}})
		if !slices.Equal(p.Versions, []string{v2}) || p.More {
			t.Errorf("versions, second page: %+v", p)
		}
		var addr page
		e.get(e.county1, path+addrID+"/versions/", &addr)
		if len(addr.Versions) != 1 || addr.Versions[0] != added(3) {
			t.Errorf("a cyber-observable's version is its date_added: %v, want %s", addr.Versions, added(3))
		}

		e.run([]scenario{
			{name: "bad type", req: request{method: "GET", path: path + "?match[type]=Indicator!", as: e.county1}, status: 400, must: []string{"match[type]"}},
			{name: "bad id", req: request{method: "GET", path: path + "?match[id]=x", as: e.county1}, status: 400, must: []string{"match[id]"}},
			{name: "bad version", req: request{method: "GET", path: path + "?match[version]=newest", as: e.county1}, status: 400},
			{name: "bad spec_version", req: request{method: "GET", path: path + "?match[spec_version]=two", as: e.county1}, status: 400},
			{name: "unknown match field", req: request{method: "GET", path: path + "?match[label]=x", as: e.county1}, status: 400},
			{name: "limit 0", req: request{method: "GET", path: path + "?limit=0", as: e.county1}, status: 400, must: []string{"limit"}},
			{name: "limit twice", req: request{method: "GET", path: path + "?limit=1&limit=2", as: e.county1}, status: 400},
			{name: "bad added_after", req: request{method: "GET", path: path + "?added_after=yesterday", as: e.county1}, status: 400, must: []string{"added_after"}},
			{name: "bad filter on the manifest", req: request{method: "GET", path: collPath(e.shared) + "manifest/?limit=-1", as: e.county1}, status: 400},
			{name: "bad filter on versions", req: request{method: "GET", path: versions + "?added_after=x", as: e.county1}, status: 400},
			{name: "too many match values", req: request{method: "GET", path: path + "?match[type]=" + strings.Repeat("x,", 1000) + "x", as: e.county1}, status: 400,
				must: []string{"at most 1000"}},
			{name: "other parameters are ignored", req: request{method: "GET", path: path + "?format=pretty", as: e.county1}, status: 200},
			{name: "manifest filters", req: request{method: "GET", path: collPath(e.shared) + "manifest/?match[type]=malware", as: e.county1}, status: 200,
				must: []string{malwareID, `"version":"` + v1 + `"`}, mustNot: []string{indID, addrID}},
		})
	})
}
