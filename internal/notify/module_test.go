package notify_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/rampart-project/rampart/internal/accounts"
	"github.com/rampart-project/rampart/internal/app"
	"github.com/rampart-project/rampart/internal/config"
	"github.com/rampart-project/rampart/internal/demo"
	"github.com/rampart-project/rampart/internal/notify"
	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/db/dbtest"
	"github.com/rampart-project/rampart/internal/platform/events/eventstest"
	"github.com/rampart-project/rampart/internal/platform/identity"
	"github.com/rampart-project/rampart/internal/sharing"
)

// site is a running demo instance and a client for its API.
type site struct {
	t    *testing.T
	base string
	db   *db.DB
	ids  *identity.Store
	toks map[string]string
}

// startSite runs the demo world with the notifications module on the
// given database URL ("" for SQLite) and event log.
func startSite(t *testing.T, database, natsURL, prefix string, mod *notify.Module) *site {
	t.Helper()
	ctx := context.Background()
	cfg := config.Default()
	cfg.DataDir, cfg.Addr, cfg.Demo, cfg.DatabaseURL = t.TempDir(), "127.0.0.1:0", true, database
	if natsURL != "" {
		cfg.NATSURL, cfg.EventsPrefix = natsURL, prefix
	}
	var logs io.Writer = io.Discard
	if testing.Verbose() {
		logs = os.Stderr
	}
	a, err := app.New(ctx, cfg, app.Options{Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn})), Version: "test",
		Modules: []app.Module{accounts.New(), sharing.New(), mod, &demo.Module{Out: io.Discard}}})
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
	return &site{t: t, base: "http://" + a.Addr().String(), db: d, ids: identity.NewStore(d), toks: map[string]string{}}
}

func (s *site) token(email string) string {
	s.t.Helper()
	if tok, ok := s.toks[email]; ok {
		return tok
	}
	ctx := context.Background()
	u, err := s.ids.UserByEmail(ctx, email)
	must(s.t, err)
	var secret string
	must(s.t, s.db.Tx(ctx, func(tx *sql.Tx) (err error) {
		_, secret, err = s.ids.CreateToken(ctx, tx, u.ID, "test", identity.Scopes, 0)
		return err
	}))
	s.toks[email] = secret
	return secret
}

