package identity

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/rampart-project/rampart/internal/platform/audit"
	"github.com/rampart-project/rampart/internal/platform/errs"
)

// OIDCOptions configure single sign-on with an OpenID Connect provider.
type OIDCOptions struct {
	Issuer       string
	ClientID     string
	ClientSecret string
	// OrgClaim is the ID token claim whose value names the user's
	// organization, by name or id.
	OrgClaim string
	// PublicURL, if set, gives the redirect address
	// (PublicURL/signin/oidc/callback); otherwise it is derived from the
	// request.
	PublicURL string
	Logger    *slog.Logger
	// HTTPClient talks to the provider; nil means http.DefaultClient.
	HTTPClient *http.Client
}

// OIDC signs people in with an OpenID Connect provider: the authorization
// code flow with state, nonce and PKCE.
type OIDC struct {
	o OIDCOptions

	mu       sync.Mutex
	provider *oidc.Provider
	verifier *oidc.IDTokenVerifier
}

// oidcCookie carries state, nonce, PKCE verifier and the page to return
// to across the round trip through the provider. It is short-lived and
// scoped to the sign-in paths.
const (
	oidcCookie     = "rampart_oidc"
	oidcCookieLife = 10 * time.Minute
	oidcCallback   = "/signin/oidc/callback"
)

// NewOIDC returns single sign-on for o. It does not contact the provider:
// discovery happens at the first sign-in, so a provider that is down at
// start-up does not keep Rampart from starting.
func NewOIDC(o OIDCOptions) (*OIDC, error) {
	if o.Issuer == "" || o.ClientID == "" || o.OrgClaim == "" {
		return nil, errors.New("identity: single sign-on needs an issuer, a client id and an organization claim")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.HTTPClient == nil {
		o.HTTPClient = http.DefaultClient
	}
	return &OIDC{o: o}, nil
}

func (p *OIDC) ctx(ctx context.Context) context.Context {
	return oidc.ClientContext(ctx, p.o.HTTPClient)
}

// discover fetches the provider's configuration once it answers.
func (p *OIDC) discover(ctx context.Context) (*oidc.Provider, *oidc.IDTokenVerifier, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.provider != nil {
		return p.provider, p.verifier, nil
	}
	prov, err := oidc.NewProvider(p.ctx(ctx), p.o.Issuer)
	if err != nil {
		p.o.Logger.Warn("single sign-on: provider discovery failed", "issuer", p.o.Issuer, "err", err)
		return nil, nil, errs.Wrap(errs.Unavailable, err, "The single sign-on provider does not answer; try again later or sign in with your password.")
	}
	p.provider, p.verifier = prov, prov.Verifier(&oidc.Config{ClientID: p.o.ClientID})
	return p.provider, p.verifier, nil
}

func (p *OIDC) config(r *http.Request, prov *oidc.Provider) *oauth2.Config {
	base := strings.TrimSuffix(p.o.PublicURL, "/")
	if base == "" {
		scheme := "http"
		if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
			scheme = "https"
		}
		base = scheme + "://" + r.Host
	}
	return &oauth2.Config{
		ClientID: p.o.ClientID, ClientSecret: p.o.ClientSecret,
		Endpoint: prov.Endpoint(), RedirectURL: base + oidcCallback,
		Scopes: []string{oidc.ScopeOpenID, "email", "profile"},
	}
}

// OIDCStart sends the browser to the provider, remembering in a cookie
// what the callback must check and where to go afterwards (next, a local
// path the caller has checked).
func (a *Auth) OIDCStart(w http.ResponseWriter, r *http.Request, p *OIDC, next string) error {
	prov, _, err := p.discover(r.Context())
	if err != nil {
		return err
	}
	state, nonce, verifier := randomSecret(16), randomSecret(16), oauth2.GenerateVerifier()
	http.SetCookie(w, &http.Cookie{
		Name:  oidcCookie,
		Value: strings.Join([]string{state, nonce, verifier, base64.RawURLEncoding.EncodeToString([]byte(next))}, "."),
		Path:  "/signin/oidc", MaxAge: int(oidcCookieLife.Seconds()), HttpOnly: true,
		// Lax, not Strict: the provider sends the browser back with a
		// top-level GET from its own site, which Strict would strip.
		Secure: a.secureCookies(), SameSite: http.SameSiteLaxMode,
	})
	url := p.config(r, prov).AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier))
	http.Redirect(w, r, url, http.StatusFound)
	return nil
}

