package notify

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/rampart-project/rampart/internal/platform/access"
	"github.com/rampart-project/rampart/internal/platform/errs"
	"github.com/rampart-project/rampart/internal/platform/identity"
	"github.com/rampart-project/rampart/internal/platform/web"
)

func (m *Module) apiListNotices(w http.ResponseWriter, r *http.Request) {
	list, err := m.Notices(r.Context(), caller(r).Principal, 100)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"notices": list})
}

func (m *Module) apiSendNotice(w http.ResponseWriter, r *http.Request) {
	var d NoticeDraft
	if err := web.DecodeJSON(r, &d); err != nil {
		web.WriteError(w, r, err)
		return
	}
	n, recips, err := m.SendNotice(r.Context(), caller(r).Principal, d, actorOf(r))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusCreated, map[string]any{"notice": n, "organizations": recips})
}

// apiPreviewNotice answers whom a selection reaches now, without sending.
// It takes a whole draft or only {"selection": ...}; only the selection
// is checked.
func (m *Module) apiPreviewNotice(w http.ResponseWriter, r *http.Request) {
	var d NoticeDraft
	if err := web.DecodeJSON(r, &d); err != nil {
		web.WriteError(w, r, err)
		return
	}
	recips, err := m.PreviewNotice(r.Context(), d.Selection)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	if recips == nil {
		recips = []Recipient{}
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"count": len(recips), "organizations": recips, "selection": d.Selection})
}

// option is one choice of the notice form.
type option struct {
	Value, Label string
	Checked      bool
}

// noticeChoices are what the form offers for each dimension, checked as
// the draft has them.
type noticeChoices struct {
	Kinds, Parents, Flags, Sectors, Severities, TLPs []option
}

func options(values, labels, chosen []string) []option {
	out := make([]option, len(values))
	for i, v := range values {
		out[i] = option{Value: v, Label: labels[i], Checked: slices.Contains(chosen, v)}
	}
	return out
}

func (m *Module) choices(r *http.Request, d NoticeDraft) (noticeChoices, error) {
	orgs, err := m.k.Identity.Orgs(r.Context())
	if err != nil {
		return noticeChoices{}, err
	}
	var kinds, flags, parentIDs, parentNames, secCodes, secNames []string
	for _, k := range identity.OrgKinds {
		kinds = append(kinds, string(k))
	}
	parents := map[string]bool{}
	for _, o := range orgs {
		parents[o.ParentID] = true
		for _, f := range o.Flags {
			if !slices.Contains(flags, f) {
				flags = append(flags, f)
			}
		}
	}
	slices.Sort(flags)
	for _, o := range orgs {
		if parents[o.ID] {
			parentIDs, parentNames = append(parentIDs, o.ID), append(parentNames, o.Name)
		}
	}
	for _, s := range identity.Sectors {
		secCodes, secNames = append(secCodes, s.Code), append(secNames, s.Name)
	}
	sevs := []string{"low", "medium", "high", "critical"}
	tlps := []string{"CLEAR", "GREEN", "AMBER", "AMBER+STRICT"}
	tlpLabels := []string{"TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT"}
	return noticeChoices{
		Kinds: options(kinds, kinds, d.Selection.Kinds), Parents: options(parentIDs, parentNames, d.Selection.Parents),
		Flags: options(flags, flags, d.Selection.Flags), Sectors: options(secCodes, secNames, d.Selection.Sectors),
		Severities: options(sevs, sevs, []string{string(d.Severity)}), TLPs: options(tlps, tlpLabels, []string{strings.ToUpper(d.TLP)}),
	}, nil
}

func (m *Module) renderNotices(w http.ResponseWriter, r *http.Request, status int, data map[string]any) {
	p := caller(r).Principal
	list, err := m.Notices(r.Context(), p, 50)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	d, ok := data["Draft"].(NoticeDraft)
	if !ok {
		d = NoticeDraft{Severity: SeverityHigh, TLP: string(access.Amber)}
		data["Draft"] = d
	}
	ch, err := m.choices(r, d)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	data["Notices"], data["Choices"] = list, ch
	draftTLP := access.Amber
	if t, err := access.ParseTLP(d.TLP); err == nil && t != access.Red && d.TLP != "" {
		draftTLP = t
	}
	data["TLP"] = string(draftTLP)
	// The page shows the titles of the notices sent and, once composed,
	// the draft: its marking is the highest of theirs. The form's default
	// choice alone is not content.
	top := access.Clear
	if ok {
		top = draftTLP
	}
	for _, n := range list {
		if t := access.TLP(n.TLP); t.Rank() > top.Rank() {
			top = t
		}
	}
	m.k.Renderer.Render(w, r, status, "notices.html", web.Page{Title: "Notices to organizations", TLP: string(top), Data: data})
}

func (m *Module) noticesPage(w http.ResponseWriter, r *http.Request) {
	data := map[string]any{}
	if s := r.URL.Query().Get("sent"); s != "" {
		data["Sent"] = s
	}
	m.renderNotices(w, r, http.StatusOK, data)
}

