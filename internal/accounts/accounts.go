// Package accounts is the module people meet first: signing in and out
// (password or single sign-on), their account and API tokens, invitations,
// organizations and their members, communities, and the audit log. The
// mechanisms — sessions, tokens, CSRF, the access decision — live in the
// kernel (platform/identity, platform/audit); this package is their pages
// and API, and it writes every change in one transaction with its audit
// entry.
package accounts

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"net/http"

	"github.com/rampart-project/rampart/internal/app"
	"github.com/rampart-project/rampart/internal/platform/audit"
	"github.com/rampart-project/rampart/internal/platform/identity"
	"github.com/rampart-project/rampart/internal/platform/web"
)

//go:embed templates
var templates embed.FS

// Module is the accounts module.
type Module struct {
	k    *app.Kernel
	ids  *identity.Store
	auth *identity.Auth
	rd   *web.Renderer
	oidc *identity.OIDC // nil when single sign-on is off
}

// New returns the accounts module.
func New() *Module { return &Module{} }

// Name implements app.Module.
func (m *Module) Name() string { return "accounts" }

// Mount registers the pages and routes.
func (m *Module) Mount(ctx context.Context, k *app.Kernel) error {
	if k.Identity == nil || k.Auth == nil || k.Audit == nil {
		return fmt.Errorf("accounts: the kernel has no identity store, authenticator or audit recorder")
	}
	m.k, m.ids, m.auth, m.rd = k, k.Identity, k.Auth, k.Renderer
	sub, err := fs.Sub(templates, "templates")
	if err != nil {
		return err
	}
	if err := m.rd.AddPages(sub); err != nil {
		return fmt.Errorf("accounts: %w", err)
	}
	if err := audit.RegisterPages(m.rd); err != nil {
		return fmt.Errorf("accounts: audit pages: %w", err)
	}
	if c := k.Config; c.OIDCIssuer != "" {
		m.oidc, err = identity.NewOIDC(identity.OIDCOptions{
			Issuer: c.OIDCIssuer, ClientID: c.OIDCClientID, ClientSecret: c.OIDCClientSecret,
			OrgClaim: c.OIDCOrgClaim, PublicURL: c.PublicURL, Logger: k.Logger,
		})
		if err != nil {
			return fmt.Errorf("accounts: single sign-on: %w", err)
		}
	}
	m.routes(k.Router)
	return nil
}

// Run implements app.Module; the module has no background work.
func (m *Module) Run(ctx context.Context) error { return nil }

// render writes a page of this module.
func (m *Module) render(w http.ResponseWriter, r *http.Request, status int, page, title, tlp string, data any) {
	m.rd.Render(w, r, status, page, web.Page{Title: title, TLP: tlp, Data: data})
}

// caller returns the signed-in caller; routes with a rule other than
// Public always have one.
func caller(r *http.Request) *identity.Caller {
	c, _ := identity.CallerFrom(r.Context())
	return c
}