// call sends a request as the user and decodes a JSON answer into out.
func (s *site) call(method, path, email, contentType, body string, out any) (int, string) {
	s.t.Helper()
	req, err := http.NewRequest(method, s.base+path, strings.NewReader(body))
	must(s.t, err)
	req.Header.Set("Authorization", "Bearer "+s.token(email))
	req.Header.Set("Accept", "application/json")
	if body != "" {
		req.Header.Set("Content-Type", contentType)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	must(s.t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			s.t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
	return resp.StatusCode, string(b)
}

func (s *site) json(method, path, email, body string, out any) (int, string) {
	s.t.Helper()
	return s.call(method, path, email, "application/json", body, out)
}

func (s *site) orgID(name string) string {
	s.t.Helper()
	orgs, err := s.ids.Orgs(context.Background())
	must(s.t, err)
	for _, o := range orgs {
		if o.Name == name {
			return o.ID
		}
	}
	s.t.Fatalf("no organization %q", name)
	return ""
}

// inbox returns the user's notifications about one object.
func (s *site) inbox(email, object string) []notify.Notification {
	s.t.Helper()
	var page struct{ Notifications []notify.Notification }
	s.json("GET", "/api/v1/notifications?limit=500", email, "", &page)
	var out []notify.Notification
	for _, n := range page.Notifications {
		if n.StixID == object || containsString(n.AlsoObjects, object) {
			out = append(out, n)
		}
	}
	return out
}

func containsString(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for: %s", what)
}

// engines runs fn on SQLite with the embedded event log and, when
// configured, on PostgreSQL (with the external NATS when that is set too).
func engines(t *testing.T, fn func(t *testing.T, database, natsURL, prefix string)) {
	t.Run("sqlite", func(t *testing.T) { t.Parallel(); fn(t, "", "", "") })
	if os.Getenv(dbtest.EnvPostgres) != "" {
		t.Run("postgres", func(t *testing.T) {
			t.Parallel()
			natsURL, prefix := "", ""
			if os.Getenv(eventstest.EnvNATS) != "" {
				o := eventstest.Options(t, "external")
				natsURL, prefix = o.URL, o.Prefix
			}
			fn(t, dbtest.PostgresURL(t), natsURL, prefix)
		})
	}
}

const (
	coordinator  = "admin@ncc.example"
	stateAnalyst = "analyst@meridian.example"
	county       = "admin@ashford.example"
	water        = "admin@port-meridian.example"
)

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func publish(t *testing.T, s *site, email, tlp string, objects ...string) {
	t.Helper()
	bundle := `{"type":"bundle","id":"bundle--0d6f6b5e-7c8a-4f5e-8a1b-` + fmt.Sprintf("%012x", time.Now().UnixNano()&0xffffffffffff) + `","objects":[` + strings.Join(objects, ",") + `]}`
	var rep sharing.Report
	if code, body := s.json("POST", "/api/v1/objects?tlp="+tlp, email, bundle, &rep); code >= 300 || rep.Rejected > 0 {
		t.Fatalf("publish: %d %s %+v", code, body, rep)
	}
}

// TestCoordinatorNotices: a coordinator previews and sends a notice to
// all local organizations of the state; each gets one notification with
// the criteria it matched, others none; non-coordinators are refused, bad
// fields named; the send is audited and listed with its counts.
func TestCoordinatorNotices(t *testing.T) {
	engines(t, func(t *testing.T, database, natsURL, prefix string) {
		s := startSite(t, database, natsURL, prefix, notify.New(notify.Options{}))
		meridian := s.orgID("State of Meridian")
		sel := fmt.Sprintf(`{"kinds":["local"],"parents":[%q]}`, meridian)
		var preview struct {
			Count         int
			Organizations []notify.Recipient
		}
		if code, body := s.json("POST", "/api/v1/notices/preview", coordinator, `{"selection":`+sel+`}`, &preview); code != 200 || preview.Count != 5 {
			t.Fatalf("preview: %d %s %+v", code, body, preview)
		}
		if code, _ := s.json("POST", "/api/v1/notices/preview", county, `{"selection":`+sel+`}`, nil); code != http.StatusForbidden {
			t.Errorf("a county previews a notice: %d", code)
		}
		draft := func(sev, tlp, selection string) string {
			return fmt.Sprintf(`{"title":"Patch the poll books","text":"A flaw in e-poll books.","action":"Apply the vendor's update by Friday.",
				"severity":%q,"tlp":%q,"references":[{"source_name":"vendor","url":"https://vendor.example/advisory"}],"selection":%s}`, sev, tlp, selection)
		}
		for _, tc := range []struct{ body, field string }{
			{draft("severe", "AMBER", sel), "severity"},
			{draft("high", "RED", sel), "tlp"},
			{draft("high", "AMBER", `{}`), "selection"},
			{draft("high", "AMBER", `{"kinds":["county"]}`), "selection.kinds"},
			{draft("high", "AMBER", `{"states":["5"]}`), "selection.states"},
		} {
			code, body := s.json("POST", "/api/v1/notices", coordinator, tc.body, nil)
			if code != http.StatusUnprocessableEntity || !strings.Contains(body, tc.field) {
				t.Errorf("bad %s: %d %s", tc.field, code, body)
			}
		}
		if code, _ := s.json("POST", "/api/v1/notices", coordinator, `{"title":`, nil); code != http.StatusBadRequest {
			t.Errorf("malformed JSON: %d", code)
		}
		if code, _ := s.json("POST", "/api/v1/notices", county, draft("high", "AMBER", sel), nil); code != http.StatusForbidden {
			t.Errorf("a county sends a notice: %d", code)
		}
		var sent struct {
			Notice        notify.Notice
			Organizations []notify.Recipient
		}
		if code, body := s.json("POST", "/api/v1/notices", coordinator, draft("critical", "AMBER", sel), &sent); code != http.StatusCreated || len(sent.Organizations) != 5 {
			t.Fatalf("send: %d %s", code, body)
		}
		obj := sent.Notice.StixID
		var got []notify.Notification
		waitFor(t, "the county's notice", func() bool { got = s.inbox(county, obj); return len(got) == 1 })
		n := got[0]
		if n.ReasonKind != notify.ReasonNotice || !strings.Contains(n.Reason, `kind "local"`) || !strings.Contains(n.Reason, `parent "State of Meridian"`) ||
			n.Severity != notify.SeverityCritical || n.TLP != "AMBER" {
			t.Errorf("notification = %+v", n)
		}
		for _, other := range []string{stateAnalyst, "admin@ashford-elections.example", "admin@mpl.example"} {
			if len(s.inbox(other, obj)) != 0 {
				t.Errorf("%s was notified of a notice not addressed to it", other)
			}
		}
		var list struct{ Notices []notify.Notice }
		waitFor(t, "the notice's counts", func() bool {
			list.Notices = nil
			s.json("GET", "/api/v1/notices", coordinator, "", &list)
			for _, n := range list.Notices {
				if n.StixID == obj {
					return n.Notified == 5
				}
			}
			return false
		})
		if code, _ := s.json("GET", "/api/v1/notices", county, "", nil); code != http.StatusForbidden {
			t.Errorf("a county lists notices: %d", code)
		}
		var audited int
		must(t, s.db.Reader().QueryRowContext(context.Background(), `SELECT COUNT(*) FROM audit_log WHERE action = 'notice.send' AND target_id = $1`,
			sent.Notice.ID).Scan(&audited))
		if audited != 1 {
			t.Errorf("%d audit entries for one send", audited)
		}
		// The coordinator overview shows who was notified.
		var ov struct{ Organizations []notify.EntityStatus }
		s.json("GET", "/api/v1/notifications/overview?object="+obj, coordinator, "", &ov)
		notified := 0
		for _, e := range ov.Organizations {
			if e.Notified {
				notified++
			}
		}
		if notified != 5 {
			t.Errorf("overview: %d notified", notified)
		}

		// The page: a preview shows the count and a send button with the TLP.
		code, page := s.call("GET", "/notifications/notices", coordinator, "", "", nil)
		if code != 200 || !strings.Contains(page, "Preview recipients") {
			t.Fatalf("notices page: %d", code)
		}
		form := url.Values{"title": {"Check your backups"}, "text": {"Ransomware in the region."}, "what_to_do": {"Test a restore."},
			"severity": {"high"}, "tlp": {"GREEN"}, "flags": {"election"}, "step": {"preview"}}
		code, page = s.call("POST", "/notifications/notices", coordinator, "application/x-www-form-urlencoded", form.Encode(), nil)
		if code != 200 || !strings.Contains(page, `<span id="notice-count">4</span> organizations selected`) || !strings.Contains(page, "TLP:GREEN") {
			t.Fatalf("preview page: %d %s", code, page)
		}
		form.Set("step", "send")
		form.Set("previewed", "4")
		if code, _ = s.call("POST", "/notifications/notices", coordinator, "application/x-www-form-urlencoded", form.Encode(), nil); code != http.StatusSeeOther {
			t.Fatalf("send form: %d", code)
		}
		waitFor(t, "the elections office's notice", func() bool {
			var page struct{ Notifications []notify.Notification }
			s.json("GET", "/api/v1/notifications", "admin@ashford-elections.example", "", &page)
			for _, n := range page.Notifications {
				if n.ReasonKind == notify.ReasonNotice && strings.Contains(n.Reason, `flag "election"`) {
					return true
				}
			}
			return false
		})
		if code, _ := s.call("GET", "/notifications/notices", county, "", "", nil); code != http.StatusForbidden {
			t.Errorf("a county opens the notices page: %d", code)
		}
	})
}

// TestDemoWorldNotifies: the demo's coordinator notice reaches the
// state's local governments and nobody else; its targets relationship to
// the state reaches every organization of the state, and none outside it.
func TestDemoWorldNotifies(t *testing.T) {
	s := startSite(t, "", "", "", notify.New(notify.Options{}))
	for _, tc := range []struct {
		email           string
		notice, targets bool
	}{
		{county, true, true},
		{water, true, true},
		{"admin@ashford-elections.example", false, true},
		{stateAnalyst, false, true},
		{coordinator, false, false},
		{"admin@red-hawk.example", false, false},
		{"admin@mpl.example", false, false},
	} {
		waitFor(t, "the demo notifications of "+tc.email, func() bool {
			return len(s.inbox(tc.email, demo.NoticeID)) == b2i(tc.notice) && len(s.inbox(tc.email, demo.TargetsRelationshipID)) == b2i(tc.targets)
		})
	}
	n := s.inbox(county, demo.TargetsRelationshipID)[0]
	if n.ReasonKind != notify.ReasonTargeting || !strings.Contains(n.Reason, "Quarry Lantern") || n.TLP != "GREEN" {
		t.Errorf("targets notification = %+v", n)
	}
	n = s.inbox(county, demo.NoticeID)[0]
	if n.ReasonKind != notify.ReasonNotice || n.Severity != notify.SeverityHigh || n.TLP != "GREEN" {
		t.Errorf("notice notification = %+v", n)
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestTargetsRelationships: a targets relationship that arrives before
// its source and target notifies the organizations of the target's sector
// once both are there; a location naming the state concerns its
// organizations; a target hidden from an organization tells it nothing.
func TestTargetsRelationships(t *testing.T) {
	engines(t, func(t *testing.T, database, natsURL, prefix string) {
		s := startSite(t, database, natsURL, prefix, notify.New(notify.Options{}))
		now := stamp(time.Now())
		malware := "malware--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061"
		water := "identity--5e3f9a2b-1c4d-4e8f-9a0b-1c2d3e4f5a6b"
		rel := "relationship--7a8b9c0d-1e2f-4a3b-8c5d-6e7f8a9b0c1d"
		publish(t, s, stateAnalyst, "green", fmt.Sprintf(`{"type":"relationship","spec_version":"2.1","id":%q,"created":%q,"modified":%q,
			"relationship_type":"targets","source_ref":%q,"target_ref":%q}`, rel, now, now, malware, water))
		publish(t, s, stateAnalyst, "green",
			fmt.Sprintf(`{"type":"malware","spec_version":"2.1","id":%q,"created":%q,"modified":%q,"name":"PLCShade","is_family":true}`, malware, now, now),
			fmt.Sprintf(`{"type":"identity","spec_version":"2.1","id":%q,"created":%q,"modified":%q,"name":"Water utilities","identity_class":"class","sectors":["water"]}`, water, now, now))
		var got []notify.Notification
		waitFor(t, "the water utility's notification", func() bool { got = s.inbox("admin@port-meridian.example", rel); return len(got) == 1 })
		if !strings.Contains(got[0].Reason, `its sectors "water"`) || !strings.Contains(got[0].Reason, "PLCShade") || got[0].ReasonKind != notify.ReasonTargeting {
			t.Errorf("notification = %+v", got[0])
		}
		if len(s.inbox(county, rel)) != 0 {
			t.Errorf("a county outside the water sector was notified")
		}

		// A location naming the state, but kept TLP:AMBER by the state:
		// nobody else may see it, so nobody else is told.
		loc := "location--1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
		rel2 := "relationship--2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e"
		publish(t, s, stateAnalyst, "amber", fmt.Sprintf(`{"type":"location","spec_version":"2.1","id":%q,"created":%q,"modified":%q,"name":"Meridian","country":"US","administrative_area":"Meridian"}`, loc, now, now))
		publish(t, s, stateAnalyst, "green", fmt.Sprintf(`{"type":"relationship","spec_version":"2.1","id":%q,"created":%q,"modified":%q,
			"relationship_type":"targets","source_ref":%q,"target_ref":%q}`, rel2, now, now, malware, loc))
		waitFor(t, "the state's own notification", func() bool { return len(s.inbox(stateAnalyst, rel2)) == 1 })
		if len(s.inbox(county, rel2)) != 0 {
			t.Errorf("the county was told of a location it may not see")
		}
		// Shared now as GREEN (a new version), the county is told.
		later := stamp(time.Now().Add(time.Second))
		publish(t, s, stateAnalyst, "green", fmt.Sprintf(`{"type":"location","spec_version":"2.1","id":%q,"created":%q,"modified":%q,"name":"Meridian","country":"US","administrative_area":"Meridian"}`, loc, now, later))
		waitFor(t, "the county's region notification", func() bool {
			got = s.inbox(county, rel2)
			return len(got) == 1
		})
		if !strings.Contains(got[0].Reason, `administrative_area "Meridian" names your state (FIPS 52)`) {
			t.Errorf("notification = %+v", got[0])
		}
	})
}

// TestWithdrawnAndMergedVulnerabilities: a revoked new version withdraws
// the notification; a KEV entry and a CVE record of one CVE make one
// notification with the KEV facts.
func TestWithdrawnAndMergedVulnerabilities(t *testing.T) {
	engines(t, func(t *testing.T, database, natsURL, prefix string) {
		s := startSite(t, database, natsURL, prefix, notify.New(notify.Options{}))
		created := time.Now().Add(-time.Minute)
		ind := "indicator--3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f"
		version := func(modified time.Time, extra string) string {
			return fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":%q,"created":%q,"modified":%q,"name":"C2","pattern":"[ipv4-addr:value = '198.51.100.9']",
				"pattern_type":"stix","valid_from":%q%s}`, ind, stamp(created), stamp(modified), stamp(created), extra)
		}
		publish(t, s, stateAnalyst, "green", version(created, ""))
		waitFor(t, "the county's notification", func() bool { return len(s.inbox(county, ind)) == 1 })
		publish(t, s, stateAnalyst, "green", version(created.Add(time.Second), `,"revoked":true`))
		var got []notify.Notification
		waitFor(t, "the withdrawal", func() bool { got = s.inbox(county, ind); return len(got) == 1 && got[0].Withdrawn })
		if !strings.Contains(got[0].WithdrawnReason, "revoked") {
			t.Errorf("withdrawn = %+v", got[0])
		}
		code, page := s.call("GET", "/notifications/"+got[0].ID, county, "", "", nil)
		if code != 200 || !strings.Contains(page, "withdrawn") {
			t.Errorf("detail page: %d", code)
		}

		// KEV and CVE JSON 5 for the FortiOS 7.2.4 the city runs.
		kev, err := notify.KEVObject(notify.KEVEntry{CVEID: "CVE-2024-21762", VendorProject: "Fortinet", Product: "FortiOS", VulnerabilityName: "Fortinet FortiOS Out-of-Bound Write",
			DateAdded: "2024-02-09", ShortDescription: "Out-of-bounds write in sslvpnd.", RequiredAction: "Apply mitigations per vendor instructions.", DueDate: "2024-02-16"})
		must(t, err)
		rec, err := notify.ParseCVERecord([]byte(`{"dataType":"CVE_RECORD","cveMetadata":{"cveId":"CVE-2024-21762","state":"PUBLISHED","datePublished":"2024-02-09T08:00:00Z","dateUpdated":"2024-02-10T08:00:00Z"},
			"containers":{"cna":{"title":"FortiOS out-of-bounds write","descriptions":[{"lang":"en","value":"An out-of-bounds write in FortiOS."}],
			"affected":[{"vendor":"Fortinet","product":"FortiOS","cpes":["cpe:2.3:o:fortinet:fortios:*:*:*:*:*:*:*:*"],"defaultStatus":"unaffected",
			"versions":[{"version":"7.2.0","lessThanOrEqual":"7.2.6","status":"affected","versionType":"semver"}]}],
			"metrics":[{"cvssV3_1":{"baseScore":9.6,"vectorString":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}}]}}}`))
		must(t, err)
		cve, err := notify.CVEObject(rec)
		must(t, err)
		publish(t, s, "analyst@ncc.example", "clear", string(cve.Raw()))
		waitFor(t, "the CVE notification", func() bool { return len(s.inbox(water, cve.ID())) == 1 })
		publish(t, s, "analyst@ncc.example", "clear", string(kev.Raw()))
		waitFor(t, "the KEV facts merged in", func() bool {
			got = s.inbox(water, cve.ID())
			return len(got) == 1 && got[0].RequiredAction != ""
		})
		if n := got[0]; n.CVE != "CVE-2024-21762" || !containsString(n.AlsoObjects, kev.ID()) || n.DueDate != "2024-02-16" || n.Severity != notify.SeverityCritical {
			t.Errorf("merged = %+v", n)
		}
		var rows int
		must(t, s.db.Reader().QueryRowContext(context.Background(), `SELECT COUNT(*) FROM notifications WHERE cve = 'CVE-2024-21762' AND org_id = $1`,
			s.orgID("City of Port Meridian")).Scan(&rows))
		if rows != 1 {
			t.Errorf("%d notifications for one CVE and software entry", rows)
		}
	})
}

// TestSettingsPage: a user sets their preference and an org admin the
// escalation rule on the settings page; the API reads them back.
func TestSettingsPage(t *testing.T) {
	engines(t, func(t *testing.T, database, natsURL, prefix string) {
		s := startSite(t, database, natsURL, prefix, notify.New(notify.Options{}))
		code, page := s.call("GET", "/notifications/settings", county, "", "", nil)
		if code != 200 || !strings.Contains(page, "How you are told") || !strings.Contains(page, "Escalation") {
			t.Fatalf("settings page: %d", code)
		}
		form := url.Values{"form": {"preference"}, "min_severity": {"high"}, "mode": {"digest"}}
		if code, _ := s.call("POST", "/notifications/settings", county, "application/x-www-form-urlencoded", form.Encode(), nil); code != http.StatusSeeOther {
			t.Fatalf("save preference: %d", code)
		}
		var p notify.Preference
		s.json("GET", "/api/v1/notifications/preferences", county, "", &p)
		if p.MinSeverity != notify.SeverityHigh || p.Mode != "digest" || len(p.Channels) != 0 {
			t.Errorf("preference = %+v", p)
		}
		form = url.Values{"form": {"escalation"}, "after": {"45m"}, "enabled": {"1"}}
		if code, _ := s.call("POST", "/notifications/settings", county, "application/x-www-form-urlencoded", form.Encode(), nil); code != http.StatusSeeOther {
			t.Fatalf("save escalation: %d", code)
		}
		var e notify.EscalationSetting
		s.json("GET", "/api/v1/notifications/escalation", county, "", &e)
		if e.After != "45m0s" || !e.Enabled {
			t.Errorf("escalation = %+v", e)
		}
		form.Set("after", "5s")
		code, page = s.call("POST", "/notifications/settings", county, "application/x-www-form-urlencoded", form.Encode(), nil)
		if code != http.StatusUnprocessableEntity || !strings.Contains(page, "after:") {
			t.Errorf("a five-second escalation: %d", code)
		}
		// A viewer sees no escalation form and may not post one.
		code, page = s.call("GET", "/notifications/settings", "analyst@ashford.example", "", "", nil)
		if code != 200 || strings.Contains(page, `value="escalation"`) {
			t.Errorf("analyst settings page: %d", code)
		}
		if code, _ := s.call("POST", "/notifications/settings", "analyst@ashford.example", "application/x-www-form-urlencoded", form.Encode(), nil); code != http.StatusForbidden {
			t.Errorf("an analyst changes escalation: %d", code)
		}
	})
}

// TestEveryReplicaRefreshesItsMatcher runs two replicas on one PostgreSQL
// database and one NATS prefix: an inventory change reaches the matcher of
// both, not only that of the replica whose durable consumer handled it.
func TestEveryReplicaRefreshesItsMatcher(t *testing.T) {
	if os.Getenv(dbtest.EnvPostgres) == "" || os.Getenv(eventstest.EnvNATS) == "" {
		t.Skipf("needs %s and %s: replicas share a database and an event log", dbtest.EnvPostgres, eventstest.EnvNATS)
	}
	o := eventstest.Options(t, "external")
	database := dbtest.PostgresURL(t)
	ma, mb := notify.New(notify.Options{}), notify.New(notify.Options{})
	a := startSite(t, database, o.URL, o.Prefix, ma)
	startSite(t, database, o.URL, o.Prefix, mb)
	county := a.orgID("Ashford County")
	for i := range 6 {
		addr := fmt.Sprintf("100.64.%d.1", i)
		if _, err := notify.NewStore(a.db).Import(context.Background(), county, []notify.Item{{Kind: notify.KindCIDR, Value: fmt.Sprintf("100.64.%d.0/24", i)}},
			notify.Actor{Label: "test"}); err != nil {
			t.Fatal(err)
		}
		for name, m := range map[string]*notify.Module{"a": ma, "b": mb} {
			waitFor(t, "replica "+name+" matching "+addr, func() bool {
				return len(notify.MatcherOf(m).Match(notify.Observable{Type: "ipv4-addr", Value: addr})) == 1
			})
		}
	}
}

// TestSightingOfObservedData: a sighting whose observed-data names an
// address in a county's network tells that county, with the address as
// the reason, and nobody whose inventory it is not in. The observed-data's
// references are read from its body (stix_refs is keyed by target).
func TestSightingOfObservedData(t *testing.T) {
	engines(t, func(t *testing.T, database, natsURL, prefix string) {
		s := startSite(t, database, natsURL, prefix, notify.New(notify.Options{}))
		now := stamp(time.Now())
		ind := "indicator--4f1c2b3a-5d6e-4f7a-8b9c-0d1e2f3a4b5c"
		addr := "ipv4-addr--7f3e2d1c-0b9a-5876-9c5d-4e3f2a1b0c9d"
		od := "observed-data--6e5d4c3b-2a19-4f8e-9d7c-6b5a4f3e2d1c"
		sighting := "sighting--5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a"
		publish(t, s, stateAnalyst, "green",
			fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":%q,"created":%q,"modified":%q,"pattern":"[ipv4-addr:value = '203.0.113.250']","pattern_type":"stix","valid_from":%q}`, ind, now, now, now),
			fmt.Sprintf(`{"type":"ipv4-addr","spec_version":"2.1","id":%q,"value":"198.51.100.77"}`, addr),
			fmt.Sprintf(`{"type":"observed-data","spec_version":"2.1","id":%q,"created":%q,"modified":%q,"first_observed":%q,"last_observed":%q,"number_observed":3,"object_refs":[%q]}`, od, now, now, now, now, addr))
		publish(t, s, stateAnalyst, "green",
			fmt.Sprintf(`{"type":"sighting","spec_version":"2.1","id":%q,"created":%q,"modified":%q,"sighting_of_ref":%q,"observed_data_refs":[%q],"count":3}`, sighting, now, now, ind, od))
		var got []notify.Notification
		waitFor(t, "the county's sighting notification", func() bool { got = s.inbox(county, sighting); return len(got) == 1 })
		if got[0].ReasonKind != notify.ReasonSighting || !strings.Contains(got[0].Reason, "198.51.100.77") {
			t.Errorf("notification = %+v", got[0])
		}
		if n := s.inbox(water, sighting); len(n) != 0 {
			t.Errorf("the water utility, whose network the address is not in, was told: %+v", n)
		}
	})
}

// An object that concerns nobody commits nothing, not even the consumer's
// receipt (events.ErrNoEffect); one that concerns an organization commits
// its notification and the receipt.
func TestAnObjectThatConcernsNobodyCommitsNothing(t *testing.T) {
	engines(t, func(t *testing.T, database, natsURL, prefix string) {
		s := startSite(t, database, natsURL, prefix, notify.New(notify.Options{}))
		waitFor(t, "the demo's notifications", func() bool { return len(s.inbox(county, demo.TargetsRelationshipID)) == 1 })
		receipts := func() int {
			var n int
			must(t, s.db.Reader().QueryRowContext(context.Background(), `SELECT count(*) FROM event_receipts WHERE consumer = 'notify-match'`).Scan(&n))
			return n
		}
		// Let the demo's own events settle.
		before := receipts()
		for settled := time.Now().Add(500 * time.Millisecond); time.Now().Before(settled); time.Sleep(50 * time.Millisecond) {
			if n := receipts(); n != before {
				before, settled = n, time.Now().Add(500*time.Millisecond)
			}
		}
		now := stamp(time.Now())
		nobody := "indicator--0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e"
		someone := "indicator--1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f"
		publish(t, s, stateAnalyst, "green", fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":%q,"created":%q,"modified":%q,"pattern":"[domain-name:value = 'nobody-here.invalid']","pattern_type":"stix","valid_from":%q}`, nobody, now, now, now))
		publish(t, s, stateAnalyst, "green", fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":%q,"created":%q,"modified":%q,"name":"C2","pattern":"[ipv4-addr:value = '198.51.100.9']","pattern_type":"stix","valid_from":%q}`, someone, now, now, now))
		waitFor(t, "the county's notification", func() bool { return len(s.inbox(county, someone)) == 1 })
		if n := receipts(); n != before+1 {
			t.Errorf("the consumer recorded %d receipts for the two objects, want 1 (only the one that concerned someone)", n-before)
		}
		if got := s.inbox(stateAnalyst, nobody); len(got) != 0 {
			t.Errorf("an object nobody's inventory names notified: %+v", got)
		}
	})
}
