package accounts

import (
	"net/http"

	"github.com/rampart-project/rampart/internal/platform/audit"
	"github.com/rampart-project/rampart/internal/platform/errs"
	"github.com/rampart-project/rampart/internal/platform/identity"
)

// auditScope is who sees which audit entries: coordinators all of them,
// organization administrators their organization's, nobody else any.
func auditScope(r *http.Request) (string, bool, error) {
	c, ok := identity.CallerFrom(r.Context())
	switch {
	case !ok:
		return "", false, errs.E(errs.Unauthenticated, "Sign in to see the audit log.")
	case c.Is(identity.RoleCoordinator):
		return "", true, nil
	case c.Is(identity.RoleOrgAdmin):
		return c.User.OrgID, false, nil
	}
	return "", false, errs.E(errs.Forbidden, "Only coordinators and organization administrators see the audit log.")
}

func (m *Module) auditPage() http.Handler { return audit.Page(m.k.DB, m.rd, auditScope) }
func (m *Module) auditAPI() http.Handler  { return audit.API(m.k.DB, auditScope) }
