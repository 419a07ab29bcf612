package audit_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rampart-project/rampart/internal/platform/audit"
	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/db/dbtest"
	"github.com/rampart-project/rampart/internal/platform/errs"
	"github.com/rampart-project/rampart/internal/platform/web"
)

func scopeAll(*http.Request) (string, bool, error)  { return "", true, nil }
func scopeOrgA(*http.Request) (string, bool, error) { return "org-a", false, nil }
func scopeNone(*http.Request) (string, bool, error) { return "", false, nil }
func scopeErr(code errs.Code) audit.ScopeFunc {
	return func(*http.Request) (string, bool, error) { return "", false, errs.E(code, "no") }
}

func TestHTTP(t *testing.T) {
	rd, err := web.NewRenderer(web.Site{Name: "Test instance", Version: "t"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := audit.RegisterPages(rd); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		page    bool
		scope   audit.ScopeFunc
		query   string
		status  int
		want    []string
		notWant []string
	}{
		{name: "api, everything", scope: scopeAll, query: "?limit=10", status: 200,
			want: []string{`"seq":30,`, `"seq":21,`, `"next":"21"`}, notWant: []string{`"seq":20,`}},
		{name: "api, next page", scope: scopeAll, query: "?limit=10&before=21", status: 200,
			want: []string{`"seq":20,`, `"seq":11,`, `"next":"11"`}, notWant: []string{`"seq":21,`}},
		{name: "api, coordinator picks an organization", scope: scopeAll, query: "?org=org-b", status: 200,
			want: []string{`"org_scope":"org-b"`}, notWant: []string{`"org_scope":"org-a"`, `"org_scope":"org-c"`}},
		{name: "api, organization admin", scope: scopeOrgA, status: 200,
			want: []string{`"org_scope":"org-a"`, `"next":""`}, notWant: []string{`"org_scope":"org-b"`, `"actor_label":"system"`}},
		{name: "api, organization admin asks for another", scope: scopeOrgA, query: "?org=org-b", status: 403},
		{name: "api, empty scope is no scope", scope: scopeNone, status: 403},
		{name: "api, forbidden", scope: scopeErr(errs.Forbidden), status: 403},
		{name: "api, not signed in", scope: scopeErr(errs.Unauthenticated), status: 401},
		{name: "api, bad cursor", scope: scopeAll, query: "?before=x", status: 400},
		{name: "api, bad limit", scope: scopeAll, query: "?limit=lots", status: 400},
		{name: "api, no match", scope: scopeAll, query: "?action=nothing.", status: 200, want: []string{`"entries":[]`}},
		{name: "page, everything", page: true, scope: scopeAll, query: "?limit=10", status: 200,
			want: []string{"tlp-amber-strict", "<caption>Audit log entries, newest first", `<th scope="col">Action</th>`,
				`<th scope="row">30</th>`, "The newest entry is number 30", `href="/audit?before=21&amp;limit=10" rel="next">Older entries`,
				"&lt;b&gt;&amp;", `name="org"`},
			notWant: []string{`<th scope="row">20</th>`, "<b>&"}},
		{name: "page, action filter keeps itself in the next link", page: true, scope: scopeAll, query: "?action=user.&limit=2", status: 200,
			want:    []string{`value="user."`, `<code>user.signin_failed</code>`, `action=user.`, "Older entries", "unfiltered"},
			notWant: []string{"<code>org.create</code>"}},
		{name: "page, organization admin", page: true, scope: scopeOrgA, status: 200,
			want:    []string{"indicator--00000000", "indicator--00000028"},
			notWant: []string{"indicator--00000001", "newest entry is number", `name="org"`, "Older entries"}},
		{name: "page, forbidden", page: true, scope: scopeErr(errs.Forbidden), status: 403},
		{name: "page, nothing", page: true, scope: scopeAll, query: "?action=nothing.", status: 200, want: []string{"No entries match."}},
	}
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		appendN(t, d, 0, 30)
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				h := audit.API(d, tc.scope)
				path := "/api/v1/audit"
				if tc.page {
					h, path = audit.Page(d, rd, tc.scope), "/audit"
				}
				req := httptest.NewRequest("GET", path+tc.query, nil)
				if tc.page {
					req.Header.Set("Accept", "text/html")
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				body := rec.Body.String()
				if rec.Code != tc.status {
					t.Fatalf("status %d, want %d: %s", rec.Code, tc.status, body)
				}
				for _, s := range tc.want {
					if !strings.Contains(body, s) {
						t.Errorf("response lacks %q:\n%s", s, body)
					}
				}
				for _, s := range tc.notWant {
					if strings.Contains(body, s) {
						t.Errorf("response contains %q", s)
					}
				}
				if !tc.page && rec.Code == 200 {
					var v struct {
						Entries []audit.Entry
						Next    *string
					}
					if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil || v.Entries == nil || v.Next == nil {
						t.Errorf("not {entries, next}: %v %s", err, body)
					}
				}
			})
		}
	})
}
