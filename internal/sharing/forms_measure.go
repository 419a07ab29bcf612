package sharing

import (
	"net/http"
	"strings"
	"time"

	"github.com/rampart-project/rampart/internal/platform/access"
	"github.com/rampart-project/rampart/internal/platform/identity"
	"github.com/rampart-project/rampart/stix"
)

// A defensive measure is a course-of-action and a "mitigates"
// relationship to each object it answers. Each relationship is marked
// with the stricter of the measure's TLP and its target's: it names the
// target, so it must not reach anyone the target does not.
var measureForm = &formKind{
	Kind: "defensive-measure", Title: "Share a defensive measure", DefaultTLP: access.Green,
	defaults: func(m *Module, r *http.Request, c *identity.Caller, f *formData) {
		if id := r.URL.Query().Get("for"); id != "" {
			f.V.Set("targets", id)
			m.refsField(r.Context(), c.Principal, f, "targets", false)
		}
	},
	build: buildMeasure,
}

func buildMeasure(m *Module, r *http.Request, c *identity.Caller, f *formData, tlp access.TLP, now time.Time) []stix.Object {
	coa := sdoProps("course-of-action", tlp, now)
	coa["name"] = f.required("name", "Name the measure, such as “Block outbound SMB at the perimeter”.")
	desc, steps := f.text("description"), f.text("steps")
	if steps != "" {
		desc = strings.TrimSpace(desc + "\n\nSteps:\n" + steps)
	}
	if desc != "" {
		coa["description"] = desc
	}
	targets := m.refsField(r.Context(), c.Principal, f, "targets", false)
	obj, findings, err := buildObject(coa)
	if err != nil {
		f.Problems = append(f.Problems, err.Error())
		return nil
	}
	f.place(findings, "name", "description")
	out := []stix.Object{obj}
	for _, t := range targets {
		rel, findings, err := buildObject(relationshipProps("mitigates", obj.ID(), t.StixID, highest(tlp, t.TLP), now))
		if err != nil || len(findings) > 0 {
			f.Err["targets"] = "A measure cannot be linked to " + t.StixID + ": " + findingsText(findings)
			continue
		}
		out = append(out, rel)
	}
	return out
}
