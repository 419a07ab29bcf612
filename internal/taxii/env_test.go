package taxiiserver_test

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rampart-project/rampart/internal/app"
	"github.com/rampart-project/rampart/internal/config"
	"github.com/rampart-project/rampart/internal/platform/access"
	"github.com/rampart-project/rampart/internal/platform/audit"
	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/events"
	"github.com/rampart-project/rampart/internal/platform/identity"
	"github.com/rampart-project/rampart/internal/platform/web"
	"github.com/rampart-project/rampart/internal/sharing"
	taxiiserver "github.com/rampart-project/rampart/internal/taxii"
	"github.com/rampart-project/rampart/stix"
	"github.com/rampart-project/rampart/taxii"
)

// maxBody is the test server's body limit, small so 413 is cheap to reach.
const maxBody = 256 << 10

// env is a server with the TAXII module on one database and a small world:
// a state and its county in one community, a company outside it, and
// collections of each kind.
type env struct {
	t     *testing.T
	db    *db.DB
	ids   *identity.Store
	store *sharing.Store
	url   string

	state, county, company            *identity.Organization
	stateAnalyst, stateAdmin, county1 *identity.User
	companyAdmin                      *identity.User
	community                         *identity.Community

	// Collections: shared (the community reads and writes, alias
	// "election"), inbox (every member writes, only the state reads),
	// stateOnly (the state's own), bulk (the community reads; for paging),
	// regional (another API root).
	shared, inbox, stateOnly, bulk, regional sharing.Collection

	// tokens by user; readOnly is the county user's token without write.
	tokens   map[string]string
	readOnly string
}

func newEnv(t *testing.T, d *db.DB, o taxiiserver.Options) *env {
	t.Helper()
	return newEnvWith(t, d, o, nil)
}

func newEnvWith(t *testing.T, d *db.DB, o taxiiserver.Options, tweak func(*config.Config)) *env {
	t.Helper()
	e := &env{t: t, db: d, ids: identity.NewStore(d), tokens: map[string]string{}}
	cfg := config.Default()
	cfg.InstanceName = "Examplia Rampart"
	cfg.MaxBodyBytes = maxBody
	if tweak != nil {
		tweak(&cfg)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	rec := audit.NewRecorder(d.Engine())
	auth, err := identity.NewAuth(identity.AuthOptions{Store: e.ids, Audit: rec})
	if err != nil {
		t.Fatal(err)
	}
	srv := web.NewServer(web.Options{
		Addr: "127.0.0.1:0", Logger: logger, Registry: prometheus.NewRegistry(),
		MaxBodyBytes: cfg.MaxBodyBytes, RequestTimeout: 30 * time.Second, Authenticate: auth.Middleware,
	})
	outbox := events.NewOutbox(d, nil)
	k := &app.Kernel{Config: cfg, Logger: logger, DB: d, Outbox: outbox, Router: srv.Router,
		Identity: e.ids, Auth: auth, Audit: rec, Access: access.Policy{}}
	m := taxiiserver.New(o)
	if err := m.Mount(context.Background(), k); err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { hs.Close(); stop(); <-done })
	e.url = hs.URL
	e.store = sharing.NewStore(d, outbox, access.Policy{})
	e.world()
	return e
}

