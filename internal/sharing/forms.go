package sharing

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rampart-project/rampart/internal/patterns"
	"github.com/rampart-project/rampart/internal/platform/access"
	"github.com/rampart-project/rampart/internal/platform/errs"
	"github.com/rampart-project/rampart/internal/platform/identity"
	"github.com/rampart-project/rampart/internal/platform/web"
	"github.com/rampart-project/rampart/stix"
)

// The forms share the four kinds of information 6 U.S.C. § 659(r)(C)
// names — indicators, defensive measures, risk and incidents — as STIX
// 2.1 objects. Each form builds its objects, validates them with
// stix.Validate before anything is stored, and on a mistake shows the
// form again with what was typed and the error next to its field. A
// submission is stored in one Ingest call, so the objects of one form
// (a course of action and its relationships) arrive together or not at
// all, with Source "form".

// IncidentCoreExtension is the extension-definition of the OASIS Incident
// Core Extension, which incident reports carry as a property extension.
const IncidentCoreExtension = "extension-definition--ef765651-680c-498d-9894-99799f2fa126"

// formKind is one of the forms: its page and how it builds objects.
type formKind struct {
	Kind  string // the template's switch
	Title string
	// DefaultTLP is where the TLP select starts: GREEN for what is meant
	// for the community, AMBER for an incident, which goes to the
	// coordinators first.
	DefaultTLP access.TLP
	// defaults fills a new form; it may read the query (?value=, ?for=).
	defaults func(m *Module, r *http.Request, c *identity.Caller, f *formData)
	// build turns the form into objects, the first of which the page
	// shows after submitting. Problems go into f.
	build func(m *Module, r *http.Request, c *identity.Caller, f *formData, tlp access.TLP, now time.Time) []stix.Object
}

// formData is a form page.
type formData struct {
	formState
	Kind     string
	Action   string
	Problems []string
	Sharing  sharingView
	Lists    map[string][]choice
	// Mark locates a pattern's error in the line it is on.
	Mark *patterns.Marked
	// Refs are the objects the submission names, as found; they are
	// shown back so the submitter sees what the ids are.
	Refs []row
	// Target is the object a share-onward report is about, and Related
	// the indicators related to it that the report may include.
	Target  *row
	Related []choice
	// Summary lists the field errors at the top, in the order of the
	// fields, each linking to its field.
	Summary []fieldError
}

type fieldError struct{ Field, Message string }

// fieldOrder is the order of fields on the forms, for the summary.
var fieldOrder = []string{"value", "kind", "name", "cve", "abstract", "content", "pattern", "description", "published",
	"valid_from", "valid_until", "confidence", "indicator_types", "report_types", "steps", "targets", "determination",
	"investigation_status", "criticality", "first_seen", "incident_types", "count_individual", "count_organization",
	"count_system", "count_group", "indicator", "object_refs", "tlp", "share_with", "collection"}

func (f *formData) summarize() {
	f.Summary = nil
	for _, name := range fieldOrder {
		if msg := f.Err[name]; msg != "" {
			f.Summary = append(f.Summary, fieldError{name, msg})
		}
	}
	var rest []string
	for name := range f.Err {
		if !slices.Contains(fieldOrder, name) && name != "page" {
			rest = append(rest, name)
		}
	}
	slices.Sort(rest)
	for _, name := range rest {
		f.Summary = append(f.Summary, fieldError{name, f.Err[name]})
	}
}

// sharingView is the "who will see it" part of every form.
type sharingView struct {
	TLPs        []choice
	Communities []choice
	Orgs        []choice
	Collections []choice
}

var tlpHints = map[access.TLP]string{
	access.Clear:       "anyone; it may be published",
	access.Green:       "the communities you tick (every member when you tick none)",
	access.Amber:       "your organization and the communities and organizations you tick, with their clients on a need-to-know basis",
	access.AmberStrict: "your organization and the organizations you tick, not their clients",
	access.Red:         "only you",
}

func newFormData(kind *formKind, r *http.Request, v url.Values) *formData {
	return &formData{formState: formState{V: v, Err: map[string]string{}}, Kind: kind.Kind, Action: r.URL.Path, Lists: map[string][]choice{}}
}

