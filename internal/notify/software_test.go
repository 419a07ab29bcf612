package notify_test

import (
	"encoding/json"
	"maps"
	"testing"

	"github.com/rampart-project/rampart/internal/notify"
)

func softwareWorld(t *testing.T) *notify.Matcher {
	return buildMatcher(t, world{
		"old":      {item("cpe", "cpe:2.3:a:apache:http_server:2.4.57:*:*:*:*:*:*:*", "")},
		"new":      {item("cpe", "cpe:2.3:a:apache:http_server:*:*:*:*:*:*:*:*", "2.4.58")},
		"unknown":  {item("cpe", "cpe:2.3:a:apache:http_server:*:*:*:*:*:*:*:*", "")},
		"ancient":  {item("cpe", "cpe:2.3:a:apache:http_server:2.2.34:*:*:*:*:*:*:*", "")},
		"nginx":    {item("cpe", "cpe:2.3:a:f5:nginx:1.25.3:*:*:*:*:*:*:*", "")},
		"winbox":   {item("cpe", "cpe:2.3:o:microsoft:windows_10:1809:*:*:*:*:*:*:*", "")},
		"arm":      {item("cpe", "cpe:2.3:o:microsoft:windows_10:1809:*:*:*:*:*:arm64:*", "")},
		"npm-old":  {item("purl", "pkg:npm/%40babel/traverse@7.22.0", "")},
		"npm-new":  {item("purl", "pkg:npm/@babel/traverse", "7.23.2")},
		"npm-pre":  {item("purl", "pkg:npm/@babel/traverse", "7.23.2-rc.1")},
		"py":       {item("purl", "pkg:pypi/Django@4.2.6", "")},
		"maven":    {item("purl", "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", "")},
		"noversio": {item("purl", "pkg:maven/org.apache.logging.log4j/log4j-core", "")},
	})
}

func softHits(hits []notify.Hit) map[string]bool {
	out := map[string]bool{}
	for _, h := range hits {
		out[h.OrgID] = h.Uncertain
	}
	return out
}

func TestMatchSoftwareNVD(t *testing.T) {
	t.Parallel()
	m := softwareWorld(t)
	hits := m.MatchSoftware(notify.Affected{ID: "CVE-2023-0001", CPEMatches: []notify.CPEMatch{{
		Criteria:              "cpe:2.3:a:apache:http_server:*:*:*:*:*:*:*:*",
		VersionStartIncluding: "2.4.0", VersionEndExcluding: "2.4.58",
	}}})
	if got, want := softHits(hits), map[string]bool{"old": false, "unknown": true}; !maps.Equal(got, want) {
		t.Errorf("range: %v, want %v", got, want)
	}
	for _, h := range hits {
		if h.OrgID == "old" && h.Reason != "CVE-2023-0001 affects apache http_server >= 2.4.0, < 2.4.58; your cpe:2.3:a:apache:http_server:2.4.57:*:*:*:*:*:*:* is version 2.4.57" {
			t.Errorf("reason %q", h.Reason)
		}
	}
	// A criterion naming one version; 2.2.34 = 2.2.34.0.
	hits = m.MatchSoftware(notify.Affected{CPEMatches: []notify.CPEMatch{{Criteria: "cpe:2.3:a:apache:http_server:2.2.34.0:*:*:*:*:*:*:*"}}})
	if got, want := softHits(hits), map[string]bool{"ancient": false, "unknown": true}; !maps.Equal(got, want) {
		t.Errorf("one version: %v, want %v", got, want)
	}
	// The hardware attribute: arm64 is not x64; the entry without one may be.
	hits = m.MatchSoftware(notify.Affected{CPEMatches: []notify.CPEMatch{{Criteria: "cpe:2.3:o:microsoft:windows_10:1809:*:*:*:*:*:x64:*"}}})
	if got, want := softHits(hits), map[string]bool{"winbox": true}; !maps.Equal(got, want) {
		t.Errorf("target_hw: %v, want %v", got, want)
	}
	// Wildcards in the product: checked against every software entry.
	hits = m.MatchSoftware(notify.Affected{CPEMatches: []notify.CPEMatch{{Criteria: "cpe:2.3:*:*:ngin*:*:*:*:*:*:*:*:*", VersionEndIncluding: "1.25.3"}}})
	if got, want := softHits(hits), map[string]bool{"nginx": false}; !maps.Equal(got, want) {
		t.Errorf("wildcards: %v, want %v", got, want)
	}
	// Part left open: found under each part.
	hits = m.MatchSoftware(notify.Affected{CPEMatches: []notify.CPEMatch{{Criteria: "cpe:2.3:*:microsoft:windows_10:*:*:*:*:*:*:*:*"}}})
	if got, want := softHits(hits), map[string]bool{"winbox": false, "arm": false}; !maps.Equal(got, want) {
		t.Errorf("part *: %v, want %v", got, want)
	}
	// Unreadable parts are skipped, and Validate says so.
	bad := notify.Affected{CPEMatches: []notify.CPEMatch{{Criteria: "cpe:/a:apache"}}, Packages: []notify.PackageRange{{PURL: "pkg:npm/x", Versions: ">="}}}
	if len(m.MatchSoftware(bad)) != 0 || bad.Validate() == nil {
		t.Error("an unreadable criterion matched or validated")
	}
}

