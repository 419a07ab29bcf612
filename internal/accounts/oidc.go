package accounts

import (
	"net/http"

	"github.com/rampart-project/rampart/internal/platform/errs"
	"github.com/rampart-project/rampart/internal/platform/web"
)

func (m *Module) oidcStart(w http.ResponseWriter, r *http.Request) {
	if m.oidc == nil {
		web.WriteError(w, r, errs.E(errs.NotFound, "Single sign-on is not configured on this instance; sign in with your password."))
		return
	}
	if err := m.auth.OIDCStart(w, r, m.oidc, safeNext(r.URL.Query().Get("next"))); err != nil {
		m.rd.Error(w, r, web.ProblemOf(r, err))
	}
}

func (m *Module) oidcCallback(w http.ResponseWriter, r *http.Request) {
	if m.oidc == nil {
		web.WriteError(w, r, errs.E(errs.NotFound, "Single sign-on is not configured on this instance; sign in with your password."))
		return
	}
	next, err := m.auth.OIDCCallback(w, r, m.oidc)
	if err != nil {
		// The browser arrives here from the provider: always a page.
		m.rd.Error(w, r, web.ProblemOf(r, err))
		return
	}
	http.Redirect(w, r, safeNext(next), http.StatusSeeOther)
}
