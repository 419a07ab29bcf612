package accounts

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/rampart-project/rampart/internal/platform/errs"
	"github.com/rampart-project/rampart/internal/platform/identity"
	"github.com/rampart-project/rampart/internal/platform/web"
)

type signinData struct {
	Next  string
	Email string
	Error string
	OIDC  bool
}

func (m *Module) signinPage(w http.ResponseWriter, r *http.Request) {
	next := safeNext(r.URL.Query().Get("next"))
	if _, ok := identity.CallerFrom(r.Context()); ok {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	m.render(w, r, http.StatusOK, "signin.html", "Sign in", "CLEAR", signinData{Next: next, OIDC: m.oidc != nil})
}

func (m *Module) signin(w http.ResponseWriter, r *http.Request) {
	email, password := r.PostFormValue("email"), r.PostFormValue("password")
	next := safeNext(r.PostFormValue("next"))
	if _, err := m.auth.SignIn(w, r, email, password); err != nil {
		if wait, ok := identity.RetryAfter(err); ok {
			w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds()+0.999)))
		}
		if web.StatusOf(err) >= 500 {
			web.WriteError(w, r, err)
			return
		}
		m.render(w, r, web.StatusOf(err), "signin.html", "Sign in", "CLEAR",
			signinData{Next: next, Email: email, Error: errs.MessageOf(err), OIDC: m.oidc != nil})
		return
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (m *Module) signout(w http.ResponseWriter, r *http.Request) {
	if err := m.auth.SignOut(w, r); err != nil {
		web.WriteError(w, r, err)
		return
	}
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
}

// safeNext returns where to go after signing in: a path on this instance,
// never another site (an open redirect would let a phishing link pass
// through our sign-in page).
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n\t") {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return "/"
	}
	return next
}
