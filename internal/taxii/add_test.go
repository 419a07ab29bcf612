package taxiiserver_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/db/dbtest"
	"github.com/rampart-project/rampart/internal/platform/identity"
	"github.com/rampart-project/rampart/internal/sharing"
	taxiiserver "github.com/rampart-project/rampart/internal/taxii"
	"github.com/rampart-project/rampart/taxii"
)

// badPattern is an indicator the validator rejects.
func badPattern(id string) string {
	return `{"type":"indicator","spec_version":"2.1","id":"indicator--` + id + `","created":"2026-01-01T00:00:00.000Z",` +
		`"modified":"2026-01-01T00:00:00.000Z","pattern":"[ipv4-addr:value = ","pattern_type":"stix","valid_from":"2026-01-01T00:00:00.000Z"}`
}

func TestAddHalfValidEnvelope(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, taxiiserver.Options{})
		good, bad := uuid(4, 1), uuid(4, 2)
		st := e.post(e.county1, e.shared, envelopeOf(indicator(good, v1, "192.0.2.1"), badPattern(bad), `"not an object"`))
		if st.Status != taxii.StatusComplete || st.TotalCount != 3 || st.SuccessCount != 1 || st.FailureCount != 2 || st.PendingCount != 0 {
			t.Fatalf("status: %+v", st)
		}
		if len(st.Successes) != 1 || st.Successes[0].ID != "indicator--"+good || st.Successes[0].Version != v1 {
			t.Errorf("successes: %+v", st.Successes)
		}
		failures := map[string]taxii.StatusDetail{}
		for _, f := range st.Failures {
			failures[f.ID] = f
		}
		if f := failures["indicator--"+bad]; f.Version != v1 || !strings.Contains(f.Message, "pattern") {
			t.Errorf("failure of the bad pattern: %+v", f)
		}
		if f := failures[""]; !strings.Contains(f.Message, "objects[2]") {
			t.Errorf("failure of the element that is no object: %+v", f)
		}
		if st.ID == "" || st.RequestTimestamp.IsZero() {
			t.Errorf("status id or timestamp missing: %+v", st)
		}

		statusPath := "/taxii2/api/status/" + st.ID + "/"
		e.run([]scenario{
			{name: "the valid object is stored", req: request{method: "GET", path: objectsPath(e.shared), as: e.stateAdmin}, status: 200,
				must: []string{good}, mustNot: []string{bad}},
			{name: "the requester reads the status", req: request{method: "GET", path: statusPath, as: e.county1}, status: 200,
				must: []string{`"id":"` + st.ID + `"`, `"status":"complete"`, `"success_count":1`, `"failure_count":2`, `"total_count":3`}},
			{name: "the requester with another token", req: request{method: "GET", path: statusPath, auth: basic(e.county1.Email, e.token(e.county1, identity.ScopeRead))},
				status: 200},
			{name: "another user", req: request{method: "GET", path: statusPath, as: e.stateAdmin}, status: 404, mustNot: []string{good}},
			{name: "another organization", req: request{method: "GET", path: statusPath, as: e.companyAdmin}, status: 404},
			{name: "under another API root", req: request{method: "GET", path: "/taxii2/regional/status/" + st.ID + "/", as: e.county1}, status: 404},
			{name: "unknown status", req: request{method: "GET", path: "/taxii2/api/status/nope/", as: e.county1}, status: 404},
			{name: "anonymous", req: request{method: "GET", path: statusPath}, status: 401},
			{name: "status not acceptable", req: request{method: "GET", path: statusPath, as: e.county1, accept: "application/json"}, status: 406},
		})

		// Only the user who made the request, not others of its
		// organization.
		mine := e.post(e.stateAnalyst, e.shared, `{"objects": []}`)
		e.run([]scenario{
			{name: "a colleague of the requester", req: request{method: "GET", path: "/taxii2/api/status/" + mine.ID + "/", as: e.stateAdmin}, status: 404},
		})

		// The same envelope again: the object is there already, which
		// counts as a success; the failures fail again.
		again := e.post(e.county1, e.shared, envelopeOf(indicator(good, v1, "192.0.2.1"), badPattern(bad), `"not an object"`))
		if again.SuccessCount != 1 || again.FailureCount != 2 || again.ID == st.ID {
			t.Errorf("second add: %+v", again)
		}

		// Objects added through TAXII take the collection's audience: the
		// state, in the community, sees the county's object; the company
		// does not, even in a collection it can read.
		stored, err := e.store.Latest(t.Context(), e.principal(e.companyAdmin), "indicator--"+good)
		if err == nil {
			t.Errorf("the company sees %s (%s)", stored.StixID, stored.TLP)
		}
	})
}

