package taxiiserver_test

import (
	"testing"

	"github.com/rampart-project/rampart/internal/config"
	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/db/dbtest"
	taxiiserver "github.com/rampart-project/rampart/internal/taxii"
	"github.com/rampart-project/rampart/taxii"
)

func TestDiscoveryAPIRootAndErrors(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, taxiiserver.Options{})
		taxii401 := map[string]string{"WWW-Authenticate": `Basic realm="TAXII", Bearer realm="TAXII"`}
		e.run([]scenario{
			{name: "discovery", req: request{method: "GET", path: "/taxii2/", as: e.county1}, status: 200,
				must: []string{`"title":"Examplia Rampart"`, `"default":"` + e.url + `/taxii2/api/"`,
					`"api_roots":["` + e.url + `/taxii2/api/","` + e.url + `/taxii2/regional/"]`}},
			{name: "no Accept header accepts anything", req: request{method: "GET", path: "/taxii2/", as: e.county1, accept: "-"}, status: 200},
			{name: "Accept with a wildcard", req: request{method: "GET", path: "/taxii2/", as: e.county1, accept: "application/json, */*;q=0.1"}, status: 200},
			{name: "Accept JSON only", req: request{method: "GET", path: "/taxii2/", as: e.county1, accept: "application/json"}, status: 406,
				must: []string{`"http_status":"406"`, `application/taxii+json;version=2.1`}},
			{name: "Accept TAXII 2.0", req: request{method: "GET", path: "/taxii2/", as: e.county1, accept: "application/taxii+json;version=2.0"}, status: 406},
			{name: "anonymous", req: request{method: "GET", path: "/taxii2/"}, status: 401, header: taxii401,
				must: []string{`"http_status":"401"`}, mustNot: []string{"Examplia Rampart"}},
			{name: "unknown token", req: request{method: "GET", path: "/taxii2/", auth: "Bearer rmp_000000000000000000000000000000000000000000000000"},
				status: 401, header: taxii401},
			{name: "Basic user name of someone else", req: request{method: "GET", path: "/taxii2/", auth: basic(e.stateAdmin.Email, e.tokens[e.county1.ID])},
				status: 401, header: taxii401},
			{name: "malformed Authorization", req: request{method: "GET", path: "/taxii2/", auth: "Basic !!!"}, status: 401, header: taxii401},
			{name: "API root", req: request{method: "GET", path: "/taxii2/api/", as: e.companyAdmin}, status: 200,
				must: []string{`"versions":["application/taxii+json;version=2.1"]`, `"max_content_length":262144`, `"title":"Examplia Rampart"`}},
			{name: "second API root", req: request{method: "GET", path: "/taxii2/regional/", as: e.companyAdmin}, status: 200,
				must: []string{`"title":"Examplia Rampart (regional)"`}},
			{name: "unknown API root", req: request{method: "GET", path: "/taxii2/nowhere/", as: e.county1}, status: 404},
			{name: "unknown API root's collections", req: request{method: "GET", path: "/taxii2/nowhere/collections/", as: e.county1}, status: 404},
			{name: "unknown path", req: request{method: "GET", path: "/taxii2/api/nothing/here/", as: e.county1}, status: 404,
				must: []string{`"http_status":"404"`}},
			{name: "method not allowed", req: request{method: "PUT", path: "/taxii2/api/collections/", as: e.county1}, status: 405},
			{name: "API root with a read-only token", req: request{method: "GET", path: "/taxii2/api/", auth: "Bearer " + e.readOnly}, status: 200},
		})
	})
}

func TestDiscoveryUsesPublicURL(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnvWith(t, d, taxiiserver.Options{}, func(c *config.Config) { c.PublicURL = "https://rampart.examplia.gov" })
		var disc taxii.Discovery
		e.get(e.county1, "/taxii2/", &disc)
		if disc.Default != "https://rampart.examplia.gov/taxii2/api/" || len(disc.APIRoots) != 2 {
			t.Errorf("discovery: %+v", disc)
		}
	})
}

func TestCollections(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, taxiiserver.Options{})
		list := "/taxii2/api/collections/"
		e.run([]scenario{
			{name: "county sees its community's and the all-members inbox", req: request{method: "GET", path: list, as: e.county1}, status: 200,
				must:    []string{e.shared.ID, `"alias":"election"`, e.inbox.ID, e.bulk.ID, `"media_types":["application/stix+json;version=2.1"]`},
				mustNot: []string{e.stateOnly.ID, "State SOC", e.regional.ID}},
			{name: "company sees only the inbox", req: request{method: "GET", path: list, as: e.companyAdmin}, status: 200,
				must: []string{e.inbox.ID}, mustNot: []string{e.shared.ID, e.bulk.ID, e.stateOnly.ID, "Election security"}},
			{name: "state sees its own", req: request{method: "GET", path: list, as: e.stateAnalyst}, status: 200,
				must: []string{e.shared.ID, e.inbox.ID, e.stateOnly.ID, e.bulk.ID}, mustNot: []string{e.regional.ID}},
			{name: "other API root", req: request{method: "GET", path: "/taxii2/regional/collections/", as: e.stateAnalyst}, status: 200,
				must: []string{e.regional.ID}, mustNot: []string{e.shared.ID}},
			{name: "by id", req: request{method: "GET", path: collPath(e.shared), as: e.county1}, status: 200,
				must: []string{`"id":"` + e.shared.ID + `"`, `"title":"Election security"`, `"can_read":true`, `"can_write":true`}},
			{name: "by alias", req: request{method: "GET", path: "/taxii2/api/collections/election/", as: e.county1}, status: 200,
				must: []string{`"id":"` + e.shared.ID + `"`}},
			{name: "inbox: write only", req: request{method: "GET", path: collPath(e.inbox), as: e.companyAdmin}, status: 200,
				must: []string{`"can_read":false`, `"can_write":true`}},
			{name: "inbox: its owner reads", req: request{method: "GET", path: collPath(e.inbox), as: e.stateAdmin}, status: 200,
				must: []string{`"can_read":true`, `"can_write":true`}},
			{name: "bulk: read only", req: request{method: "GET", path: collPath(e.bulk), as: e.county1}, status: 200,
				must: []string{`"can_read":true`, `"can_write":false`}},
			{name: "another organization's collection is not found", req: request{method: "GET", path: collPath(e.stateOnly), as: e.county1}, status: 404,
				mustNot: []string{"State SOC"}},
			{name: "another community's collection is not found", req: request{method: "GET", path: collPath(e.shared), as: e.companyAdmin}, status: 404,
				mustNot: []string{"Election security"}},
			{name: "alias of another community's collection", req: request{method: "GET", path: "/taxii2/api/collections/election/", as: e.companyAdmin}, status: 404},
			{name: "collection under the wrong API root", req: request{method: "GET", path: "/taxii2/api/collections/" + e.regional.ID + "/", as: e.county1}, status: 404},
			{name: "unknown collection", req: request{method: "GET", path: "/taxii2/api/collections/nope/", as: e.county1}, status: 404},
			{name: "anonymous", req: request{method: "GET", path: collPath(e.shared)}, status: 401},
			{name: "not acceptable", req: request{method: "GET", path: collPath(e.shared), as: e.county1, accept: "text/html"}, status: 406},
		})

		var cols taxii.Collections
		e.get(e.companyAdmin, list, &cols)
		if len(cols.Collections) != 1 || cols.Collections[0].ID != e.inbox.ID || cols.Collections[0].CanRead || !cols.Collections[0].CanWrite {
			t.Errorf("company's collections: %+v", cols)
		}
	})
}
