package sharing

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/rampart-project/rampart/internal/platform/access"
	"github.com/rampart-project/rampart/internal/platform/errs"
	"github.com/rampart-project/rampart/internal/platform/web"
	"github.com/rampart-project/rampart/stix"
)

// objectData is the object page: what the object is, who shared it how,
// its versions, what surrounds it, and what the viewer can do about it.
type objectData struct {
	V        Version
	IsLatest bool
	Latest   string // the latest version's timestamp, when an older one is shown
	JSON     string
	Facts    []fact
	Owner    string // the organization's name; "" when hidden
	Yours    bool   // the viewer's organization submitted it
	Expired  bool
	Audience []string // who may see it, shown to its owner only
	Warnings []Warning
	Versions []versionLink

	Graph        *graphView
	Relations    []relationRow
	ReferencedBy []row
	Sightings    SightingSummary
	Sightable    bool

	Notice string

	Sighting        formState
	Relate          formState
	RelationChoices []choice // the relate form's choices
	CanRevoke       bool
	RevokeErr       string
	CanShare        bool
	Relatable       bool
}

// formState is what a small form on the object page was given back: the
// values typed and the error of each field.
type formState struct {
	V   url.Values
	Err map[string]string
}

type fact struct {
	Label string
	Text  string
	Long  bool // prose: keep the line breaks
	Code  bool
	Links []refLink
}

type refLink struct {
	ID, Href, Text, Type string
}

type versionLink struct {
	Version, Href string
	Shown         bool
	Revoked       bool
	TLP           string
	AddedAt       time.Time
}

type relationRow struct {
	Type     string
	Outgoing bool // the object of the page is the source
	Other    refLink
	TLP      string
	ID       string
}

func (m *Module) objectPage(w http.ResponseWriter, r *http.Request) {
	m.showObject(w, r, http.StatusOK, nil)
}

