package sharing_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/rampart-project/rampart/internal/accounts"
	"github.com/rampart-project/rampart/internal/app"
	"github.com/rampart-project/rampart/internal/config"
	"github.com/rampart-project/rampart/internal/demo"
	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/db/dbtest"
	"github.com/rampart-project/rampart/internal/platform/identity"
	"github.com/rampart-project/rampart/internal/sharing"
)

// server is a running Rampart with the demo world, on one engine.
type server struct {
	t    *testing.T
	base string
	d    *db.DB
	ids  *identity.Store
}

func startServer(t *testing.T, engine db.Engine, tweak ...func(*config.Config)) *server {
	t.Helper()
	ctx := context.Background()
	cfg := config.Default()
	cfg.DataDir, cfg.Addr, cfg.Demo = t.TempDir(), "127.0.0.1:0", true
	if engine == db.Postgres {
		cfg.DatabaseURL = dbtest.PostgresURL(t)
	}
	for _, f := range tweak {
		f(&cfg)
	}
	a, err := app.New(ctx, cfg, app.Options{Version: "test", Modules: []app.Module{accounts.New(), sharing.New(), &demo.Module{Out: io.Discard}}})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- a.Run(runCtx) }()
	t.Cleanup(func() { stop(); <-done })
	d, err := app.OpenDB(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return &server{t: t, base: "http://" + a.Addr().String(), d: d, ids: identity.NewStore(d)}
}

// token returns an API token with every scope for a demo user.
func (s *server) token(email string) string {
	s.t.Helper()
	ctx := context.Background()
	u, err := s.ids.UserByEmail(ctx, email)
	if err != nil {
		s.t.Fatal(err)
	}
	var secret string
	err = s.d.Tx(ctx, func(tx *sql.Tx) (err error) {
		_, secret, err = s.ids.CreateToken(ctx, tx, u.ID, "test", identity.Scopes, 0)
		return err
	})
	if err != nil {
		s.t.Fatal(err)
	}
	return secret
}