// formPage shows a new form.
func (m *Module) formPage(kind *formKind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c := caller(r)
		f := newFormData(kind, r, url.Values{})
		f.V.Set("tlp", string(kind.DefaultTLP))
		if kind.defaults != nil {
			kind.defaults(m, r, c, f)
		}
		if f.Err["page"] != "" {
			web.WriteError(w, r, errs.E(errs.NotFound, "%s", f.Err["page"]))
			return
		}
		status := http.StatusOK
		if len(f.Err) > 0 {
			status = http.StatusBadRequest
		}
		m.renderForm(w, r, status, kind, c, f)
	}
}

// formSubmit builds, validates and stores what the form says, then sends
// the browser to the new object's page (303, so a reload does not submit
// twice).
func (m *Module) formSubmit(kind *formKind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c := caller(r)
		ctx := r.Context()
		f := newFormData(kind, r, formValues(r))
		share := m.readSharing(ctx, c, f)
		tlp, _ := access.ParseTLP(share.TLP)
		objs := kind.build(m, r, c, f, highest(tlp), time.Now())
		if f.Err["page"] != "" {
			web.WriteError(w, r, errs.E(errs.NotFound, "%s", f.Err["page"]))
			return
		}
		if len(f.Err) > 0 || len(f.Problems) > 0 || len(objs) == 0 {
			m.renderForm(w, r, http.StatusBadRequest, kind, c, f)
			return
		}
		sub, err := m.submission(ctx, r, c, share, SourceForm)
		if err == nil {
			err = m.ingestOne(ctx, sub, objs)
		}
		if err != nil {
			if web.StatusOf(err) >= 500 {
				web.WriteError(w, r, err)
				return
			}
			f.Problems = append(f.Problems, errs.MessageOf(err))
			m.renderForm(w, r, web.StatusOf(err), kind, c, f)
			return
		}
		http.Redirect(w, r, objectURL(objs[0].ID())+"?created=1", http.StatusSeeOther)
	}
}

func (m *Module) renderForm(w http.ResponseWriter, r *http.Request, status int, kind *formKind, c *identity.Caller, f *formData) {
	view, err := m.sharingView(r.Context(), c, f.V)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	f.Sharing = view
	f.Lists = listsFor(f.V)
	f.summarize()
	// The form names communities and organizations, which members see as
	// TLP:AMBER elsewhere; what was typed is about to be shared at the
	// chosen level; the objects it names keep theirs.
	top := access.Amber
	if t, err := access.ParseTLP(f.V.Get("tlp")); err == nil {
		top = highest(top, t)
	}
	var shown []Version
	for _, rw := range f.Refs {
		top = highest(top, access.TLP(rw.TLP))
		shown = append(shown, Version{StixID: rw.ID, TLP: access.TLP(rw.TLP)})
	}
	if f.Target != nil {
		top = highest(top, access.TLP(f.Target.TLP))
		shown = append(shown, Version{StixID: f.Target.ID, TLP: access.TLP(f.Target.TLP)})
	}
	if err := m.auditRead(r, c, shown...); err != nil {
		web.WriteError(w, r, err)
		return
	}
	m.rd.Render(w, r, status, "sharing-new.html", web.Page{Title: kind.Title, TLP: string(top), Data: f})
}

// readSharing reads the TLP, audience, collection and anonymity fields,
// and checks that the audience is one the TLP level uses: a ticked box
// the level ignores would be a silent surprise.
func (m *Module) readSharing(ctx context.Context, c *identity.Caller, f *formData) Sharing {
	s := Sharing{TLP: f.V.Get("tlp"), Collection: f.V.Get("collection"), Anonymous: f.V.Get("anonymous") != ""}
	tlp, err := access.ParseTLP(s.TLP)
	if err != nil {
		f.Err["tlp"] = "Choose a TLP level."
		return s
	}
	s.TLP = string(tlp)
	var communities, orgs int
	for _, g := range f.V["share_with"] {
		switch {
		case strings.HasPrefix(g, "community:"):
			communities++
		case strings.HasPrefix(g, "org:"):
			orgs++
		default:
			f.Err["share_with"] = fmt.Sprintf("%q is not something to share with.", g)
			return s
		}
		s.ShareWith = append(s.ShareWith, g)
	}
	switch {
	case tlp == access.Green && orgs > 0:
		f.Err["share_with"] = "TLP:GREEN goes to communities, not to single organizations: untick the organizations, or choose TLP:AMBER."
	case tlp == access.AmberStrict && communities > 0:
		f.Err["share_with"] = "TLP:AMBER+STRICT goes to named organizations only: untick the communities, or choose TLP:AMBER."
	case tlp == access.Red && communities+orgs > 0:
		f.Err["share_with"] = "TLP:RED stays with you: untick the communities and organizations, or choose another level."
	}
	return s
}

