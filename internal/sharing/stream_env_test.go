package sharing_test

import (
	"bufio"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rampart-project/rampart/internal/app"
	"github.com/rampart-project/rampart/internal/config"
	"github.com/rampart-project/rampart/internal/platform/access"
	"github.com/rampart-project/rampart/internal/platform/audit"
	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/db/dbtest"
	"github.com/rampart-project/rampart/internal/platform/events"
	"github.com/rampart-project/rampart/internal/platform/events/eventstest"
	"github.com/rampart-project/rampart/internal/platform/identity"
	"github.com/rampart-project/rampart/internal/platform/web"
	"github.com/rampart-project/rampart/internal/sharing"
	"github.com/rampart-project/rampart/stix"
)

// runLive runs fn once per database engine and kind of event log, each
// with a fresh database and event log of its own.
func runLive(t *testing.T, fn func(t *testing.T, e *liveEnv)) {
	t.Helper()
	for _, engine := range dbtest.Engines() {
		for _, kind := range eventstest.Kinds() {
			t.Run(string(engine)+"/"+string(kind), func(t *testing.T) {
				t.Parallel()
				fn(t, newLiveEnv(t, dbtest.Open(t, engine), eventstest.Open(t, eventstest.Options(t, kind))))
			})
		}
	}
}

// liveEnv is a running server with the sharing module, its relay and its
// workers, as serve runs them, and a small world: a state (A) and a
// county (B) in one community, an outside company (X), and the
// coordination center.
type liveEnv struct {
	t     *testing.T
	d     *db.DB
	bus   *events.Bus
	ids   *identity.Store
	m     *sharing.Module
	store *sharing.Store
	base  string

	shutdownOnce sync.Once
	shutdown     func() time.Duration // graceful shutdown as serve does it; returns how long HTTP took

	orgA, orgB, orgX, orgCoord                                        *identity.Organization
	analystA, colleagueA, adminA, analystB, adminB, analystX, coordin *identity.User
	community                                                         *identity.Community
	coll                                                              sharing.Collection // A's, for the community
	tokens                                                            map[string]string  // by user id
}

var quietLog = slog.New(slog.DiscardHandler)

// newLiveEnv mounts a sharing module on d and bus. Another env on the same
// d and bus is another replica.
func newLiveEnv(t *testing.T, d *db.DB, bus *events.Bus) *liveEnv {
	t.Helper()
	e := startReplica(t, d, bus)
	e.world()
	return e
}

