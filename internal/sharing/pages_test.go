package sharing_test

import (
	"context"
	"database/sql"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/rampart-project/rampart/internal/accounts"
	"github.com/rampart-project/rampart/internal/app"
	"github.com/rampart-project/rampart/internal/config"
	"github.com/rampart-project/rampart/internal/demo"
	"github.com/rampart-project/rampart/internal/patterns"
	"github.com/rampart-project/rampart/internal/platform/access"
	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/db/dbtest"
	"github.com/rampart-project/rampart/internal/platform/events"
	"github.com/rampart-project/rampart/internal/platform/identity"
	"github.com/rampart-project/rampart/internal/sharing"
	"github.com/rampart-project/rampart/stix"
)

// site is a running Rampart with the demo world for the page tests, and a
// store on the same database to put objects in place quickly.
type site struct {
	t     *testing.T
	base  string
	ids   *identity.Store
	store *sharing.Store
}

func startSite(t *testing.T, engine db.Engine) *site {
	t.Helper()
	ctx := context.Background()
	cfg := config.Default()
	cfg.DataDir, cfg.Addr, cfg.Demo = t.TempDir(), "127.0.0.1:0", true
	if engine == db.Postgres {
		cfg.DatabaseURL = dbtest.PostgresURL(t)
	}
	a, err := app.New(ctx, cfg, app.Options{Version: "test",
		Modules: []app.Module{accounts.New(), patterns.Module{}, sharing.New(), &demo.Module{Out: io.Discard}}})
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
	return &site{t: t, base: "http://" + a.Addr().String(), ids: identity.NewStore(d),
		store: sharing.NewStore(d, events.NewOutbox(d, nil), access.Policy{})}
}

// eachEngine runs fn on a fresh site per engine, as dbtest.Run does for
// the store tests.
func eachEngine(t *testing.T, fn func(t *testing.T, s *site)) {
	for _, engine := range dbtest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			t.Parallel()
			fn(t, startSite(t, engine))
		})
	}
}

// member is a demo user calling pages with an API token, as a browser
// would with a session; the token keeps the tests off the slow password
// hash, and the browser test covers sessions and CSRF.
type member struct {
	s     *site
	email string
	token string
	p     access.Principal
	org   *identity.Organization
}

func (s *site) member(email string) *member {
	s.t.Helper()
	ctx := context.Background()
	u, err := s.ids.UserByEmail(ctx, email)
	if err != nil {
		s.t.Fatal(err)
	}
	p, err := s.ids.Principal(ctx, u)
	if err != nil {
		s.t.Fatal(err)
	}
	o, err := s.ids.Org(ctx, u.OrgID)
	if err != nil {
		s.t.Fatal(err)
	}
	m := &member{s: s, email: email, p: p, org: o}
	err = s.store.DB().Tx(ctx, func(tx *sql.Tx) (err error) {
		_, m.token, err = s.ids.CreateToken(ctx, tx, u.ID, "pages", identity.Scopes, 0)
		return err
	})
	if err != nil {
		s.t.Fatal(err)
	}
	return m
}

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func (m *member) do(method, path string, form url.Values) (int, string, http.Header) {
	m.s.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, m.s.base+path, body)
	if err != nil {
		m.s.t.Fatal(err)
	}
	req.Header.Set("Accept", "text/html")
	req.Header.Set("Authorization", "Bearer "+m.token)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	res, err := noRedirect.Do(req)
	if err != nil {
		m.s.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b), res.Header
}

func (m *member) get(path string) (int, string) {
	m.s.t.Helper()
	code, body, _ := m.do("GET", path, nil)
	return code, body
}

// submit posts a form and returns the status, the body and where a 303
// sends the browser.
func (m *member) submit(path string, form url.Values) (int, string, string) {
	m.s.t.Helper()
	code, body, h := m.do("POST", path, form)
	return code, body, h.Get("Location")
}

