package accounts

import (
	"context"
	"database/sql"
	"net/http"
	"slices"

	"github.com/rampart-project/rampart/internal/platform/errs"
	"github.com/rampart-project/rampart/internal/platform/identity"
	"github.com/rampart-project/rampart/internal/platform/web"
)

// visibleOrg returns the organization if the caller may see its profile
// and members: its own members and coordinators. For anyone else it does
// not exist (404), so probing ids tells nothing.
func (m *Module) visibleOrg(r *http.Request, id string) (*identity.Organization, error) {
	c := caller(r)
	if c.User.OrgID != id && !c.Is(identity.RoleCoordinator) {
		return nil, errs.E(errs.NotFound, "There is no such organization.")
	}
	return m.ids.Org(r.Context(), id)
}

// canAdminOrg reports whether the caller administers the organization:
// its org admins, and coordinators for every organization.
func canAdminOrg(c *identity.Caller, orgID string) bool {
	return c.Is(identity.RoleCoordinator) || c.Is(identity.RoleOrgAdmin) && c.User.OrgID == orgID
}

type orgsData struct {
	Orgs  []identity.Organization
	Names map[string]string
}

func (m *Module) orgsPage(w http.ResponseWriter, r *http.Request) {
	orgs, err := m.ids.Orgs(r.Context())
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	names := map[string]string{}
	for _, o := range orgs {
		names[o.ID] = o.Name
	}
	m.render(w, r, http.StatusOK, "orgs.html", "Organizations", "AMBER", orgsData{Orgs: orgs, Names: names})
}

type orgData struct {
	Org         *identity.Organization
	Parent      *identity.Organization
	Sectors     []string
	Members     []identity.User
	Invitations []identity.Invitation
	CanAdmin    bool
	CanGrant    []identity.Role // roles the caller may give
	Me          string
	// After creating an invitation: its one-time link, shown once.
	InviteLink  string
	InviteEmail string
	Error       string
	Notice      string
	// For administrators: the profile form, and why its last submission
	// was refused.
	Profile      *profileEditor
	ProfileError string
}