func startReplica(t *testing.T, d *db.DB, bus *events.Bus) *liveEnv {
	t.Helper()
	ctx := context.Background()
	e := &liveEnv{t: t, d: d, bus: bus, ids: identity.NewStore(d), tokens: map[string]string{}}
	relay := events.NewRelay(d, bus, quietLog)
	rec := audit.NewRecorder(d.Engine())
	auth, err := identity.NewAuth(identity.AuthOptions{Store: e.ids, Audit: rec})
	if err != nil {
		t.Fatal(err)
	}
	rd, err := web.NewRenderer(web.Site{Name: "Test", Version: "test"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := web.NewServer(web.Options{Addr: "127.0.0.1:0", Logger: quietLog, Registry: prometheus.NewRegistry(),
		MaxBodyBytes: 32 << 20, RequestTimeout: 30 * time.Second, Renderer: rd, Authenticate: auth.Middleware})
	k := &app.Kernel{Config: config.Default(), Logger: quietLog, DB: d, Events: bus, Outbox: events.NewOutbox(d, relay),
		Router: srv.Router, Renderer: rd, Metrics: prometheus.NewRegistry(), Identity: e.ids, Auth: auth, Audit: rec}
	e.m = sharing.New()
	if err := e.m.Mount(ctx, k); err != nil {
		t.Fatal(err)
	}
	e.store = e.m.Store()
	addr, err := srv.Listen()
	if err != nil {
		t.Fatal(err)
	}
	e.base = "http://" + addr.String()
	runCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(3)
	go func() { defer wg.Done(); _ = relay.Run(runCtx) }()
	go func() { defer wg.Done(); _ = e.m.Run(runCtx) }()
	go func() { defer wg.Done(); _ = srv.Serve() }()
	var took time.Duration
	e.shutdown = func() time.Duration {
		e.shutdownOnce.Do(func() {
			sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
			defer cancel()
			start := time.Now()
			_ = srv.Shutdown(sctx)
			took = time.Since(start)
			stop()
			wg.Wait()
		})
		return took
	}
	t.Cleanup(func() { e.shutdown() })
	return e
}

func (e *liveEnv) world() {
	e.t.Helper()
	ctx := context.Background()
	org := func(name string, kind identity.OrgKind) *identity.Organization {
		o := &identity.Organization{Name: name, Kind: kind}
		e.tx(func(tx *sql.Tx) error { return e.ids.CreateOrg(ctx, tx, o) })
		return o
	}
	e.orgA = org("State of Meridian", identity.KindState)
	e.orgB = org("Ashford County", identity.KindLocal)
	e.orgX = org("Skyline Broadband", identity.KindPrivate)
	e.orgCoord = org("National Coordination Center", identity.KindCoordinator)
	e.analystA = e.user("analyst@meridian.example", e.orgA, identity.RoleAnalyst)
	e.colleagueA = e.user("colleague@meridian.example", e.orgA, identity.RoleAnalyst)
	e.adminA = e.user("admin@meridian.example", e.orgA, identity.RoleOrgAdmin)
	e.analystB = e.user("analyst@ashford.example", e.orgB, identity.RoleAnalyst)
	e.adminB = e.user("admin@ashford.example", e.orgB, identity.RoleOrgAdmin)
	e.analystX = e.user("analyst@skyline.example", e.orgX, identity.RoleAnalyst)
	e.coordin = e.user("watch@ncc.example", e.orgCoord, identity.RoleCoordinator)
	e.community = &identity.Community{Name: "Meridian election offices", OwnerOrgID: e.orgA.ID}
	e.tx(func(tx *sql.Tx) error {
		if err := e.ids.CreateCommunity(ctx, tx, e.community); err != nil {
			return err
		}
		if err := e.ids.AddMember(ctx, tx, e.community.ID, e.orgB.ID); err != nil {
			return err
		}
		e.coll = sharing.Collection{Title: "Election indicators", Alias: "election", OwnerOrg: e.orgA.ID, AudienceKind: "community",
			AudienceID: e.community.ID, CanRead: true, CanWrite: true, DefaultTLP: access.Green}
		return e.store.CreateCollection(ctx, tx, &e.coll)
	})
}

func (e *liveEnv) user(email string, o *identity.Organization, roles ...identity.Role) *identity.User {
	e.t.Helper()
	u := &identity.User{Email: email, Name: email, OrgID: o.ID, Roles: roles}
	e.tx(func(tx *sql.Tx) error { return e.ids.CreateUserHashed(context.Background(), tx, u, "") })
	e.tx(func(tx *sql.Tx) error {
		_, secret, err := e.ids.CreateToken(context.Background(), tx, u.ID, "test", identity.Scopes, 0)
		e.tokens[u.ID] = secret
		return err
	})
	return u
}

func (e *liveEnv) tx(fn func(tx *sql.Tx) error) {
	e.t.Helper()
	if err := e.d.Tx(context.Background(), fn); err != nil {
		e.t.Fatal(err)
	}
}

func (e *liveEnv) principal(u *identity.User) access.Principal {
	e.t.Helper()
	p, err := e.ids.Principal(context.Background(), u)
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

// share is how one submission is shared.
type share struct {
	tlp        access.TLP
	grants     []access.Grant
	anonymous  bool
	collection *sharing.Collection
}

// share stores objects as u and returns the report.
func (e *liveEnv) share(u *identity.User, how share, objs ...string) sharing.Report {
	e.t.Helper()
	parsed := make([]stix.Object, 0, len(objs))
	for _, o := range objs {
		obj, err := stix.ParseObject([]byte(o))
		if err != nil {
			e.t.Fatalf("parse %.200s: %v", o, err)
		}
		parsed = append(parsed, obj)
	}
	rep, err := e.store.Ingest(context.Background(), sharing.Submission{Principal: e.principal(u), Actor: u.Email, Source: sharing.SourceAPI,
		DefaultTLP: how.tlp, Grants: how.grants, Anonymous: how.anonymous, Collection: how.collection}, parsed)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, o := range rep.Outcomes {
		if o.Status == sharing.StatusRejected {
			e.t.Fatalf("rejected: %+v", o)
		}
	}
	return rep
}

func uuid4() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6], b[8] = b[6]&0x0f|0x40, b[8]&0x3f|0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// liveIndicator is a new indicator named name; extra is more JSON members.
func liveIndicator(name string, extra ...string) string {
	more := ""
	for _, x := range extra {
		more += "," + x
	}
	return fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"indicator--%s","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z",
"name":%q,"pattern":"[domain-name:value = 'c2.example']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00.000Z"%s}`, uuid4(), name, more)
}

func liveMalware(name string) string {
	return fmt.Sprintf(`{"type":"malware","spec_version":"2.1","id":"malware--%s","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","name":%q,"is_family":true}`, uuid4(), name)
}

// call sends an API request with u's token (none for nil) and returns the
// status and body.
func (e *liveEnv) call(u *identity.User, method, path, body string) (int, string) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.base+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Accept", "application/json")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if u != nil {
		req.Header.Set("Authorization", "Bearer "+e.tokens[u.ID])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// auditActions returns the audit log's actions by user id and action.
func (e *liveEnv) auditEntries(action string) []audit.Entry {
	e.t.Helper()
	list, _, err := audit.List(context.Background(), e.d.Reader(), audit.Filter{Limit: audit.MaxLimit})
	if err != nil {
		e.t.Fatal(err)
	}
	var out []audit.Entry
	for _, en := range list {
		if en.Action == action {
			out = append(out, en)
		}
	}
	return out
}

// sseEvent is one block of a server-sent event stream.
type sseEvent struct {
	id    int64
	hasID bool
	event string
	data  string
	at    time.Time
}

// streamed is the data of an object event.
type streamed struct {
	StixID   string          `json:"id"`
	Type     string          `json:"type"`
	TLP      string          `json:"tlp"`
	OwnerOrg string          `json:"owner_org"`
	Object   json.RawMessage `json:"object"`
}

func (ev sseEvent) object(t *testing.T) (streamed, string) {
	t.Helper()
	var s streamed
	if err := json.Unmarshal([]byte(ev.data), &s); err != nil {
		t.Fatalf("event data: %v: %.300s", err, ev.data)
	}
	var body struct {
		Name string `json:"name"`
	}
	_ = json.Unmarshal(s.Object, &body)
	return s, body.Name
}

// sseClient reads a stream in the background.
type sseClient struct {
	t      *testing.T
	resp   *http.Response
	events chan sseEvent
	opened sseEvent // the opening block: retry and position
	cancel context.CancelFunc
	done   chan struct{}
	resume chan struct{} // closed to start reading after the opening block
	once   sync.Once
}

// start resumes reading a paused stream.
func (c *sseClient) start() { c.once.Do(func() { close(c.resume) }) }

type streamOpts struct {
	query       string
	lastEventID string
	paused      bool // read nothing after the opening block until start
}

// stream opens GET /api/v1/stream as u and waits for the opening block.
func (e *liveEnv) stream(u *identity.User, o streamOpts) *sseClient {
	e.t.Helper()
	c, status, body := e.tryStream(u, o)
	if c == nil {
		e.t.Fatalf("stream %s: %d %s", o.query, status, body)
	}
	return c
}

func (e *liveEnv) tryStream(u *identity.User, o streamOpts) (*sseClient, int, string) {
	e.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, "GET", e.base+"/api/v1/stream"+o.query, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Authorization", "Bearer "+e.tokens[u.ID])
	if o.lastEventID != "" {
		req.Header.Set("Last-Event-ID", o.lastEventID)
	}
	// A connection of its own, as each EventSource has.
	resp, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Do(req)
	if err != nil {
		cancel()
		e.t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		cancel()
		return nil, resp.StatusCode, string(b)
	}
	c := &sseClient{t: e.t, resp: resp, events: make(chan sseEvent, 100000), cancel: cancel, done: make(chan struct{}), resume: make(chan struct{})}
	if !o.paused {
		c.start()
	}
	opened := make(chan sseEvent, 1)
	go c.read(opened)
	select {
	case c.opened = <-opened:
	case <-time.After(10 * time.Second):
		e.t.Fatal("the stream did not open within 10 s")
	}
	e.t.Cleanup(c.close)
	return c, 200, ""
}

func (c *sseClient) read(opened chan<- sseEvent) {
	defer close(c.done)
	defer close(c.events)
	r := bufio.NewReaderSize(c.resp.Body, 1<<16)
	var ev sseEvent
	first := true
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == "":
			ev.at = time.Now()
			if first {
				opened <- ev
				first = false
				<-c.resume
			} else if ev.data != "" || ev.event != "" {
				c.events <- ev
			}
			ev = sseEvent{}
		case strings.HasPrefix(line, ":"):
		case strings.HasPrefix(line, "id: "):
			ev.id, _ = strconv.ParseInt(line[4:], 10, 64)
			ev.hasID = true
		case strings.HasPrefix(line, "event: "):
			ev.event = line[7:]
		case strings.HasPrefix(line, "data: "):
			ev.data += line[6:]
		}
	}
}

func (c *sseClient) close() {
	c.cancel()
	c.start()
	<-c.done
	c.resp.Body.Close()
}

// next returns the next event, failing the test after d.
func (c *sseClient) next(d time.Duration) sseEvent {
	c.t.Helper()
	select {
	case ev, ok := <-c.events:
		if !ok {
			c.t.Fatal("the stream ended")
		}
		return ev
	case <-time.After(d):
		c.t.Fatalf("no event within %s", d)
	}
	return sseEvent{}
}

// until collects object events up to and including the one named name.
func (c *sseClient) until(name string, d time.Duration) []sseEvent {
	c.t.Helper()
	var out []sseEvent
	deadline := time.Now().Add(d)
	for {
		ev := c.next(time.Until(deadline))
		out = append(out, ev)
		if ev.event == "object" {
			if _, n := ev.object(c.t); n == name {
				return out
			}
		}
	}
}

// names returns the names of the objects among events.
func names(t *testing.T, evs []sseEvent) []string {
	t.Helper()
	var out []string
	for _, ev := range evs {
		if ev.event == "object" {
			_, n := ev.object(t)
			out = append(out, n)
		}
	}
	return out
}

// waitFor polls cond until it holds, failing the test after d.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, d)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