// share stores objects as the member, as if submitted through the API.
func (m *member) share(sub sharing.Submission, objs ...string) {
	m.s.t.Helper()
	sub.Principal, sub.Source = m.p, sharing.SourceAPI
	var parsed []stix.Object
	for _, o := range objs {
		obj, err := stix.ParseObject([]byte(o))
		if err != nil {
			m.s.t.Fatalf("parse %s: %v", o, err)
		}
		parsed = append(parsed, obj)
	}
	rep, err := m.s.store.Ingest(context.Background(), sub, parsed)
	if err != nil || rep.Added != len(objs) {
		m.s.t.Fatalf("share: %+v %v", rep, err)
	}
}

// expect checks a status and what a page must and must not contain.
func expect(t *testing.T, what string, code int, body string, want int, must, mustNot []string) {
	t.Helper()
	if code != want {
		t.Errorf("%s: status %d, want %d\n%.3000s", what, code, want, body)
	}
	for _, s := range must {
		if !strings.Contains(body, s) {
			t.Errorf("%s: the page lacks %q", what, s)
		}
	}
	for _, s := range mustNot {
		if strings.Contains(body, s) {
			t.Errorf("%s: the page shows %q", what, s)
		}
	}
}

// pageTLP is the label of the page, from the layout's heading.
var pageTLPRE = regexp.MustCompile(`This page is marked </span>TLP:([A-Z]+(&#43;STRICT)?)</p>`)

func pageTLP(body string) string {
	if m := pageTLPRE.FindStringSubmatch(body); m != nil {
		return html.UnescapeString(m[1])
	}
	return ""
}