// showObject renders the object page with status, after change has filled
// in what a form handler has to say. An object the caller may not see is
// a 404, whether it exists or not.
func (m *Module) showObject(w http.ResponseWriter, r *http.Request, status int, change func(*objectData)) {
	c := caller(r)
	ctx := r.Context()
	p := c.Principal
	id := r.PathValue("id")
	hist, err := m.store.History(ctx, p, id)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	latest, err := m.store.Latest(ctx, p, id)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	shown := latest
	if want := r.URL.Query().Get("version"); want != "" && want != latest.VersionRaw {
		found := false
		for _, v := range hist {
			if v.VersionRaw == want {
				shown, found = v, true
			}
		}
		if !found {
			web.WriteError(w, r, errs.E(errs.NotFound, "There is no version %q of %s.", want, id))
			return
		}
	}
	d := &objectData{V: shown, IsLatest: shown.Seq == latest.Seq, Expired: shown.Expired(time.Now()), Sighting: newFormState(), Relate: newFormState()}
	if !d.IsLatest {
		d.Latest = latest.VersionRaw
	}
	names := m.orgNames(ctx)
	d.Owner = names.name(shown.OwnerOrg)
	owner, err := m.store.ownerOf(ctx, shown.Seq)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	d.Yours = owner == p.OrgID
	seen := []Version{shown}

	obj, err := shown.Object()
	if err != nil {
		web.WriteError(w, r, fmt.Errorf("sharing: stored object %s: %w", id, err))
		return
	}
	var pretty bytes.Buffer
	if json.Indent(&pretty, shown.Body, "", "  ") == nil {
		d.JSON = pretty.String()
	} else {
		d.JSON = string(shown.Body)
	}
	refs, err := m.visible(ctx, p, refIDs(obj))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	for _, v := range refs {
		seen = append(seen, v)
	}
	d.Facts = facts(obj, refs)

	for i := len(hist) - 1; i >= 0; i-- {
		v := hist[i]
		d.Versions = append(d.Versions, versionLink{
			Version: v.VersionRaw, Href: "/sharing/objects/" + url.PathEscape(id) + "?version=" + url.QueryEscape(v.VersionRaw),
			Shown: v.Seq == shown.Seq, Revoked: v.Revoked, TLP: string(v.TLP), AddedAt: v.AddedAt,
		})
		seen = append(seen, v)
	}

	rel, err := m.store.RelatedTo(ctx, p, id)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	// The sums are made of sighting objects; their levels count for the
	// page's label like anything else shown.
	sightings, err := m.store.Referencing(ctx, p, id, []string{"sighting_of_ref"}, MaxLimit)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	seen = append(seen, sightings...)
	d.Sightings = rel.Sightings
	d.Sightable = stix.IsSDO(shown.Type)
	d.ReferencedBy, _ = rows(names, rel.ReferencedBy, time.Now())
	seen = append(seen, rel.ReferencedBy...)
	ns, relRows, relSeen, err := m.neighbours(ctx, p, id, rel.Relationships)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	seen = append(seen, relSeen...)
	d.Relations = relRows
	d.Graph = layoutGraph(shown.Name, shown.Type, ns)

	if d.Yours {
		if d.Audience, err = m.describeAudience(ctx, p, shown); err != nil {
			web.WriteError(w, r, err)
			return
		}
	}
	if d.Warnings, err = m.store.Warnings(ctx, shown); err != nil {
		web.WriteError(w, r, err)
		return
	}
	d.CanRevoke = d.Yours && d.IsLatest && !shown.Revoked
	d.Relatable = stix.IsSDO(shown.Type) || stix.IsSCO(shown.Type)
	d.CanShare = p.Coordinator && d.Relatable
	switch q := r.URL.Query(); {
	case q.Get("created") != "":
		d.Notice = "Shared. Everyone in its audience can see it now, and it is on the live feed."
	case q.Get("sighted") != "":
		d.Notice = "Your sighting is recorded. It counts for everyone who may see this object."
	case q.Get("revoked") != "":
		d.Notice = "Revoked. Everyone who received it gets the revoked version."
	case q.Get("related") != "":
		d.Notice = "The relationship is stored, for those who may see the more restricted of the two."
	}
	if change != nil {
		change(d)
	}
	d.RelationChoices = relationChoices(shown.Type, d.Relate.V.Get("relation"))

	if err := m.auditRead(r, c, seen...); err != nil {
		web.WriteError(w, r, err)
		return
	}
	top := access.Clear
	for _, v := range seen {
		top = highest(top, v.TLP)
	}
	title := shown.Name
	if title == "" {
		title = shown.StixID
	}
	m.rd.Render(w, r, status, "sharing-object.html", web.Page{Title: title, TLP: string(top), Data: d})
}

func newFormState() formState { return formState{V: url.Values{}, Err: map[string]string{}} }

// visible returns the latest versions of the ids that p may see, by id.
func (m *Module) visible(ctx context.Context, p access.Principal, ids []string) (map[string]Version, error) {
	out := map[string]Version{}
	ids = slices.Compact(slices.Sorted(slices.Values(ids)))
	for start := 0; start < len(ids); start += 500 {
		chunk := ids[start:min(start+500, len(ids))]
		page, err := m.store.Find(ctx, p, Query{IDs: chunk, Limit: len(chunk)})
		if err != nil {
			return nil, err
		}
		for _, v := range page.Versions {
			out[v.StixID] = v
		}
	}
	return out, nil
}