// sharingView offers what the caller may share with: the communities its
// organization belongs to, the organizations it works with, and the
// collections it may write to.
func (m *Module) sharingView(ctx context.Context, c *identity.Caller, v url.Values) (sharingView, error) {
	var sv sharingView
	picked := v["share_with"]
	for _, l := range access.Levels {
		sv.TLPs = append(sv.TLPs, choice{Value: string(l), Label: "TLP:" + string(l), Hint: tlpHints[l], Selected: v.Get("tlp") == string(l)})
	}
	comms, err := m.k.Identity.Communities(ctx, c.Principal)
	if err != nil {
		return sv, err
	}
	for _, cm := range comms {
		if cm.ID != access.AllMembers && !slices.Contains(c.Principal.Communities, cm.ID) {
			continue // coordinators know every community but share as members of their own
		}
		val := "community:" + cm.ID
		label := cm.Name
		if cm.ID == access.AllMembers {
			label = "Every member (all-members)"
		}
		sv.Communities = append(sv.Communities, choice{Value: val, Label: label, Selected: slices.Contains(picked, val)})
	}
	orgs, err := m.recipientOrgs(ctx, c)
	if err != nil {
		return sv, err
	}
	for _, o := range orgs {
		val := "org:" + o.ID
		sv.Orgs = append(sv.Orgs, choice{Value: val, Label: o.Name, Hint: string(o.Kind), Selected: slices.Contains(picked, val)})
	}
	cols, err := m.store.Collections(ctx, c.Principal, DefaultAPIRoot)
	if err != nil {
		return sv, err
	}
	for _, col := range cols {
		if col.Writable(c.Principal) {
			sv.Collections = append(sv.Collections, choice{Value: col.ID, Label: col.Title, Selected: v.Get("collection") == col.ID})
		}
	}
	return sv, nil
}

// recipientOrgs are the organizations a member may name for TLP:AMBER:
// those it shares a community with, its parent and its clients, and the
// coordinators, to whom anyone may report. The whole directory is for
// coordinators only, as on the organization pages.
func (m *Module) recipientOrgs(ctx context.Context, c *identity.Caller) ([]identity.Organization, error) {
	all, err := m.k.Identity.Orgs(ctx)
	if err != nil {
		return nil, err
	}
	known := map[string]bool{}
	if !c.Principal.Coordinator {
		for _, id := range c.Principal.Communities {
			if id == access.AllMembers {
				continue
			}
			cm, err := m.k.Identity.Community(ctx, id, c.Principal)
			if err != nil {
				continue
			}
			for _, o := range cm.Members {
				known[o] = true
			}
		}
		if c.Org != nil && c.Org.ParentID != "" {
			known[c.Org.ParentID] = true
		}
		clients, err := m.k.Identity.Clients(ctx, c.Principal.OrgID)
		if err != nil {
			return nil, err
		}
		for _, id := range clients {
			known[id] = true
		}
	}
	var out []identity.Organization
	for _, o := range all {
		if o.ID == c.Principal.OrgID {
			continue // it sees its own objects anyway
		}
		if c.Principal.Coordinator || known[o.ID] || o.Kind == identity.KindCoordinator {
			out = append(out, o)
		}
	}
	return out, nil
}

