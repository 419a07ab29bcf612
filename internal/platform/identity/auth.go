package identity

import (
	"context"
	"database/sql"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/rampart-project/rampart/internal/platform/access"
	"github.com/rampart-project/rampart/internal/platform/audit"
	"github.com/rampart-project/rampart/internal/platform/errs"
	"github.com/rampart-project/rampart/internal/platform/web"
)

// AuthOptions configure Auth.
type AuthOptions struct {
	Store *Store
	Audit *audit.Recorder
	// PublicURL is the instance's public address (config --public-url), or
	// "". Its host is an accepted origin, and an http:// URL turns off the
	// Secure flag of cookies.
	PublicURL string
	// Now is the clock; nil means time.Now. Tests move it to end sessions.
	Now func() time.Time
	// SignInLimit and SignInBurst rate-limit sign-in attempts per client
	// address; zero means 10 a minute with a burst of 5.
	SignInLimit time.Duration // the interval between attempts once the burst is spent
	SignInBurst int
}

// Auth authenticates requests (Middleware) and signs people in and out.
type Auth struct {
	store   *Store
	audit   *audit.Recorder
	public  *url.URL
	now     func() time.Time
	limiter *ipLimiter
}

// NewAuth returns an Auth. Returns an error if PublicURL is not a URL.
func NewAuth(o AuthOptions) (*Auth, error) {
	a := &Auth{store: o.Store, audit: o.Audit, now: o.Now}
	if a.now == nil {
		a.now = time.Now
	}
	if o.PublicURL != "" {
		u, err := url.Parse(o.PublicURL)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("identity: public URL %q is not an absolute URL", o.PublicURL)
		}
		a.public = u
	}
	every, burst := o.SignInLimit, o.SignInBurst
	if every <= 0 {
		every = 6 * time.Second // 10 a minute
	}
	if burst <= 0 {
		burst = 5
	}
	a.limiter = newIPLimiter(every, burst)
	return a, nil
}

// Store returns the identity store Auth works on.
func (a *Auth) Store() *Store { return a.store }

// Caller is an authenticated caller: a user, through a session or an API
// token. It implements web.Caller for the route rules.
type Caller struct {
	User      *User
	Org       *Organization
	Principal access.Principal
	Token     *Token   // set when the request carried an API token
	Session   *Session // set when the request carried a session cookie
}

// SignedIn reports whether there is a user.
func (c *Caller) SignedIn() bool { return c != nil && c.User != nil }

// HasRole reports whether the user holds the role.
func (c *Caller) HasRole(role string) bool { return c.SignedIn() && c.User.HasRole(Role(role)) }

// Is reports whether the user holds one of the roles.
func (c *Caller) Is(roles ...Role) bool {
	return c.SignedIn() && slices.ContainsFunc(roles, c.User.HasRole)
}

// HasScope reports whether the credential allows the scope. A session
// allows everything the user's roles allow. A token allows its scopes, and
// read with any of them: a token that may change things may also look at
// them. The admin scope grants nothing by itself; admin routes also check
// roles.
func (c *Caller) HasScope(scope string) bool {
	if !c.SignedIn() {
		return false
	}
	if c.Token == nil {
		return true
	}
	return scope == string(ScopeRead) && len(c.Token.Scopes) > 0 || slices.Contains(c.Token.Scopes, Scope(scope))
}

// Scopes lists what the credential allows: every scope for a session.
func (c *Caller) Scopes() []Scope {
	if c.Token == nil {
		return slices.Clone(Scopes)
	}
	out := []Scope{}
	for _, s := range Scopes {
		if c.HasScope(string(s)) {
			out = append(out, s)
		}
	}
	return out
}