func TestMatchSoftwareCVE5(t *testing.T) {
	t.Parallel()
	m := softwareWorld(t)
	// As a CVE JSON 5 record carries it.
	const affected = `[{
		"vendor": "Apache Software Foundation", "product": "Apache HTTP Server",
		"cpes": ["cpe:2.3:a:apache:http_server:*:*:*:*:*:*:*:*"],
		"defaultStatus": "unaffected",
		"versions": [{"version": "2.4.0", "lessThan": "2.4.58", "status": "affected", "versionType": "custom",
		              "changes": [{"at": "2.4.57", "status": "unaffected"}]},
		             {"version": "2.2.34", "status": "affected"}]
	}, {
		"collectionURL": "https://www.npmjs.com", "packageName": "@babel/traverse",
		"defaultStatus": "unaffected",
		"versions": [{"version": "0", "lessThan": "7.23.2", "status": "affected", "versionType": "semver"}]
	}, {
		"vendor": "f5", "product": "nginx", "defaultStatus": "affected",
		"versions": [{"version": "1.25.3", "status": "unaffected"}]
	}]`
	var products []notify.Product
	if err := json.Unmarshal([]byte(affected), &products); err != nil {
		t.Fatal(err)
	}
	hits := m.MatchSoftware(notify.Affected{ID: "CVE-2023-0002", Products: products})
	want := map[string]bool{
		"ancient": false, // 2.2.34, listed on its own
		"unknown": true,  // no version
		"npm-old": false, // 7.22.0 < 7.23.2
		"npm-pre": false, // 7.23.2-rc.1 precedes 7.23.2 in semver
	}
	// "old" (2.4.57) is unaffected by the change, "new" (2.4.58) is
	// outside the range, nginx 1.25.3 is listed as unaffected.
	if got := softHits(hits); !maps.Equal(got, want) {
		t.Errorf("CVE 5: %v, want %v", got, want)
	}

	// Vendor and product alone are read as CPE vendor and product.
	hits = m.MatchSoftware(notify.Affected{Products: []notify.Product{{Vendor: "F5", Product: "NGINX", DefaultStatus: "affected"}}})
	if got := softHits(hits); !maps.Equal(got, map[string]bool{"nginx": false}) {
		t.Errorf("vendor/product: %v", got)
	}
	// A packageURL, and a Maven package by collection.
	hits = m.MatchSoftware(notify.Affected{Products: []notify.Product{{
		CollectionURL: "https://repo.maven.apache.org/maven2", PackageName: "org.apache.logging.log4j:log4j-core",
		Versions: []notify.ProductVersion{{Version: "2.0-beta9", LessThan: "2.15.0", Status: "affected", VersionType: "maven"}},
	}, {
		PackageURL: "pkg:pypi/django", Versions: []notify.ProductVersion{{Version: "4.2", LessThan: "4.2.7", Status: "affected"}},
	}}})
	if got := softHits(hits); !maps.Equal(got, map[string]bool{"maven": false, "noversio": true, "py": false}) {
		t.Errorf("packages: %v", got)
	}
}

func TestMatchSoftwarePackages(t *testing.T) {
	t.Parallel()
	m := softwareWorld(t)
	hits := m.MatchSoftware(notify.Affected{Packages: []notify.PackageRange{
		{PURL: "pkg:npm/%40babel/traverse", Versions: "vers:npm/<7.23.2"},
		{PURL: "pkg:maven/org.apache.logging.log4j/log4j-core@2.0", Versions: ">=2.0-beta9|<2.15.0"},
	}})
	want := map[string]bool{"npm-old": false, "npm-pre": false, "maven": false, "noversio": true}
	if got := softHits(hits); !maps.Equal(got, want) {
		t.Errorf("packages: %v, want %v", got, want)
	}
	// The same entry named twice keeps one hit, the certain one.
	hits = m.MatchSoftware(notify.Affected{Packages: []notify.PackageRange{
		{PURL: "pkg:pypi/django", Versions: "*"}, {PURL: "pkg:pypi/DJANGO", Versions: "vers:pypi/>=4.0"},
	}})
	if len(hits) != 1 || hits[0].OrgID != "py" || hits[0].Uncertain {
		t.Errorf("duplicates: %+v", hits)
	}
}

func TestMatchSoftwareObservable(t *testing.T) {
	t.Parallel()
	m := softwareWorld(t)
	cases := map[string]map[string]bool{
		"cpe:2.3:a:apache:http_server:2.4.57:*:*:*:*:*:*:*": {"old": false, "unknown": true},
		"cpe:2.3:a:apache:http_server:*:*:*:*:*:*:*:*":      {"old": true, "new": true, "unknown": true, "ancient": true},
		"pkg:npm/%40babel/traverse@7.23.2":                  {"npm-new": false},
		"pkg:maven/org.apache.logging.log4j/log4j-core":     {"maven": true, "noversio": true},
		"not software": {},
	}
	for value, want := range cases {
		got := softHits(m.Match(notify.Observable{Type: "software", Value: value}))
		if !maps.Equal(got, want) {
			t.Errorf("software %s: %v, want %v", value, got, want)
		}
	}
}
