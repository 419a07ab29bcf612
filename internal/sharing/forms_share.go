package sharing

import (
	"net/http"
	"slices"
	"time"

	"github.com/rampart-project/rampart/internal/platform/access"
	"github.com/rampart-project/rampart/internal/platform/errs"
	"github.com/rampart-project/rampart/internal/platform/identity"
	"github.com/rampart-project/rampart/stix"
)

// Sharing onward is how a coordinator passes on what an entity reported
// to a wider audience. It does not store the entity's object again with
// a wider audience, nor a new version of it: the object, its TLP and its
// anonymity are the submitter's decision, and a new version would put
// the coordinator's words under the submitter's name. The coordinator
// writes its own report instead — a summary in its own words, at its own
// TLP, to the communities it picks — that refers to the object and to the
// indicators related to it. Recipients see the coordinator's report and
// the indicators they may see; the original object stays with its
// audience, so a county that reported anonymously stays anonymous.
var shareForm = &formKind{
	Kind: "share", Title: "Share onward", DefaultTLP: access.Green,
	defaults: func(m *Module, r *http.Request, c *identity.Caller, f *formData) {
		v, ok := m.shareTarget(r, c, f)
		if !ok {
			return
		}
		f.V.Set("name", "Coordinator report: "+v.Name)
		for _, ch := range f.Related {
			f.V.Add("include", ch.Value)
		}
		f.markRelated()
	},
	build: buildShare,
}

// shareTarget loads the object shared onward and the indicators related
// to it, which the report may include.
func (m *Module) shareTarget(r *http.Request, c *identity.Caller, f *formData) (Version, bool) {
	ctx := r.Context()
	id := r.PathValue("id")
	v, err := m.store.Latest(ctx, c.Principal, id)
	if err != nil {
		f.Err["page"] = errs.MessageOf(err)
		return v, false
	}
	names := m.orgNames(ctx)
	rs, _ := rows(names, []Version{v}, time.Now())
	f.Target = &rs[0]
	rel, err := m.store.RelatedTo(ctx, c.Principal, id)
	if err != nil {
		f.Problems = append(f.Problems, "The related objects could not be loaded; try again.")
		return v, true
	}
	ns, _, _, err := m.neighbours(ctx, c.Principal, id, rel.Relationships)
	if err != nil {
		f.Problems = append(f.Problems, "The related objects could not be loaded; try again.")
		return v, true
	}
	var related []Version
	for _, nb := range ns {
		if nb.Visible && nb.Type == "indicator" {
			related = append(related, Version{StixID: nb.ID, Name: nb.Name, TLP: nb.TLP, Type: nb.Type})
			f.Related = append(f.Related, choice{Value: nb.ID, Label: nb.Name, Hint: "TLP:" + string(nb.TLP)})
		}
	}
	// Their names are on the page, so their levels count for its label.
	rs, _ = rows(names, related, time.Now())
	f.Refs = append(f.Refs, rs...)
	return v, true
}

// markRelated ticks the related indicators the form includes.
func (f *formData) markRelated() {
	for i := range f.Related {
		f.Related[i].Selected = slices.Contains(f.V["include"], f.Related[i].Value)
	}
}

func buildShare(m *Module, r *http.Request, c *identity.Caller, f *formData, tlp access.TLP, now time.Time) []stix.Object {
	v, ok := m.shareTarget(r, c, f)
	if !ok {
		return nil
	}
	f.markRelated()
	report := sdoProps("report", tlp, now)
	report["name"] = f.required("name", "Name the report.")
	report["description"] = f.required("description", "Summarise what the recipients need to know, in your words: the original stays with its audience.")
	report["published"] = stix.FormatTimestamp(now)
	report["report_types"] = []string{"threat-report"}
	refs := []string{v.StixID}
	for _, ch := range f.Related {
		if ch.Selected {
			refs = append(refs, ch.Value)
		}
	}
	report["object_refs"] = refs
	obj, findings, err := buildObject(report)
	if err != nil {
		f.Problems = append(f.Problems, err.Error())
		return nil
	}
	f.place(findings, "name", "description")
	return []stix.Object{obj}
}
