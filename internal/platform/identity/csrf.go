package identity

import (
	"crypto/subtle"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/rampart-project/rampart/internal/platform/errs"
)

// Cookie names.
const (
	// SessionCookie holds the session secret.
	SessionCookie = "rampart_session"
	// preSessionCookie holds the CSRF token of forms sent before there is
	// a session (sign-in, accepting an invitation): the double-submit
	// pattern, because there is no server-side state to compare with yet.
	preSessionCookie = "rampart_csrf"
	// CSRFField is the form field, and CSRFHeader the header, that carry
	// the token of a state-changing request.
	CSRFField  = "csrf_token"
	CSRFHeader = "X-CSRF-Token"
)

// CSRF protection, in full:
//
//   - A request authenticated by an API token is exempt: the browser never
//     attaches a token by itself, so a forged request cannot carry one.
//   - Every state-changing request authenticated by the session cookie
//     carries the session's CSRF token in the csrf_token form field or the
//     X-CSRF-Token header, compared in constant time.
//   - An anonymous state-changing form post (sign-in, accepting an
//     invitation) carries the token of the pre-session cookie rampart_csrf
//     (double submit), so another site cannot sign a victim in to an
//     account of the attacker's ("login CSRF").
//   - If the browser sends Origin (or, without it, Referer), it must be
//     this instance's own origin.
//
// The session cookie is also SameSite=Lax, which stops most cross-site
// posts before they arrive; the token does not rely on it.
func (a *Auth) checkCSRF(r *http.Request, c *Caller) error {
	if c != nil && c.Token != nil {
		return nil
	}
	if !a.sameOrigin(r) {
		return errs.E(errs.Forbidden, "This request came from another site (its Origin or Referer is not this instance), so it was refused.")
	}
	var want string
	switch {
	case c != nil && c.Session != nil:
		want = c.Session.CSRF
	case isForm(r):
		ck, err := r.Cookie(preSessionCookie)
		if err != nil || ck.Value == "" {
			return errs.E(errs.Forbidden, "The form's security cookie is missing; your browser must accept cookies from this site. Reload the page and try again.")
		}
		want = ck.Value
	default:
		// An anonymous request that is not a form carries no ambient
		// credential to abuse.
		return nil
	}
	got := r.Header.Get(CSRFHeader)
	if got == "" && isForm(r) {
		got = formValue(r, CSRFField)
	}
	if got == "" {
		return errs.E(errs.Forbidden, "The request has no CSRF token (form field %s or header %s). Reload the page and try again.", CSRFField, CSRFHeader)
	}
	if subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return errs.E(errs.Forbidden, "The request's CSRF token does not match your session; the page may be from before you signed in again. Reload it and try again.")
	}
	return nil
}

func isForm(r *http.Request) bool {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return mt == "application/x-www-form-urlencoded" || mt == "multipart/form-data"
}

// formValue reads a field of the body. The parsed form stays on the
// request, so handlers read it again without the body.
func formValue(r *http.Request, name string) string {
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
		_ = r.ParseMultipartForm(8 << 20)
	} else {
		_ = r.ParseForm()
	}
	if r.PostForm == nil {
		return ""
	}
	return r.PostForm.Get(name)
}

// sameOrigin reports whether the request's Origin, or Referer without one,
// names this instance: the Host the request was sent to, or the public
// URL's host. A request with neither (most non-browser clients) passes;
// the token check still applies to it.
func (a *Auth) sameOrigin(r *http.Request) bool {
	src := r.Header.Get("Origin")
	if src == "" {
		src = r.Header.Get("Referer")
		if src == "" {
			return true
		}
	}
	if src == "null" {
		return false
	}
	u, err := url.Parse(src)
	if err != nil || u.Host == "" {
		return false
	}
	if strings.EqualFold(u.Host, r.Host) {
		return true
	}
	return a.public != nil && strings.EqualFold(u.Host, a.public.Host)
}

// preSessionToken returns the browser's pre-session CSRF token, creating
// the cookie when a browser asks for a page without one.
func (a *Auth) preSessionToken(w http.ResponseWriter, r *http.Request) string {
	if ck, err := r.Cookie(preSessionCookie); err == nil && len(ck.Value) == 64 {
		return ck.Value
	}
	if r.Method != http.MethodGet || !strings.Contains(r.Header.Get("Accept"), "text/html") {
		return ""
	}
	token := randomSecret(32)
	http.SetCookie(w, &http.Cookie{
		Name: preSessionCookie, Value: token, Path: "/", HttpOnly: true,
		Secure: a.secureCookies(), SameSite: http.SameSiteLaxMode,
	})
	return token
}

// secureCookies reports whether cookies get the Secure flag: always,
// unless the operator declared an http:// public URL for an instance
// served without TLS on a private network (browsers drop Secure cookies
// from such sites). Chromium and Firefox accept Secure cookies from
// http://localhost and http://127.0.0.1, so local use works either way;
// the browser test checks it.
func (a *Auth) secureCookies() bool {
	return a.public == nil || a.public.Scheme != "http"
}

func (a *Auth) setSessionCookie(w http.ResponseWriter, secret string) {
	http.SetCookie(w, &http.Cookie{
		Name: SessionCookie, Value: secret, Path: "/", HttpOnly: true,
		Secure: a.secureCookies(), SameSite: http.SameSiteLaxMode,
		// No Max-Age: the server ends the session; the browser forgets the
		// cookie when it closes, at the latest.
	})
}

func (a *Auth) clearSessionCookie(w http.ResponseWriter, _ *http.Request) {
	http.SetCookie(w, &http.Cookie{
		Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: a.secureCookies(), SameSite: http.SameSiteLaxMode,
	})
}