func (s *server) call(method, path, token, contentType, body string) (int, string) {
	s.t.Helper()
	req, err := http.NewRequest(method, s.base+path, strings.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Accept", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func bundle(objs ...string) string {
	return `{"type":"bundle","id":"bundle--6e8a7c0e-5a4b-4f7d-9d55-3b0d1f6c2a11","objects":[` + strings.Join(objs, ",") + `]}`
}

func TestObjectsAPI(t *testing.T) {
	for _, engine := range dbtest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			t.Parallel()
			s := startServer(t, engine)
			ashford, birch, skyline := s.token("analyst@ashford.example"), s.token("analyst@birch.example"), s.token("analyst@skyline.example")

			// A half-valid bundle: the valid indicator is stored, the others
			// are reported by their index in the bundle.
			code, body := s.call("POST", "/api/v1/objects?tlp=GREEN", ashford, "application/stix+json", bundle(
				indicator(id1, "2026-01-01T00:00:00.000Z", "8.8.8.8"),
				`5`,
				`{"type":"indicator","spec_version":"2.1","id":"indicator--`+id2+`","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","pattern":"[ipv4-addr:value = ","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"}`,
			))
			var rep sharing.Report
			if err := json.Unmarshal([]byte(body), &rep); code != 200 || err != nil {
				t.Fatalf("post: %d %s", code, body)
			}
			if rep.Added != 1 || rep.Rejected != 2 || rep.Outcomes[0].Status != "added" || rep.Outcomes[1].Index != 1 ||
				rep.Outcomes[1].Status != "rejected" || rep.Outcomes[2].Index != 2 || !strings.Contains(strings.Join(rep.Outcomes[2].Errors, ""), "column") {
				t.Fatalf("report: %s", body)
			}

			// A malformed bundle stores nothing and says where it broke.
			code, body = s.call("POST", "/api/v1/objects", ashford, "application/json", `{"type":"bundle","objects":[`+indicator(id2, "2026-01-01T00:00:00.000Z", "192.0.2.9")+`,{"type":`)
			if code != 400 || !strings.Contains(body, "nothing was stored") {
				t.Fatalf("malformed: %d %s", code, body)
			}
			if code, _ := s.call("GET", "/api/v1/objects/indicator--"+id2, ashford, "", ""); code != 404 {
				t.Fatalf("an object of a malformed bundle was stored: %d", code)
			}
			if code, body := s.call("POST", "/api/v1/objects", ashford, "text/csv", "a,b"); code != 415 {
				t.Fatalf("wrong media type: %d %s", code, body)
			}

			// GREEN is shared with every member; the warning list flags the
			// public resolver.
			code, body = s.call("GET", "/api/v1/objects/indicator--"+id1, skyline, "", "")
			if code != 200 || !strings.Contains(body, `"tlp":"GREEN"`) || !strings.Contains(body, "Public DNS resolvers") {
				t.Fatalf("get as another member: %d %s", code, body)
			}

			// AMBER without an audience stays in the submitting organization.
			s.call("POST", "/api/v1/objects?tlp=AMBER", ashford, "application/json", bundle(indicator(id2, "2026-01-01T00:00:00.000Z", "192.0.2.10")))
			if code, _ := s.call("GET", "/api/v1/objects/indicator--"+id2, birch, "", ""); code != 404 {
				t.Fatalf("AMBER object of another organization: %d", code)
			}
			_, body = s.call("GET", "/api/v1/objects?type=indicator", birch, "", "")
			if strings.Contains(body, id2) || !strings.Contains(body, id1) {
				t.Fatalf("list as another organization: %s", body)
			}
			_, body = s.call("GET", "/api/v1/objects?type=indicator&q=192.0.2.10", s.token("admin@ashford.example"), "", "")
			if !strings.Contains(body, id2) {
				t.Fatalf("own organization's search: %s", body)
			}

			// Sightings reported through the API count for everyone who may
			// see the indicator; the reporter may stay anonymous.
			code, body = s.call("POST", "/api/v1/sightings", birch, "application/json", `{"sighting_of_ref":"indicator--`+id1+`","count":4,"anonymous":true}`)
			if code != 201 || strings.Contains(body, `"owner_org"`) {
				t.Fatalf("sighting: %d %s", code, body)
			}
			_, body = s.call("GET", "/api/v1/objects/indicator--"+id1+"/related", skyline, "", "")
			if !strings.Contains(body, `"count":4`) {
				t.Fatalf("related: %s", body)
			}
			if code, _ := s.call("POST", "/api/v1/sightings", birch, "application/json", `{"sighting_of_ref":"indicator--`+id2+`"}`); code != 404 {
				t.Fatalf("sighting of an invisible indicator: %d", code)
			}

			// Only the submitting organization revokes.
			if code, _ := s.call("POST", "/api/v1/objects/indicator--"+id1+"/revoke", birch, "", ""); code != 403 {
				t.Fatalf("revoke by another organization: %d", code)
			}
			code, body = s.call("POST", "/api/v1/objects/indicator--"+id1+"/revoke", ashford, "", "")
			if code != 200 || !strings.Contains(body, `"revoked":true`) {
				t.Fatalf("revoke: %d %s", code, body)
			}
			_, body = s.call("GET", "/api/v1/objects/indicator--"+id1+"/versions", skyline, "", "")
			if strings.Count(body, `"item_id"`) != 2 {
				t.Fatalf("versions after revoke: %s", body)
			}
		})
	}
}

func TestObjectsAPIRefusesOversizedBodies(t *testing.T) {
	s := startServer(t, db.SQLite, func(c *config.Config) { c.MaxBodyBytes = 4096 })
	big := bundle(indicator(id1, "2026-01-01T00:00:00.000Z", strings.Repeat("1", 5000)))
	code, body := s.call("POST", "/api/v1/objects", s.token("analyst@ashford.example"), "application/json", big)
	if code != 413 {
		t.Fatalf("oversized: %d %s", code, body)
	}
}