// Vocabularies the forms offer. The open vocabularies of STIX are open,
// but a form offers the suggested values: a typo in a free field would
// keep an object out of every filter that uses the vocabulary.
var (
	indicatorTypes = []string{"malicious-activity", "anomalous-activity", "compromised", "anonymization", "attribution", "benign", "unknown"}
	reportTypes    = []string{"threat-report", "indicator", "vulnerability", "malware", "campaign", "attack-pattern", "intrusion-set", "threat-actor", "tool", "identity", "observed-data"}
	// The Incident Core Extension's incident-type-ov, determination enum
	// and investigation status.
	incidentTypes = []choice{
		{Value: "compromised-system", Label: "compromised system"}, {Value: "denial-of-service", Label: "denial of service"},
		{Value: "destruction", Label: "destruction of data or systems"}, {Value: "unauthorized-access", Label: "unauthorized access to information"},
		{Value: "unauthorized-release", Label: "unauthorized release of information"}, {Value: "unauthorized-use", Label: "unauthorized use of information"},
		{Value: "unauthorized-equipment", Label: "unauthorized equipment"}, {Value: "equipment-loss", Label: "equipment lost"},
		{Value: "equipment-theft", Label: "equipment stolen"}, {Value: "supply-chain-vendor", Label: "supply chain: a product we supply was targeted"},
		{Value: "supply-chain-customer", Label: "supply chain: a vendor of ours was used"}, {Value: "major", Label: "major incident"},
	}
	determinations = []choice{
		{Value: "suspected", Label: "suspected", Hint: "not yet confirmed"},
		{Value: "successful-attempt", Label: "successful attempt", Hint: "it caused at least some harm"},
		{Value: "failed-attempt", Label: "failed attempt", Hint: "no impact, but not thanks to a defence"},
		{Value: "blocked", Label: "blocked", Hint: "no impact thanks to a defence (spam filter, rate limit, ...)"},
		{Value: "low-value", Label: "low value", Hint: "too unimportant for a person to act on"},
		{Value: "false-positive", Label: "false positive", Hint: "a false alert"},
	}
	investigationStatuses = []choice{
		{Value: "new", Label: "new", Hint: "not yet worked"}, {Value: "open", Label: "open", Hint: "being worked"}, {Value: "closed", Label: "closed", Hint: "work concluded"},
	}
	// entityKinds are the identity classes impacted_entity_counts counts.
	entityKinds = []choice{
		{Value: "individual", Label: "People"}, {Value: "organization", Label: "Organizations"}, {Value: "system", Label: "Systems"}, {Value: "group", Label: "Groups"},
	}
)

// listsFor marks the choices that v selects.
func listsFor(v url.Values) map[string][]choice {
	mark := func(name string, opts []choice) []choice {
		out := make([]choice, len(opts))
		for i, o := range opts {
			o.Selected = slices.Contains(v[name], o.Value)
			out[i] = o
		}
		return out
	}
	plainChoices := func(vals []string) []choice {
		out := make([]choice, len(vals))
		for i, s := range vals {
			out[i] = choice{Value: s, Label: s}
		}
		return out
	}
	return map[string][]choice{
		"indicator_types":      mark("indicator_types", plainChoices(indicatorTypes)),
		"report_types":         mark("report_types", plainChoices(reportTypes)),
		"incident_types":       mark("incident_types", incidentTypes),
		"determination":        mark("determination", determinations),
		"investigation_status": mark("investigation_status", investigationStatuses),
		"entities":             entityKinds,
		"risk_kinds": mark("kind", []choice{
			{Value: "vulnerability", Label: "A vulnerability", Hint: "such as CVE-2024-3400"},
			{Value: "note", Label: "A note", Hint: "a comment on objects already shared"},
			{Value: "report", Label: "A report", Hint: "an assessment that gathers objects"},
		}),
	}
}

// buildObject turns properties into a STIX object and validates it.
func buildObject(props map[string]any) (stix.Object, []stix.Finding, error) {
	raw, err := json.Marshal(props)
	if err != nil {
		return stix.Object{}, nil, fmt.Errorf("sharing: form object: %w", err)
	}
	obj, err := stix.ParseObject(raw)
	if err != nil {
		return stix.Object{}, nil, fmt.Errorf("sharing: form object: %w", err)
	}
	var errors []stix.Finding
	for _, f := range stix.Validate(obj) {
		if f.Severity == stix.Error {
			errors = append(errors, f)
		}
	}
	return obj, errors, nil
}

// sdoProps starts the properties of a new object of the form: a fresh
// version 4 id, as STIX recommends for SDOs and SROs, and the TLP marking.
func sdoProps(typ string, tlp access.TLP, now time.Time) map[string]any {
	ts := stix.FormatTimestamp(now)
	p := map[string]any{"type": typ, "spec_version": "2.1", "id": typ + "--" + uuid4(), "created": ts, "modified": ts}
	if id, ok := stix.TLPMarkingID(string(tlp)); ok {
		p["object_marking_refs"] = []string{id}
	}
	return p
}

func relationshipProps(relType, source, target string, tlp access.TLP, now time.Time) map[string]any {
	p := sdoProps("relationship", tlp, now)
	p["relationship_type"], p["source_ref"], p["target_ref"] = relType, source, target
	return p
}

