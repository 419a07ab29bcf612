package accounts

import (
	"net/http"
	"strconv"

	"github.com/rampart-project/rampart/internal/platform/errs"
	"github.com/rampart-project/rampart/internal/platform/identity"
	"github.com/rampart-project/rampart/internal/platform/web"
)

func itoa(n int) string { return strconv.Itoa(n) }

// meResponse is GET /api/v1/me.
type meResponse struct {
	User struct {
		ID    string          `json:"id"`
		Email string          `json:"email"`
		Name  string          `json:"name"`
		Roles []identity.Role `json:"roles"`
	} `json:"user"`
	Organization struct {
		ID   string           `json:"id"`
		Name string           `json:"name"`
		Kind identity.OrgKind `json:"kind"`
	} `json:"organization"`
	Scopes      []identity.Scope `json:"scopes"`
	Token       *identity.Token  `json:"token,omitempty"` // the token used, if any
	Communities []communityRef   `json:"communities"`
}

type communityRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

func (m *Module) me(w http.ResponseWriter, r *http.Request) {
	c := caller(r)
	var out meResponse
	out.User.ID, out.User.Email, out.User.Name, out.User.Roles = c.User.ID, c.User.Email, c.User.Name, c.User.Roles
	out.Organization.ID, out.Organization.Name, out.Organization.Kind = c.Org.ID, c.Org.Name, c.Org.Kind
	out.Scopes, out.Token = c.Scopes(), c.Token
	comms, err := m.ids.Communities(r.Context(), c.Principal)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	out.Communities = []communityRef{}
	for _, cm := range comms {
		// Coordinators may see every community; "my" communities are
		// those the organization belongs to.
		if cm.AllMembers || contains(c.Principal.Communities, cm.ID) {
			out.Communities = append(out.Communities, communityRef{cm.ID, cm.Name})
		}
	}
	web.WriteJSON(w, http.StatusOK, out)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (m *Module) listTokensAPI(w http.ResponseWriter, r *http.Request) {
	tokens, err := m.ids.Tokens(r.Context(), caller(r).User.ID)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	if tokens == nil {
		tokens = []identity.Token{}
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"tokens": tokens})
}

// createTokenRequest is the body of POST /api/v1/tokens.
type createTokenRequest struct {
	Name          string   `json:"name"`
	Scopes        []string `json:"scopes"`
	ExpiresInDays *int     `json:"expires_in_days"` // 0 = never; absent = 90
}

func (m *Module) createTokenAPI(w http.ResponseWriter, r *http.Request) {
	var req createTokenRequest
	if err := web.DecodeJSON(r, &req); err != nil {
		web.WriteError(w, r, err)
		return
	}
	var scopes []identity.Scope
	for _, s := range req.Scopes {
		parsed, err := identity.ParseScopes(s)
		if err != nil {
			web.WriteError(w, r, err)
			return
		}
		scopes = append(scopes, parsed...)
	}
	days := 90
	if req.ExpiresInDays != nil {
		days = *req.ExpiresInDays
	}
	tok, secret, err := m.createToken(r, req.Name, scopes, days)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusCreated, map[string]any{"token": tok, "secret": secret,
		"note": "The secret is shown only now; keep it safe."})
}

func (m *Module) revokeTokenAPI(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if id == "" {
		web.WriteError(w, r, errs.E(errs.Invalid, "Name the token to revoke."))
		return
	}
	if err := m.revokeToken(r, id); err != nil {
		web.WriteError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