// draftFromForm reads the form. References are one per line, "source URL"
// or a bare URL; related ids are separated by spaces, commas or lines.
func draftFromForm(r *http.Request) NoticeDraft {
	f := r.PostForm
	d := NoticeDraft{Title: f.Get("title"), Text: f.Get("text"), Action: f.Get("what_to_do"), Severity: Severity(f.Get("severity")), TLP: f.Get("tlp"),
		Selection: Selection{Kinds: f["kinds"], Parents: f["parents"], Flags: f["flags"], Sectors: f["sectors"],
			States: strings.FieldsFunc(f.Get("states"), func(r rune) bool { return r == ',' || r == ' ' })}}
	for _, line := range strings.Split(f.Get("references"), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		src, u, ok := strings.Cut(line, " ")
		if !ok {
			if strings.Contains(line, "://") {
				src, u = "web", line
			} else {
				src, u = line, ""
			}
		}
		d.References = append(d.References, externalReference{SourceName: src, URL: strings.TrimSpace(u)})
	}
	d.Related = strings.FieldsFunc(f.Get("related"), func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' })
	return d
}

// noticeForm previews (step=preview) or sends (step=send) a notice. The
// send button appears only with a preview, and a send whose selection no
// longer reaches the count previewed shows the new preview instead, so
// the coordinator always knows how many organizations a notice reaches.
func (m *Module) noticeForm(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		web.WriteError(w, r, err)
		return
	}
	d := draftFromForm(r)
	data := map[string]any{"Draft": d, "Refs": r.PostForm.Get("references"), "Related": r.PostForm.Get("related"), "States": r.PostForm.Get("states")}
	recips, err := m.PreviewNotice(r.Context(), d.Selection)
	if err != nil {
		data["Error"] = errs.MessageOf(err)
		m.renderNotices(w, r, http.StatusUnprocessableEntity, data)
		return
	}
	data["Preview"], data["Count"], data["NoMatch"] = recips, len(recips), len(recips) == 0
	if r.PostForm.Get("step") != "send" {
		m.renderNotices(w, r, http.StatusOK, data)
		return
	}
	if r.PostForm.Get("previewed") != strconv.Itoa(len(recips)) {
		data["Error"] = "The selection now reaches " + strconv.Itoa(len(recips)) + " organizations, not " + r.PostForm.Get("previewed") + ". Check the list and send again."
		m.renderNotices(w, r, http.StatusConflict, data)
		return
	}
	n, _, err := m.SendNotice(r.Context(), caller(r).Principal, d, actorOf(r))
	if err != nil {
		if c := errs.CodeOf(err); c == errs.Internal || c == "" {
			web.WriteError(w, r, err)
			return
		}
		data["Error"] = errs.MessageOf(err)
		m.renderNotices(w, r, http.StatusUnprocessableEntity, data)
		return
	}
	http.Redirect(w, r, "/notifications/notices?sent="+n.StixID, http.StatusSeeOther)
}

func canSetEscalation(c *identity.Caller) bool {
	return c.User.HasRole(identity.RoleOrgAdmin) || c.User.HasRole(identity.RoleCoordinator)
}

func (m *Module) renderSettings(w http.ResponseWriter, r *http.Request, status int, data map[string]any) {
	c := caller(r)
	if _, ok := data["Preference"]; !ok {
		p, err := m.preference(r.Context(), c.User.ID)
		if err != nil {
			web.WriteError(w, r, err)
			return
		}
		data["Preference"] = p
	}
	if canSetEscalation(c) {
		if _, ok := data["Escalation"]; !ok {
			s, err := m.escalationSetting(r.Context(), c.User.OrgID)
			if err != nil {
				web.WriteError(w, r, err)
				return
			}
			data["Escalation"] = s
		}
		data["CanEscalate"] = true
	}
	pref, _ := data["Preference"].(Preference)
	data["EmailOn"] = slices.Contains(pref.Channels, ChannelEmail)
	var sevs []option
	for _, s := range []Severity{SeverityLow, SeverityMedium, SeverityHigh, SeverityCritical} {
		sevs = append(sevs, option{Value: string(s), Label: string(s), Checked: s == pref.MinSeverity})
	}
	data["Severities"] = sevs
	m.k.Renderer.Render(w, r, status, "notification-settings.html", web.Page{Title: "Notification settings", Data: data})
}

func (m *Module) settingsPage(w http.ResponseWriter, r *http.Request) {
	data := map[string]any{}
	if r.URL.Query().Get("saved") != "" {
		data["Saved"] = true
	}
	m.renderSettings(w, r, http.StatusOK, data)
}

// settingsForm saves the preference form or, for org admins and
// coordinators, the escalation form.
func (m *Module) settingsForm(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		web.WriteError(w, r, err)
		return
	}
	f := r.PostForm
	data := map[string]any{}
	var err error
	switch f.Get("form") {
	case "preference":
		p := Preference{Channels: []string{}, MinSeverity: Severity(f.Get("min_severity")), Mode: f.Get("mode")}
		if f.Get("email") != "" {
			p.Channels = []string{ChannelEmail}
		}
		data["Preference"] = p
		_, err = m.setPreference(r, p)
	case "escalation":
		if !canSetEscalation(caller(r)) {
			web.WriteError(w, r, errs.E(errs.Forbidden, "Only organization admins change escalation."))
			return
		}
		s := EscalationSetting{After: strings.TrimSpace(f.Get("after")), Enabled: f.Get("enabled") != ""}
		data["Escalation"] = s
		_, err = m.setEscalation(r, s)
	default:
		err = errs.E(errs.Invalid, "form: say which settings to save.")
	}
	if err != nil {
		if c := errs.CodeOf(err); c != errs.Invalid {
			web.WriteError(w, r, err)
			return
		}
		data["Error"] = errs.MessageOf(err)
		m.renderSettings(w, r, http.StatusUnprocessableEntity, data)
		return
	}
	http.Redirect(w, r, "/notifications/settings?saved=1", http.StatusSeeOther)
}