func uuid4() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// place puts each validation finding next to its field when the form has
// one (extension properties count as fields of their own name), and in
// the list above the form otherwise.
func (f *formData) place(findings []stix.Finding, fields ...string) {
	for _, fd := range findings {
		path := strings.TrimPrefix(fd.Path, "extensions."+IncidentCoreExtension+".")
		name := path
		if i := strings.IndexAny(name, ".["); i >= 0 {
			name = name[:i]
		}
		if slices.Contains(fields, name) {
			if f.Err[name] == "" {
				f.Err[name] = fd.Message
			}
			continue
		}
		msg := fd.Message
		if fd.Path != "" {
			msg = fd.Path + ": " + msg
		}
		f.Problems = append(f.Problems, msg)
	}
}

// findingsText joins findings for a form without fields of its own.
func findingsText(fs []stix.Finding) string {
	var parts []string
	for _, f := range fs {
		if f.Path != "" {
			parts = append(parts, f.Path+": "+f.Message)
		} else {
			parts = append(parts, f.Message)
		}
	}
	return strings.Join(parts, "; ")
}

// ingestOne stores the objects of one form, which are valid already. A
// rejection can then only be the store refusing a version it holds with
// other content; the submitter is told which object it was.
func (m *Module) ingestOne(ctx context.Context, sub Submission, objs []stix.Object) error {
	rep, err := m.store.Ingest(ctx, sub, objs)
	if err != nil {
		return err
	}
	for _, o := range rep.Outcomes {
		if o.Status == StatusRejected {
			return errs.E(errs.Invalid, "The store refused %s: %s", o.ID, strings.Join(o.Errors, "; "))
		}
	}
	return nil
}

// text returns a trimmed field.
func (st formState) text(name string) string { return strings.TrimSpace(st.V.Get(name)) }

// required returns a trimmed field and notes its absence.
func (st formState) required(name, msg string) string {
	s := st.text(name)
	if s == "" {
		st.Err[name] = msg
	}
	return s
}

// dateLayouts are what people type or browsers send: datetime-local
// inputs send minutes, and pasted STIX timestamps carry seconds and a Z.
var dateLayouts = []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02", time.RFC3339Nano}

// timeField reads a date and time field, in UTC.
func timeField(st formState, name string, required bool) time.Time {
	s := st.text(name)
	if s == "" {
		if required {
			st.Err[name] = "Give a date and time (UTC)."
		}
		return time.Time{}
	}
	for _, l := range dateLayouts {
		if t, err := time.ParseInLocation(l, s, time.UTC); err == nil {
			return t.UTC()
		}
	}
	st.Err[name] = fmt.Sprintf("%q is not a date and time such as 2026-03-01T14:30 (UTC).", s)
	return time.Time{}
}

// localInput formats t for a datetime-local input.
func localInput(t time.Time) string { return t.UTC().Format("2006-01-02T15:04") }

// intField reads a whole number from lo to hi; ok is false when absent
// or wrong, and a wrong one is noted.
func intField(st formState, name string, lo, hi int) (int, bool) {
	s := st.text(name)
	if s == "" {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		st.Err[name] = fmt.Sprintf("Give a whole number from %d to %d.", lo, hi)
		return 0, false
	}
	return n, true
}

func parseCount(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 999999999 {
		return 0, fmt.Errorf("give how many times you saw it, a whole number from 1 to 999999999")
	}
	return n, nil
}

// refsField reads object ids, one per line or separated by spaces or
// commas, and keeps those the caller may see; the others are the field's
// error. The found ones go into f.Refs so the page shows what they are.
func (m *Module) refsField(ctx context.Context, p access.Principal, f *formData, name string, required bool) []Version {
	ids := strings.FieldsFunc(f.V.Get(name), func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t' })
	if len(ids) == 0 {
		if required {
			f.Err[name] = "Give at least one object id, such as indicator--…; it is on the object's page."
		}
		return nil
	}
	if len(ids) > 200 {
		f.Err[name] = "At most 200 objects at once."
		return nil
	}
	vis, err := m.visible(ctx, p, ids)
	if err != nil {
		f.Problems = append(f.Problems, "The objects could not be looked up; try again.")
		return nil
	}
	var found []Version
	var missing []string
	for _, id := range slices.Compact(ids) {
		if v, ok := vis[id]; ok {
			found = append(found, v)
		} else {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		f.Err[name] = "You may see no object with the id " + strings.Join(missing, ", ") + "."
	}
	names := m.orgNames(ctx)
	rs, _ := rows(names, found, time.Now())
	f.Refs = append(f.Refs, rs...)
	return found
}

func ids(vs []Version) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.StixID
	}
	return out
}
