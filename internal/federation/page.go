package federation

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/rampart-project/rampart/internal/platform/access"
	"github.com/rampart-project/rampart/internal/platform/errs"
	"github.com/rampart-project/rampart/internal/platform/identity"
	"github.com/rampart-project/rampart/internal/platform/web"
)

type peersData struct {
	Peers       []peerRow
	Collections []collectionChoice
	Orgs        []identity.Organization
	TLPs        []string // the choices of max_tlp; RED is not one
	Form        peerForm
	Error       string
}

// peerRow is a peer with the names of what its ids point to.
type peerRow struct {
	Peer
	CollectionLabel string
	OwnerName       string
}

type collectionChoice struct{ ID, Label string }

// peerForm is what the add form shows again after a mistake; the secret
// never comes back.
type peerForm struct {
	Name, APIRootURL, RemoteCollection, Username string
	LocalCollection, OwnerOrg, Interval, MaxTLP  string
	Pull, Push                                   bool
}

func (m *Module) peersPage(w http.ResponseWriter, r *http.Request) {
	m.showPeers(w, r, http.StatusOK, peerForm{OwnerOrg: caller(r).User.OrgID, Interval: DefaultInterval.String(), MaxTLP: string(DefaultMaxTLP), Pull: true}, "")
}

func (m *Module) showPeers(w http.ResponseWriter, r *http.Request, status int, form peerForm, problem string) {
	ctx := r.Context()
	peers, err := m.svc.List(ctx)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	d := peersData{Form: form, Error: problem}
	for _, l := range AllowedTLPs(access.AmberStrict) {
		d.TLPs = append(d.TLPs, string(l))
	}
	if d.Orgs, err = m.k.Identity.Orgs(ctx); err != nil {
		web.WriteError(w, r, err)
		return
	}
	if d.Collections, err = m.collectionChoices(ctx); err != nil {
		web.WriteError(w, r, err)
		return
	}
	orgNames := map[string]string{}
	for _, o := range d.Orgs {
		orgNames[o.ID] = o.Name
	}
	labels := map[string]string{}
	for _, c := range d.Collections {
		labels[c.ID] = c.Label
	}
	for _, p := range peers {
		d.Peers = append(d.Peers, peerRow{Peer: p, CollectionLabel: labels[p.LocalCollection], OwnerName: orgNames[p.OwnerOrg]})
	}
	// The page shows settings and counters, never shared content, so it
	// is TLP:CLEAR.
	m.k.Renderer.Render(w, r, status, "peers.html", web.Page{Title: "Federation peers", TLP: "CLEAR", Data: d})
}

// collectionChoices lists every collection of the instance for the form.
// A coordinator sets up peers for any organization, so the list is not
// limited to the collections the coordinator's own organization may read;
// only titles and aliases are shown.
func (m *Module) collectionChoices(ctx context.Context) ([]collectionChoice, error) {
	rows, err := m.k.DB.Reader().QueryContext(ctx, `SELECT id, alias, title, api_root FROM collections ORDER BY title`)
	if err != nil {
		return nil, fmt.Errorf("federation: collections: %w", err)
	}
	defer rows.Close()
	var out []collectionChoice
	for rows.Next() {
		var id, alias, title, root string
		if err := rows.Scan(&id, &alias, &title, &root); err != nil {
			return nil, err
		}
		label := title
		if alias != "" {
			label += " (" + alias + ")"
		}
		out = append(out, collectionChoice{ID: id, Label: label})
	}
	return out, rows.Err()
}

func (m *Module) addPeerForm(w http.ResponseWriter, r *http.Request) {
	f := peerForm{
		Name: r.PostFormValue("name"), APIRootURL: r.PostFormValue("api_root_url"),
		RemoteCollection: r.PostFormValue("remote_collection"), Username: r.PostFormValue("username"),
		LocalCollection: r.PostFormValue("local_collection"), OwnerOrg: r.PostFormValue("owner_org"),
		Interval: r.PostFormValue("interval"), MaxTLP: r.PostFormValue("max_tlp"),
		Pull: r.PostFormValue("pull") != "", Push: r.PostFormValue("push") != "",
	}
	secret := r.PostFormValue("secret")
	in := Input{
		Name: &f.Name, APIRootURL: &f.APIRootURL, RemoteCollection: &f.RemoteCollection, Username: &f.Username,
		Secret: &secret, Pull: &f.Pull, Push: &f.Push, LocalCollection: &f.LocalCollection,
		OwnerOrg: optional(f.OwnerOrg), Interval: optional(f.Interval), MaxTLP: optional(f.MaxTLP),
	}
	if _, err := m.svc.Create(r.Context(), actorOf(r), in); err != nil {
		if web.StatusOf(err) >= 500 {
			web.WriteError(w, r, err)
			return
		}
		m.showPeers(w, r, web.StatusOf(err), f, errs.MessageOf(err))
		return
	}
	http.Redirect(w, r, "/sharing/peers", http.StatusSeeOther)
}

// optional is nil for an empty form field, so the default applies.
func optional(s string) *string {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	return &s
}
