package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rampart-project/rampart/internal/app"
	"github.com/rampart-project/rampart/internal/config"
	"github.com/rampart-project/rampart/internal/demo"
	"github.com/rampart-project/rampart/internal/notify"
	"github.com/rampart-project/rampart/internal/notify/notifytest"
	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/db/dbtest"
	"github.com/rampart-project/rampart/internal/platform/identity"
	"github.com/rampart-project/rampart/internal/sharing"
)

// TestDemoNotificationScenario is issue 6's "done when", through the HTTP
// API of a real server with the demo world: an analyst of the state
// publishes an indicator for an address in Ashford County's network; the
// county sees it in its inbox, gets the e-mail (at a real SMTP server) and
// the signed webhook, and acknowledges it; the coordinator sees who was
// notified and who acknowledged; importing KEV entries notifies the
// organizations that run the affected software.
func TestDemoNotificationScenario(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { demoNotificationScenario(t, "") })
	if os.Getenv(dbtest.EnvPostgres) != "" {
		t.Run("postgres", func(t *testing.T) { demoNotificationScenario(t, dbtest.PostgresURL(t)) })
	}
}

func demoNotificationScenario(t *testing.T, database string) {
	ctx := context.Background()
	mailbox := notifytest.StartSMTP(t)
	cfg := config.Default()
	cfg.DataDir, cfg.Addr, cfg.Demo, cfg.DatabaseURL = t.TempDir(), "127.0.0.1:0", true, database
	cfg.SMTPURL, cfg.SMTPFrom = mailbox.URL(), "rampart@meridian.example"
	a, err := app.New(ctx, cfg, app.Options{Version: "test", Modules: append(builtinModules(), &demo.Module{Out: io.Discard})})
	must(t, err)
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- a.Run(runCtx) }()
	t.Cleanup(func() { stop(); <-done })
	base := "http://" + a.Addr().String()
	d, err := app.OpenDB(ctx, cfg, nil)
	must(t, err)
	defer d.Close()
	ids := identity.NewStore(d)
	token := func(email string) string {
		u, err := ids.UserByEmail(ctx, email)
		must(t, err)
		_, secret := newToken(t, d, ids, u.ID)
		return secret
	}
	stateAnalyst, countyAdmin, coordinator := token("analyst@meridian.example"), token("admin@ashford.example"), token("admin@ncc.example")
	call := func(method, path, tok string, body string, out any) int {
		t.Helper()
		req, err := http.NewRequest(method, base+path, strings.NewReader(body))
		must(t, err)
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Accept", "application/json")
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		must(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if out != nil && resp.StatusCode < 300 {
			if err := json.Unmarshal(b, out); err != nil {
				t.Fatalf("%s %s: %v: %s", method, path, err, b)
			}
		}
		if resp.StatusCode >= 300 {
			t.Logf("%s %s: %d %s", method, path, resp.StatusCode, b)
		}
		return resp.StatusCode
	}

	waitForDemoNotifications(t, d)

	// The county's SIEM receives notifications by webhook and checks
	// each signature with sharing's scheme.
	var mu sync.Mutex
	var hooks []string
	var secret string
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if !sharing.VerifySignature(secret, r.Header.Get(sharing.HeaderWebhookTimestamp), body, r.Header.Get(sharing.HeaderWebhookSignature)) {
			t.Errorf("webhook signature does not verify")
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		hooks = append(hooks, string(body))
	}))
	defer receiver.Close()
	var hook struct {
		ID, Secret string
	}
	if code := call("POST", "/api/v1/notifications/webhooks", countyAdmin, `{"url":"`+receiver.URL+`/rampart"}`, &hook); code != http.StatusCreated {
		t.Fatalf("create webhook: %d", code)
	}
	mu.Lock()
	secret = hook.Secret
	mu.Unlock()

	// The county listens to its live stream.
	streamed := make(chan string, 16)
	streamCtx, endStream := context.WithCancel(ctx)
	defer endStream()
	sreq, err := http.NewRequestWithContext(streamCtx, "GET", base+"/api/v1/notifications/stream", nil)
	must(t, err)
	sreq.Header.Set("Authorization", "Bearer "+countyAdmin)
	sreq.Header.Set("Accept", "text/event-stream")
	sresp, err := http.DefaultClient.Do(sreq)
	must(t, err)
	defer sresp.Body.Close()
	go func() {
		sc := bufio.NewScanner(sresp.Body)
		for sc.Scan() {
			if line, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				streamed <- line
			}
		}
	}()

	// The state's analyst publishes an indicator for an address in
	// Ashford County's 198.51.100.0/24.
	now := time.Now().UTC().Format("2006-01-02T15:04:05.000Z")
	indicator := "indicator--6a1f4d2e-8b7c-4e3a-9f21-0c5d6e7f8a90"
	bundle := fmt.Sprintf(`{"type":"bundle","id":"bundle--0d6f6b5e-7c8a-4f5e-8a1b-2c3d4e5f6a7b","objects":[{"type":"indicator","spec_version":"2.1",
		"id":%q,"created":%q,"modified":%q,"name":"Ransomware staging server","pattern":"[ipv4-addr:value = '198.51.100.77']",
		"pattern_type":"stix","valid_from":%q,"confidence":95}]}`, indicator, now, now, now)
	if code := call("POST", "/api/v1/objects?tlp=green", stateAnalyst, bundle, nil); code >= 300 {
		t.Fatalf("publish: %d", code)
	}
	published := time.Now()

	type page struct {
		Notifications []struct {
			ID       string
			ObjectID string `json:"object_id"`
			Reason   string
			Severity string
			TLP      string
			State    string
			AckNote  string `json:"acknowledgement_note"`
		} `json:"notifications"`
	}
	var inbox page
	var id string
	waitUntil(t, 10*time.Second, "the county's inbox row", func() bool {
		inbox = page{}
		call("GET", "/api/v1/notifications", countyAdmin, "", &inbox)
		for _, n := range inbox.Notifications {
			if n.ObjectID == indicator {
				id = n.ID
				return true
			}
		}
		return false
	})
	t.Logf("time to inbox: %v", time.Since(published))
	var got struct {
		ID, Reason, Severity, TLP, State string
		ObjectID                         string `json:"object_id"`
	}
	call("GET", "/api/v1/notifications/"+id, countyAdmin, "", &got)
	if !strings.Contains(got.Reason, "198.51.100.77") || !strings.Contains(got.Reason, "198.51.100.0/24") || got.Severity != "critical" || got.TLP != "GREEN" {
		t.Errorf("notification = %+v", got)
	}
	// Another county, whose network it is not, has nothing.
	var birch page
	call("GET", "/api/v1/notifications", token("admin@birch.example"), "", &birch)
	for _, n := range birch.Notifications {
		if n.ObjectID == indicator {
			t.Errorf("Birch County was notified of Ashford's address: %+v", n)
		}
	}
	if code := call("GET", "/api/v1/notifications/"+id, token("admin@birch.example"), "", nil); code != http.StatusNotFound {
		t.Errorf("another county reads the notification: %d", code)
	}

	waitUntil(t, 10*time.Second, "the e-mail", func() bool {
		for _, m := range mailbox.Messages() {
			if strings.HasPrefix(m.Subject, "[TLP:GREEN]") && strings.Contains(strings.Join(m.To, ","), "ashford.example") {
				return true
			}
		}
		return false
	})
	waitUntil(t, 10*time.Second, "the webhook", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(hooks) > 0 && strings.Contains(hooks[0], indicator)
	})
	t.Logf("time to e-mail and webhook: %v", time.Since(published))
	select {
	case line := <-streamed:
		if !strings.Contains(line, indicator) {
			t.Errorf("stream sent %s", line)
		}
	case <-time.After(5 * time.Second):
		t.Errorf("the live stream sent nothing")
	}
	endStream()

	// The inbox page shows the TLP, the reason and the acknowledge form.
	html := func(path, tok string) string {
		req, err := http.NewRequest("GET", base+path, nil)
		must(t, err)
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Accept", "text/html")
		resp, err := http.DefaultClient.Do(req)
		must(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %d", path, resp.StatusCode)
		}
		return string(b)
	}
	if page := html("/notifications", countyAdmin); !strings.Contains(page, "TLP:GREEN") || !strings.Contains(page, "198.51.100.0/24") ||
		!strings.Contains(page, "/notifications/"+id+"/acknowledge") || !strings.Contains(page, "csrf_token") {
		t.Errorf("inbox page lacks the notice: %.2000s", page)
	}

	var acked struct{ State, AckNote string }
	if code := call("POST", "/api/v1/notifications/"+id+"/acknowledge", countyAdmin, `{"note":"blocked at the firewall"}`, &acked); code != http.StatusOK || acked.State != "acknowledged" {
		t.Fatalf("acknowledge: %d %+v", code, acked)
	}
	var ov struct {
		Organizations []struct {
			OrgName  string `json:"org_name"`
			Notified bool
			State    string
			AckBy    string `json:"acknowledged_by"`
		}
	}
	if code := call("GET", "/api/v1/notifications/overview?object="+indicator, coordinator, "", &ov); code != http.StatusOK {
		t.Fatalf("overview: %d", code)
	}
	seen := false
	for _, o := range ov.Organizations {
		if o.OrgName == "Ashford County" {
			seen = o.Notified && o.State == "acknowledged" && o.AckBy == "admin@ashford.example"
		}
	}
	if !seen {
		t.Errorf("overview does not show Ashford's acknowledgement: %+v", ov)
	}
	if page := html("/notifications/overview?object="+indicator, coordinator); !strings.Contains(page, "<svg") || !strings.Contains(page, "Ashford County") {
		t.Errorf("overview page: %.2000s", page)
	}

	// Retroactive matching: Birch County adds a network that holds the
	// address, and learns of the indicator published before.
	birchOrg, err := ids.OrgByName(ctx, "Birch County")
	must(t, err)
	_, err = notify.NewStore(d).Add(ctx, birchOrg.ID, notify.Item{Kind: notify.KindCIDR, Value: "198.51.100.64/26"}, notify.Actor{Label: "test"})
	must(t, err)
	birchToken := token("admin@birch.example")
	waitUntil(t, 10*time.Second, "Birch's retroactive notification", func() bool {
		var p page
		call("GET", "/api/v1/notifications", birchToken, "", &p)
		for _, n := range p.Notifications {
			if n.ObjectID == indicator && strings.Contains(n.Reason, "198.51.100.64/26") {
				return true
			}
		}
		return false
	})

	// KEV: entries for PAN-OS and a Unitronics PLC reach the state and
	// the city's water utility, which run them.
	kev := filepath.Join(t.TempDir(), "kev.json")
	must(t, os.WriteFile(kev, []byte(`{"title":"test","vulnerabilities":[
		{"cveID":"CVE-2024-3400","vendorProject":"Palo Alto Networks","product":"PAN-OS","vulnerabilityName":"PAN-OS Command Injection",
		 "dateAdded":"2024-04-12","shortDescription":"GlobalProtect command injection.","requiredAction":"Apply mitigations.","dueDate":"2024-04-19","knownRansomwareCampaignUse":"Unknown"},
		{"cveID":"CVE-2023-6448","vendorProject":"Unitronics","product":"Vision PLC and HMI","vulnerabilityName":"Unitronics default password",
		 "dateAdded":"2023-12-11","shortDescription":"Insecure default password.","requiredAction":"Change the password.","dueDate":"2023-12-18","knownRansomwareCampaignUse":"Unknown"}]}`), 0o600))
	if out, errOut, code := runCmd(t, nil, append(dbArgs(cfg), "kev", "import", kev)...); code != 0 {
		t.Fatalf("kev import: %d %s %s", code, out, errOut)
	}
	for _, who := range []string{"admin@meridian.example", "admin@port-meridian.example"} {
		tok := token(who)
		waitUntil(t, 10*time.Second, "the KEV notification of "+who, func() bool {
			var p page
			call("GET", "/api/v1/notifications?severity=high", tok, "", &p)
			for _, n := range p.Notifications {
				if strings.Contains(n.Reason, "CVE-") {
					return true
				}
			}
			return false
		})
	}
}

// waitForDemoNotifications waits until the demo world's own notifications
// (its coordinator notice to five local governments, its targets
// relationship to the ten organizations of the state) are made and
// delivered, so that what a test publishes next is all that arrives.
func waitForDemoNotifications(t *testing.T, d *db.DB) {
	t.Helper()
	ctx := context.Background()
	waitUntil(t, 10*time.Second, "the demo's notifications", func() bool {
		var made, pending int
		must(t, d.Reader().QueryRowContext(ctx, `SELECT COUNT(*), (SELECT COUNT(*) FROM notification_deliveries WHERE status = 'pending')
			FROM notifications WHERE stix_id IN ($1, $2)`, demo.NoticeID, demo.TargetsRelationshipID).Scan(&made, &pending))
		return made == 15 && pending == 0
	})
}

// dbArgs are the global flags that point a command at cfg's database.
func dbArgs(cfg config.Config) []string {
	args := []string{"--data", cfg.DataDir}
	if cfg.DatabaseURL != "" {
		args = append(args, "--database", cfg.DatabaseURL)
	}
	return args
}
