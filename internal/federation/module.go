package federation

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"net/http"

	"github.com/rampart-project/rampart/internal/app"
	"github.com/rampart-project/rampart/internal/platform/identity"
	"github.com/rampart-project/rampart/internal/platform/web"
	"github.com/rampart-project/rampart/internal/sharing"
)

//go:embed templates
var templates embed.FS

// Module is the federation module: the peers API and page, and the worker
// that pulls and pushes.
type Module struct {
	opts Options
	k    *app.Kernel
	svc  *Service
}

// NewModule returns the module. o may set the worker's timing and HTTP
// client; the kernel supplies the rest at Mount.
func NewModule(o Options) *Module { return &Module{opts: o} }

// Name implements app.Module.
func (m *Module) Name() string { return "federation" }

// Mount implements app.Module.
func (m *Module) Mount(ctx context.Context, k *app.Kernel) error {
	if k.Identity == nil || k.Events == nil {
		return fmt.Errorf("federation: the kernel has no identity store or event bus")
	}
	m.k = k
	o := m.opts
	o.DB, o.Identity, o.Logger = k.DB, k.Identity, k.Logger
	o.Sharing = sharing.NewStore(k.DB, k.Outbox, k.Access)
	m.svc = New(o)
	sub, err := fs.Sub(templates, "templates")
	if err != nil {
		return err
	}
	if err := k.Renderer.AddPages(sub); err != nil {
		return fmt.Errorf("federation: %w", err)
	}
	m.routes(k.Router)
	return nil
}

// Run implements app.Module: the consumer that makes pushes prompt, and
// the worker, until ctx ends. Without the consumer peers are still pushed
// on their interval, so its failure to start is logged, not fatal.
func (m *Module) Run(ctx context.Context) error {
	c, err := m.svc.Consume(ctx, m.k.Events)
	if err != nil {
		m.k.Logger.Error("federation: no prompt pushes; peers are pushed on their interval only", "err", err)
	} else {
		defer c.Stop()
	}
	return m.svc.Run(ctx)
}

// Service returns the module's service (after Mount).
func (m *Module) Service() *Service { return m.svc }

// caller returns the signed-in caller; every route of the module has a
// rule that requires one.
func caller(r *http.Request) *identity.Caller {
	c, _ := identity.CallerFrom(r.Context())
	return c
}

// actorOf is the caller as the audit log names it.
func actorOf(r *http.Request) Actor {
	c := caller(r)
	return Actor{UserID: c.User.ID, OrgID: c.User.OrgID, Label: c.User.Email, RemoteAddr: r.RemoteAddr, RequestID: web.RequestID(r.Context())}
}
