// Package app builds a Rampart process from its Config — database, event
// log, HTTP server, modules — runs it, and shuts it down in order: HTTP,
// workers, events, database.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/rampart-project/rampart/internal/config"
	"github.com/rampart-project/rampart/internal/platform/access"
	"github.com/rampart-project/rampart/internal/platform/audit"
	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/events"
	"github.com/rampart-project/rampart/internal/platform/identity"
	"github.com/rampart-project/rampart/internal/platform/web"
)

// Kernel is what the platform gives each module.
type Kernel struct {
	Config   config.Config
	Logger   *slog.Logger
	DB       *db.DB
	Events   *events.Bus
	Outbox   *events.Outbox
	Router   *web.Router
	Renderer *web.Renderer
	Metrics  prometheus.Registerer

	// Identity holds organizations, users, communities and tokens; Auth
	// authenticates requests and signs people in; Audit appends to the
	// audit log inside a module's write transaction; Access is the
	// instance's policy for the TLP decision.
	Identity *identity.Store
	Auth     *identity.Auth
	Audit    *audit.Recorder
	Access   access.Policy
}

// Module is one module of the roadmap (sharing, notify, ...).
type Module interface {
	// Name is the module's short name, used in logs.
	Name() string
	// Mount registers the module's routes and pages. It runs at start-up,
	// before the server listens.
	Mount(ctx context.Context, k *Kernel) error
	// Run does the module's background work (consumers, schedules) until
	// ctx ends, then returns. A module without any returns at once.
	Run(ctx context.Context) error
}

// StartupError is a failure to start: bad configuration or a dependency
// that cannot be reached. The command exits with status 2 on it.
type StartupError struct{ Err error }

func (e *StartupError) Error() string { return e.Err.Error() }
func (e *StartupError) Unwrap() error { return e.Err }

// Options are what New needs besides the Config.
type Options struct {
	Logger  *slog.Logger
	Version string
	Modules []Module
}

// App is a running Rampart server process.
type App struct {
	cfg      config.Config
	logger   *slog.Logger
	version  string
	db       *db.DB
	bus      *events.Bus
	relay    *events.Relay
	server   *web.Server
	modules  []Module
	lock     *dirLock
	addr     net.Addr
	started  time.Time
	registry *prometheus.Registry
}

// New opens everything the server needs and binds its address. Any error is
// a *StartupError that names what failed and where.
func New(ctx context.Context, cfg config.Config, o Options) (_ *App, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, &StartupError{err}
	}
	logger := o.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	a := &App{cfg: cfg, logger: logger, version: o.Version, modules: o.Modules, started: time.Now()}
	defer func() {
		if err != nil {
			a.closeAll()
			err = &StartupError{err}
		}
	}()

	if cfg.Engine() == config.SQLite || cfg.EmbeddedNATS() {
		if err := ensureWritableDir(cfg.DataDir); err != nil {
			return nil, err
		}
		if a.lock, err = lockDataDir(cfg.DataDir); err != nil {
			return nil, err
		}
	}
	a.registry = prometheus.NewRegistry()
	a.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	if a.db, err = OpenDB(ctx, cfg, logger); err != nil {
		return nil, err
	}
	if applied, err := a.db.Migrate(ctx); err != nil {
		return nil, err
	} else if len(applied) > 0 {
		logger.Info("database migrated", "migrations", len(applied), "to_version", applied[len(applied)-1].Version)
	}
	if a.bus, err = events.Open(ctx, events.Options{
		URL: cfg.NATSURL, StoreDir: cfg.NATSStoreDir(), Prefix: cfg.EventsPrefix,
		Logger: logger, Metrics: a.registry,
	}); err != nil {
		return nil, err
	}
	a.relay = events.NewRelay(a.db, a.bus, logger)

	nav := Navigation(o.Modules)
	renderer, err := web.NewRenderer(web.Site{Name: cfg.InstanceName, Demo: cfg.Demo, Version: o.Version}, nav)
	if err != nil {
		return nil, err
	}
	ids := identity.NewStore(a.db)
	recorder := audit.NewRecorder(a.db.Engine())
	auth, err := identity.NewAuth(identity.AuthOptions{Store: ids, Audit: recorder, PublicURL: cfg.PublicURL})
	if err != nil {
		return nil, err
	}
	a.server = web.NewServer(web.Options{
		Addr: cfg.Addr, Logger: logger, Registry: a.registry,
		MaxBodyBytes: cfg.MaxBodyBytes, RequestTimeout: cfg.RequestTimeout, Renderer: renderer,
		Authenticate: auth.Middleware,
	})
	k := &Kernel{
		Config: cfg, Logger: logger, DB: a.db, Events: a.bus,
		Outbox: events.NewOutbox(a.db, a.relay), Router: a.server.Router,
		Renderer: renderer, Metrics: a.registry,
		Identity: ids, Auth: auth, Audit: recorder, Access: access.Policy{PublicFeed: cfg.PublicFeed},
	}
	a.routes(k, nav)
	for _, m := range a.modules {
		if err := m.Mount(ctx, k); err != nil {
			return nil, fmt.Errorf("module %s: %w", m.Name(), err)
		}
	}
	if a.addr, err = a.server.Listen(); err != nil {
		return nil, err
	}
	return a, nil
}