func (e *env) world() {
	e.t.Helper()
	ctx := context.Background()
	org := func(name string, kind identity.OrgKind, parent string) *identity.Organization {
		o := &identity.Organization{Name: name, Kind: kind, ParentID: parent}
		e.tx(func(tx *sql.Tx) error { return e.ids.CreateOrg(ctx, tx, o) })
		return o
	}
	e.state = org("State of Examplia", identity.KindState, "")
	e.county = org("Sample County", identity.KindLocal, e.state.ID)
	e.company = org("Gridco Power", identity.KindPrivate, "")
	e.stateAnalyst = e.user("analyst@examplia.example", e.state, identity.RoleAnalyst)
	e.stateAdmin = e.user("admin@examplia.example", e.state, identity.RoleOrgAdmin)
	e.county1 = e.user("analyst@sample.example", e.county, identity.RoleAnalyst)
	e.companyAdmin = e.user("admin@gridco.example", e.company, identity.RoleOrgAdmin)
	e.community = &identity.Community{Name: "Examplia election officials", OwnerOrgID: e.state.ID}
	e.tx(func(tx *sql.Tx) error {
		if err := e.ids.CreateCommunity(ctx, tx, e.community); err != nil {
			return err
		}
		return e.ids.AddMember(ctx, tx, e.community.ID, e.county.ID)
	})
	coll := func(c sharing.Collection) sharing.Collection {
		e.tx(func(tx *sql.Tx) error { return e.store.CreateCollection(ctx, tx, &c) })
		return c
	}
	e.shared = coll(sharing.Collection{Title: "Election security", Alias: "election", OwnerOrg: e.state.ID,
		AudienceKind: "community", AudienceID: e.community.ID, CanRead: true, CanWrite: true, DefaultTLP: access.Green})
	e.inbox = coll(sharing.Collection{Title: "Report to the state", OwnerOrg: e.state.ID,
		AudienceKind: "community", AudienceID: access.AllMembers, CanWrite: true, DefaultTLP: access.Amber})
	e.stateOnly = coll(sharing.Collection{Title: "State SOC working set", OwnerOrg: e.state.ID,
		AudienceKind: "org", AudienceID: e.state.ID, CanRead: true, CanWrite: true, DefaultTLP: access.Amber})
	e.bulk = coll(sharing.Collection{Title: "Bulk feed", OwnerOrg: e.state.ID,
		AudienceKind: "community", AudienceID: e.community.ID, CanRead: true, DefaultTLP: access.Green})
	e.regional = coll(sharing.Collection{Title: "Regional exchange", APIRoot: "regional", OwnerOrg: e.county.ID,
		AudienceKind: "community", AudienceID: e.community.ID, CanRead: true, CanWrite: true, DefaultTLP: access.Green})
	e.readOnly = e.token(e.county1, identity.ScopeRead)
}

func (e *env) user(email string, o *identity.Organization, roles ...identity.Role) *identity.User {
	e.t.Helper()
	u := &identity.User{Email: email, Name: "User " + email, OrgID: o.ID, Roles: roles}
	e.tx(func(tx *sql.Tx) error { return e.ids.CreateUser(context.Background(), tx, u, "") })
	e.tokens[u.ID] = e.token(u, identity.Scopes...)
	return u
}

func (e *env) token(u *identity.User, scopes ...identity.Scope) string {
	e.t.Helper()
	var secret string
	e.tx(func(tx *sql.Tx) (err error) {
		_, secret, err = e.ids.CreateToken(context.Background(), tx, u.ID, "taxii test", scopes, 0)
		return err
	})
	return secret
}