// neighbours turns the relationships of id into the graph's neighbours
// and the table's rows, and returns every version they show.
func (m *Module) neighbours(ctx context.Context, p access.Principal, id string, rels []Version) ([]neighbour, []relationRow, []Version, error) {
	type end struct {
		rel  Version
		r    stix.Relationship
		peer string
	}
	var ends []end
	var peers []string
	for _, v := range rels {
		obj, err := v.Object()
		if err != nil {
			continue
		}
		r, ok := stix.RelationshipOf(obj)
		if !ok {
			continue
		}
		peer := r.TargetRef
		if r.TargetRef == id {
			peer = r.SourceRef
		}
		ends = append(ends, end{v, r, peer})
		peers = append(peers, peer)
	}
	vis, err := m.visible(ctx, p, peers)
	if err != nil {
		return nil, nil, nil, err
	}
	seen := slices.Clone(rels)
	byID := map[string]*neighbour{}
	var order []string
	var out []relationRow
	for _, e := range ends {
		pv, visible := vis[e.peer]
		typ, _, _ := stix.SplitID(e.peer)
		link := refLink{ID: e.peer, Type: typ, Text: e.peer}
		if visible {
			link.Href, link.Text, link.Type = "/sharing/objects/"+e.peer, pv.Name, pv.Type
			seen = append(seen, pv)
		}
		out = append(out, relationRow{Type: e.r.Type, Outgoing: e.r.SourceRef == id, Other: link, TLP: string(e.rel.TLP), ID: e.rel.StixID})
		nb, ok := byID[e.peer]
		if !ok {
			nb = &neighbour{ID: e.peer, Type: link.Type, Name: link.Text, Visible: visible, TLP: pv.TLP}
			byID[e.peer] = nb
			order = append(order, e.peer)
		}
		if !slices.Contains(nb.RelTypes, e.r.Type) {
			nb.RelTypes = append(nb.RelTypes, e.r.Type)
		}
		if e.r.SourceRef == id {
			nb.Out = true
		} else {
			nb.In = true
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Type != out[j].Type {
			return out[i].Type < out[j].Type
		}
		return out[i].Other.Text < out[j].Other.Text
	})
	ns := make([]neighbour, 0, len(order))
	for _, id := range order {
		ns = append(ns, *byID[id])
	}
	return ns, out, seen, nil
}

// describeAudience says in words who may see v: the owner's own
// organization and the grants that count at its TLP.
func (m *Module) describeAudience(ctx context.Context, p access.Principal, v Version) ([]string, error) {
	switch v.TLP {
	case access.Clear:
		return []string{"every member of this instance" + map[bool]string{true: ", and the public feed", false: ""}[m.store.Policy().PublicFeed]}, nil
	case access.Red:
		out := []string{"the person who submitted it"}
		aud, err := m.store.Audience(ctx, v.ItemID)
		if err != nil {
			return nil, err
		}
		for _, g := range aud {
			if g.Kind == access.GrantUser {
				if u, err := m.k.Identity.User(ctx, g.ID); err == nil {
					out = append(out, u.Name)
				}
			}
		}
		return out, nil
	}
	out := []string{"your organization"}
	aud, err := m.store.Audience(ctx, v.ItemID)
	if err != nil {
		return nil, err
	}
	names := m.orgNames(ctx)
	for _, g := range aud {
		counts := g.Kind == access.GrantCommunity && (v.TLP == access.Green || v.TLP == access.Amber) ||
			g.Kind == access.GrantOrg && (v.TLP == access.Amber || v.TLP == access.AmberStrict && g.ExtendedBy == "")
		if !counts {
			continue
		}
		switch g.Kind {
		case access.GrantCommunity:
			if g.ID == access.AllMembers {
				out = append(out, "every member (the all-members community)")
			} else if cm, err := m.k.Identity.Community(ctx, g.ID, p); err == nil {
				out = append(out, "the community "+cm.Name)
			}
		case access.GrantOrg:
			s := names.name(g.ID)
			if g.ExtendedBy != "" {
				s += " (extended to it by " + names.name(g.ExtendedBy) + ")"
			}
			out = append(out, s)
		}
	}
	return out, nil
}

// refIDs lists the ids the object refers to at its top level.
func refIDs(obj stix.Object) []string {
	var out []string
	for _, r := range references(obj) {
		out = append(out, r[1])
	}
	if id := obj.CreatedByRef(); id != "" {
		out = append(out, id)
	}
	return out
}

