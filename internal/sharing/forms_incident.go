package sharing

import (
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/rampart-project/rampart/internal/platform/access"
	"github.com/rampart-project/rampart/internal/platform/identity"
	"github.com/rampart-project/rampart/stix"
)

// An incident report is a STIX incident with the Incident Core Extension
// (version 2.0 of the OASIS extension: determination, investigation
// status, criticality 0–100, incident types, impacted entity counts).
// Neither STIX nor the extension has a "first seen" for an incident (the
// extension suite records times on separate event objects); the form
// keeps it as the custom property x_rampart_first_seen rather than make a
// county create an event object to say when it noticed. An indicator that
// detected the incident is linked with the extension's "detected"
// relationship.
var incidentForm = &formKind{
	Kind: "incident", Title: "Report an incident", DefaultTLP: access.Amber,
	defaults: func(m *Module, r *http.Request, c *identity.Caller, f *formData) {
		f.V.Set("determination", "suspected")
		f.V.Set("investigation_status", "new")
		// An incident report goes to the coordinators unless the reporter
		// unticks them.
		if orgs, err := m.recipientOrgs(r.Context(), c); err == nil {
			for _, o := range orgs {
				if o.Kind == identity.KindCoordinator {
					f.V.Add("share_with", "org:"+o.ID)
				}
			}
		}
	},
	build: buildIncident,
}

var incidentFields = []string{"name", "description", "determination", "investigation_status", "criticality", "incident_types"}

func buildIncident(m *Module, r *http.Request, c *identity.Caller, f *formData, tlp access.TLP, now time.Time) []stix.Object {
	inc := sdoProps("incident", tlp, now)
	inc["name"] = f.required("name", "Name the incident, such as “Ransomware on the payroll server”.")
	if s := f.text("description"); s != "" {
		inc["description"] = s
	}
	ext := map[string]any{"extension_type": "property-extension"}
	pick := func(name string, opts []choice, msg string) {
		v := f.text(name)
		if !slices.ContainsFunc(opts, func(o choice) bool { return o.Value == v }) {
			f.Err[name] = msg
			return
		}
		ext[name] = v
	}
	pick("determination", determinations, "Choose a determination; “suspected” until you know more.")
	pick("investigation_status", investigationStatuses, "Choose where the investigation stands.")
	if n, ok := intField(f.formState, "criticality", 0, 100); ok {
		ext["criticality"] = n
	}
	if types := f.V["incident_types"]; len(types) > 0 {
		for _, t := range types {
			if !slices.ContainsFunc(incidentTypes, func(o choice) bool { return o.Value == t }) {
				f.Err["incident_types"] = fmt.Sprintf("%q is not an incident type this form offers.", t)
			}
		}
		ext["incident_types"] = types
	}
	counts := map[string]int{}
	for _, k := range entityKinds {
		if n, ok := intField(f.formState, "count_"+k.Value, 0, 999999999); ok {
			counts[k.Value] = n
		}
	}
	if len(counts) > 0 {
		ext["impacted_entity_counts"] = counts
	}
	if t := timeField(f.formState, "first_seen", false); !t.IsZero() {
		if t.After(now.Add(time.Minute)) {
			f.Err["first_seen"] = "First seen is in the future."
		}
		inc["x_rampart_first_seen"] = stix.FormatTimestamp(t)
	}
	inc["extensions"] = map[string]any{IncidentCoreExtension: ext}
	obj, findings, err := buildObject(inc)
	if err != nil {
		f.Problems = append(f.Problems, err.Error())
		return nil
	}
	f.place(findings, incidentFields...)
	out := []stix.Object{obj}
	if id := f.text("indicator"); id != "" {
		v, err := m.store.Latest(r.Context(), c.Principal, id)
		switch {
		case err != nil:
			f.Err["indicator"] = fmt.Sprintf("You may see no object with the id %s.", id)
		case v.Type != "indicator":
			f.Err["indicator"] = fmt.Sprintf("%s is a %s, not an indicator.", id, v.Type)
		default:
			rs, _ := rows(m.orgNames(r.Context()), []Version{v}, now)
			f.Refs = append(f.Refs, rs...)
			rel, findings, err := buildObject(relationshipProps("detected", v.StixID, obj.ID(), highest(tlp, v.TLP), now))
			if err != nil || len(findings) > 0 {
				f.Err["indicator"] = "The indicator cannot be linked: " + findingsText(findings)
			} else {
				out = append(out, rel)
			}
		}
	}
	return out
}
