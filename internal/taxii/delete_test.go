package taxiiserver_test

import (
	"slices"
	"testing"

	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/db/dbtest"
	taxiiserver "github.com/rampart-project/rampart/internal/taxii"
)

func TestDelete(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, taxiiserver.Options{})
		countyObj, countyObj2 := "indicator--"+uuid(7, 1), "indicator--"+uuid(7, 2)
		stateObj, versioned := "indicator--"+uuid(7, 3), "indicator--"+uuid(7, 4)
		e.ingest(e.county1, e.shared, nil, indicator(uuid(7, 1), v1, "192.0.2.71"), indicator(uuid(7, 2), v1, "192.0.2.72"))
		e.ingest(e.stateAnalyst, e.shared, nil, indicator(uuid(7, 3), v1, "192.0.2.73"))
		e.ingest(e.stateAnalyst, e.shared, nil, indicator(uuid(7, 4), v1, "192.0.2.74"), indicator(uuid(7, 4), v2, "192.0.2.74"),
			indicator(uuid(7, 4), v3, "192.0.2.74"))
		e.ingest(e.county1, e.inbox, nil, indicator(uuid(7, 5), v1, "192.0.2.75"))
		objects := objectsPath(e.shared)
		del := func(id string) string { return objects + id + "/" }
		e.run([]scenario{
			{name: "outside the community", req: request{method: "DELETE", path: del(countyObj), as: e.companyAdmin}, status: 404},
			{name: "another organization's object", req: request{method: "DELETE", path: del(stateObj), as: e.county1}, status: 403,
				must: []string{"collection's owner"}},
			{name: "read-only token", req: request{method: "DELETE", path: del(countyObj), auth: "Bearer " + e.readOnly}, status: 403},
			{name: "anonymous", req: request{method: "DELETE", path: del(countyObj)}, status: 401},
			{name: "unknown object", req: request{method: "DELETE", path: del("indicator--" + uuid(7, 99)), as: e.county1}, status: 404},
			{name: "no such spec_version", req: request{method: "DELETE", path: del(countyObj) + "?match[spec_version]=2.0", as: e.county1}, status: 404},
			{name: "bad filter", req: request{method: "DELETE", path: del(countyObj) + "?match[version]=soon", as: e.county1}, status: 400},
			{name: "not acceptable", req: request{method: "DELETE", path: del(countyObj), as: e.county1, accept: "application/json"}, status: 406},
			{name: "its own object", req: request{method: "DELETE", path: del(countyObj) + "?match[spec_version]=2.1", as: e.county1}, status: 200},
			{name: "gone from the collection", req: request{method: "GET", path: del(countyObj), as: e.county1}, status: 404},
			{name: "gone from the listing", req: request{method: "GET", path: objects, as: e.stateAdmin}, status: 200,
				must: []string{stateObj, countyObj2}, mustNot: []string{countyObj}},
			{name: "deleted twice", req: request{method: "DELETE", path: del(countyObj), as: e.county1}, status: 404},
			{name: "the collection's owner deletes a member's object", req: request{method: "DELETE", path: del(countyObj2), as: e.stateAdmin}, status: 200},
			{name: "its own object in a write-only inbox", req: request{method: "DELETE", path: objectsPath(e.inbox) + "indicator--" + uuid(7, 5) + "/", as: e.county1},
				status: 200},
			{name: "the first version only", req: request{method: "DELETE", path: del(versioned) + "?match[version]=first", as: e.stateAnalyst}, status: 200},
			{name: "one version by timestamp", req: request{method: "DELETE", path: del(versioned) + "?match[version]=" + v3, as: e.stateAnalyst}, status: 200},
		})
		var p page
		e.get(e.county1, del(versioned)+"versions/", &p)
		if !slices.Equal(p.Versions, []string{v2}) {
			t.Errorf("versions left: %v, want [%s]", p.Versions, v2)
		}
		// Removing from a collection keeps the object in the store.
		if _, err := e.store.Latest(t.Context(), e.principal(e.county1), countyObj); err != nil {
			t.Errorf("the store lost the object: %v", err)
		}
	})
}