// factProps are the properties shown as facts, in reading order. The
// page shows the whole object as JSON as well; these are the ones a
// person looks for first.
var factProps = []struct{ prop, label string }{
	{"name", "Name"}, {"description", "Description"}, {"pattern", "Pattern"}, {"pattern_type", "Pattern type"},
	{"indicator_types", "Indicator types"}, {"valid_from", "Valid from"}, {"valid_until", "Valid until"},
	{"relationship_type", "Relationship"}, {"source_ref", "From"}, {"target_ref", "To"},
	{"start_time", "Start"}, {"stop_time", "Stop"},
	{"sighting_of_ref", "Sighting of"}, {"count", "Count"}, {"first_seen", "First seen"}, {"last_seen", "Last seen"},
	{"where_sighted_refs", "Where sighted"}, {"observed_data_refs", "Observed data"},
	{"abstract", "Abstract"}, {"content", "Content"}, {"authors", "Authors"},
	{"published", "Published"}, {"report_types", "Report types"}, {"context", "Context"}, {"object_refs", "Refers to"},
	{"is_family", "Malware family"}, {"malware_types", "Malware types"}, {"aliases", "Aliases"},
	{"x_rampart_first_seen", "First seen"}, {"labels", "Labels"},
	{"value", "Value"}, {"hashes", "Hashes"},
	{"created_by_ref", "Created by"}, {"created", "Created"}, {"modified", "Modified"},
}

// incidentFacts are the Incident Core Extension's properties.
var incidentFacts = []struct{ prop, label string }{
	{"determination", "Determination"}, {"investigation_status", "Investigation status"}, {"criticality", "Criticality (0–100)"},
	{"incident_types", "Incident types"}, {"impacted_entity_counts", "Impacted entities"}, {"recoverability", "Recoverability"},
	{"detection_methods", "Detection methods"},
}

func facts(obj stix.Object, refs map[string]Version) []fact {
	var out []fact
	for _, fp := range factProps {
		raw, ok := obj.Property(fp.prop)
		if !ok {
			continue
		}
		if f, ok := factOf(fp.label, fp.prop, raw, refs); ok {
			out = append(out, f)
		}
	}
	if raw, ok := obj.Extensions()[IncidentCoreExtension]; ok {
		var ext map[string]json.RawMessage
		if json.Unmarshal(raw, &ext) == nil {
			for _, fp := range incidentFacts {
				if v, ok := ext[fp.prop]; ok {
					if f, ok := factOf(fp.label, fp.prop, v, refs); ok {
						out = append(out, f)
					}
				}
			}
		}
	}
	for _, er := range obj.ExternalReferences() {
		text := er.SourceName
		if er.ExternalID != "" {
			text += " " + er.ExternalID
		}
		if er.URL != "" {
			text += " (" + er.URL + ")"
		}
		out = append(out, fact{Label: "Reference", Text: text})
	}
	return out
}

// factOf formats one property: text for scalars and lists, links for
// references (to the object's page when the viewer may see it).
func factOf(label, prop string, raw json.RawMessage, refs map[string]Version) (fact, bool) {
	f := fact{Label: label}
	if strings.HasSuffix(prop, "_ref") || strings.HasSuffix(prop, "_refs") {
		var ids []string
		var one string
		if json.Unmarshal(raw, &one) == nil {
			ids = []string{one}
		} else if json.Unmarshal(raw, &ids) != nil {
			return f, false
		}
		for _, id := range ids {
			l := refLink{ID: id, Text: id}
			l.Type, _, _ = stix.SplitID(id)
			if v, ok := refs[id]; ok {
				l.Href, l.Text = "/sharing/objects/"+id, v.Name
			}
			f.Links = append(f.Links, l)
		}
		return f, len(f.Links) > 0
	}
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return f, false
	}
	f.Long = prop == "description" || prop == "content"
	f.Code = prop == "pattern" || prop == "value" || prop == "hashes"
	f.Text = plain(v)
	return f, f.Text != ""
}

