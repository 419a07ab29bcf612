package sharing_test

import (
	"context"
	"encoding/json"
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/rampart-project/rampart/internal/platform/access"
	"github.com/rampart-project/rampart/internal/sharing"
	"github.com/rampart-project/rampart/stix"
)

var createdRE = regexp.MustCompile(`^/sharing/objects/([a-z-]+--[0-9a-f-]{36})\?created=1$`)

// created checks that a form stored its object and sent the browser to
// its page, and returns the new object's id.
func created(t *testing.T, what string, code int, body, location string) string {
	t.Helper()
	m := createdRE.FindStringSubmatch(location)
	if code != 303 || m == nil {
		t.Fatalf("%s: status %d, location %q, want 303 to the new object\n%.3000s", what, code, location, body)
	}
	return m[1]
}

// stored returns the stored object as the API gives it, checked against
// the specification.
func (m *member) stored(id string) (sharing.Version, stix.Object) {
	m.s.t.Helper()
	v, err := m.s.store.Latest(context.Background(), m.p, id)
	if err != nil {
		m.s.t.Fatalf("%s: %v", id, err)
	}
	obj, err := v.Object()
	if err != nil {
		m.s.t.Fatal(err)
	}
	for _, f := range stix.Validate(obj) {
		if f.Severity == stix.Error {
			m.s.t.Errorf("%s is not valid STIX: %s", id, f)
		}
	}
	return v, obj
}

func TestIndicatorForm(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *site) {
		birch := s.member("analyst@birch.example")
		sltt, err := s.ids.Community(context.Background(), "Meridian SLTT", birch.p)
		if err != nil {
			t.Fatal(err)
		}
		ncc, _ := s.ids.OrgByName(context.Background(), "National Cyber Coordination Center")
		mpl, _ := s.ids.OrgByName(context.Background(), "Meridian Power & Light")

		code, body := birch.get("/sharing/new/indicator")
		expect(t, "new form", code, body, 200, []string{
			`value="community:` + sltt.ID + `"`, `value="org:` + ncc.ID + `"`, "Ashford County", `<option value="GREEN" selected>`,
		}, []string{mpl.ID, "Meridian Power", "Birch County <"})
		if pageTLP(body) != "AMBER" {
			t.Errorf("the form names communities and organizations; it is marked TLP:%s", pageTLP(body))
		}

		// "From a value": the pattern is made for the value, defanged or not.
		for value, want := range map[string]string{
			"hxxp://evil[.]example/login": "[url:value = 'http://evil.example/login']",
			"198.51.100.7":                "[ipv4-addr:value = '198.51.100.7']",
			"203.0.113.0/24":              "[ipv4-addr:value ISSUBSET '203.0.113.0/24']",
			"Evil.Example.":               "[domain-name:value = 'evil.example']",
			strings.Repeat("ab", 32):      "[file:hashes.'SHA-256' = '" + strings.Repeat("ab", 32) + "']",
		} {
			code, body := birch.get("/sharing/new/indicator?value=" + url.QueryEscape(value))
			expect(t, "value "+value, code, body, 200, []string{html.EscapeString(want)}, nil)
		}
		code, body = birch.get("/sharing/new/indicator?value=" + url.QueryEscape("not a value"))
		expect(t, "not a value", code, body, 400, []string{`id="err-value"`, `href="#f-value"`}, nil)

		// A bad pattern: the form comes back with what was typed, the error
		// at its line and column, and the character marked.
		bad := "[ipv4-addr:value = '198.51.100.7']\nOR [domain-name:value = 'evil.example' AND]"
		form := url.Values{"name": {"Kept name"}, "description": {"Kept description"}, "pattern": {bad}, "valid_from": {"2026-03-01T12:00"},
			"indicator_types": {"malicious-activity"}, "confidence": {"80"}, "tlp": {"GREEN"}, "share_with": {"community:" + sltt.ID}}
		code, body, _ = birch.submit("/sharing/new/indicator", form)
		expect(t, "bad pattern", code, body, 400, []string{
			`aria-describedby="err-pattern pattern-mark" aria-invalid="true">` + html.EscapeString(bad) + `</textarea>`,
			`<span class="field-error" id="err-pattern">Line 2, column 43: `,
			html.EscapeString("OR [domain-name:value = 'evil.example' AND") + `<mark title="line 2, column 43">]</mark>`,
			`value="Kept name"`, "Kept description", `value="80"`, `<option value="GREEN" selected>`,
			`value="community:` + sltt.ID + `" checked`, `href="#f-pattern"`,
		}, []string{"Shared."})

		// An audience the level does not use is refused, not ignored.
		form.Set("pattern", "[ipv4-addr:value = '198.51.100.7']")
		form.Add("share_with", "org:"+ncc.ID)
		code, body, _ = birch.submit("/sharing/new/indicator", form)
		expect(t, "GREEN to an organization", code, body, 400, []string{`id="err-share_with"`, "TLP:GREEN goes to communities"}, nil)
		form.Set("valid_until", "2026-02-01T00:00")
		form["share_with"] = []string{"community:" + sltt.ID}
		code, body, _ = birch.submit("/sharing/new/indicator", form)
		expect(t, "until before from", code, body, 400, []string{`id="err-valid_until"`}, nil)

		form.Del("valid_until")
		code, body, loc := birch.submit("/sharing/new/indicator", form)
		id := created(t, "indicator", code, body, loc)
		v, obj := birch.stored(id)
		if v.Source != sharing.SourceForm || v.TLP != access.Green || v.Name != "Kept name" || v.Confidence != 80 || obj.ObjectMarkingRefs()[0] != marking("green") {
			t.Errorf("stored: %+v", v)
		}
		code, body = birch.get(loc)
		expect(t, "after sharing", code, body, 200, []string{"Shared.", "the community Meridian SLTT", "Kept name", ">form, <"}, nil)
		if code, _ := s.member("analyst@skyline.example").get(loc); code != 404 {
			t.Errorf("outside the community: %d", code)
		}
		if code, body := s.member("analyst@cedar.example").get("/sharing?q=kept"); code != 200 || !strings.Contains(body, "Kept name") {
			t.Errorf("in the community's list: %d", code)
		}
	})
}