func TestAddRules(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, taxiiserver.Options{})
		env := envelopeOf(indicator(uuid(5, 1), v1, "192.0.2.5"))
		post := func(u *identity.User, c sharing.Collection) request {
			return request{method: "POST", path: objectsPath(c), as: u, contentType: taxii.MediaTypeTAXII, body: env}
		}
		withCT := func(r request, ct string) request { r.contentType = ct; return r }
		withBody := func(r request, body string) request { r.body = body; return r }
		e.run([]scenario{
			{name: "company to the all-members inbox", req: post(e.companyAdmin, e.inbox), status: 202, must: []string{`"success_count":1`}},
			{name: "but it may not read it back", req: request{method: "GET", path: objectsPath(e.inbox), as: e.companyAdmin}, status: 403},
			{name: "the inbox's owner reads it", req: request{method: "GET", path: objectsPath(e.inbox), as: e.stateAdmin}, status: 200,
				must: []string{uuid(5, 1)}},
			{name: "company to another community's collection", req: post(e.companyAdmin, e.shared), status: 404},
			{name: "county to a read-only collection", req: post(e.county1, e.bulk), status: 403, must: []string{"not add"}},
			{name: "county to the state's own", req: post(e.county1, e.stateOnly), status: 404},
			{name: "read-only token", req: request{method: "POST", path: objectsPath(e.shared), auth: "Bearer " + e.readOnly,
				contentType: taxii.MediaTypeTAXII, body: env}, status: 403, must: []string{"write scope"}},
			{name: "anonymous", req: request{method: "POST", path: objectsPath(e.shared), contentType: taxii.MediaTypeTAXII, body: env}, status: 401},
			{name: "JSON content type", req: withCT(post(e.county1, e.shared), "application/json"), status: 415,
				must: []string{"application/taxii+json;version=2.1"}},
			{name: "STIX content type", req: withCT(post(e.county1, e.shared), "application/stix+json;version=2.1"), status: 415},
			{name: "TAXII 2.0 content type", req: withCT(post(e.county1, e.shared), "application/taxii+json;version=2.0"), status: 415},
			{name: "no content type", req: withCT(post(e.county1, e.shared), ""), status: 415},
			{name: "content type with charset", req: withCT(post(e.county1, e.shared), "application/taxii+json; version=2.1; charset=utf-8"), status: 202},
			{name: "not acceptable", req: func() request { r := post(e.county1, e.shared); r.accept = "application/json"; return r }(), status: 406},
			{name: "not JSON", req: withBody(post(e.county1, e.shared), `{"objects": [`), status: 422, must: []string{"nothing was stored"}},
			{name: "not an object", req: withBody(post(e.county1, e.shared), `[]`), status: 422},
			{name: "no objects list", req: withBody(post(e.county1, e.shared), `{"more": false}`), status: 422, must: []string{"no objects list"}},
			{name: "objects not a list", req: withBody(post(e.county1, e.shared), `{"objects": {}}`), status: 422},
			{name: "two objects lists", req: withBody(post(e.county1, e.shared), `{"objects": [], "objects": []}`), status: 422},
			{name: "trailing data", req: withBody(post(e.county1, e.shared), env+`{}`), status: 422},
			{name: "bad JSON inside the list", req: withBody(post(e.county1, e.shared), `{"objects": [{"type": "indicator",}]}`), status: 422},
			{name: "empty body", req: withBody(post(e.county1, e.shared), ``), status: 422},
			{name: "an empty list is a complete add of nothing", req: withBody(post(e.county1, e.shared), `{"objects": []}`), status: 202,
				must: []string{`"total_count":0`, `"status":"complete"`}},
			{name: "envelope properties are ignored", req: withBody(post(e.county1, e.shared), `{"more": true, "next": "x", "objects": []}`), status: 202},
			{name: "too large", req: withBody(post(e.county1, e.shared), `{"objects": [`+strings.Repeat(`{"x": 1},`, maxBody/9)+`{}]}`), status: 413,
				must: []string{"larger than the limit"}},
		})

		// A body with no declared length hits the limit while the
		// envelope is read, not before.
		big := `{"objects": [` + strings.Repeat(indicator(uuid(5, 2), v1, "192.0.2.6")+",", maxBody/200) + `{}]}`
		req, err := http.NewRequest("POST", e.url+objectsPath(e.shared), io.MultiReader(strings.NewReader(big)))
		if err != nil {
			t.Fatal(err)
		}
		req.ContentLength = -1
		req.SetBasicAuth(e.county1.Email, e.tokens[e.county1.ID])
		req.Header.Set("Content-Type", taxii.MediaTypeTAXII)
		req.Header.Set("Accept", taxii.MediaTypeTAXII)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 413 || res.Header.Get("Content-Type") != taxii.MediaTypeTAXII {
			t.Errorf("chunked body over the limit: %d %s", res.StatusCode, body)
		}
		checkError(t, "chunked 413", response{status: res.StatusCode, body: string(body)})
		if p, _ := e.store.Latest(t.Context(), e.principal(e.county1), "indicator--"+uuid(5, 2)); p.StixID != "" {
			t.Error("an envelope over the limit stored objects")
		}
	})
}