func (m *Module) orgData(ctx context.Context, c *identity.Caller, o *identity.Organization) (*orgData, error) {
	d := &orgData{Org: o, CanAdmin: canAdminOrg(c, o.ID), Me: c.User.ID}
	if o.ParentID != "" {
		if p, err := m.ids.Org(ctx, o.ParentID); err == nil {
			d.Parent = p
		}
	}
	for _, code := range o.Sectors {
		name := code
		for _, s := range identity.Sectors {
			if s.Code == code {
				name = s.Name
			}
		}
		d.Sectors = append(d.Sectors, name)
	}
	var err error
	if d.Members, err = m.ids.Users(ctx, o.ID); err != nil {
		return nil, err
	}
	if d.CanAdmin {
		d.CanGrant = grantable(c)
		d.Profile = newProfileEditor(identity.ProfileOf(o))
		if d.Invitations, err = m.ids.Invitations(ctx, o.ID); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// grantable is the roles the caller may give: coordinators any, org
// admins any but coordinator.
func grantable(c *identity.Caller) []identity.Role {
	if c.Is(identity.RoleCoordinator) {
		return identity.Roles
	}
	return []identity.Role{identity.RoleViewer, identity.RoleAnalyst, identity.RoleOrgAdmin}
}

func (m *Module) showOrg(w http.ResponseWriter, r *http.Request, status int, change func(*orgData)) {
	o, err := m.visibleOrg(r, r.PathValue("id"))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	d, err := m.orgData(r.Context(), caller(r), o)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	if change != nil {
		change(d)
	}
	// Members and contacts are for the organization itself.
	m.render(w, r, status, "org.html", o.Name, "AMBER+STRICT", d)
}

func (m *Module) orgPage(w http.ResponseWriter, r *http.Request) {
	m.showOrg(w, r, http.StatusOK, func(d *orgData) {
		switch r.URL.Query().Get("done") {
		case "roles":
			d.Notice = "The roles are changed."
		case "disabled":
			d.Notice = "The user is disabled and signed out."
		case "enabled":
			d.Notice = "The user may sign in again."
		case "profile":
			d.Notice = "The profile is saved; notifications now match on it."
		}
	})
}

// member returns a user of the organization the caller administers, or
// NotFound: administrators act on their own organization's members only.
func (m *Module) member(r *http.Request) (*identity.User, error) {
	c, orgID := caller(r), r.PathValue("id")
	if !canAdminOrg(c, orgID) {
		if _, err := m.visibleOrg(r, orgID); err != nil {
			return nil, err
		}
		return nil, errs.E(errs.Forbidden, "Only the organization's administrators and coordinators manage its members.")
	}
	u, err := m.ids.User(r.Context(), r.PathValue("user"))
	if err != nil || u.OrgID != orgID {
		return nil, errs.E(errs.NotFound, "The organization has no member %q.", r.PathValue("user"))
	}
	return u, nil
}

// orgFormError shows a failed member action on the organization page, or
// as an error page when the page itself is not the caller's to see.
func (m *Module) orgFormError(w http.ResponseWriter, r *http.Request, err error) {
	if s := web.StatusOf(err); s >= 500 || s == http.StatusNotFound || s == http.StatusForbidden {
		web.WriteError(w, r, err)
		return
	}
	m.showOrg(w, r, web.StatusOf(err), func(d *orgData) { d.Error = errs.MessageOf(err) })
}

func (m *Module) setRoles(w http.ResponseWriter, r *http.Request) {
	c := caller(r)
	u, err := m.member(r)
	if err == nil {
		err = m.changeRoles(r, c, u, r.PostForm["roles"])
	}
	if err != nil {
		m.orgFormError(w, r, err)
		return
	}
	http.Redirect(w, r, "/orgs/"+u.OrgID+"?done=roles", http.StatusSeeOther)
}

func (m *Module) changeRoles(r *http.Request, c *identity.Caller, u *identity.User, raw []string) error {
	if u.ID == c.User.ID {
		return errs.E(errs.Invalid, "You cannot change your own roles; ask another administrator.")
	}
	var roles []identity.Role
	for _, s := range raw {
		if !slices.Contains(identity.Roles, identity.Role(s)) {
			return errs.E(errs.Invalid, "Role %q is unknown.", s)
		}
		roles = append(roles, identity.Role(s))
	}
	if len(roles) == 0 {
		return errs.E(errs.Invalid, "A user needs at least one role; disable the account to take all access away.")
	}
	slices.Sort(roles)
	roles = slices.Compact(roles)
	touchesCoordinator := slices.Contains(roles, identity.RoleCoordinator) != u.HasRole(identity.RoleCoordinator)
	if touchesCoordinator && !c.Is(identity.RoleCoordinator) {
		return errs.E(errs.Forbidden, "Only coordinators give or take the coordinator role.")
	}
	return m.k.DB.Tx(r.Context(), func(tx *sql.Tx) error {
		if err := m.ids.SetRoles(r.Context(), tx, u.ID, roles); err != nil {
			return err
		}
		_, err := m.k.Audit.Record(r.Context(), tx, c.AuditEntry(r, "user.roles_changed", "user", u.ID, u.OrgID,
			map[string]any{"email": u.Email, "from": roleStrings(u.Roles), "to": roleStrings(roles)}))
		return err
	})
}

func (m *Module) setDisabled(disabled bool) http.HandlerFunc {
	action, done := "user.enabled", "enabled"
	if disabled {
		action, done = "user.disabled", "disabled"
	}
	return func(w http.ResponseWriter, r *http.Request) {
		c := caller(r)
		u, err := m.member(r)
		if err == nil && u.ID == c.User.ID {
			err = errs.E(errs.Invalid, "You cannot disable your own account.")
		}
		if err == nil && u.HasRole(identity.RoleCoordinator) && !c.Is(identity.RoleCoordinator) {
			err = errs.E(errs.Forbidden, "Only coordinators disable a coordinator.")
		}
		if err == nil {
			err = m.k.DB.Tx(r.Context(), func(tx *sql.Tx) error {
				if err := m.ids.SetDisabled(r.Context(), tx, u.ID, disabled); err != nil {
					return err
				}
				_, err := m.k.Audit.Record(r.Context(), tx, c.AuditEntry(r, action, "user", u.ID, u.OrgID, map[string]any{"email": u.Email}))
				return err
			})
		}
		if err != nil {
			m.orgFormError(w, r, err)
			return
		}
		http.Redirect(w, r, "/orgs/"+u.OrgID+"?done="+done, http.StatusSeeOther)
	}
}

func roleStrings(rs []identity.Role) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = string(r)
	}
	return out
}