// OpenDB opens the database the configuration names. Commands other than
// serve use it to work on the same data as a running server.
func OpenDB(ctx context.Context, cfg config.Config, logger *slog.Logger) (*db.DB, error) {
	o := db.Options{Logger: logger}
	if cfg.Engine() == config.Postgres {
		o.Engine, o.PostgresURL = db.Postgres, cfg.DatabaseURL
	} else {
		o.Engine, o.SQLitePath = db.SQLite, cfg.SQLitePath()
	}
	return db.Open(ctx, o)
}

// Addr is the address the server listens on.
func (a *App) Addr() net.Addr { return a.addr }

// Run serves until ctx ends or the server fails, then shuts down in order:
// HTTP, workers, events, database. It returns nil after a clean shutdown.
func (a *App) Run(ctx context.Context) error {
	relayCtx, stopRelay := context.WithCancel(context.WithoutCancel(ctx))
	relayDone := make(chan struct{})
	go func() {
		defer close(relayDone)
		_ = a.relay.Run(relayCtx)
	}()

	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	var workers sync.WaitGroup
	for _, m := range a.modules {
		workers.Add(1)
		go func() {
			defer workers.Done()
			if err := m.Run(workCtx); err != nil && workCtx.Err() == nil {
				a.logger.Error("module stopped with an error", "module", m.Name(), "err", err)
			}
		}()
	}

	serveErr := make(chan error, 1)
	go func() { serveErr <- a.server.Serve() }()
	a.logger.Info("rampart is serving", "addr", a.addr.String(), "database", string(a.db.Engine()),
		"nats", a.bus.Where(), "version", a.version)

	var runErr error
	select {
	case <-ctx.Done():
		a.logger.Info("shutting down")
	case runErr = <-serveErr:
		a.logger.Error("http server failed", "err", runErr)
	}

	deadline, cancel := context.WithTimeout(context.Background(), a.cfg.ShutdownTimeout)
	defer cancel()
	// 1. HTTP: stop taking requests, let those in flight finish.
	if err := a.server.Shutdown(deadline); err != nil {
		a.logger.Warn("http shutdown", "err", err)
	}
	// 2. Workers: consumers finish the event in hand.
	stopWork()
	waitOrDeadline(deadline, &workers)
	// 3. Events: the relay publishes what was committed, then NATS closes.
	stopRelay()
	select {
	case <-relayDone:
	case <-deadline.Done():
	}
	a.closeAll()
	a.logger.Info("stopped")
	return runErr
}

func waitOrDeadline(ctx context.Context, wg *sync.WaitGroup) {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

// closeAll releases what New opened, in shutdown order.
func (a *App) closeAll() {
	if a.bus != nil {
		if err := a.bus.Close(); err != nil {
			a.logger.Warn("closing nats", "err", err)
		}
		a.bus = nil
	}
	if a.db != nil {
		if err := a.db.Close(); err != nil {
			a.logger.Warn("closing database", "err", err)
		}
		a.db = nil
	}
	if a.lock != nil {
		a.lock.release()
		a.lock = nil
	}
}

// ensureWritableDir creates the data directory if needed and proves it is
// writable, so the failure is reported as such rather than as an obscure
// database or NATS error later.
func ensureWritableDir(dir string) error {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("data directory %s: %w", dir, unwrapPathError(err))
	}
	probe, err := os.CreateTemp(dir, ".write-test-*")
	if err != nil {
		return fmt.Errorf("data directory %s: not writable: %w", dir, unwrapPathError(err))
	}
	name := probe.Name()
	probe.Close()
	return os.Remove(name)
}

func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// absDir is for messages: the data directory as a person would find it.
func absDir(dir string) string {
	if abs, err := filepath.Abs(dir); err == nil {
		return abs
	}
	return dir
}