// OIDCCallback completes single sign-on: it checks the state, exchanges
// the code (with the PKCE verifier), verifies the ID token and its nonce,
// maps the organization claim to an organization, and finds the user — by
// subject, else by verified e-mail address, else creating one with the
// viewer role — then starts a session. It returns the page to go to.
// Nothing is created when the organization is unknown.
func (a *Auth) OIDCCallback(w http.ResponseWriter, r *http.Request, p *OIDC) (string, error) {
	ctx := r.Context()
	ck, err := r.Cookie(oidcCookie)
	// The cookie has done its job, whatever happens next.
	http.SetCookie(w, &http.Cookie{Name: oidcCookie, Value: "", Path: "/signin/oidc", MaxAge: -1, HttpOnly: true, Secure: a.secureCookies(), SameSite: http.SameSiteLaxMode})
	if err != nil {
		return "", errs.E(errs.Invalid, "The single sign-on took too long or your browser refused its cookie; start again from the sign-in page.")
	}
	parts := strings.Split(ck.Value, ".")
	if len(parts) != 4 {
		return "", errs.E(errs.Invalid, "The single sign-on cookie is damaged; start again from the sign-in page.")
	}
	state, nonce, verifier := parts[0], parts[1], parts[2]
	nextRaw, _ := base64.RawURLEncoding.DecodeString(parts[3])
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		return "", errs.E(errs.Unauthenticated, "The single sign-on provider refused: %s %s", truncate(e, 60), truncate(q.Get("error_description"), 200))
	}
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(state)) != 1 {
		return "", errs.E(errs.Invalid, "The single sign-on answer does not belong to this browser's sign-in (state mismatch); start again.")
	}
	prov, verify, err := p.discover(ctx)
	if err != nil {
		return "", err
	}
	tok, err := p.config(r, prov).Exchange(p.ctx(ctx), q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		p.o.Logger.Warn("single sign-on: code exchange failed", "err", err)
		return "", errs.Wrap(errs.Unauthenticated, err, "The single sign-on provider did not accept the sign-in code; start again.")
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return "", errs.E(errs.Unauthenticated, "The single sign-on provider sent no ID token.")
	}
	idt, err := verify.Verify(p.ctx(ctx), raw)
	if err != nil {
		p.o.Logger.Warn("single sign-on: ID token rejected", "err", err)
		return "", errs.Wrap(errs.Unauthenticated, err, "The single sign-on provider's ID token is not valid.")
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(nonce)) != 1 {
		return "", errs.E(errs.Unauthenticated, "The ID token was not issued for this sign-in (nonce mismatch); start again.")
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return "", errs.Wrap(errs.Unauthenticated, err, "The ID token's claims are unreadable.")
	}
	// The subject is unique only per issuer; qualifying it keeps a change
	// of provider from matching someone else's account.
	if _, err := a.oidcUser(w, r, p, idt.Issuer+"#"+idt.Subject, claims); err != nil {
		return "", err
	}
	return string(nextRaw), nil
}

func claimString(claims map[string]any, name string) string {
	switch v := claims[name].(type) {
	case string:
		return strings.TrimSpace(v)
	case []any: // some providers send groups-like claims as lists
		if len(v) == 1 {
			if s, ok := v[0].(string); ok {
				return strings.TrimSpace(s)
			}
		}
	}
	return ""
}

func claimTrue(claims map[string]any, name string) bool {
	switch v := claims[name].(type) {
	case bool:
		return v
	case string:
		return v == "true"
	}
	return false
}

// oidcUser finds or creates the user for a verified ID token and signs
// them in, in one transaction with its audit entries.
func (a *Auth) oidcUser(w http.ResponseWriter, r *http.Request, p *OIDC, subject string, claims map[string]any) (*User, error) {
	ctx := r.Context()
	orgName := claimString(claims, p.o.OrgClaim)
	if orgName == "" {
		return nil, errs.E(errs.Forbidden, "Your single sign-on account has no %q claim naming your organization; ask your identity provider's administrator to add it.", p.o.OrgClaim)
	}
	org, err := a.store.OrgByName(ctx, orgName)
	if errs.Is(err, errs.NotFound) {
		return nil, errs.E(errs.Forbidden, "Your identity provider places you in the organization %q, which this Rampart instance does not know. Ask a coordinator to add it; no account was created.", truncate(orgName, 200))
	}
	if err != nil {
		return nil, err
	}
	email := claimString(claims, "email")
	verified := claimTrue(claims, "email_verified")

	u, err := a.store.userByOIDCSubject(ctx, subject)
	if err != nil && !errs.Is(err, errs.NotFound) {
		return nil, err
	}
	link, create := false, false
	if u == nil && email != "" && verified {
		if u, err = a.store.UserByEmail(ctx, email); err != nil && !errs.Is(err, errs.NotFound) {
			return nil, err
		}
		link = u != nil
	}
	if u == nil {
		if email == "" || !verified {
			return nil, errs.E(errs.Forbidden, "Your single sign-on account has no verified e-mail address, which Rampart needs to create your account.")
		}
		name := claimString(claims, "name")
		if name == "" {
			name = email
		}
		u = &User{Email: email, Name: name, OrgID: org.ID, Roles: []Role{RoleViewer}}
		create = true
	}
	if !create && u.OrgID != org.ID {
		return nil, errs.E(errs.Forbidden, "Your identity provider places you in %q, but your Rampart account belongs to another organization. Ask a coordinator to sort it out.", org.Name)
	}
	if u.Disabled {
		return nil, errs.E(errs.Forbidden, "Your account is disabled; ask your organization's administrator.")
	}
	before := func(tx *sql.Tx) error {
		if create {
			if err := a.store.CreateUser(ctx, tx, u, ""); err != nil {
				return err
			}
			e := (&Caller{User: u}).AuditEntry(r, "user.created", "user", u.ID, u.OrgID, map[string]any{"method": "oidc", "roles": joinRoles(u.Roles)})
			if _, err := a.audit.Record(ctx, tx, e); err != nil {
				return err
			}
		}
		if create || link {
			if _, err := tx.ExecContext(ctx, `UPDATE users SET oidc_subject = $1 WHERE id = $2`, subject, u.ID); err != nil {
				return fmt.Errorf("identity: link single sign-on: %w", err)
			}
		}
		return nil
	}
	err = a.startSession(w, r, u, before, func() audit.Entry {
		return (&Caller{User: u}).AuditEntry(r, "user.signin", "user", u.ID, u.OrgID, map[string]any{"method": "oidc", "linked": link})
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

func (s *Store) userByOIDCSubject(ctx context.Context, subject string) (*User, error) {
	var id string
	err := s.db.Reader().QueryRowContext(ctx, `SELECT id FROM users WHERE oidc_subject = $1`, subject).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.E(errs.NotFound, "No user has this single sign-on subject.")
	}
	if err != nil {
		return nil, fmt.Errorf("identity: user by subject: %w", err)
	}
	return s.User(ctx, id)
}
