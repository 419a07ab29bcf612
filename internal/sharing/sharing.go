// Package sharing is the real-time sharing module (6 U.S.C. § 659(r),
// clause C): the store of STIX 2.1 objects that entities share — every
// version, with its owner, TLP and audience — and its API, pages, live
// stream and webhooks. Every read goes through the access decision;
// every write is one transaction with its audit entry and its event.
package sharing

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"net/http"
	"sync"

	"github.com/rampart-project/rampart/internal/app"
	"github.com/rampart-project/rampart/internal/platform/identity"
	"github.com/rampart-project/rampart/internal/platform/web"
)

//go:embed templates
var templates embed.FS

// Module is the sharing module.
type Module struct {
	k     *app.Kernel
	store *Store
	rd    *web.Renderer
	// workers are the module's background loops (stream fan-out, webhook
	// deliveries), added by the parts that need them at Mount.
	workers []func(context.Context) error
}

// New returns the sharing module.
func New() *Module { return &Module{} }

// Name implements app.Module.
func (m *Module) Name() string { return "sharing" }

// Nav implements app.Navigator.
func (m *Module) Nav() web.NavItem {
	return web.NavItem{Label: "Sharing", Href: "/sharing", Purpose: "share indicators, defensive measures, risk and incident information in real time"}
}

// Mount implements app.Module.
func (m *Module) Mount(ctx context.Context, k *app.Kernel) error {
	m.k, m.rd = k, k.Renderer
	m.store = NewStore(k.DB, k.Outbox, k.Access)
	if err := m.store.EnsureWarningLists(ctx); err != nil {
		// Another replica starting at the same moment may have won the
		// race to create them; the lists are a convenience, not a gate.
		k.Logger.Warn("sharing: built-in warning lists not created", "err", err)
	}
	sub, err := fs.Sub(templates, "templates")
	if err != nil {
		return err
	}
	if err := m.rd.AddPages(sub); err != nil {
		return fmt.Errorf("sharing: %w", err)
	}
	if err := m.mountStream(ctx); err != nil {
		return fmt.Errorf("sharing: stream: %w", err)
	}
	if err := m.mountWebhooks(ctx); err != nil {
		return fmt.Errorf("sharing: webhooks: %w", err)
	}
	m.routes(k.Router)
	return nil
}

// Run implements app.Module: it runs the workers until ctx ends.
func (m *Module) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	errc := make(chan error, len(m.workers))
	for _, w := range m.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := w(ctx); err != nil && ctx.Err() == nil {
				errc <- err
			}
		}()
	}
	wg.Wait()
	close(errc)
	return <-errc
}

// Store returns the module's store (after Mount).
func (m *Module) Store() *Store { return m.store }

// caller returns the signed-in caller; routes with a rule other than
// Public always have one.
func caller(r *http.Request) *identity.Caller {
	c, _ := identity.CallerFrom(r.Context())
	return c
}
