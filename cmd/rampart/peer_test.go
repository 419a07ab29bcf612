package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rampart-project/rampart/internal/app"
	"github.com/rampart-project/rampart/internal/config"
	"github.com/rampart-project/rampart/internal/demo"
	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/identity"
	"github.com/rampart-project/rampart/stix"
	"github.com/rampart-project/rampart/taxii"
)

// instance is a running Rampart with every built-in module and the demo
// world, on SQLite and embedded NATS in its own data directory.
type instance struct {
	t    *testing.T
	name string
	base string
	d    *db.DB
	ids  *identity.Store
}

func startInstance(t *testing.T, name string) *instance {
	t.Helper()
	ctx := context.Background()
	cfg := config.Default()
	cfg.DataDir, cfg.Addr, cfg.Demo, cfg.InstanceName = t.TempDir(), "127.0.0.1:0", true, name
	a, err := app.New(ctx, cfg, app.Options{Version: "test", Modules: append(builtinModules(), &demo.Module{Out: io.Discard})})
	must(t, err)
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- a.Run(runCtx) }()
	t.Cleanup(func() { stop(); <-done })
	d, err := app.OpenDB(ctx, cfg, nil)
	must(t, err)
	t.Cleanup(func() { d.Close() })
	return &instance{t: t, name: name, base: "http://" + a.Addr().String(), d: d, ids: identity.NewStore(d)}
}

// token returns an API token with every scope for a demo user.
func (in *instance) token(email string) string {
	in.t.Helper()
	u, err := in.ids.UserByEmail(context.Background(), email)
	must(in.t, err)
	_, secret := newToken(in.t, in.d, in.ids, u.ID)
	return secret
}