// plain writes a JSON value for reading: lists comma-separated,
// dictionaries as "key: value".
func plain(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case bool:
		if x {
			return "yes"
		}
		return "no"
	case float64:
		return fmt.Sprint(x)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = plain(e)
		}
		return strings.Join(parts, ", ")
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + ": " + plain(x[k])
		}
		return strings.Join(parts, "; ")
	case nil:
		return ""
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// sightingForm records what the viewer saw of the object: a sighting
// object shared like the object itself.
func (m *Module) sightingForm(w http.ResponseWriter, r *http.Request) {
	c := caller(r)
	id := r.PathValue("id")
	st := formState{V: formValues(r), Err: map[string]string{}}
	rep := SightingReport{SightingOf: id, Count: 1, Description: strings.TrimSpace(st.V.Get("description")), Anonymous: st.V.Get("anonymous") != ""}
	if s := strings.TrimSpace(st.V.Get("count")); s != "" {
		if n, err := parseCount(s); err != nil {
			st.Err["count"] = err.Error()
		} else {
			rep.Count = n
		}
	}
	rep.FirstSeen = timeField(st, "first_seen", false)
	rep.LastSeen = timeField(st, "last_seen", false)
	if len(st.Err) == 0 && !rep.FirstSeen.IsZero() && !rep.LastSeen.IsZero() && rep.LastSeen.Before(rep.FirstSeen) {
		st.Err["last_seen"] = "Last seen is before first seen."
	}
	if len(st.Err) == 0 {
		sub, err := m.submission(r.Context(), r, c, Sharing{}, SourceForm)
		if err == nil {
			_, err = m.store.ReportSighting(r.Context(), sub, rep)
		}
		switch {
		case err == nil:
			http.Redirect(w, r, objectURL(id)+"?sighted=1#sightings", http.StatusSeeOther)
			return
		case errs.Is(err, errs.NotFound) || web.StatusOf(err) >= 500:
			web.WriteError(w, r, err)
			return
		}
		st.Err["form"] = errs.MessageOf(err)
	}
	m.showObject(w, r, http.StatusBadRequest, func(d *objectData) { d.Sighting = st })
}

// revokeForm revokes the object for everyone, which only its owner may
// do. It asks for a tick first: a revocation cannot be taken back.
func (m *Module) revokeForm(w http.ResponseWriter, r *http.Request) {
	c := caller(r)
	id := r.PathValue("id")
	if r.PostFormValue("confirm") != "yes" {
		m.showObject(w, r, http.StatusBadRequest, func(d *objectData) {
			d.RevokeErr = "Tick the box to confirm: a revocation cannot be undone."
		})
		return
	}
	sub, err := m.submission(r.Context(), r, c, Sharing{}, SourceForm)
	if err == nil {
		_, err = m.store.Revoke(r.Context(), sub, id)
	}
	switch {
	case err == nil:
		http.Redirect(w, r, objectURL(id)+"?revoked=1", http.StatusSeeOther)
	case errs.Is(err, errs.NotFound) || web.StatusOf(err) >= 500:
		web.WriteError(w, r, err)
	default:
		m.showObject(w, r, web.StatusOf(err), func(d *objectData) { d.RevokeErr = errs.MessageOf(err) })
	}
}

// relation is a choice of the relate form, worded from the page's object.
type relation struct {
	Key, Label, Type string
	Reverse          bool // the other object is the source
}

var relations = []relation{
	{"detected-by", "was detected by (an indicator)", "detected", true},
	{"indicated-by", "is indicated by (an indicator)", "indicates", true},
	{"related-to", "is related to", "related-to", false},
	{"attributed-to", "is attributed to (a threat actor, intrusion set or campaign)", "attributed-to", false},
	{"targets", "targets (an identity, infrastructure or vulnerability)", "targets", false},
	{"impacts", "impacts (an identity or infrastructure)", "impacts", false},
	{"uses", "uses (malware, a tool or an attack pattern)", "uses", false},
	{"mitigated-by", "is mitigated by (a course of action)", "mitigates", true},
	{"led-to", "led to (another incident)", "led-to", false},
	{"duplicate-of", "is a duplicate of", "duplicate-of", false},
	{"derived-from", "is derived from", "derived-from", false},
}