func (e *env) tx(fn func(tx *sql.Tx) error) {
	e.t.Helper()
	if err := e.db.Tx(context.Background(), fn); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) principal(u *identity.User) access.Principal {
	e.t.Helper()
	p, err := e.ids.Principal(context.Background(), u)
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

// ingest stores objects as u, straight through the store, into c with the
// given audience (none: the collection's).
func (e *env) ingest(u *identity.User, c sharing.Collection, grants []access.Grant, objs ...string) sharing.Report {
	e.t.Helper()
	var parsed []stix.Object
	for _, o := range objs {
		obj, err := stix.ParseObject([]byte(o))
		if err != nil {
			e.t.Fatalf("parse %s: %v", o, err)
		}
		parsed = append(parsed, obj)
	}
	rep, err := e.store.Ingest(context.Background(), sharing.Submission{
		Principal: e.principal(u), Actor: u.Email, Source: sharing.SourceAPI, Collection: &c, Grants: grants,
	}, parsed)
	if err != nil {
		e.t.Fatal(err)
	}
	if rep.Rejected > 0 {
		e.t.Fatalf("ingest rejected objects: %+v", rep.Outcomes)
	}
	return rep
}

// request is one call to the server.
type request struct {
	method, path string
	as           *identity.User // nil: anonymous
	auth         string         // an Authorization header instead of as's token
	accept       string         // "" means the TAXII media type; "-" sends none
	contentType  string
	body         string
}

type response struct {
	status int
	header http.Header
	body   string
}

func (e *env) do(rq request) response {
	e.t.Helper()
	var body io.Reader
	if rq.body != "" {
		body = strings.NewReader(rq.body)
	}
	req, err := http.NewRequest(rq.method, e.url+rq.path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	switch rq.accept {
	case "":
		req.Header.Set("Accept", taxii.MediaTypeTAXII)
	case "-":
	default:
		req.Header.Set("Accept", rq.accept)
	}
	if rq.contentType != "" {
		req.Header.Set("Content-Type", rq.contentType)
	}
	switch {
	case rq.auth != "":
		req.Header.Set("Authorization", rq.auth)
	case rq.as != nil:
		req.SetBasicAuth(rq.as.Email, e.tokens[rq.as.ID])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return response{status: res.StatusCode, header: res.Header, body: string(raw)}
}

// get is a GET as u that must succeed; it decodes the body into v.
func (e *env) get(u *identity.User, path string, v any) http.Header {
	e.t.Helper()
	res := e.do(request{method: "GET", path: path, as: u})
	if res.status != http.StatusOK {
		e.t.Fatalf("GET %s: %d %s", path, res.status, res.body)
	}
	if err := json.Unmarshal([]byte(res.body), v); err != nil {
		e.t.Fatalf("GET %s: %v\n%s", path, err, res.body)
	}
	return res.header
}

// post adds an envelope as u and returns the status resource.
func (e *env) post(u *identity.User, c sharing.Collection, envelope string) taxii.Status {
	e.t.Helper()
	res := e.do(request{method: "POST", path: objectsPath(c), as: u, contentType: taxii.MediaTypeTAXII, body: envelope})
	if res.status != http.StatusAccepted {
		e.t.Fatalf("POST %s: %d %s", objectsPath(c), res.status, res.body)
	}
	var st taxii.Status
	if err := json.Unmarshal([]byte(res.body), &st); err != nil {
		e.t.Fatal(err)
	}
	return st
}

func collPath(c sharing.Collection) string {
	return "/taxii2/" + c.APIRoot + "/collections/" + c.ID + "/"
}

func objectsPath(c sharing.Collection) string { return collPath(c) + "objects/" }

// scenario is one row of an endpoint's table: the request, and what the
// answer must and must not hold.
type scenario struct {
	name    string
	req     request
	status  int
	must    []string
	mustNot []string
	header  map[string]string // header values that must be present exactly
}

func (e *env) run(scenarios []scenario) {
	e.t.Helper()
	for _, sc := range scenarios {
		res := e.do(sc.req)
		what := sc.name + ": " + sc.req.method + " " + sc.req.path
		if res.status != sc.status {
			e.t.Errorf("%s: status %d, want %d\n%.1500s", what, res.status, sc.status, res.body)
			continue
		}
		if ct := res.header.Get("Content-Type"); res.body != "" && ct != taxii.MediaTypeTAXII {
			e.t.Errorf("%s: Content-Type %q, want %q", what, ct, taxii.MediaTypeTAXII)
		}
		if res.status >= 400 {
			checkError(e.t, what, res)
		}
		for _, s := range sc.must {
			if !strings.Contains(res.body, s) {
				e.t.Errorf("%s: body lacks %q\n%.1500s", what, s, res.body)
			}
		}
		for _, s := range sc.mustNot {
			if strings.Contains(res.body, s) {
				e.t.Errorf("%s: body contains %q\n%.1500s", what, s, res.body)
			}
		}
		for k, v := range sc.header {
			if got := strings.Join(res.header.Values(k), ", "); got != v {
				e.t.Errorf("%s: header %s = %q, want %q", what, k, got, v)
			}
		}
	}
}

// checkError asserts that an error answer is a TAXII error resource.
func checkError(t *testing.T, what string, res response) {
	t.Helper()
	var te struct {
		Title       string `json:"title"`
		Description string `json:"description"`
		HTTPStatus  string `json:"http_status"`
		ErrorID     string `json:"error_id"`
	}
	if err := json.Unmarshal([]byte(res.body), &te); err != nil {
		t.Errorf("%s: error body is not JSON: %v\n%s", what, err, res.body)
		return
	}
	if te.Title == "" || te.Description == "" || te.HTTPStatus != fmt.Sprint(res.status) || te.ErrorID == "" {
		t.Errorf("%s: incomplete TAXII error resource: %s", what, res.body)
	}
}

// indicator is a valid STIX 2.1 indicator; id is the UUID part.
func indicator(id, modified, value string, markings ...string) string {
	refs := ""
	if len(markings) > 0 {
		refs = `,"object_marking_refs":["` + strings.Join(markings, `","`) + `"]`
	}
	return fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"indicator--%s","created":"2026-01-01T00:00:00.000Z","modified":"%s",`+
		`"name":"C2 %s","pattern":"[ipv4-addr:value = '%s']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00.000Z"%s}`,
		id, modified, value, value, refs)
}

// uuid returns a deterministic UUID-shaped id for test object n.
func uuid(prefix, n int) string {
	return fmt.Sprintf("%08x-0000-4000-8000-%012x", prefix, n)
}

func basic(user, password string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))
}

func envelopeOf(objs ...string) string {
	return `{"objects":[` + strings.Join(objs, ",") + `]}`
}
