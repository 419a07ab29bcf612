package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"

	"github.com/rampart-project/rampart/internal/platform/errs"
)

// Caller is what route rules need to know about whoever is calling. The
// identity middleware puts one in the request context; without it the
// caller is anonymous.
type Caller interface {
	SignedIn() bool
	HasRole(role string) bool
	// HasScope reports whether the credential allows the scope ("read",
	// "write", "admin"); sessions allow every scope.
	HasScope(scope string) bool
}

type callerKey struct{}

// WithCaller returns ctx carrying c.
func WithCaller(ctx context.Context, c Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// CallerOf returns the request's caller, or an anonymous one.
func CallerOf(ctx context.Context) Caller {
	if c, ok := ctx.Value(callerKey{}).(Caller); ok && c != nil {
		return c
	}
	return anonymous{}
}

type anonymous struct{}

func (anonymous) SignedIn() bool       { return false }
func (anonymous) HasRole(string) bool  { return false }
func (anonymous) HasScope(string) bool { return false }

// Rule says who may call a route. Every route has one: Router.Handle takes
// it, so no route can be added without deciding.
type Rule struct {
	public bool
	roles  []string // any of them; none means any signed-in member
	admin  bool     // needs the admin scope rather than read/write
	query  bool     // a POST that changes nothing: the read scope suffices
}

// Public routes answer anyone, signed in or not.
var Public = Rule{public: true}

// SignedIn routes answer any signed-in member. Tokens need the read scope
// for GET and HEAD and the write scope for everything else.
var SignedIn = Rule{}

// SignedInQuery routes answer any signed-in member with the read scope,
// whatever the method: for POST endpoints that only compute an answer
// (checking a pattern) and change nothing.
var SignedInQuery = Rule{query: true}

// RequireRole routes answer members holding one of the roles, with the
// read or write scope as for SignedIn.
func RequireRole(roles ...string) Rule { return Rule{roles: roles} }

// Admin routes answer members holding one of the roles, through a session
// or a token with the admin scope.
func Admin(roles ...string) Rule { return Rule{roles: roles, admin: true} }

// IsPublic reports whether anyone may call the route.
func (r Rule) IsPublic() bool { return r.public }

// Roles returns the roles the rule accepts; none means any member.
func (r Rule) Roles() []string { return slices.Clone(r.roles) }

// scopeFor is the token scope a request needs under the rule.
func (r Rule) scopeFor(method string) string {
	switch {
	case r.admin:
		return "admin"
	case r.query || method == http.MethodGet || method == http.MethodHead:
		return "read"
	default:
		return "write"
	}
}

// enforce wraps h so that only callers the rule admits reach it. Anonymous
// browsers asking for a page are sent to sign in and brought back.
func (r Rule) enforce(h http.Handler) http.Handler {
	if r.public {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		c := CallerOf(req.Context())
		if !c.SignedIn() {
			if req.Method == http.MethodGet && wantsHTML(req) {
				http.Redirect(w, req, "/signin?next="+url.QueryEscape(req.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			w.Header().Add("WWW-Authenticate", `Bearer realm="rampart"`)
			w.Header().Add("WWW-Authenticate", `Basic realm="rampart", charset="UTF-8"`)
			WriteError(w, req, errs.E(errs.Unauthenticated, "Sign in, or send an API token as 'Authorization: Bearer TOKEN'."))
			return
		}
		if scope := r.scopeFor(req.Method); !c.HasScope(scope) {
			WriteError(w, req, errs.E(errs.Forbidden, "This token lacks the %s scope that %s %s needs.", scope, req.Method, req.URL.Path))
			return
		}
		if len(r.roles) > 0 && !slices.ContainsFunc(r.roles, c.HasRole) {
			WriteError(w, req, errs.E(errs.Forbidden, "This needs one of the roles: %v.", r.roles))
			return
		}
		h.ServeHTTP(w, req)
	})
}
