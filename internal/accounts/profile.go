package accounts

import (
	"database/sql"
	"net/http"
	"slices"
	"strings"

	"github.com/rampart-project/rampart/internal/platform/errs"
	"github.com/rampart-project/rampart/internal/platform/identity"
	"github.com/rampart-project/rampart/internal/platform/web"
)

// profileEditor is the organization page's profile form: every sector and
// flag as a checkbox, ticked as the profile (or the rejected submission)
// has it.
type profileEditor struct {
	Sectors    []choice
	Flags      []choice
	StateFIPS  string
	CountyFIPS string
	ErrorField string // the field the error names, to mark it
}

type choice struct {
	Code, Name string
	Checked    bool
}

func newProfileEditor(p identity.Profile) *profileEditor {
	ed := &profileEditor{StateFIPS: p.StateFIPS, CountyFIPS: p.CountyFIPS}
	for _, s := range identity.Sectors {
		ed.Sectors = append(ed.Sectors, choice{s.Code, s.Name, slices.Contains(p.Sectors, s.Code)})
	}
	for _, f := range identity.Flags {
		ed.Flags = append(ed.Flags, choice{f.Code, f.Name, slices.Contains(p.Flags, f.Code)})
	}
	return ed
}

// adminOrg returns the organization the caller administers, NotFound if
// the caller may not even see it, and Forbidden if it may see but not
// change it: the same answers as for the organization's members.
func (m *Module) adminOrg(r *http.Request, id string) (*identity.Organization, error) {
	o, err := m.visibleOrg(r, id)
	if err != nil {
		return nil, err
	}
	if !canAdminOrg(caller(r), id) {
		return nil, errs.E(errs.Forbidden, "Only the organization's administrators and coordinators change its profile.")
	}
	return o, nil
}

// setProfile writes the profile; identity audits it and announces it to
// notifications in the same transaction.
func (m *Module) setProfile(r *http.Request, orgID string, p identity.Profile) (*identity.Organization, error) {
	c := caller(r)
	var o *identity.Organization
	err := m.k.DB.Tx(r.Context(), func(tx *sql.Tx) error {
		var err error
		o, err = m.ids.SetProfile(r.Context(), tx, orgID, p, c.AuditEntry(r, "", "", "", "", nil))
		return err
	})
	return o, err
}

func (m *Module) profileForm(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if _, err := m.adminOrg(r, id); err != nil {
		web.WriteError(w, r, err)
		return
	}
	p := identity.Profile{Sectors: r.PostForm["sectors"], Flags: r.PostForm["flags"],
		StateFIPS: r.PostFormValue("state_fips"), CountyFIPS: r.PostFormValue("county_fips")}
	if _, err := m.setProfile(r, id, p); err != nil {
		if s := web.StatusOf(err); s >= 500 || s == http.StatusNotFound || s == http.StatusForbidden {
			web.WriteError(w, r, err)
			return
		}
		// Keep what was submitted, so the person corrects one field
		// rather than starting again.
		m.showOrg(w, r, web.StatusOf(err), func(d *orgData) {
			d.ProfileError, d.Profile = errs.MessageOf(err), newProfileEditor(p)
			// Store errors start with the field they concern.
			d.Profile.ErrorField, _, _ = strings.Cut(d.ProfileError, ":")
		})
		return
	}
	http.Redirect(w, r, "/orgs/"+id+"?done=profile#profile-heading", http.StatusSeeOther)
}

// orgResponse is GET /api/v1/orgs/{org}: the organization as its members
// and coordinators see it on its page.
type orgResponse struct {
	*identity.Organization
	CanEdit bool `json:"can_edit_profile"`
}

func (m *Module) orgAPI(w http.ResponseWriter, r *http.Request) {
	o, err := m.visibleOrg(r, r.PathValue("org"))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, orgResponse{o, canAdminOrg(caller(r), o.ID)})
}

func (m *Module) profileAPI(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("org")
	if _, err := m.adminOrg(r, id); err != nil {
		web.WriteError(w, r, err)
		return
	}
	var p identity.Profile
	if err := web.DecodeJSON(r, &p); err != nil {
		web.WriteError(w, r, err)
		return
	}
	o, err := m.setProfile(r, id, p)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, identity.ProfileOf(o))
}