// AuditEntry starts an audit entry for something the caller did in
// request r. A nil caller is anonymous, labelled by label.
func (c *Caller) AuditEntry(r *http.Request, action, targetKind, targetID, orgScope string, detail map[string]any) audit.Entry {
	e := audit.Entry{
		Action: action, TargetKind: targetKind, TargetID: targetID, OrgScope: orgScope, Detail: detail,
		RemoteAddr: r.RemoteAddr, RequestID: web.RequestID(r.Context()), ActorLabel: "anonymous",
	}
	if c.SignedIn() {
		e.ActorUserID, e.ActorOrgID, e.ActorLabel = c.User.ID, c.User.OrgID, c.User.Email
	}
	return e
}

// CallerFrom returns the request's authenticated caller.
func CallerFrom(ctx context.Context) (*Caller, bool) {
	c, ok := web.CallerOf(ctx).(*Caller)
	return c, ok && c.SignedIn()
}

// Credential is what an Authorization header carries.
type Credential struct {
	Scheme string // "Bearer" or "Basic"
	Email  string // Basic only: the user name
	Secret string // the API token
}

// ParseAuthorization parses an Authorization header value: "Bearer TOKEN",
// or "Basic base64(EMAIL:TOKEN)" as standard TAXII clients send. Returns
// Unauthenticated with a message that says what is wrong.
func ParseAuthorization(h string) (Credential, error) {
	scheme, rest, _ := strings.Cut(strings.TrimSpace(h), " ")
	rest = strings.TrimSpace(rest)
	switch {
	case strings.EqualFold(scheme, "Bearer"):
		if rest == "" || strings.ContainsAny(rest, " \t") {
			return Credential{}, errs.E(errs.Unauthenticated, "The Authorization header is malformed: send 'Bearer TOKEN' with the token and nothing else.")
		}
		return Credential{Scheme: "Bearer", Secret: rest}, nil
	case strings.EqualFold(scheme, "Basic"):
		raw, err := base64.StdEncoding.DecodeString(rest)
		if err != nil {
			// Some clients drop the padding.
			if raw, err = base64.RawStdEncoding.DecodeString(rest); err != nil {
				return Credential{}, errs.E(errs.Unauthenticated, "The Authorization header is malformed: Basic credentials must be base64 of EMAIL:TOKEN.")
			}
		}
		email, secret, ok := strings.Cut(string(raw), ":")
		if !ok {
			return Credential{}, errs.E(errs.Unauthenticated, "The Authorization header is malformed: Basic credentials must be EMAIL:TOKEN, with a colon.")
		}
		if email == "" || secret == "" {
			return Credential{}, errs.E(errs.Unauthenticated, "The Authorization header is malformed: Basic credentials need your e-mail address as the user name and an API token as the password.")
		}
		return Credential{Scheme: "Basic", Email: email, Secret: secret}, nil
	case scheme == "":
		return Credential{}, errs.E(errs.Unauthenticated, "The Authorization header is empty; send 'Bearer TOKEN', or leave the header out.")
	case isWord(scheme):
		return Credential{}, errs.E(errs.Unauthenticated, "The Authorization scheme %q is not supported; use Bearer TOKEN, or Basic with your e-mail address and an API token.", scheme)
	default:
		// Not a scheme name: likely a bare token. Do not echo it.
		return Credential{}, errs.E(errs.Unauthenticated, "The Authorization header does not start with a scheme; send 'Bearer TOKEN', or Basic with your e-mail address and an API token.")
	}
}

