package notify

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/rampart-project/rampart/internal/platform/access"
	"github.com/rampart-project/rampart/internal/platform/web"
)

// noticeView is a notification with what the pages show around it.
type noticeView struct {
	Notification
	SeverityLabel string
	Mitigations   []mitigation
	References    []externalReference
	// Text and Action are a coordinator notice's "what happened" and
	// "what to do": a recipient who cannot read them has only the title.
	Text, Action string
}

type mitigation struct{ ID, Name string }

// related finds the courses of action that mitigate the object (sharing
// relationships "mitigates" whose target is it) and the object's external
// references, as the viewer may see them.
func (m *Module) related(ctx context.Context, p access.Principal, n Notification) noticeView {
	v := noticeView{Notification: n, SeverityLabel: severityLabel(n.Severity)}
	if obj, err := m.sharing.Latest(ctx, p, n.StixID); err == nil {
		var f struct {
			fields
			Description string `json:"description"`
			Action      string `json:"x_rampart_action"`
		}
		if json.Unmarshal(obj.Body, &f) == nil {
			v.References = f.ExternalReferences
			if obj.Type == NoticeType {
				v.Text, v.Action = f.Description, f.Action
			}
		}
	}
	rels, err := m.sharing.Referencing(ctx, p, n.StixID, []string{"target_ref"}, 50)
	if err != nil {
		return v
	}
	for _, rel := range rels {
		var r struct {
			RelationshipType string `json:"relationship_type"`
			SourceRef        string `json:"source_ref"`
		}
		if rel.Type != "relationship" || json.Unmarshal(rel.Body, &r) != nil || r.RelationshipType != "mitigates" ||
			!strings.HasPrefix(r.SourceRef, "course-of-action--") {
			continue
		}
		name := r.SourceRef
		if coa, err := m.sharing.Latest(ctx, p, r.SourceRef); err == nil && coa.Name != "" {
			name = coa.Name
		}
		v.Mitigations = append(v.Mitigations, mitigation{ID: r.SourceRef, Name: name})
	}
	return v
}

// topTLP is the highest TLP among the notifications a page shows.
func topTLP(list []Notification) string {
	top := access.Clear
	for _, n := range list {
		if t := access.TLP(n.TLP); t.Rank() > top.Rank() {
			top = t
		}
	}
	return string(top)
}

func (m *Module) listPage(w http.ResponseWriter, r *http.Request) {
	iq, err := inboxQuery(r)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	p := caller(r).Principal
	list, next, err := m.inbox.List(r.Context(), p, iq)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	views := make([]noticeView, len(list))
	for i, n := range list {
		views[i] = m.related(r.Context(), p, n)
	}
	m.k.Renderer.Render(w, r, http.StatusOK, "notifications.html", web.Page{Title: "What affects my organization right now", TLP: topTLP(list),
		Data: map[string]any{"Notices": views, "Next": next, "Query": iq, "Coordinator": p.Coordinator}})
}

func (m *Module) detailPage(w http.ResponseWriter, r *http.Request) {
	p := caller(r).Principal
	n, err := m.inbox.Get(r.Context(), p, r.PathValue("id"))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	m.k.Renderer.Render(w, r, http.StatusOK, "notification.html", web.Page{Title: n.Title, TLP: n.TLP,
		Data: map[string]any{"Notice": m.related(r.Context(), p, n)}})
}

func (m *Module) ackForm(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		web.WriteError(w, r, err)
		return
	}
	n, err := m.inbox.Acknowledge(r.Context(), caller(r).Principal, r.PathValue("id"), r.PostForm.Get("note"), actorOf(r))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	http.Redirect(w, r, "/notifications/"+n.ID, http.StatusSeeOther)
}

// cell is one organization on the overview grid: a colour class and the
// same state in words, so the colour is never the only signal.
type cell struct {
	EntityStatus
	Class, Label string
	X, Y         int
}

func (m *Module) overviewPage(w http.ResponseWriter, r *http.Request) {
	object := r.URL.Query().Get("object")
	data := map[string]any{"Object": object}
	tlp := string(access.Clear)
	if object != "" {
		v, err := m.sharing.Latest(r.Context(), caller(r).Principal, object)
		if err != nil {
			web.WriteError(w, r, err)
			return
		}
		tlp = string(v.TLP)
		list, err := m.overview(r, object)
		if err != nil {
			web.WriteError(w, r, err)
			return
		}
		cells := make([]cell, len(list))
		for i, e := range list {
			c := cell{EntityStatus: e, X: (i % 6) * 150, Y: (i / 6) * 70}
			switch {
			case !e.Notified:
				c.Class, c.Label = "st-none", "not concerned"
			case e.State == StateAcknowledged:
				c.Class, c.Label = "st-ack", "acknowledged"
			case e.Delivered > 0 || e.State == StateRead:
				c.Class, c.Label = "st-delivered", "delivered, not acknowledged"
			default:
				c.Class, c.Label = "st-notified", "notified"
			}
			cells[i] = c
		}
		data["Cells"] = cells
		data["Height"] = ((len(cells)+5)/6)*70 + 10
	}
	m.k.Renderer.Render(w, r, http.StatusOK, "notifications-overview.html", web.Page{Title: "Notification overview", TLP: tlp, Data: data})
}
