package accounts

import (
	"database/sql"
	"net/http"

	"github.com/rampart-project/rampart/internal/platform/errs"
	"github.com/rampart-project/rampart/internal/platform/identity"
	"github.com/rampart-project/rampart/internal/platform/web"
)

type communitiesData struct {
	Communities []identity.Community
	Mine        map[string]bool
	CanCreate   bool
	Orgs        []identity.Organization // owner choices, for coordinators
	Error       string
}

func (m *Module) communitiesPage(w http.ResponseWriter, r *http.Request) {
	m.showCommunities(w, r, http.StatusOK, "")
}

func (m *Module) showCommunities(w http.ResponseWriter, r *http.Request, status int, problem string) {
	c := caller(r)
	list, err := m.ids.Communities(r.Context(), c.Principal)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	d := communitiesData{Communities: list, Mine: map[string]bool{}, CanCreate: c.Is(identity.RoleCoordinator), Error: problem}
	for _, id := range c.Principal.Communities {
		d.Mine[id] = true
	}
	if d.CanCreate {
		if d.Orgs, err = m.ids.Orgs(r.Context()); err != nil {
			web.WriteError(w, r, err)
			return
		}
	}
	m.render(w, r, status, "communities.html", "Communities", "AMBER", d)
}

func (m *Module) createCommunity(w http.ResponseWriter, r *http.Request) {
	c := caller(r)
	cm := &identity.Community{Name: r.PostFormValue("name"), Description: r.PostFormValue("description"), OwnerOrgID: r.PostFormValue("owner")}
	err := m.k.DB.Tx(r.Context(), func(tx *sql.Tx) error {
		if err := m.ids.CreateCommunity(r.Context(), tx, cm); err != nil {
			return err
		}
		_, err := m.k.Audit.Record(r.Context(), tx, c.AuditEntry(r, "community.created", "community", cm.ID, cm.OwnerOrgID,
			map[string]any{"name": cm.Name, "owner_org_id": cm.OwnerOrgID}))
		return err
	})
	if err != nil {
		if web.StatusOf(err) >= 500 {
			web.WriteError(w, r, err)
			return
		}
		m.showCommunities(w, r, web.StatusOf(err), errs.MessageOf(err))
		return
	}
	http.Redirect(w, r, "/communities/"+cm.ID, http.StatusSeeOther)
}

type communityData struct {
	Community    *identity.Community
	Owner        *identity.Organization
	Members      []identity.Organization
	MembersKnown bool
	CanManage    bool
	Others       []identity.Organization // organizations that may be added
	Error        string
}

func (m *Module) showCommunity(w http.ResponseWriter, r *http.Request, status int, problem string) {
	c := caller(r)
	cm, err := m.ids.Community(r.Context(), r.PathValue("id"), c.Principal)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	d := communityData{Community: cm, Error: problem,
		MembersKnown: cm.Members != nil || c.Principal.Coordinator || contains(c.Principal.Communities, cm.ID),
		CanManage:    identity.CanManageCommunity(c.Principal, c.Is(identity.RoleOrgAdmin), cm)}
	if cm.OwnerOrgID != "" {
		if o, err := m.ids.Org(r.Context(), cm.OwnerOrgID); err == nil {
			d.Owner = o
		}
	}
	if d.MembersKnown && !cm.AllMembers {
		in := map[string]bool{}
		for _, id := range cm.Members {
			in[id] = true
			if o, err := m.ids.Org(r.Context(), id); err == nil {
				d.Members = append(d.Members, *o)
			}
		}
		if d.CanManage {
			orgs, err := m.ids.Orgs(r.Context())
			if err != nil {
				web.WriteError(w, r, err)
				return
			}
			for _, o := range orgs {
				if !in[o.ID] {
					d.Others = append(d.Others, o)
				}
			}
		}
	}
	m.render(w, r, status, "community.html", cm.Name, "AMBER", d)
}

func (m *Module) communityPage(w http.ResponseWriter, r *http.Request) {
	m.showCommunity(w, r, http.StatusOK, "")
}

// changeMembership adds or removes an organization, if the caller manages
// the community: coordinators, and the owner organization's admins.
func (m *Module) changeMembership(w http.ResponseWriter, r *http.Request, orgID string, add bool) {
	c := caller(r)
	cm, err := m.ids.Community(r.Context(), r.PathValue("id"), c.Principal)
	if err == nil && !identity.CanManageCommunity(c.Principal, c.Is(identity.RoleOrgAdmin), cm) {
		err = errs.E(errs.Forbidden, "Only coordinators and the owner organization's administrators change this community's members.")
	}
	if err == nil && !add && orgID == cm.OwnerOrgID {
		err = errs.E(errs.Invalid, "The owner organization stays a member of its community.")
	}
	if err == nil {
		err = m.k.DB.Tx(r.Context(), func(tx *sql.Tx) error {
			action := "community.member_removed"
			if add {
				action = "community.member_added"
				if err := m.ids.AddMember(r.Context(), tx, cm.ID, orgID); err != nil {
					return err
				}
			} else if err := m.ids.RemoveMember(r.Context(), tx, cm.ID, orgID); err != nil {
				return err
			}
			_, err := m.k.Audit.Record(r.Context(), tx, c.AuditEntry(r, action, "community", cm.ID, cm.OwnerOrgID,
				map[string]any{"org_id": orgID, "community": cm.Name}))
			return err
		})
	}
	if err != nil {
		if s := web.StatusOf(err); s == http.StatusBadRequest {
			m.showCommunity(w, r, s, errs.MessageOf(err))
			return
		}
		web.WriteError(w, r, err)
		return
	}
	http.Redirect(w, r, "/communities/"+cm.ID, http.StatusSeeOther)
}

func (m *Module) addMember(w http.ResponseWriter, r *http.Request) {
	m.changeMembership(w, r, r.PostFormValue("org"), true)
}

func (m *Module) removeMember(w http.ResponseWriter, r *http.Request) {
	m.changeMembership(w, r, r.PathValue("org"), false)
}
