package accounts

import (
	"database/sql"
	"net/http"

	"github.com/rampart-project/rampart/internal/platform/errs"
	"github.com/rampart-project/rampart/internal/platform/identity"
	"github.com/rampart-project/rampart/internal/platform/web"
)

// invite creates an invitation and shows its one-time link on the
// organization page. Delivering it by e-mail comes with notifications; for
// now the administrator passes it on.
func (m *Module) invite(w http.ResponseWriter, r *http.Request) {
	c, orgID := caller(r), r.PathValue("id")
	if _, err := m.visibleOrg(r, orgID); err != nil {
		web.WriteError(w, r, err)
		return
	}
	email := r.PostFormValue("email")
	var roles []identity.Role
	for _, s := range r.PostForm["roles"] {
		roles = append(roles, identity.Role(s))
	}
	var inv *identity.Invitation
	var secret string
	err := m.k.DB.Tx(r.Context(), func(tx *sql.Tx) error {
		var err error
		if inv, secret, err = m.ids.CreateInvitation(r.Context(), tx, c, orgID, email, roles); err != nil {
			return err
		}
		_, err = m.k.Audit.Record(r.Context(), tx, c.AuditEntry(r, "invitation.created", "invitation", inv.ID, orgID,
			map[string]any{"email": inv.Email, "roles": roleStrings(inv.Roles), "expires_at": inv.ExpiresAt}))
		return err
	})
	if err != nil {
		m.orgFormError(w, r, err)
		return
	}
	m.showOrg(w, r, http.StatusCreated, func(d *orgData) {
		d.InviteLink, d.InviteEmail = m.absolute(r, "/invite/"+secret), inv.Email
	})
}

// absolute makes an absolute URL of path on this instance, for links that
// leave the browser (invitations are passed on by hand or e-mail).
func (m *Module) absolute(r *http.Request, path string) string {
	if base := m.k.Config.PublicURL; base != "" {
		return trimSlash(base) + path
	}
	scheme := "http"
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	return scheme + "://" + r.Host + path
}

func trimSlash(s string) string {
	for len(s) > 0 && s[len(s)-1] == '/' {
		s = s[:len(s)-1]
	}
	return s
}

type inviteData struct {
	Invitation *identity.Invitation
	Org        *identity.Organization
	Token      string
	Name       string
	Error      string
}

func (m *Module) invitePage(w http.ResponseWriter, r *http.Request) {
	m.showInvite(w, r, http.StatusOK, "", "")
}

func (m *Module) showInvite(w http.ResponseWriter, r *http.Request, status int, name, problem string) {
	token := r.PathValue("token")
	inv, err := m.ids.Invitation(r.Context(), token)
	if err != nil {
		m.rd.Error(w, r, web.ProblemOf(r, err))
		return
	}
	org, err := m.ids.Org(r.Context(), inv.OrgID)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	m.render(w, r, status, "invite.html", "Join "+org.Name, "CLEAR",
		inviteData{Invitation: inv, Org: org, Token: token, Name: name, Error: problem})
}

func (m *Module) acceptInvite(w http.ResponseWriter, r *http.Request) {
	name, password, again := r.PostFormValue("name"), r.PostFormValue("password"), r.PostFormValue("password_again")
	var err error
	if password != again {
		err = errs.E(errs.Invalid, "The password and its repetition differ.")
	} else {
		_, err = m.auth.AcceptInvitation(w, r, r.PathValue("token"), name, password)
	}
	if err != nil {
		if s := web.StatusOf(err); s == http.StatusBadRequest {
			m.showInvite(w, r, s, name, errs.MessageOf(err))
			return
		}
		m.rd.Error(w, r, web.ProblemOf(r, err))
		return
	}
	http.Redirect(w, r, "/account", http.StatusSeeOther)
}
