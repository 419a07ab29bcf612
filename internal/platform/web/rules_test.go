package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/rampart-project/rampart/internal/platform/web"
)

type fakeCaller struct {
	roles, scopes []string
}

func (f fakeCaller) SignedIn() bool         { return true }
func (f fakeCaller) HasRole(r string) bool  { return slices.Contains(f.roles, r) }
func (f fakeCaller) HasScope(s string) bool { return slices.Contains(f.scopes, s) }

func TestRulesAdmitOnlyWhomTheyName(t *testing.T) {
	s, _ := newTestServer(t)
	ok := func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) }
	s.Router.HandleFunc("GET /members", web.SignedIn, ok)
	s.Router.HandleFunc("POST /members", web.SignedIn, ok)
	s.Router.HandleFunc("GET /admins", web.RequireRole("org_admin", "coordinator"), ok)
	s.Router.HandleFunc("POST /instance", web.Admin("coordinator"), ok)
	s.Router.HandleFunc("POST /compute", web.SignedInQuery, ok)

	reader := fakeCaller{roles: []string{"analyst"}, scopes: []string{"read"}}
	writer := fakeCaller{roles: []string{"analyst"}, scopes: []string{"read", "write"}}
	admin := fakeCaller{roles: []string{"org_admin"}, scopes: []string{"read", "write"}}
	coordinator := fakeCaller{roles: []string{"coordinator"}, scopes: []string{"read", "write", "admin"}}
	cases := []struct {
		method, path string
		caller       web.Caller // nil: anonymous
		html         bool
		want         int
	}{
		{"GET", "/members", nil, false, 401},
		{"GET", "/members", nil, true, 303},
		{"POST", "/members", nil, true, 401}, // never redirect a write
		{"GET", "/members", reader, false, 204},
		{"POST", "/members", reader, false, 403}, // read-only token
		{"POST", "/members", writer, false, 204},
		{"GET", "/admins", writer, false, 403},
		{"GET", "/admins", admin, false, 204},
		{"POST", "/instance", admin, false, 403},
		{"POST", "/instance", coordinator, false, 204},
		{"POST", "/instance", fakeCaller{roles: []string{"coordinator"}, scopes: []string{"read", "write"}}, false, 403},
		{"GET", "/ok", nil, false, 200}, // public
		{"POST", "/compute", reader, false, 204},
		{"POST", "/compute", nil, false, 401},
	}
	for _, tc := range cases {
		req := httptest.NewRequest(tc.method, tc.path, nil)
		if tc.html {
			req.Header.Set("Accept", "text/html")
		}
		if tc.caller != nil {
			req = req.WithContext(web.WithCaller(context.Background(), tc.caller))
		}
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		if rec.Code != tc.want {
			t.Errorf("%s %s as %+v (html %v): %d, want %d: %s", tc.method, tc.path, tc.caller, tc.html, rec.Code, tc.want, rec.Body)
		}
		if rec.Code == 401 && len(rec.Header().Values("WWW-Authenticate")) != 2 {
			t.Errorf("401 without Bearer and Basic challenges: %v", rec.Header())
		}
		if rec.Code == 303 && rec.Header().Get("Location") != "/signin?next=%2Fmembers" {
			t.Errorf("redirect to %q", rec.Header().Get("Location"))
		}
	}
	routes := s.Router.Routes()
	if len(routes) < 10 || !routes[0].Rule.IsPublic() && routes[0].Pattern == "GET /deadline" {
		t.Errorf("routes not listed: %v", routes)
	}
}