// isWord reports whether s looks like an authentication scheme name, safe
// to repeat in an error message.
func isWord(s string) bool {
	if len(s) > 16 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-') {
			return false
		}
	}
	return true
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// Middleware authenticates every request: an API token in the
// Authorization header (Bearer, or Basic with the owner's e-mail), else the
// session cookie. A missing credential leaves the caller anonymous; a bad
// Authorization header is always 401, even on public routes, so a client
// with a broken token learns it instead of silently seeing less. A stale
// session cookie is dropped: the browser simply is signed out.
//
// It then enforces CSRF protection on state-changing requests (see
// csrf.go) and records in the audit log each write made with a token.
func (a *Auth) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		c, err := a.authenticate(w, r)
		if err != nil {
			w.Header().Add("WWW-Authenticate", `Bearer realm="rampart", error="invalid_token"`)
			w.Header().Add("WWW-Authenticate", `Basic realm="rampart", charset="UTF-8"`)
			web.WriteError(w, r, err)
			return
		}
		viewer := web.Viewer{}
		if c != nil {
			ctx = web.WithCaller(ctx, c)
			viewer = web.Viewer{UserID: c.User.ID, Name: c.User.Name, Email: c.User.Email, OrgID: c.User.OrgID, OrgName: c.Org.Name}
			if c.Session != nil {
				viewer.CSRF = c.Session.CSRF
			}
		} else {
			viewer.CSRF = a.preSessionToken(w, r)
		}
		r = r.WithContext(web.WithViewer(ctx, viewer))
		if !safeMethod(r.Method) {
			if err := a.checkCSRF(r, c); err != nil {
				web.WriteError(w, r, err)
				return
			}
			if c != nil && c.Token != nil {
				if err := a.recordTokenWrite(r, c); err != nil {
					web.WriteError(w, r, err)
					return
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// authenticate returns the caller, nil for an anonymous request, or an
// Unauthenticated error for a bad credential.
func (a *Auth) authenticate(w http.ResponseWriter, r *http.Request) (*Caller, error) {
	ctx := r.Context()
	if h, ok := r.Header["Authorization"]; ok {
		if len(h) != 1 {
			return nil, errs.E(errs.Unauthenticated, "Send one Authorization header, not %d.", len(h))
		}
		cred, err := ParseAuthorization(h[0])
		if err != nil {
			return nil, err
		}
		tok, u, err := a.store.AuthenticateToken(ctx, cred.Secret)
		if err != nil {
			return nil, err
		}
		if cred.Scheme == "Basic" && !strings.EqualFold(strings.TrimSpace(cred.Email), u.Email) {
			return nil, errs.E(errs.Unauthenticated, "The user name of Basic authentication must be the e-mail address of the token's owner.")
		}
		return a.callerFor(ctx, u, tok, nil)
	}
	ck, err := r.Cookie(SessionCookie)
	if err != nil || ck.Value == "" {
		return nil, nil
	}
	sess, err := a.store.sessionBySecret(ctx, ck.Value, a.now())
	if errs.Is(err, errs.Unauthenticated) {
		a.clearSessionCookie(w, r)
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	u, err := a.store.User(ctx, sess.UserID)
	if err != nil {
		return nil, err
	}
	if u.Disabled {
		_ = a.store.db.Tx(ctx, func(tx *sql.Tx) error { return a.store.deleteUserSessions(ctx, tx, u.ID, "") })
		a.clearSessionCookie(w, r)
		return nil, nil
	}
	return a.callerFor(ctx, u, nil, sess)
}

func (a *Auth) callerFor(ctx context.Context, u *User, tok *Token, sess *Session) (*Caller, error) {
	p, err := a.store.Principal(ctx, u)
	if err != nil {
		return nil, err
	}
	org, err := a.store.Org(ctx, u.OrgID)
	if err != nil {
		return nil, err
	}
	return &Caller{User: u, Org: org, Principal: p, Token: tok, Session: sess}, nil
}

// recordTokenWrite appends token.used_for_write: the architecture asks for
// every token use for a write in the audit log. It is one entry per
// request, written before the handler runs, so it also records attempts
// that fail.
func (a *Auth) recordTokenWrite(r *http.Request, c *Caller) error {
	e := c.AuditEntry(r, "token.used_for_write", "token", c.Token.ID, c.User.OrgID, map[string]any{
		"method": r.Method, "path": r.URL.Path, "token_name": c.Token.Name,
	})
	return a.store.db.Tx(r.Context(), func(tx *sql.Tx) error {
		_, err := a.audit.Record(r.Context(), tx, e)
		return err
	})
}
