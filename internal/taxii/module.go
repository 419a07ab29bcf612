package taxiiserver

import (
	"context"
	"log/slog"
	"net/http"
	"runtime"
	"sync"

	"github.com/rampart-project/rampart/internal/app"
	"github.com/rampart-project/rampart/internal/config"
	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/errs"
	"github.com/rampart-project/rampart/internal/platform/identity"
	"github.com/rampart-project/rampart/internal/sharing"
)

// Defaults of Options.
const (
	// DefaultPageSize is the most records one response carries, whatever
	// limit the client asks for: large enough that a client pulls a busy
	// collection in few requests, small enough that a page of full STIX
	// objects stays a few megabytes.
	DefaultPageSize = 1000
	// DefaultAsyncAbove is the envelope size above which an add is answered
	// at once with a pending status and finished in the background, so a
	// client never waits on a request deadline for a big upload.
	DefaultAsyncAbove = 1000
	// DefaultMaxJobs bounds the background adds running at once; each holds
	// its whole envelope in memory.
	DefaultMaxJobs = 4
)

// Options tune the module; the zero value means the defaults.
type Options struct {
	PageSize   int
	AsyncAbove int
	MaxJobs    int
}

// Module is the TAXII 2.1 server.
type Module struct {
	opts   Options
	cfg    config.Config
	logger *slog.Logger
	db     *db.DB
	store  *sharing.Store
	jobs   jobs
	// pages admits listing requests a few at a time, first come first
	// served (a channel's waiters are woken in order).
	pages chan struct{}
}

// New returns the TAXII module.
func New(o Options) *Module {
	if o.PageSize <= 0 {
		o.PageSize = DefaultPageSize
	}
	if o.AsyncAbove <= 0 {
		o.AsyncAbove = DefaultAsyncAbove
	}
	if o.MaxJobs <= 0 {
		o.MaxJobs = DefaultMaxJobs
	}
	m := &Module{opts: o, pages: make(chan struct{}, 4*runtime.GOMAXPROCS(0))}
	m.jobs.slots = make(chan struct{}, o.MaxJobs)
	return m
}

// Name implements app.Module.
func (m *Module) Name() string { return "taxii" }

// Mount implements app.Module. The module keeps its own Store over the
// kernel's database: the store is stateless, and every decision it makes
// goes through the same access policy as the sharing module's.
func (m *Module) Mount(_ context.Context, k *app.Kernel) error {
	m.cfg, m.logger, m.db = k.Config, k.Logger, k.DB
	if m.logger == nil {
		m.logger = slog.New(slog.DiscardHandler)
	}
	m.store = sharing.NewStore(k.DB, k.Outbox, k.Access)
	m.routes(k.Router)
	return nil
}

// Run implements app.Module: background adds may start while it runs,
// and it returns once those in progress have recorded how far they got.
func (m *Module) Run(ctx context.Context) error {
	m.jobs.open(ctx)
	<-ctx.Done()
	m.jobs.close()
	return nil
}

// jobs runs background adds under the context of Run, so shutdown stops
// them and waits for them instead of cutting them off mid-write.
type jobs struct {
	mu    sync.Mutex
	ctx   context.Context // nil unless Run is running
	wg    sync.WaitGroup
	slots chan struct{}
}

func (j *jobs) open(ctx context.Context) {
	j.mu.Lock()
	j.ctx = ctx
	j.mu.Unlock()
}

func (j *jobs) close() {
	j.mu.Lock()
	j.ctx = nil
	j.mu.Unlock()
	j.wg.Wait()
}

// reserve takes a slot for a job, or says why there is none; release gives
// it back if the job is not started after all.
func (j *jobs) reserve() (release func(), err error) {
	j.mu.Lock()
	running := j.ctx != nil && j.ctx.Err() == nil
	j.mu.Unlock()
	if !running {
		return nil, errs.E(errs.Unavailable, "The server is not taking large adds right now; try again shortly.")
	}
	select {
	case j.slots <- struct{}{}:
		return func() { <-j.slots }, nil
	default:
		return nil, errs.E(errs.Unavailable, "The server is busy with other large adds; try again shortly.")
	}
}

// start runs fn in the background with a reserved slot, which it frees.
// It fails only when Run ended since the slot was reserved.
func (j *jobs) start(fn func(ctx context.Context)) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.ctx == nil || j.ctx.Err() != nil {
		<-j.slots
		return errs.E(errs.Unavailable, "The server is not taking large adds right now; try again shortly.")
	}
	ctx := j.ctx
	j.wg.Add(1)
	go func() {
		defer j.wg.Done()
		defer func() { <-j.slots }()
		fn(ctx)
	}()
	return nil
}

// caller returns the signed-in caller; every TAXII route requires one.
func caller(r *http.Request) *identity.Caller {
	c, _ := identity.CallerFrom(r.Context())
	return c
}
