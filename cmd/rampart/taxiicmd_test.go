package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rampart-project/rampart/internal/app"
	"github.com/rampart-project/rampart/internal/config"
	"github.com/rampart-project/rampart/internal/demo"
	"github.com/rampart-project/rampart/stix"
	"github.com/rampart-project/rampart/taxii"
)

// demoDataDir is a data directory holding the demo world, for commands.
func demoDataDir(t *testing.T) (string, config.Config) {
	t.Helper()
	ctx := context.Background()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	d, err := app.OpenDB(ctx, cfg, nil)
	must(t, err)
	defer d.Close()
	_, err = d.Migrate(ctx)
	must(t, err)
	_, err = demo.Ensure(ctx, d)
	must(t, err)
	return cfg.DataDir, cfg
}

// oneCollection is a TAXII server with one collection "feed" that offers
// two objects, one of them TLP:RED, and records what is posted to it.
type oneCollection struct {
	mu     sync.Mutex
	added  time.Time
	auth   []string
	posted []string
}

func (s *oneCollection) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.auth = append(s.auth, r.Header.Get("Authorization"))
	w.Header().Set("Content-Type", taxii.MediaTypeTAXII)
	if r.URL.Path != "/api/collections/feed/objects/" {
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"title":"not found"}`)
		return
	}
	if r.Method == http.MethodPost {
		var env taxii.Envelope
		_ = json.NewDecoder(r.Body).Decode(&env)
		for _, o := range env.Objects {
			s.posted = append(s.posted, o.ID())
		}
		w.WriteHeader(http.StatusAccepted)
		fmt.Fprintf(w, `{"id":"s1","status":"complete","total_count":%d,"success_count":%d,"failure_count":0,"pending_count":0}`, len(env.Objects), len(env.Objects))
		return
	}
	f, _ := taxii.ParseFilter(r.URL.Query())
	if !f.AddedAfter.Before(s.added) {
		fmt.Fprint(w, `{}`)
		return
	}
	_, green := fedIndicator(21, "")
	redMarking, _ := stix.TLPMarkingID(stix.TLPRed)
	_, red := fedIndicator(22, redMarking)
	w.Header().Set(taxii.HeaderDateAddedFirst, taxii.FormatTimestamp(s.added))
	w.Header().Set(taxii.HeaderDateAddedLast, taxii.FormatTimestamp(s.added))
	fmt.Fprintf(w, `{"objects":[%s,%s]}`, green, red)
}

func (s *oneCollection) seen() (auth, posted []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.auth...), append([]string(nil), s.posted...)
}

func TestTAXIICommands(t *testing.T) {
	dir, _ := demoDataDir(t)
	remote := &oneCollection{added: time.Date(2026, 12, 1, 10, 0, 0, 123456000, time.UTC)}
	srv := httptest.NewServer(remote)
	defer srv.Close()
	root := srv.URL + "/api/"

	out, errOut, code := runWithStdin(t, "", "--data", dir, "taxii", "pull", root, "--collection", "feed", "--into", "meridian-sltt",
		"--org", "State of Meridian", "--token", "tok-123")
	if code != 0 || !strings.Contains(out, "2 read: 1 added, 0 unchanged, 0 rejected, 1 TLP:RED dropped") ||
		!strings.Contains(out, "last date_added 2026-12-01T10:00:00.123456Z") {
		t.Fatalf("pull: %d\n%s%s", code, out, errOut)
	}
	if auth, _ := remote.seen(); auth[0] != "Bearer tok-123" {
		t.Fatalf("authorization %q", auth[0])
	}
	out, _, code = runWithStdin(t, "", "--data", dir, "taxii", "pull", root, "--collection", "feed", "--into", "meridian-sltt",
		"--org", "State of Meridian", "--added-after", "2026-12-01T10:00:00.123456Z", "--json")
	if code != 0 || !strings.Contains(out, `"read": 0`) {
		t.Fatalf("pull after the last date_added: %d %s", code, out)
	}

	// Push: the demo's five GREEN state objects (two shared by the state,
	// and the intrusion set, location and targets relationship) and the one
	// just pulled; with --max-tlp clear, none of them.
	out, errOut, code = runWithStdin(t, "", "--data", dir, "taxii", "push", root, "--collection", "feed", "--from", "meridian-sltt",
		"--org", "State of Meridian", "--user", "svc", "--token", "pw")
	if code != 0 || !strings.Contains(out, "6 sent: 6 accepted, 0 refused, 0 pending") {
		t.Fatalf("push: %d\n%s%s", code, out, errOut)
	}
	out, _, code = runWithStdin(t, "", "--data", dir, "taxii", "push", root, "--collection", "feed", "--from", "meridian-sltt",
		"--org", "State of Meridian", "--max-tlp", "clear")
	if code != 0 || !strings.Contains(out, "0 sent") {
		t.Fatalf("push at most CLEAR: %d %s", code, out)
	}
	for _, args := range [][]string{
		{"taxii", "push", root, "--collection", "feed", "--from", "meridian-sltt", "--org", "State of Meridian", "--max-tlp", "purple"},
		{"taxii", "pull", "not-a-url", "--collection", "feed", "--into", "meridian-sltt", "--org", "State of Meridian"},
		{"taxii", "pull", root, "--collection", "feed", "--into", "meridian-sltt", "--org", "State of Meridian", "--user", "svc"},
	} {
		if _, errOut, code := runWithStdin(t, "", append([]string{"--data", dir}, args...)...); code != 2 {
			t.Errorf("%v: exit %d (%s), want 2", args, code, errOut)
		}
	}
	if _, errOut, code := runWithStdin(t, "", "--data", dir, "taxii", "pull", root, "--collection", "feed", "--into", "nowhere", "--org", "State of Meridian"); code != 1 || !strings.Contains(errOut, `no collection "nowhere"`) {
		t.Errorf("unknown collection: %d %s", code, errOut)
	}
}

func TestPeerCommands(t *testing.T) {
	dir, cfg := demoDataDir(t)
	remote := &oneCollection{added: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}
	srv := httptest.NewServer(remote)
	defer srv.Close()

	id, errOut, code := runWithStdin(t, "tok-from-stdin\n", "--data", dir, "peer", "add", "feed", "--url", srv.URL+"/api/",
		"--remote-collection", "feed", "--local-collection", "meridian-sltt", "--org", "State of Meridian", "--pull", "--push",
		"--secret-stdin", "--interval", "30s")
	if code != 0 || strings.TrimSpace(id) == "" {
		t.Fatalf("add: %d %s", code, errOut)
	}
	id = strings.TrimSpace(id)
	if _, errOut, code := runWithStdin(t, "", "--data", dir, "peer", "add", "idle", "--url", srv.URL+"/api/", "--remote-collection", "feed",
		"--local-collection", "meridian-sltt", "--org", "State of Meridian"); code != 2 {
		t.Errorf("add without --pull or --push: %d %s", code, errOut)
	}
	if _, errOut, code := runWithStdin(t, "", "--data", dir, "peer", "add", "feed", "--url", srv.URL+"/api/", "--remote-collection", "feed",
		"--local-collection", "meridian-sltt", "--org", "State of Meridian", "--pull"); code != 1 || !strings.Contains(errOut, "already") {
		t.Errorf("add a taken name: %d %s", code, errOut)
	}

	// The pull stores one object and drops the RED one; the push sends
	// the demo's five GREEN state objects, not the one it just pulled.
	out, _, code := runWithStdin(t, "", "--data", dir, "peer", "sync", "feed")
	if code != 0 || !strings.Contains(out, "feed: pulled 1 (0 unchanged, 0 rejected, 1 TLP:RED dropped), pushed 5 (0 refused)") {
		t.Fatalf("sync: %d %s", code, out)
	}
	if auth, posted := remote.seen(); auth[0] != "Bearer tok-from-stdin" || len(posted) != 5 {
		t.Fatalf("the peer saw %v and got %v", auth, posted)
	}
	out, _, code = runWithStdin(t, "", "--data", dir, "peer", "list", "--json")
	if code != 0 || strings.Contains(out, "tok-from-stdin") || !strings.Contains(out, `"secret": "set"`) || !strings.Contains(out, `"pulled": 1`) {
		t.Fatalf("list: %d %s", code, out)
	}
	out, _, _ = runWithStdin(t, "", "--data", dir, "peer", "list")
	if !strings.Contains(out, "feed") || !strings.Contains(out, "pull+push≤green") {
		t.Fatalf("list as a table:\n%s", out)
	}

	srv.Close() // the peer goes away: the run fails, is recorded, exit 1
	if _, errOut, code := runWithStdin(t, "", "--data", dir, "peer", "sync", id); code != 1 || !strings.Contains(errOut, "pull: ") {
		t.Fatalf("sync of a peer that is down: %d %s", code, errOut)
	}
	if _, _, code := runWithStdin(t, "", "--data", dir, "peer", "remove", "feed"); code != 0 {
		t.Fatalf("remove: %d", code)
	}
	if _, errOut, code := runWithStdin(t, "", "--data", dir, "peer", "remove", "feed"); code != 1 || !strings.Contains(errOut, "no peer") {
		t.Fatalf("remove twice: %d %s", code, errOut)
	}

	d, err := app.OpenDB(context.Background(), cfg, nil)
	must(t, err)
	defer d.Close()
	want := "cli peer.create, cli peer.sync, cli peer.sync, cli peer.delete"
	if got := strings.Join(auditActions(t, d), ", "); got != want {
		t.Fatalf("audited %q, want %q", got, want)
	}
}