func (in *instance) call(method, path, token, body string) (int, string) {
	in.t.Helper()
	req, err := http.NewRequest(method, in.base+path, strings.NewReader(body))
	must(in.t, err)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	must(in.t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// share submits one object to the demo's SLTT collection.
func (in *instance) share(token, tlp, object string) {
	in.t.Helper()
	code, body := in.call("POST", "/api/v1/objects?collection=meridian-sltt&tlp="+tlp, token,
		`{"type":"bundle","id":"bundle--5b0e7f4c-2a31-4d8e-9c6b-1f2e3d4c5b6a","objects":[`+object+`]}`)
	if code != 200 || !strings.Contains(body, `"added":1`) {
		in.t.Fatalf("%s: share: %d %s", in.name, code, body)
	}
}

// rows counts the stored versions of a STIX id, whoever may see them.
func (in *instance) rows(stixID string) int {
	in.t.Helper()
	var n int
	must(in.t, in.d.Reader().QueryRowContext(context.Background(), `SELECT COUNT(*) FROM stix_versions WHERE stix_id = $1`, stixID).Scan(&n))
	return n
}

// peerState is what the tests read of a peer from the API.
type peerState struct {
	ID         string `json:"id"`
	Secret     string `json:"secret"`
	LastError  string `json:"last_error"`
	LastRunAt  string `json:"last_run_at"`
	Pulled     int    `json:"pulled"`
	Pushed     int    `json:"pushed"`
	PushCursor string `json:"push_cursor"`
}

func (in *instance) addPeer(coordinator, body string) peerState {
	in.t.Helper()
	code, resp := in.call("POST", "/api/v1/peers", coordinator, body)
	var p peerState
	if err := json.Unmarshal([]byte(resp), &p); code != 201 || err != nil {
		in.t.Fatalf("%s: add peer: %d %s", in.name, code, resp)
	}
	return p
}

func (in *instance) peer(coordinator, id string) peerState {
	in.t.Helper()
	code, resp := in.call("GET", "/api/v1/peers/"+id, coordinator, "")
	var p peerState
	if err := json.Unmarshal([]byte(resp), &p); code != 200 || err != nil {
		in.t.Fatalf("%s: peer: %d %s", in.name, code, resp)
	}
	return p
}

// arrives waits until reader sees the object on the instance and returns
// how long that took after since.
func (in *instance) arrives(token, stixID string, since time.Time) time.Duration {
	in.t.Helper()
	waitUntil(in.t, 10*time.Second, stixID+" on "+in.name, func() bool {
		code, _ := in.call("GET", "/api/v1/objects/"+stixID, token, "")
		return code == 200
	})
	return time.Since(since)
}

func fedIndicator(n int, marking string) (id, object string) {
	id = fmt.Sprintf("indicator--5e1d0c9b-8a7f-4e6d-9c5b-%012d", n)
	refs := ""
	if marking != "" {
		refs = `,"object_marking_refs":["` + marking + `"]`
	}
	return id, fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"%s","created":"2026-12-01T10:00:00.000Z",`+
		`"modified":"2026-12-01T10:00:00.000Z","name":"federated %d","pattern":"[ipv4-addr:value = '192.0.2.%d']",`+
		`"pattern_type":"stix","valid_from":"2026-12-01T10:00:00Z"%s}`, id, n, n, refs)
}

// TestFederationBetweenTwoInstances runs two Rampart servers and federates
// the demo's SLTT collection between them: B pulling from A's TAXII
// server, then A pushing to B's (and pulling from it, to show nothing goes
// back where it came from). What A shares appears on B within seconds;
// TLP:RED and what is above the peer's max_tlp never does.
func TestFederationBetweenTwoInstances(t *testing.T) {
	a, b := startInstance(t, "instance A"), startInstance(t, "instance B")
	coordA, coordB := a.token("admin@ncc.example"), b.token("admin@ncc.example")
	ashfordA, meridianA := a.token("analyst@ashford.example"), a.token("analyst@meridian.example")
	meridianB, birchB := b.token("analyst@meridian.example"), b.token("analyst@birch.example")
	red, _ := stix.TLPMarkingID(stix.TLPRed)

	t.Run("B pulls from A", func(t *testing.T) {
		p := b.addPeer(coordB, fmt.Sprintf(`{"name":"instance-a","api_root_url":%q,"remote_collection":"meridian-sltt",
			"username":"analyst@meridian.example","secret":%q,"pull":true,"local_collection":"meridian-sltt",
			"owner_org":"State of Meridian","interval":"1s"}`, a.base+"/taxii2/api/", meridianA))
		if p.Secret != "set" {
			t.Fatalf("the secret is shown as %q", p.Secret)
		}
		// TLP:RED in two ways: marked, by the very user whose token the
		// peer reads with (so A serves it, and B must drop it), and by
		// default, by another user (so A does not serve it at all).
		redMarked, obj := fedIndicator(1, red)
		a.share(meridianA, "GREEN", obj)
		redDefault, obj := fedIndicator(2, "")
		a.share(ashfordA, "RED", obj)
		green, obj := fedIndicator(3, "")
		start := time.Now()
		a.share(ashfordA, "GREEN", obj)
		t.Logf("A→B by pull (interval 1s): %s", b.arrives(meridianB, green, start).Round(time.Millisecond))

		// B has run past both RED objects by now: its cursor is beyond them.
		if n := b.rows(redMarked) + b.rows(redDefault); n != 0 {
			t.Fatalf("a TLP:RED object reached B (%d versions)", n)
		}
		// The run records what it pulled after storing it, so the object
		// may be visible a moment before the peer's counts are.
		waitUntil(t, 10*time.Second, "B's peer to count what it pulled", func() bool {
			got := b.peer(coordB, p.ID)
			return got.Pulled >= 1 || got.LastError != ""
		})
		if got := b.peer(coordB, p.ID); got.LastError != "" || got.Pulled < 1 {
			t.Fatalf("B's peer: %+v", got)
		}
		if code, body := b.call("DELETE", "/api/v1/peers/"+p.ID, coordB, ""); code != 204 {
			t.Fatalf("delete: %d %s", code, body)
		}
	})

	t.Run("A pushes to B", func(t *testing.T) {
		p := a.addPeer(coordA, fmt.Sprintf(`{"name":"instance-b","api_root_url":%q,"remote_collection":"meridian-sltt",
			"username":"analyst@meridian.example","secret":%q,"push":true,"pull":true,"local_collection":"meridian-sltt",
			"owner_org":"State of Meridian","interval":"1s","max_tlp":"green"}`, b.base+"/taxii2/api/", meridianB))
		redMarked, obj := fedIndicator(11, red)
		a.share(meridianA, "GREEN", obj)
		amber, obj := fedIndicator(12, "")
		a.share(ashfordA, "AMBER", obj)
		green, obj := fedIndicator(13, "")
		start := time.Now()
		a.share(ashfordA, "GREEN", obj)
		t.Logf("A→B by push (on the event): %s", b.arrives(meridianB, green, start).Round(time.Millisecond))
		if n := b.rows(redMarked); n != 0 {
			t.Fatalf("a TLP:RED object was pushed to B (%d versions)", n)
		}
		if n := b.rows(amber); n != 0 {
			t.Fatalf("a TLP:AMBER object was pushed to a peer with max_tlp GREEN (%d versions)", n)
		}

		// Birch County shares on B; A pulls it and must not push it back,
		// which would store a second version on B (A pushes as Meridian).
		fromB, obj := fedIndicator(14, "")
		b.share(birchB, "GREEN", obj)
		a.arrives(ashfordA, fromB, time.Now())
		var added struct {
			AddedAt time.Time `json:"added_at"`
		}
		_, body := a.call("GET", "/api/v1/objects/"+fromB, ashfordA, "")
		must(t, json.Unmarshal([]byte(body), &added))
		waitUntil(t, 10*time.Second, "A's push cursor to pass the object from B", func() bool {
			cur, err := taxii.ParseTimestamp(a.peer(coordA, p.ID).PushCursor)
			return err == nil && !cur.Before(added.AddedAt)
		})
		if n := b.rows(fromB); n != 1 {
			t.Fatalf("the object from B is stored %d times on B; A sent it back", n)
		}
		if n := a.rows(fromB); n != 1 {
			t.Fatalf("the object from B is stored %d times on A", n)
		}
		if got := a.peer(coordA, p.ID); got.LastError != "" || got.Pushed < 1 {
			t.Fatalf("A's peer: %+v", got)
		}
	})
}

// TestPeerAPIIsForCoordinators checks the rules of the peers API and page:
// other members are refused, the page has its form with the CSRF field.
func TestPeerAPIIsForCoordinators(t *testing.T) {
	a := startInstance(t, "instance")
	coord, admin := a.token("admin@ncc.example"), a.token("admin@meridian.example")
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/api/v1/peers", ""},
		{"POST", "/api/v1/peers", `{}`},
		{"GET", "/sharing/peers", ""},
	} {
		if code, body := a.call(c.method, c.path, admin, c.body); code != 403 {
			t.Errorf("%s %s as an org admin: %d %s", c.method, c.path, code, body)
		}
	}
	code, body := a.call("POST", "/api/v1/peers", coord, `{"name":"x","api_root_url":"ftp://peer.example/","remote_collection":"c","pull":true,"local_collection":"meridian-sltt"}`)
	if code != 400 || !strings.Contains(body, "api_root_url") {
		t.Fatalf("bad URL: %d %s", code, body)
	}
	code, page := a.page("GET", "/sharing/peers", coord, nil)
	for _, want := range []string{"TLP:CLEAR", `name="csrf_token"`, `action="/sharing/peers"`, "No peers yet", "Meridian SLTT sharing (meridian-sltt)"} {
		if code != 200 || !strings.Contains(page, want) {
			t.Errorf("the page (%d) lacks %q", code, want)
		}
	}

	// The add form: a mistake comes back with the form filled in (but not
	// the secret); a good one lands on the list.
	form := url.Values{"name": {"national"}, "api_root_url": {"https://national.example/taxii2/api/"}, "remote_collection": {"advisories"},
		"secret": {"form-secret"}, "pull": {"on"}, "local_collection": {"national-advisories"}, "interval": {"10ms"}, "max_tlp": {"GREEN"}}
	code, page = a.page("POST", "/sharing/peers", coord, form)
	if code != 400 || !strings.Contains(page, "interval") || !strings.Contains(page, `value="advisories"`) || strings.Contains(page, "form-secret") {
		t.Fatalf("a bad form: %d", code)
	}
	form.Set("interval", "5m")
	if code, _ = a.page("POST", "/sharing/peers", coord, form); code != 303 {
		t.Fatalf("the form: %d", code)
	}
	code, page = a.page("GET", "/sharing/peers", coord, nil)
	for _, want := range []string{"national", "https://national.example/taxii2/api/", "National advisories (national-advisories)", "5m0s", "National Cyber Coordination Center"} {
		if code != 200 || !strings.Contains(page, want) {
			t.Errorf("the list (%d) lacks %q", code, want)
		}
	}
	if strings.Contains(page, "form-secret") {
		t.Error("the page shows the secret")
	}

	// The API sees the peer the form made, and changes and removes it.
	code, body = a.call("GET", "/api/v1/peers", coord, "")
	var list struct{ Peers []peerState }
	if err := json.Unmarshal([]byte(body), &list); code != 200 || err != nil || len(list.Peers) != 1 || strings.Contains(body, "form-secret") {
		t.Fatalf("list: %d %s", code, body)
	}
	id := list.Peers[0].ID
	if code, body = a.call("PATCH", "/api/v1/peers/"+id, coord, `{"enabled":false,"max_tlp":"amber"}`); code != 200 ||
		!strings.Contains(body, `"enabled":false`) || !strings.Contains(body, `"max_tlp":"AMBER"`) || !strings.Contains(body, `"secret":"set"`) {
		t.Fatalf("patch: %d %s", code, body)
	}
	if code, body = a.call("PATCH", "/api/v1/peers/"+id, admin, `{"enabled":true}`); code != 403 {
		t.Fatalf("patch as an org admin: %d %s", code, body)
	}
	if code, _ = a.call("DELETE", "/api/v1/peers/"+id, coord, ""); code != 204 {
		t.Fatalf("delete: %d", code)
	}
	if code, _ = a.call("GET", "/api/v1/peers/"+id, coord, ""); code != 404 {
		t.Fatalf("after delete: %d", code)
	}
}

// page requests a page as a browser would, with a token instead of a
// session (tokens need no CSRF field), without following redirects.
func (in *instance) page(method, path, token string, form url.Values) (int, string) {
	in.t.Helper()
	req, err := http.NewRequest(method, in.base+path, strings.NewReader(form.Encode()))
	must(in.t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "text/html")
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	must(in.t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// auditActions lists the actions the audit log holds for peers, by actor.
func auditActions(t *testing.T, d *db.DB) []string {
	t.Helper()
	rows, err := d.Reader().QueryContext(context.Background(), `SELECT actor_label, action FROM audit_log WHERE target_kind = 'peer' ORDER BY seq`)
	must(t, err)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var actor, action string
		must(t, rows.Scan(&actor, &action))
		out = append(out, actor+" "+action)
	}
	return out
}