func ind(uuid, name, value string, markings ...string) string {
	refs := ""
	if len(markings) > 0 {
		refs = `,"object_marking_refs":["` + strings.Join(markings, `","`) + `"]`
	}
	return fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"indicator--%s","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z",
"name":%q,"pattern":"[ipv4-addr:value = '%s']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00.000Z"%s}`, uuid, name, value, refs)
}

func marking(level string) string {
	id, _ := stix.TLPMarkingID(level)
	return id
}

const (
	uGreen  = "10000000-0000-4000-8000-000000000001"
	uAmber  = "10000000-0000-4000-8000-000000000002"
	uRed    = "10000000-0000-4000-8000-000000000003"
	uAnon   = "10000000-0000-4000-8000-000000000004"
	uMal    = "10000000-0000-4000-8000-000000000005"
	uRel    = "10000000-0000-4000-8000-000000000006"
	uReport = "10000000-0000-4000-8000-000000000007"
	uStrict = "10000000-0000-4000-8000-000000000008"
)

// TestWhoSeesWhatOnThePages is the access table of the pages: another
// organization's TLP:AMBER object is never listed and never shown (404),
// TLP:RED only to its submitter, an anonymous submission without its
// owner, and each page marked with the highest level on it.
func TestWhoSeesWhatOnThePages(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *site) {
		ashford, birch, colleague := s.member("analyst@ashford.example"), s.member("analyst@birch.example"), s.member("admin@ashford.example")
		cedar := s.member("analyst@cedar.example")
		ashford.share(sharing.Submission{DefaultTLP: access.Green}, ind(uGreen, "Green beacon", "203.0.113.10"))
		ashford.share(sharing.Submission{DefaultTLP: access.Amber}, ind(uAmber, "Amber for Ashford only", "203.0.113.11"))
		ashford.share(sharing.Submission{}, ind(uRed, "Red for the analyst", "203.0.113.12", marking("red")))
		ashford.share(sharing.Submission{}, ind(uStrict, "Strict for Ashford", "203.0.113.13", marking("amber+strict")))
		cedar.share(sharing.Submission{DefaultTLP: access.Green, Anonymous: true}, ind(uAnon, "Anonymous tip", "203.0.113.14"))

		cases := []struct {
			who          *member
			path         string
			status       int
			tlp          string
			must, mustNt []string
		}{
			{birch, "/sharing", 200, "GREEN",
				[]string{"Green beacon", "Anonymous tip", "Ashford County", ">anonymous<", `href="/sharing/new/indicator"`},
				[]string{"Amber for Ashford only", "Red for the analyst", "Strict for Ashford", "Cedar County"}},
			{ashford, "/sharing", 200, "RED", []string{"Green beacon", "Amber for Ashford only", "Red for the analyst", "Strict for Ashford", "Anonymous tip"}, []string{"Cedar County"}},
			{colleague, "/sharing", 200, "AMBER+STRICT", []string{"Amber for Ashford only", "Strict for Ashford"}, []string{"Red for the analyst"}},
			{birch, "/sharing?tlp=GREEN&q=beacon", 200, "GREEN", []string{"Green beacon", "Clear the filters"}, []string{"Anonymous tip"}},
			{birch, "/sharing?type=malware", 200, "CLEAR", []string{"No object you may see matches these filters."}, []string{"Green beacon"}},
			{birch, "/sharing?tlp=PURPLE", 400, "CLEAR", []string{"is not a TLP level"}, nil},
			{birch, "/sharing/objects/indicator--" + uGreen, 200, "GREEN", []string{"Green beacon", "Ashford County", "Report a sighting"}, []string{"Revoke"}},
			{birch, "/sharing/objects/indicator--" + uAmber, 404, "", []string{"There is no object"}, []string{"203.0.113.11"}},
			{birch, "/sharing/objects/indicator--" + uRed, 404, "", nil, []string{"203.0.113.12"}},
			{colleague, "/sharing/objects/indicator--" + uRed, 404, "", nil, []string{"203.0.113.12"}},
			{ashford, "/sharing/objects/indicator--" + uRed, 200, "RED", []string{"Red for the analyst", "Who may see it", "the person who submitted it"}, nil},
			{ashford, "/sharing/objects/indicator--" + uGreen, 200, "GREEN", []string{"Revoke", "every member (the all-members community)"}, nil},
			{birch, "/sharing/objects/indicator--" + uAnon, 200, "GREEN", []string{"Anonymous tip", `<dd id="owner">anonymous</dd>`}, []string{"Cedar County"}},
			{cedar, "/sharing/objects/indicator--" + uAnon, 200, "GREEN", []string{"your organization, anonymously", "Revoke"}, nil},
			{s.member("admin@ncc.example"), "/sharing/objects/indicator--" + uAnon, 200, "GREEN", []string{"Cedar County", "anonymous to everyone but coordinators"}, nil},
			{birch, "/sharing/objects/indicator--" + uGreen + "?version=2020-01-01T00:00:00.000Z", 404, "", []string{"There is no version"}, nil},
			{birch, "/sharing/live", 200, "GREEN", []string{"Green beacon", "Anonymous tip", `id="live-feed"`, "/static/sharing-live.js", "Refresh"}, []string{"Amber for Ashford only", "Cedar County"}},
			{ashford, "/sharing/live", 200, "RED", []string{"Red for the analyst"}, nil},
		}
		for _, c := range cases {
			code, body := c.who.get(c.path)
			what := c.who.email + " GET " + c.path
			expect(t, what, code, body, c.status, c.must, c.mustNt)
			if c.tlp != "" && pageTLP(body) != c.tlp {
				t.Errorf("%s: the page is marked TLP:%s, want TLP:%s", what, pageTLP(body), c.tlp)
			}
		}
		// Reading TLP:RED or AMBER+STRICT content leaves an audit entry.
		ctx := context.Background()
		var n int
		if err := s.store.DB().Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log WHERE action = 'object.read_restricted'`).Scan(&n); err != nil || n == 0 {
			t.Errorf("restricted reads audited: %d %v", n, err)
		}
	})
}

