package main

import (
	"context"
	"database/sql"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/rampart-project/rampart/internal/app"
	"github.com/rampart-project/rampart/internal/config"
	"github.com/rampart-project/rampart/internal/demo"
	"github.com/rampart-project/rampart/internal/notify"
	"github.com/rampart-project/rampart/internal/platform/access"
	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/events"
	"github.com/rampart-project/rampart/internal/platform/identity"
	"github.com/rampart-project/rampart/internal/sharing"
	"github.com/rampart-project/rampart/stix"
)

// TestEveryRouteRejectsAnonymousAndCrossOrganizationCallers walks the whole
// route table of a server with every built-in module. Every route that is
// not declared public must refuse an anonymous caller, and every route that
// addresses a resource must refuse a caller from an organization that does
// not own it. A new route whose path names a resource fails this test until
// the table below says which resource of the victim to try: no route can be
// added without an access rule that is checked here.
func TestEveryRouteRejectsAnonymousAndCrossOrganizationCallers(t *testing.T) {
	ctx := context.Background()
	cfg := config.Default()
	cfg.DataDir, cfg.Addr, cfg.Demo = t.TempDir(), "127.0.0.1:0", true
	a, err := app.New(ctx, cfg, app.Options{Version: "test", Modules: append(builtinModules(), &demo.Module{Out: io.Discard})})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- a.Run(runCtx) }()
	t.Cleanup(func() { stop(); <-done })
	base := "http://" + a.Addr().String()

	d, err := app.OpenDB(ctx, cfg, nil)
	must(t, err)
	defer d.Close()
	s := identity.NewStore(d)
	// The victim: an electric utility that shares no community with the
	// attacker, an org admin of a county holding a token with every scope.
	victimOrg, err := s.OrgByName(ctx, "Meridian Power & Light")
	must(t, err)
	victimUser, err := s.UserByEmail(ctx, "admin@mpl.example")
	must(t, err)
	energy, err := s.Community(ctx, "Energy Sector Partners", access.Principal{Coordinator: true})
	must(t, err)
	attacker, err := s.UserByEmail(ctx, "admin@birch.example")
	must(t, err)
	victimToken, _ := newToken(t, d, s, victimUser.ID)
	victimObject := shareVictimObject(t, d, s, victimUser)
	victimNotification := shareVictimNotification(t, d, victimUser, victimObject)
	victimEntry := shareVictimInventoryEntry(t, d, victimUser)
	_, attackerSecret := newToken(t, d, s, attacker.ID)

	// Which of the victim's resources each path wildcard names.
	victim := map[string]string{
		"/orgs/{id}":                      victimOrg.ID,
		"/orgs/{id}/members/{user}":       victimUser.ID,
		"/communities/{id}":               energy.ID,
		"/communities/{id}/members/{org}": victimOrg.ID,
		"/account/tokens/{id}":            victimToken.ID,
		"/api/v1/tokens/{id}":             victimToken.ID,
		"/api/v1/objects/{id}":            victimObject,
		"/sharing/objects/{id}":           victimObject,
		// TAXII: the demo has no collection or status of the victim's
		// that the attacker could not see, so these name none that
		// exist; internal/taxii's tests cover other organizations'
		// collections, objects and statuses.
		"/taxii2/{root}":                                   sharing.DefaultAPIRoot,
		"/taxii2/{root}/status/{id}":                       "0b0f5a38-3b2e-4b43-9a39-62f1a7e7f002",
		"/taxii2/{root}/collections/{id}":                  "energy-sector-partners",
		"/taxii2/{root}/collections/{id}/objects/{object}": victimObject,
		// Peers are the instance's, not an organization's: only
		// coordinators reach them, so any id tells the rule apart.
		"/api/v1/peers/{id}": "0b0f5a38-3b2e-4b43-9a39-62f1a7e7f003",
		// A webhook of the victim's organization.
		"/api/v1/webhooks/{id}": shareVictimWebhook(t, d, victimUser),
		// A notification of the victim's organization, and its
		// notification webhook.
		"/api/v1/notifications/{id}":          victimNotification,
		"/notifications/{id}":                 victimNotification,
		"/api/v1/notifications/webhooks/{id}": shareVictimNotifyWebhook(t, d, victimUser),
		// The victim's inventory and an entry of it.
		"/api/v1/orgs/{org}":                victimOrg.ID,
		"/api/v1/orgs/{org}/inventory/{id}": victimEntry,
		"/orgs/{org}":                       victimOrg.ID,
		"/orgs/{org}/inventory/{id}":        victimEntry,
	}
	// Routes that may answer a caller from another organization, because
	// what they show is redacted for it; they must still not show the
	// victim's id.
	redacted := map[string]bool{"GET /communities/{id}": true,
		// An API root and the collections in it the caller may see.
		"GET /taxii2/{root}/{$}": true, "GET /taxii2/{root}/collections/{$}": true}
	wildcard := regexp.MustCompile(`\{([a-z]+)(\.\.\.)?\}`)

	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	call := func(method, path, token string) (int, string) {
		req, err := http.NewRequest(method, base+path, strings.NewReader(""))
		must(t, err)
		req.Header.Set("Accept", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := client.Do(req)
		must(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}

	var sent []string // the paths of the attacker's writes to resources
	routes := a.Routes()
	if len(routes) < 20 {
		t.Fatalf("only %d routes; is every module mounted?", len(routes))
	}
	for _, rt := range routes {
		method, path, ok := strings.Cut(rt.Pattern, " ")
		if !ok {
			method, path = "GET", rt.Pattern
		}
		if strings.HasSuffix(path, "/") && path != "/" {
			path += "rampart.css" // a subtree such as /static/
		}
		path = strings.TrimSuffix(path, "{$}")
		filled, missing := path, ""
		prefix := ""
		for _, m := range wildcard.FindAllStringSubmatchIndex(path, -1) {
			prefix = path[:m[1]]
			v, known := victim[prefix]
			if !known {
				v = "x"
				if !rt.Rule.IsPublic() {
					missing = prefix
				}
			}
			filled = strings.Replace(filled, path[m[0]:m[1]], v, 1)
		}
		if missing != "" {
			t.Errorf("%s: the test does not know which victim resource %s names; add it to the table", rt.Pattern, missing)
			continue
		}

		code, _ := call(method, filled, "")
		if rt.Rule.IsPublic() {
			if code == 401 || code == 403 {
				t.Errorf("%s is declared public but refused an anonymous caller: %d", rt.Pattern, code)
			}
			continue
		}
		if code != 401 {
			t.Errorf("%s %s answered an anonymous caller with %d, want 401", method, filled, code)
		}

		code, body := call(method, filled, attackerSecret)
		// The problem's "instance" repeats the path the caller sent, and
		// the caller's audit log the paths of its earlier writes that
		// named a resource (a DELETE naming the victim's organization
		// sorts before GET /audit); only what the server adds counts as
		// shown.
		body = strings.ReplaceAll(body, filled, "")
		for _, p := range sent {
			body = strings.ReplaceAll(body, p, "")
		}
		if prefix != "" && method != "GET" && method != "HEAD" {
			sent = append(sent, filled)
		}
		if strings.Contains(body, victimOrg.ID) || strings.Contains(body, victimUser.Email) {
			t.Errorf("%s %s shows the victim's data to another organization (%d)", method, filled, code)
		}
		if prefix != "" && !redacted[rt.Pattern] && code != 403 && code != 404 {
			t.Errorf("%s %s answered a caller from another organization with %d, want 403 or 404: %.200s", method, filled, code, body)
		}
	}
	t.Logf("walked %d routes", len(routes))
}

func newToken(t *testing.T, d *db.DB, s *identity.Store, userID string) (*identity.Token, string) {
	t.Helper()
	var tok *identity.Token
	var secret string
	err := d.Tx(context.Background(), func(tx *sql.Tx) (err error) {
		tok, secret, err = s.CreateToken(context.Background(), tx, userID, "walk", identity.Scopes, 0)
		return err
	})
	must(t, err)
	return tok, secret
}

// shareVictimObject stores a TLP:AMBER indicator of the victim's, shared
// with nobody else, and returns its STIX id.
func shareVictimObject(t *testing.T, d *db.DB, s *identity.Store, u *identity.User) string {
	t.Helper()
	ctx := context.Background()
	p, err := s.Principal(ctx, u)
	must(t, err)
	const id = "indicator--0b0f5a38-3b2e-4b43-9a39-62f1a7e7f001"
	obj, err := stix.ParseObject([]byte(`{"type":"indicator","spec_version":"2.1","id":"` + id + `","created":"2026-01-01T00:00:00.000Z",
"modified":"2026-01-01T00:00:00.000Z","pattern":"[ipv4-addr:value = '198.51.100.77']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"}`))
	must(t, err)
	store := sharing.NewStore(d, events.NewOutbox(d, nil), access.Policy{})
	rep, err := store.Ingest(ctx, sharing.Submission{Principal: p, Source: sharing.SourceAPI, DefaultTLP: access.Amber}, []stix.Object{obj})
	must(t, err)
	if rep.Added != 1 {
		t.Fatalf("victim object: %+v", rep)
	}
	return id
}

// shareVictimWebhook registers a webhook of the victim's organization and
// returns its id.
func shareVictimWebhook(t *testing.T, d *db.DB, u *identity.User) string {
	t.Helper()
	h := sharing.Webhook{OrgID: u.OrgID, CreatedBy: u.ID, URL: "https://siem.mpl.example/rampart"}
	must(t, d.Tx(context.Background(), func(tx *sql.Tx) error {
		return sharing.NewStore(d, events.NewOutbox(d, nil), access.Policy{}).CreateWebhook(context.Background(), tx, &h)
	}))
	return h.ID
}

// shareVictimNotification stores a notification of the victim's
// organization about its own object.
func shareVictimNotification(t *testing.T, d *db.DB, u *identity.User, stixID string) string {
	t.Helper()
	id := "0b0f5a38-3b2e-4b43-9a39-62f1a7e7f004"
	must(t, d.Tx(context.Background(), func(tx *sql.Tx) error {
		_, err := tx.ExecContext(context.Background(), `INSERT INTO notifications (id, org_id, item_id, stix_id, version_seq, object_type,
			reason_kind, reason_key, reason, severity, tlp, title, created_at, updated_at)
			SELECT $1, $2, v.id, v.stix_id, v.seq, v.type, 'indicator', 'k', 'r', 'high', v.tlp, 't', 1, 1 FROM stix_versions v WHERE v.stix_id = $3`,
			id, u.OrgID, stixID)
		return err
	}))
	return id
}

// shareVictimNotifyWebhook stores a notification webhook of the victim's
// organization.
func shareVictimNotifyWebhook(t *testing.T, d *db.DB, u *identity.User) string {
	t.Helper()
	id := "0b0f5a38-3b2e-4b43-9a39-62f1a7e7f005"
	must(t, d.Tx(context.Background(), func(tx *sql.Tx) error {
		_, err := tx.ExecContext(context.Background(), `INSERT INTO notification_webhooks (id, org_id, url, secret, created_at) VALUES ($1, $2, $3, $4, 1)`,
			id, u.OrgID, "https://siem.mpl.example/notify", "whsec_x")
		return err
	}))
	return id
}

// shareVictimInventoryEntry adds an entry to the victim's inventory and
// returns its id.
func shareVictimInventoryEntry(t *testing.T, d *db.DB, u *identity.User) string {
	t.Helper()
	e, err := notify.NewStore(d).Add(context.Background(), u.OrgID, notify.Item{Kind: notify.KindDomain, Value: "walk.mpl.example"}, notify.Actor{Label: "test"})
	must(t, err)
	return e.ID
}
