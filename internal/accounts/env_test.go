package accounts_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rampart-project/rampart/internal/accounts"
	"github.com/rampart-project/rampart/internal/app"
	"github.com/rampart-project/rampart/internal/config"
	"github.com/rampart-project/rampart/internal/platform/audit"
	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/identity"
	"github.com/rampart-project/rampart/internal/platform/web"
)

// clock is a test clock that only moves when told.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// env is a server with the accounts module on one database, and a small
// world: a coordinator organization, a state with a county, and a private
// company, with users of each kind.
type env struct {
	t     *testing.T
	db    *db.DB
	ids   *identity.Store
	clock *clock
	url   string

	coordOrg, state, county, company                                  *identity.Organization
	coordinator, stateAdmin, stateAnalyst, countyViewer, companyAdmin *identity.User
	community                                                         *identity.Community
}

// password is every test user's password.
const password = "correct horse battery staple"

type envOptions struct {
	signInBurst int
	config      func(*config.Config)
}

func newEnv(t *testing.T, d *db.DB, o envOptions) *env {
	t.Helper()
	e := &env{t: t, db: d, ids: identity.NewStore(d), clock: &clock{now: time.Now()}}
	if o.signInBurst == 0 {
		o.signInBurst = 1000
	}
	cfg := config.Default()
	if o.config != nil {
		o.config(&cfg)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	rd, err := web.NewRenderer(web.Site{Name: "Test", Version: "test"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	rec := audit.NewRecorder(d.Engine())
	auth, err := identity.NewAuth(identity.AuthOptions{Store: e.ids, Audit: rec, Now: e.clock.Now, SignInBurst: o.signInBurst, PublicURL: cfg.PublicURL})
	if err != nil {
		t.Fatal(err)
	}
	srv := web.NewServer(web.Options{
		Addr: "127.0.0.1:0", Logger: logger, Registry: prometheus.NewRegistry(),
		MaxBodyBytes: 1 << 20, RequestTimeout: 30 * time.Second, Renderer: rd, Authenticate: auth.Middleware,
	})
	k := &app.Kernel{Config: cfg, Logger: logger, DB: d, Router: srv.Router, Renderer: rd,
		Identity: e.ids, Auth: auth, Audit: rec}
	if err := accounts.New().Mount(context.Background(), k); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	e.url = hs.URL
	e.world()
	return e
}

func (e *env) world() {
	e.t.Helper()
	ctx := context.Background()
	org := func(name string, kind identity.OrgKind, parent string) *identity.Organization {
		o := &identity.Organization{Name: name, Kind: kind, ParentID: parent, Sectors: []string{"government-facilities"},
			Contacts: []identity.Contact{{Name: "First Responder", Email: "soc@" + strings.ToLower(strings.Fields(name)[0]) + ".example"}, {Name: "Second Line"}}}
		e.tx(func(tx *sql.Tx) error { return e.ids.CreateOrg(ctx, tx, o) })
		return o
	}
	e.coordOrg = org("National Coordination Center", identity.KindCoordinator, "")
	e.state = org("State of Examplia", identity.KindState, "")
	e.county = org("Sample County", identity.KindLocal, e.state.ID)
	e.company = org("Gridco Power", identity.KindPrivate, "")
	e.coordinator = e.user("coord@ncc.example", e.coordOrg, identity.RoleCoordinator)
	e.stateAdmin = e.user("admin@examplia.example", e.state, identity.RoleOrgAdmin)
	e.stateAnalyst = e.user("analyst@examplia.example", e.state, identity.RoleAnalyst)
	e.countyViewer = e.user("viewer@sample.example", e.county, identity.RoleViewer)
	e.companyAdmin = e.user("admin@gridco.example", e.company, identity.RoleOrgAdmin)
	e.community = &identity.Community{Name: "Examplia election officials", Description: "State and county election offices.", OwnerOrgID: e.state.ID}
	e.tx(func(tx *sql.Tx) error {
		if err := e.ids.CreateCommunity(ctx, tx, e.community); err != nil {
			return err
		}
		return e.ids.AddMember(ctx, tx, e.community.ID, e.county.ID)
	})
}

func (e *env) user(email string, o *identity.Organization, roles ...identity.Role) *identity.User {
	e.t.Helper()
	u := &identity.User{Email: email, Name: "User " + email, OrgID: o.ID, Roles: roles}
	e.tx(func(tx *sql.Tx) error { return e.ids.CreateUser(context.Background(), tx, u, password) })
	return u
}

func (e *env) tx(fn func(tx *sql.Tx) error) {
	e.t.Helper()
	if err := e.db.Tx(context.Background(), fn); err != nil {
		e.t.Fatal(err)
	}
}

// token creates an API token directly in the store.
func (e *env) token(u *identity.User, ttl time.Duration, scopes ...identity.Scope) string {
	e.t.Helper()
	var secret string
	e.tx(func(tx *sql.Tx) error {
		var err error
		_, secret, err = e.ids.CreateToken(context.Background(), tx, u.ID, "test", scopes, ttl)
		return err
	})
	return secret
}

// tokenID finds a token's id by its secret, through the API.
func (e *env) tokenID(secret string) string {
	e.t.Helper()
	status, body := e.api("GET", "/api/v1/me", "Bearer "+secret, "")
	if status != 200 {
		e.t.Fatalf("tokenID: %d %s", status, body)
	}
	var me struct {
		Token struct {
			ID string `json:"id"`
		} `json:"token"`
	}
	if err := json.Unmarshal([]byte(body), &me); err != nil || me.Token.ID == "" {
		e.t.Fatalf("tokenID: %v %s", err, body)
	}
	return me.Token.ID
}

// browser is an HTTP client with a cookie jar that does not follow
// redirects, acting like a browser asking for pages.
type browser struct {
	e    *env
	c    *http.Client
	csrf string // the last CSRF token seen on a page
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{e: e, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var csrfRE = regexp.MustCompile(`name="csrf_token" value="([0-9a-f]+)"`)

// do sends a request and returns the status, the body and the response.
func (b *browser) do(method, path string, form url.Values, header http.Header) (int, string, *http.Response) {
	b.e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.e.url+path, body)
	if err != nil {
		b.e.t.Fatal(err)
	}
	req.Header.Set("Accept", "text/html")
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := b.c.Do(req)
	if err != nil {
		b.e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if m := csrfRE.FindSubmatch(raw); m != nil {
		b.csrf = string(m[1])
	}
	return res.StatusCode, string(raw), res
}

func (b *browser) get(path string) (int, string) {
	b.e.t.Helper()
	s, body, _ := b.do("GET", path, nil, nil)
	return s, body
}

// post sends a form with the page's CSRF token.
func (b *browser) post(path string, form url.Values) (int, string, *http.Response) {
	b.e.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["csrf_token"]; !ok {
		form.Set("csrf_token", b.csrf)
	}
	return b.do("POST", path, form, nil)
}

// signIn signs in through the form and fails the test otherwise.
func (b *browser) signIn(email string) *browser {
	b.e.t.Helper()
	b.get("/signin")
	s, body, _ := b.post("/signin", url.Values{"email": {email}, "password": {password}})
	if s != http.StatusSeeOther {
		b.e.t.Fatalf("sign in as %s: status %d\n%s", email, s, body)
	}
	b.get("/account") // pick up the session's CSRF token
	return b
}

// api calls the JSON API with the given Authorization header.
func (e *env) api(method, path, authorization, body string) (int, string) {
	e.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, e.url+path, r)
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(raw)
}

// auditActions returns the actions in the audit log, oldest first.
func (e *env) auditActions() []string {
	e.t.Helper()
	list, _, err := audit.List(context.Background(), e.db.Reader(), audit.Filter{Limit: audit.MaxLimit})
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for i := len(list) - 1; i >= 0; i-- {
		out = append(out, list[i].Action)
	}
	return out
}

// check asserts a status and what the body must and must not contain.
func check(t *testing.T, what string, status int, body string, wantStatus int, must, mustNot []string) {
	t.Helper()
	if status != wantStatus {
		t.Errorf("%s: status %d, want %d\n%.2000s", what, status, wantStatus, body)
	}
	for _, s := range must {
		if !strings.Contains(body, s) {
			t.Errorf("%s: body lacks %q\n%.2000s", what, s, body)
		}
	}
	for _, s := range mustNot {
		if strings.Contains(body, s) {
			t.Errorf("%s: body contains %q", what, s)
		}
	}
}