// TestBrowsePagesWithACursor: the list pages by cursor, newest first, and
// the "Older" link carries the filters.
func TestBrowsePagesWithACursor(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *site) {
		ashford := s.member("analyst@ashford.example")
		var objs []string
		for i := range 57 {
			objs = append(objs, ind(fmt.Sprintf("20000000-0000-4000-8000-%012d", i), fmt.Sprintf("Paging %02d", i), fmt.Sprintf("192.0.2.%d", i)))
		}
		ashford.share(sharing.Submission{DefaultTLP: access.Clear}, objs...)
		birch := s.member("analyst@birch.example")
		code, body := birch.get("/sharing?q=paging")
		older := regexp.MustCompile(`href="(/sharing\?[^"]+)" rel="next"`).FindStringSubmatch(body)
		if code != 200 || strings.Count(body, "data-seq=") != 50 || !strings.Contains(body, "Paging 56") || strings.Contains(body, "Paging 06<") || older == nil {
			t.Fatalf("first page: %d, %d rows, older %v", code, strings.Count(body, "data-seq="), older)
		}
		next := strings.ReplaceAll(older[1], "&amp;", "&")
		if !strings.Contains(next, "q=paging") || !strings.Contains(next, "cursor=") || strings.Contains(next, "offset") {
			t.Fatalf("older link %s", next)
		}
		code, body = birch.get(next)
		if code != 200 || strings.Count(body, "data-seq=") != 7 || !strings.Contains(body, "Paging 00") || strings.Contains(body, "Paging 07") ||
			strings.Contains(body, `rel="next"`) || !strings.Contains(body, ">Newest</a>") {
			t.Fatalf("second page: %d, %d rows\n%s", code, strings.Count(body, "data-seq="), body)
		}
		// The live page's script asks for what came after a position.
		code, body = birch.get("/sharing/live")
		seq := regexp.MustCompile(`data-last-seq="(\d+)"`).FindStringSubmatch(body)
		if code != 200 || seq == nil || strings.Count(body, "data-seq=") != 50 {
			t.Fatalf("live: %d %v", code, seq)
		}
		ashford.share(sharing.Submission{DefaultTLP: access.Green}, ind("20000000-0000-4000-8000-000000000999", "Arrived later", "192.0.2.250"))
		code, body = birch.get("/sharing/live?after=" + seq[1])
		if code != 200 || strings.Count(body, "data-seq=") != 1 || !strings.Contains(body, "Arrived later") {
			t.Fatalf("live after %s: %d %d rows", seq[1], code, strings.Count(body, "data-seq="))
		}
		if code, _ := birch.get("/sharing/live?after=x"); code != 400 {
			t.Fatalf("live after x: %d", code)
		}
	})
}

