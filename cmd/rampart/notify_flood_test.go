package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/rampart-project/rampart/internal/app"
	"github.com/rampart-project/rampart/internal/config"
	"github.com/rampart-project/rampart/internal/demo"
	"github.com/rampart-project/rampart/internal/notify"
	"github.com/rampart-project/rampart/internal/notify/notifytest"
	"github.com/rampart-project/rampart/internal/platform/db/dbtest"
	"github.com/rampart-project/rampart/internal/platform/identity"
)

// TestNotificationFloodAndEscalation: twenty critical indicators at once
// reach each county user as one digest e-mail, not twenty; left
// unacknowledged, they escalate to the county's next contact.
func TestNotificationFloodAndEscalation(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { notificationFloodAndEscalation(t, "") })
	if os.Getenv(dbtest.EnvPostgres) != "" {
		t.Run("postgres", func(t *testing.T) { notificationFloodAndEscalation(t, dbtest.PostgresURL(t)) })
	}
}

func notificationFloodAndEscalation(t *testing.T, database string) {
	ctx := context.Background()
	mailbox := notifytest.StartSMTP(t)
	cfg := config.Default()
	cfg.DataDir, cfg.Addr, cfg.Demo, cfg.DatabaseURL = t.TempDir(), "127.0.0.1:0", true, database
	cfg.SMTPURL, cfg.EscalateAfter = mailbox.URL(), 300*time.Millisecond
	modules := builtinModules()
	for i, m := range modules {
		if m.Name() == "notify" {
			modules[i] = notify.New(notify.Options{EscalationCheck: 100 * time.Millisecond, FloodLimit: 3, FloodWindow: time.Minute})
		}
	}
	a, err := app.New(ctx, cfg, app.Options{Version: "test", Modules: append(modules, &demo.Module{Out: io.Discard})})
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
	analyst, county := token("analyst@meridian.example"), token("admin@ashford.example")
	do := func(method, path, tok, body string, out any) int {
		t.Helper()
		req, err := http.NewRequest(method, base+path, strings.NewReader(body))
		must(t, err)
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		must(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if out != nil {
			_ = json.Unmarshal(b, out)
		}
		return resp.StatusCode
	}
	var esc struct{ After string }
	if code := do("PUT", "/api/v1/notifications/escalation", county, `{"after":"30m","enabled":true}`, &esc); code != http.StatusOK || esc.After != "30m0s" {
		t.Fatalf("escalation setting: %d %+v", code, esc)
	}
	if code := do("PUT", "/api/v1/notifications/escalation", county, `{"after":"1s","enabled":true}`, nil); code != http.StatusBadRequest {
		t.Errorf("a one-second escalation was accepted: %d", code)
	}
	// Back to the instance's (the test's tiny) default.
	must(t, d.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM notification_escalation`)
		return err
	}))
	waitForDemoNotifications(t, d)
	before := len(mailbox.Messages())
	now := time.Now().UTC().Format("2006-01-02T15:04:05.000Z")
	var objs []string
	for i := range 20 {
		objs = append(objs, fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"indicator--6a1f4d2e-8b7c-4e3a-9f21-0c5d6e7f8a%02d","created":%q,"modified":%q,
			"pattern":"[ipv4-addr:value = '198.51.100.%d']","pattern_type":"stix","valid_from":%q,"confidence":95}`, i, now, now, 100+i, now))
	}
	if code := do("POST", "/api/v1/objects?tlp=green", analyst, `{"type":"bundle","id":"bundle--0d6f6b5e-7c8a-4f5e-8a1b-2c3d4e5f6a7c","objects":[`+strings.Join(objs, ",")+`]}`, nil); code >= 300 {
		t.Fatalf("publish: %d", code)
	}
	type page struct {
		Notifications []struct {
			ID              string
			ObjectID        string `json:"object_id"`
			EscalationLevel int    `json:"escalation_level"`
		}
	}
	waitUntil(t, 10*time.Second, "twenty notifications, escalated", func() bool {
		var p page
		do("GET", "/api/v1/notifications?limit=100", county, "", &p)
		flood := 0
		for _, n := range p.Notifications {
			if !strings.HasPrefix(n.ObjectID, "indicator--6a1f4d2e-8b7c-4e3a-9f21-0c5d6e7f8a") {
				continue // the demo world's own
			}
			if n.EscalationLevel < 1 {
				return false
			}
			flood++
		}
		return flood == 20
	})
	waitUntil(t, 10*time.Second, "the digest", func() bool {
		for _, m := range mailbox.Messages() {
			if strings.Contains(m.Subject, "Digest: 20 notifications") && strings.Contains(strings.Join(m.To, ","), "admin@ashford.example") {
				return true
			}
		}
		return false
	})
	toAdmin := 0
	for _, m := range mailbox.Messages()[before:] {
		if strings.Contains(strings.Join(m.To, ","), "admin@ashford.example") {
			toAdmin++
		}
	}
	if toAdmin > 2 {
		t.Errorf("the county admin got %d e-mails for one flood", toAdmin)
	}
}
