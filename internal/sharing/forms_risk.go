package sharing

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/rampart-project/rampart/internal/platform/access"
	"github.com/rampart-project/rampart/internal/platform/identity"
	"github.com/rampart-project/rampart/stix"
)

// Risk information is one of three objects, chosen on the page: a
// vulnerability (a CVE, usually), a note on objects already shared, or a
// report that gathers them. One form with the kind in the URL keeps each
// variant short, instead of one long form where most fields do not apply.
var riskForm = &formKind{
	Kind: "risk", Title: "Share risk information", DefaultTLP: access.Green,
	defaults: func(m *Module, r *http.Request, c *identity.Caller, f *formData) {
		f.V.Set("kind", riskKind(r.URL.Query().Get("kind")))
		f.V.Set("published", localInput(time.Now()))
		if id := r.URL.Query().Get("for"); id != "" {
			f.V.Set("object_refs", id)
			m.refsField(r.Context(), c.Principal, f, "object_refs", false)
		}
	},
	build: buildRisk,
}

var riskKinds = []string{"vulnerability", "note", "report"}

func riskKind(s string) string {
	if slices.Contains(riskKinds, s) {
		return s
	}
	return "vulnerability"
}

var cveID = regexp.MustCompile(`^CVE-\d{4}-\d{4,}$`)

func buildRisk(m *Module, r *http.Request, c *identity.Caller, f *formData, tlp access.TLP, now time.Time) []stix.Object {
	kind := f.text("kind")
	if !slices.Contains(riskKinds, kind) {
		f.Err["kind"] = "Choose a vulnerability, a note or a report."
		f.V.Set("kind", riskKind(kind))
		return nil
	}
	props := sdoProps(kind, tlp, now)
	fields := []string{"description"}
	if s := f.text("description"); s != "" && kind != "note" {
		props["description"] = s
	}
	switch kind {
	case "vulnerability":
		fields = append(fields, "name", "external_references")
		name := f.required("name", "Name the vulnerability; for a CVE, its id, such as CVE-2024-3400.")
		props["name"] = name
		cve := strings.ToUpper(f.text("cve"))
		if cve == "" && cveID.MatchString(strings.ToUpper(name)) {
			cve = strings.ToUpper(name)
		}
		if cve != "" {
			if !cveID.MatchString(cve) {
				f.Err["cve"] = fmt.Sprintf("%q is not a CVE id such as CVE-2024-3400.", cve)
			}
			props["external_references"] = []map[string]string{{"source_name": "cve", "external_id": cve, "url": "https://www.cve.org/CVERecord?id=" + cve}}
		}
	case "note":
		fields = append(fields, "abstract", "content", "object_refs")
		if s := f.text("abstract"); s != "" {
			props["abstract"] = s
		}
		props["content"] = f.required("content", "Write the note.")
		props["object_refs"] = ids(m.refsField(r.Context(), c.Principal, f, "object_refs", true))
	case "report":
		fields = append(fields, "name", "published", "report_types", "object_refs")
		props["name"] = f.required("name", "Name the report.")
		published := timeField(f.formState, "published", false)
		if published.IsZero() {
			published = now
		}
		props["published"] = stix.FormatTimestamp(published)
		if types := f.V["report_types"]; len(types) > 0 {
			for _, t := range types {
				if !slices.Contains(reportTypes, t) {
					f.Err["report_types"] = fmt.Sprintf("%q is not a report type this form offers.", t)
				}
			}
			props["report_types"] = types
		}
		props["object_refs"] = ids(m.refsField(r.Context(), c.Principal, f, "object_refs", true))
	}
	obj, findings, err := buildObject(props)
	if err != nil {
		f.Problems = append(f.Problems, err.Error())
		return nil
	}
	f.place(findings, fields...)
	return []stix.Object{obj}
}