func relationChoices(typ, picked string) []choice {
	if picked == "" {
		picked = "related-to"
		if typ == "incident" {
			picked = "detected-by"
		}
	}
	out := make([]choice, len(relations))
	for i, r := range relations {
		out[i] = choice{Value: r.Key, Label: r.Label, Selected: r.Key == picked}
	}
	return out
}

// relateForm stores a relationship between the page's object and another
// one the viewer may see. The relationship is as restricted as the more
// restricted end and goes to those who may see that end: it says
// something about both, so it must not travel further than either.
func (m *Module) relateForm(w http.ResponseWriter, r *http.Request) {
	c := caller(r)
	ctx := r.Context()
	id := r.PathValue("id")
	st := formState{V: formValues(r), Err: map[string]string{}}
	this, err := m.store.Latest(ctx, c.Principal, id)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	var rel relation
	for _, x := range relations {
		if x.Key == st.V.Get("relation") {
			rel = x
		}
	}
	if rel.Key == "" {
		st.Err["relation"] = "Choose how the two are related."
	}
	target := strings.TrimSpace(st.V.Get("target"))
	var other Version
	switch {
	case target == "":
		st.Err["target"] = "Give the id of the other object, such as indicator--…; it is on that object's page."
	case target == id:
		st.Err["target"] = "An object cannot be related to itself here; give another object's id."
	default:
		if other, err = m.store.Latest(ctx, c.Principal, target); err != nil {
			if web.StatusOf(err) >= 500 {
				web.WriteError(w, r, err)
				return
			}
			st.Err["target"] = fmt.Sprintf("There is no object %s that you may see.", target)
		}
	}
	if len(st.Err) == 0 {
		src, dst := this, other
		if rel.Reverse {
			src, dst = other, this
		}
		strict := this
		if other.TLP.Rank() > this.TLP.Rank() {
			strict = other
		}
		now := time.Now()
		obj, findings, err := buildObject(relationshipProps(rel.Type, src.StixID, dst.StixID, strict.TLP, now))
		if err != nil {
			web.WriteError(w, r, err)
			return
		}
		if msg := findingsText(findings); msg != "" {
			st.Err["form"] = msg
		} else {
			sub, err := m.submission(ctx, r, c, Sharing{}, SourceForm)
			if err == nil {
				sub.DefaultTLP = strict.TLP
				if sub.Grants, err = m.audienceOf(ctx, strict); err == nil {
					err = m.ingestOne(ctx, sub, []stix.Object{obj})
				}
			}
			if err == nil {
				http.Redirect(w, r, objectURL(id)+"?related=1#relationships", http.StatusSeeOther)
				return
			}
			if web.StatusOf(err) >= 500 {
				web.WriteError(w, r, err)
				return
			}
			st.Err["form"] = errs.MessageOf(err)
		}
	}
	m.showObject(w, r, http.StatusBadRequest, func(d *objectData) { d.Relate = st })
}

// audienceOf is who may see v, as grants for something derived from it:
// its audience without AMBER extensions (those were the recipient's
// decision about v alone), its owner, and for TLP:RED its submitter. The
// owner comes from the masked version, so an anonymous owner is not
// written into a new audience where its name could be read.
func (m *Module) audienceOf(ctx context.Context, v Version) ([]access.Grant, error) {
	aud, err := m.store.Audience(ctx, v.ItemID)
	if err != nil {
		return nil, err
	}
	var out []access.Grant
	for _, g := range aud {
		if g.ExtendedBy == "" {
			out = append(out, g)
		}
	}
	switch {
	case v.TLP == access.Red:
		out = append(out, access.Grant{Kind: access.GrantUser, ID: v.CreatedBy})
	case v.OwnerOrg != "":
		out = append(out, access.Grant{Kind: access.GrantOrg, ID: v.OwnerOrg})
	}
	return out, nil
}

func objectURL(id string) string { return "/sharing/objects/" + url.PathEscape(id) }

// formValues returns the posted form; a body that cannot be parsed is an
// empty form, which then fails validation like one.
func formValues(r *http.Request) url.Values {
	if err := r.ParseForm(); err != nil {
		return url.Values{}
	}
	return r.PostForm
}
