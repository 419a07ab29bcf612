package accounts

import (
	"context"
	"database/sql"
	"net/http"
	"slices"
	"time"

	"github.com/rampart-project/rampart/internal/platform/errs"
	"github.com/rampart-project/rampart/internal/platform/identity"
	"github.com/rampart-project/rampart/internal/platform/web"
)

// tokenLifetimes are the expiry choices of the token form, in days; 0 is
// "never", offered last so that it is a deliberate choice.
var tokenLifetimes = []struct {
	Days  int
	Label string
}{{30, "30 days"}, {90, "90 days"}, {365, "1 year"}, {7, "7 days"}, {0, "never"}}

type accountData struct {
	User        *identity.User
	Org         *identity.Organization
	Tokens      []tokenView
	Scopes      []identity.Scope
	Lifetimes   any
	ViaSession  bool
	NewToken    *identity.Token
	NewSecret   string
	TokenError  string
	TokenName   string
	PasswordMsg string
	PasswordErr string
}

type tokenView struct {
	identity.Token
	Active bool
}

func (m *Module) accountData(ctx context.Context, c *identity.Caller) (*accountData, error) {
	tokens, err := m.ids.Tokens(ctx, c.User.ID)
	if err != nil {
		return nil, err
	}
	d := &accountData{User: c.User, Org: c.Org, Scopes: identity.Scopes, Lifetimes: tokenLifetimes, ViaSession: c.Session != nil}
	now := time.Now()
	for _, t := range tokens {
		d.Tokens = append(d.Tokens, tokenView{Token: t, Active: t.Active(now)})
	}
	return d, nil
}

func (m *Module) showAccount(w http.ResponseWriter, r *http.Request, status int, change func(*accountData)) {
	d, err := m.accountData(r.Context(), caller(r))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	if change != nil {
		change(d)
	}
	// The account page shows nothing shared; it is the person's own.
	m.render(w, r, status, "account.html", "My account", "AMBER+STRICT", d)
}

func (m *Module) accountPage(w http.ResponseWriter, r *http.Request) {
	m.showAccount(w, r, http.StatusOK, func(d *accountData) {
		if r.URL.Query().Get("password") == "changed" {
			d.PasswordMsg = "Your password is changed. You are signed out everywhere else."
		}
	})
}

func (m *Module) changePassword(w http.ResponseWriter, r *http.Request) {
	current, next, again := r.PostFormValue("current_password"), r.PostFormValue("new_password"), r.PostFormValue("new_password_again")
	var err error
	if next != again {
		err = errs.E(errs.Invalid, "The new password and its repetition differ.")
	} else {
		err = m.auth.ChangePassword(w, r, current, next)
	}
	if err != nil {
		if web.StatusOf(err) >= 500 {
			web.WriteError(w, r, err)
			return
		}
		m.showAccount(w, r, web.StatusOf(err), func(d *accountData) { d.PasswordErr = errs.MessageOf(err) })
		return
	}
	http.Redirect(w, r, "/account?password=changed", http.StatusSeeOther)
}

// createToken makes a token for the caller and records it in the same
// transaction.
func (m *Module) createToken(r *http.Request, name string, scopes []identity.Scope, days int) (*identity.Token, string, error) {
	c := caller(r)
	if days < 0 || days > 3660 {
		return nil, "", errs.E(errs.Invalid, "A token's lifetime is 1 to 3660 days, or 0 for never.")
	}
	if len(scopes) == 0 {
		return nil, "", errs.E(errs.Invalid, "Choose at least one scope: read, write or admin.")
	}
	var tok *identity.Token
	var secret string
	err := m.k.DB.Tx(r.Context(), func(tx *sql.Tx) error {
		var err error
		tok, secret, err = m.ids.CreateToken(r.Context(), tx, c.User.ID, name, scopes, time.Duration(days)*24*time.Hour)
		if err != nil {
			return err
		}
		_, err = m.k.Audit.Record(r.Context(), tx, c.AuditEntry(r, "token.created", "token", tok.ID, c.User.OrgID,
			map[string]any{"name": tok.Name, "scopes": scopeStrings(tok.Scopes), "expires_in_days": days}))
		return err
	})
	return tok, secret, err
}

func (m *Module) revokeToken(r *http.Request, id string) error {
	c := caller(r)
	return m.k.DB.Tx(r.Context(), func(tx *sql.Tx) error {
		if err := m.ids.RevokeToken(r.Context(), tx, c.User.ID, id); err != nil {
			return err
		}
		_, err := m.k.Audit.Record(r.Context(), tx, c.AuditEntry(r, "token.revoked", "token", id, c.User.OrgID, nil))
		return err
	})
}

func (m *Module) createTokenForm(w http.ResponseWriter, r *http.Request) {
	name := r.PostFormValue("name")
	var scopes []identity.Scope
	for _, s := range r.PostForm["scopes"] {
		if !slices.Contains(identity.Scopes, identity.Scope(s)) {
			web.WriteError(w, r, errs.E(errs.Invalid, "Unknown scope %q.", s))
			return
		}
		scopes = append(scopes, identity.Scope(s))
	}
	days, ok := lifetimeDays(r.PostFormValue("expires"))
	var tok *identity.Token
	var secret string
	var err error = errs.E(errs.Invalid, "Choose how long the token lasts.")
	if ok {
		tok, secret, err = m.createToken(r, name, scopes, days)
	}
	if err != nil {
		if web.StatusOf(err) >= 500 {
			web.WriteError(w, r, err)
			return
		}
		m.showAccount(w, r, web.StatusOf(err), func(d *accountData) { d.TokenError, d.TokenName = errs.MessageOf(err), name })
		return
	}
	// The secret is shown in this response and never again: nothing keeps
	// it, so there is no redirect to a page that could show it later.
	m.showAccount(w, r, http.StatusCreated, func(d *accountData) { d.NewToken, d.NewSecret = tok, secret })
}

func lifetimeDays(s string) (int, bool) {
	for _, l := range tokenLifetimes {
		if s == itoa(l.Days) {
			return l.Days, true
		}
	}
	return 0, false
}

func (m *Module) revokeTokenForm(w http.ResponseWriter, r *http.Request) {
	if err := m.revokeToken(r, r.PathValue("id")); err != nil {
		web.WriteError(w, r, err)
		return
	}
	http.Redirect(w, r, "/account#tokens", http.StatusSeeOther)
}

func scopeStrings(s []identity.Scope) []string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = string(x)
	}
	return out
}