// TestObjectPage: relationships as a graph and a table, containers,
// sightings reported on the page, versions, revocation by the owner only.
func TestObjectPage(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *site) {
		ashford, birch := s.member("analyst@ashford.example"), s.member("analyst@birch.example")
		green := sharing.Submission{DefaultTLP: access.Green}
		ashford.share(green, ind(uGreen, "Beacon to Xorist C2", "203.0.113.20"),
			`{"type":"malware","spec_version":"2.1","id":"malware--`+uMal+`","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","name":"Xorist","is_family":true}`,
			`{"type":"relationship","spec_version":"2.1","id":"relationship--`+uRel+`","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","relationship_type":"indicates","source_ref":"indicator--`+uGreen+`","target_ref":"malware--`+uMal+`"}`,
			`{"type":"report","spec_version":"2.1","id":"report--`+uReport+`","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","name":"Xorist in Meridian","published":"2026-01-01T00:00:00.000Z","object_refs":["indicator--`+uGreen+`"]}`)
		// A relationship to an object Birch may not see: drawn, unlinked.
		ashford.share(sharing.Submission{DefaultTLP: access.Amber}, ind(uAmber, "Amber sibling", "203.0.113.21"))
		ashford.share(green, `{"type":"relationship","spec_version":"2.1","id":"relationship--`+uStrict+`","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","relationship_type":"related-to","source_ref":"indicator--`+uAmber+`","target_ref":"indicator--`+uGreen+`"}`)

		path := "/sharing/objects/indicator--" + uGreen
		code, body := birch.get(path)
		expect(t, "object page", code, body, 200, []string{
			"<svg", `<a href="/sharing/objects/malware--` + uMal + `" class="node node-threat">`, ">indicates<", "Xorist",
			"indicator--" + uAmber, "not shared with you", // the hidden end, by id only
			"Referred to by", "Xorist in Meridian", "No sighting you may see has been reported.",
			html.EscapeString(`"pattern": "[ipv4-addr:value = '203.0.113.20']"`), "Special-purpose address ranges",
		}, []string{"Amber sibling", `href="/sharing/objects/indicator--` + uAmber})

		// A sighting through the page's form; a wrong count keeps what was typed.
		code, body, _ = birch.submit(path+"/sightings", url.Values{"count": {"many"}, "description": {"seen on the VPN"}})
		expect(t, "bad sighting", code, body, 400, []string{`id="err-count"`, `aria-invalid="true"`, "seen on the VPN"}, nil)
		code, body, _ = birch.submit(path+"/sightings", url.Values{"count": {"2"}, "first_seen": {"2026-02-01T10:00"}, "last_seen": {"2026-01-01T10:00"}})
		expect(t, "backwards sighting", code, body, 400, []string{"Last seen is before first seen."}, nil)
		code, body, loc := birch.submit(path+"/sightings", url.Values{"count": {"3"}, "first_seen": {"2026-02-01T10:00"}, "anonymous": {"yes"}})
		if code != 303 || !strings.HasSuffix(loc, "?sighted=1#sightings") {
			t.Fatalf("sighting: %d %s %s", code, loc, body)
		}
		_, body = ashford.get(path + "?sighted=1")
		expect(t, "after the sighting", 200, body, 200, []string{"Seen <strong>3</strong> times in 1 report", "2026-02-01 10:00 UTC"}, nil)

		// Relating needs an object the relater may see.
		code, body, _ = birch.submit(path+"/relate", url.Values{"relation": {"related-to"}, "target": {"indicator--" + uAmber}})
		expect(t, "relate to a hidden object", code, body, 400, []string{"There is no object indicator--" + uAmber + " that you may see."}, []string{"Amber sibling"})

		// Only the owner revokes, and only after ticking the box.
		code, body, _ = birch.submit(path+"/revoke", url.Values{"confirm": {"yes"}})
		expect(t, "revoke by another organization", code, body, 403, []string{"Only the organization that submitted"}, nil)
		code, body, _ = ashford.submit(path+"/revoke", nil)
		expect(t, "revoke without ticking", code, body, 400, []string{"Tick the box to confirm"}, nil)
		code, _, loc = ashford.submit(path+"/revoke", url.Values{"confirm": {"yes"}})
		if code != 303 || !strings.HasSuffix(loc, "?revoked=1") {
			t.Fatalf("revoke: %d %s", code, loc)
		}
		_, body = birch.get(path)
		expect(t, "revoked", 200, body, 200, []string{`id="badge-revoked"`, "(shown)", "?version=2026-01-01T00%3A00%3A00.000Z"}, nil)
		code, body = birch.get(path + "?version=2026-01-01T00:00:00.000Z")
		expect(t, "older version", code, body, 200, []string{`id="badge-older"`, "See the latest"}, []string{`id="badge-revoked"`})
		// Someone else's object is not found at all, on every form of the page.
		for _, p := range []string{"/sightings", "/revoke", "/relate"} {
			if code, _, _ := s.member("analyst@skyline.example").submit("/sharing/objects/indicator--"+uAmber+p, url.Values{"confirm": {"yes"}}); code != 404 {
				t.Errorf("POST %s on another organization's AMBER object: %d", p, code)
			}
		}
	})
}

// TestRelationshipGraphStaysReadable: with many neighbours the graph
// draws forty and the table lists every one.
func TestRelationshipGraphStaysReadable(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *site) {
		ashford := s.member("analyst@ashford.example")
		objs := []string{ind(uGreen, "Hub", "203.0.113.30")}
		for i := range 45 {
			mid := fmt.Sprintf("30000000-0000-4000-8000-%012d", i)
			objs = append(objs,
				`{"type":"malware","spec_version":"2.1","id":"malware--`+mid+`","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","name":"Family `+fmt.Sprint(i)+`","is_family":true}`,
				`{"type":"relationship","spec_version":"2.1","id":"relationship--`+fmt.Sprintf("31000000-0000-4000-8000-%012d", i)+`","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","relationship_type":"indicates","source_ref":"indicator--`+uGreen+`","target_ref":"malware--`+mid+`"}`)
		}
		ashford.share(sharing.Submission{DefaultTLP: access.Green}, objs...)
		code, body := s.member("analyst@birch.example").get("/sharing/objects/indicator--" + uGreen)
		expect(t, "hub", code, body, 200, []string{"40 of its 45 related objects", `transform="rotate(`}, nil)
		if n := strings.Count(body, `class="node node-threat"`); n != 40 {
			t.Errorf("graph nodes: %d, want 40", n)
		}
		if n := strings.Count(body, "this <strong>indicates</strong>"); n != 45 {
			t.Errorf("table rows: %d, want 45", n)
		}
	})
}