func TestDefensiveMeasureAndRiskForms(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *site) {
		ashford, birch := s.member("analyst@ashford.example"), s.member("analyst@birch.example")
		ashford.share(sharing.Submission{DefaultTLP: access.Green}, ind(uGreen, "Green beacon", "203.0.113.40"))
		ashford.share(sharing.Submission{DefaultTLP: access.Amber}, ind(uAmber, "Ashford's own", "203.0.113.41"))

		code, body := birch.get("/sharing/new/defensive-measure?for=indicator--" + uGreen)
		expect(t, "measure form for an object", code, body, 200, []string{"indicator--" + uGreen + "</textarea>", "The objects it names", "Green beacon"}, nil)

		form := url.Values{"name": {"Block the beacon"}, "steps": {"Add 203.0.113.40 to the deny list\nSearch proxy logs"},
			"targets": {"indicator--" + uGreen + "\nindicator--" + uAmber}, "tlp": {"GREEN"}}
		code, body, _ = birch.submit("/sharing/new/defensive-measure", form)
		expect(t, "measure naming a hidden object", code, body, 400, []string{`id="err-targets"`, "You may see no object with the id indicator--" + uAmber}, []string{"Ashford's own"})
		form.Set("targets", "indicator--"+uGreen)
		code, body, loc := birch.submit("/sharing/new/defensive-measure", form)
		coa := created(t, "measure", code, body, loc)
		_, obj := birch.stored(coa)
		if d, _ := obj.String("description"); !strings.Contains(d, "Steps:\nAdd 203.0.113.40") {
			t.Errorf("description %q", d)
		}
		_, body = ashford.get("/sharing/objects/indicator--" + uGreen)
		expect(t, "the indicator's page", 200, body, 200, []string{"← <strong>mitigates</strong> this", "Block the beacon"}, nil)

		// Risk: a CVE, a note on objects shared, a report.
		code, body, loc = birch.submit("/sharing/new/risk", url.Values{"kind": {"vulnerability"}, "name": {"cve-2024-3400"}, "description": {"PAN-OS GlobalProtect"}, "tlp": {"CLEAR"}})
		vuln := created(t, "vulnerability", code, body, loc)
		if _, obj := birch.stored(vuln); len(stix.CVEIDs(obj)) != 1 || stix.CVEIDs(obj)[0] != "CVE-2024-3400" {
			t.Errorf("CVE reference: %v", stix.CVEIDs(obj))
		}
		code, body, _ = birch.submit("/sharing/new/risk", url.Values{"kind": {"vulnerability"}, "name": {"GlobalProtect"}, "cve": {"CVE-24"}, "tlp": {"CLEAR"}})
		expect(t, "bad CVE", code, body, 400, []string{`id="err-cve"`, `value="GlobalProtect"`}, nil)
		code, body, _ = birch.submit("/sharing/new/risk", url.Values{"kind": {"note"}, "content": {"Patched here"}, "tlp": {"GREEN"}})
		expect(t, "note about nothing", code, body, 400, []string{`id="err-object_refs"`, "Patched here"}, nil)
		code, body, loc = birch.submit("/sharing/new/risk", url.Values{"kind": {"note"}, "content": {"Patched here"}, "object_refs": {vuln}, "tlp": {"GREEN"}})
		created(t, "note", code, body, loc)
		code, body, loc = birch.submit("/sharing/new/risk", url.Values{"kind": {"report"}, "name": {"Week 9"}, "published": {"2026-03-01T08:00"},
			"report_types": {"vulnerability"}, "object_refs": {vuln + "," + coa}, "tlp": {"GREEN"}})
		report := created(t, "report", code, body, loc)
		if _, obj := birch.stored(report); len(obj.Strings("object_refs")) != 2 {
			t.Errorf("report refs: %v", obj.Strings("object_refs"))
		}
		code, body = birch.get("/sharing/new/risk?kind=report")
		expect(t, "report form", code, body, 200, []string{`<a href="/sharing/new/risk?kind=report" aria-current="page">`, `id="f-published"`}, []string{`id="f-cve"`})
	})
}