func TestAsyncAdd(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, taxiiserver.Options{AsyncAbove: 5})
		var objs []string
		for i := range 12 {
			objs = append(objs, indicator(uuid(6, i), v1, "198.18.0."+string(rune('1'+i%9))))
		}
		objs = append(objs, badPattern(uuid(6, 99)), `42`)
		st := e.post(e.stateAnalyst, e.shared, envelopeOf(objs...))
		if st.Status != taxii.StatusPending || st.TotalCount != 14 || st.PendingCount != 13 || st.FailureCount != 1 || len(st.Pendings) != 13 {
			t.Fatalf("first answer: %+v", st)
		}
		final := e.waitStatus(e.stateAnalyst, st.ID)
		if final.SuccessCount != 12 || final.FailureCount != 2 || final.PendingCount != 0 || len(final.Pendings) != 0 ||
			len(final.Successes) != 12 || len(final.Failures) != 2 || final.TotalCount != 14 {
			t.Fatalf("final status: %+v", final)
		}
		var p page
		e.get(e.county1, objectsPath(e.shared), &p)
		if len(p.Objects) != 12 {
			t.Errorf("%d objects stored, want 12", len(p.Objects))
		}
		// Small envelopes are still stored before the answer.
		if st := e.post(e.stateAnalyst, e.shared, envelopeOf(objs[:5]...)); st.Status != taxii.StatusComplete {
			t.Errorf("small add: %+v", st)
		}
	})
}

// waitStatus polls a status until it is complete.
func (e *env) waitStatus(u *identity.User, id string) taxii.Status {
	e.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var st taxii.Status
		e.get(u, "/taxii2/api/status/"+id+"/", &st)
		if st.Status == taxii.StatusComplete {
			return st
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("status still pending: %+v", st)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