func TestIncidentReportRelateAndShareOnward(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *site) {
		ctx := context.Background()
		ashford, birch, coord := s.member("analyst@ashford.example"), s.member("analyst@birch.example"), s.member("admin@ncc.example")
		ashford.share(sharing.Submission{DefaultTLP: access.Green}, ind(uGreen, "Payroll beacon", "203.0.113.50"))
		ashford.share(sharing.Submission{DefaultTLP: access.Green}, ind(uAmber, "Second beacon", "203.0.113.51"))
		ncc, _ := s.ids.OrgByName(ctx, "National Cyber Coordination Center")

		code, body := ashford.get("/sharing/new/incident")
		expect(t, "incident form", code, body, 200, []string{`<option value="AMBER" selected>`, `value="org:` + ncc.ID + `" checked`, `<option value="suspected" selected>`}, nil)

		form := url.Values{"name": {"Ransomware on the payroll server"}, "description": {"Files encrypted overnight."},
			"determination": {"confirmed"}, "investigation_status": {"open"}, "criticality": {"150"}, "incident_types": {"compromised-system", "destruction"},
			"count_individual": {"120"}, "count_system": {"3"}, "first_seen": {"2026-03-01T02:10"}, "indicator": {"indicator--" + uGreen},
			"tlp": {"AMBER"}, "share_with": {"org:" + ncc.ID}, "anonymous": {"yes"}}
		code, body, _ = ashford.submit("/sharing/new/incident", form)
		expect(t, "bad incident", code, body, 400, []string{`id="err-determination"`, `id="err-criticality"`, `value="150"`, "Files encrypted overnight.", `value="120"`}, nil)

		form.Set("determination", "successful-attempt")
		form.Set("criticality", "70")
		code, body, loc := ashford.submit("/sharing/new/incident", form)
		incident := created(t, "incident", code, body, loc)
		v, obj := ashford.stored(incident)
		var ext struct {
			Type     string         `json:"extension_type"`
			Det      string         `json:"determination"`
			Status   string         `json:"investigation_status"`
			Crit     int            `json:"criticality"`
			Types    []string       `json:"incident_types"`
			Counts   map[string]int `json:"impacted_entity_counts"`
			Unwanted map[string]any `json:"-"`
		}
		if err := json.Unmarshal(obj.Extensions()[sharing.IncidentCoreExtension], &ext); err != nil || ext.Type != "property-extension" || ext.Det != "successful-attempt" ||
			ext.Status != "open" || ext.Crit != 70 || len(ext.Types) != 2 || ext.Counts["individual"] != 120 || ext.Counts["system"] != 3 {
			t.Errorf("extension: %+v %v", ext, err)
		}
		if fs, _ := obj.String("x_rampart_first_seen"); fs != "2026-03-01T02:10:00.000Z" || !v.Anonymous || v.TLP != access.Amber {
			t.Errorf("incident: first seen %q, %+v", fs, v)
		}

		// The county and the coordinators see it; another county does not,
		// nor the relationship to the indicator, which is as restricted as
		// the incident.
		if code, _ := birch.get(loc); code != 404 {
			t.Errorf("another county: %d", code)
		}
		_, body = birch.get("/sharing/objects/indicator--" + uGreen)
		expect(t, "the indicator, for another county", 200, body, 200, nil, []string{"<strong>detected</strong>", incident})
		code, body = coord.get("/sharing/objects/" + incident)
		expect(t, "the coordinator", code, body, 200, []string{"Determination", "successful-attempt", "Impacted entities", "individual: 120; system: 3",
			"Ashford County", "← <strong>detected</strong> this", `id="share-onward"`}, nil)
		_, body = ashford.get("/sharing/objects/" + incident)
		expect(t, "the reporter", 200, body, 200, []string{"your organization, anonymously", "National Cyber Coordination Center"}, []string{`id="share-onward"`})

		// The coordinator relates it to a second indicator...
		code, body, loc = coord.submit("/sharing/objects/"+incident+"/relate", url.Values{"relation": {"detected-by"}, "target": {"indicator--" + uAmber}})
		if code != 303 || !strings.Contains(loc, "?related=1") {
			t.Fatalf("relate: %d %s\n%.2000s", code, loc, body)
		}
		_, body = coord.get(loc)
		expect(t, "related", 200, body, 200, []string{"Second beacon", "The relationship is stored"}, nil)

		// ...and shares it onward in a report of its own.
		if code, _ := birch.get("/sharing/objects/" + incident + "/share"); code != 403 {
			t.Errorf("share onward by a county: %d", code)
		}
		code, body = coord.get("/sharing/objects/" + incident + "/share")
		expect(t, "share onward form", code, body, 200, []string{"Coordinator report: Ransomware on the payroll server", `value="indicator--` + uGreen + `" checked`,
			`value="indicator--` + uAmber + `" checked`, "its reporter stays anonymous"}, nil)
		code, body, _ = coord.submit("/sharing/objects/"+incident+"/share", url.Values{"name": {"Ransomware in Meridian"}, "tlp": {"GREEN"}})
		expect(t, "share onward without a summary", code, body, 400, []string{`id="err-description"`}, nil)
		code, body, loc = coord.submit("/sharing/objects/"+incident+"/share", url.Values{"name": {"Ransomware in Meridian"},
			"description": {"A county's payroll server was encrypted; block these."}, "include": {"indicator--" + uGreen}, "tlp": {"GREEN"}, "share_with": {"community:all-members"}})
		report := created(t, "share onward", code, body, loc)
		if _, obj := coord.stored(report); strings.Join(obj.Strings("object_refs"), " ") != incident+" indicator--"+uGreen {
			t.Errorf("report refs: %v", obj.Strings("object_refs"))
		}
		code, body = birch.get("/sharing/objects/" + report)
		expect(t, "the report, for another county", code, body, 200, []string{"Ransomware in Meridian", "National Cyber Coordination Center", incident + "</code> <span class=\"meta\">not shared with you", "Payroll beacon"},
			[]string{"Ashford County", "Ransomware on the payroll server"})
		if code, _ := birch.get("/sharing/objects/" + incident); code != 404 {
			t.Errorf("the incident itself after sharing onward: %d", code)
		}
	})
}
