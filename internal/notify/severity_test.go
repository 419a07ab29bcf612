package notify

import (
	"strings"
	"testing"

	"github.com/rampart-project/rampart/internal/platform/identity"
)

func TestSeverityRule(t *testing.T) {
	t.Parallel()
	score := func(f float64) *float64 { return &f }
	conf := func(c int) *int { return &c }
	for _, tc := range []struct {
		name    string
		typ     string
		f       fields
		certain bool
		want    Severity
	}{
		{"critical CVSS", "vulnerability", fields{CVSSScore: score(9.8)}, true, SeverityCritical},
		{"vector only", "vulnerability", fields{CVSSVector: "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H"}, true, SeverityHigh},
		{"no score", "vulnerability", fields{}, true, SeverityMedium},
		{"KEV without score", "vulnerability", fields{KEVDateAdded: "2024-04-12"}, false, SeverityHigh},
		{"KEV keeps critical", "vulnerability", fields{KEVDateAdded: "2024-04-12", CVSSScore: score(10)}, true, SeverityCritical},
		{"possible match is lower", "vulnerability", fields{CVSSScore: score(9.1)}, false, SeverityHigh},
		{"low CVSS", "vulnerability", fields{CVSSScore: score(3.1)}, true, SeverityLow},
		{"indicator, no confidence", "indicator", fields{}, true, SeverityHigh},
		{"indicator, confident", "indicator", fields{Confidence: conf(95)}, true, SeverityCritical},
		{"indicator, doubtful", "indicator", fields{Confidence: conf(30)}, true, SeverityMedium},
		{"indicator, guess", "indicator", fields{Confidence: conf(10)}, true, SeverityLow},
		{"malware", "malware", fields{}, true, SeverityMedium},
	} {
		if got := severityOf(tc.typ, tc.f, tc.certain); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
}

func TestTargetingBySectorFlagAndRegion(t *testing.T) {
	t.Parallel()
	orgs := []identity.Organization{
		{ID: "water", Sectors: []string{"water"}, StateFIPS: "52", CountyFIPS: "001"},
		{ID: "elections", Sectors: []string{"election-infrastructure"}, Flags: []string{"election"}, StateFIPS: "52", CountyFIPS: "003"},
		{ID: "elsewhere", Sectors: []string{"energy"}, StateFIPS: "06"},
	}
	got := map[string]string{}
	for _, c := range targeting(fields{Labels: []string{"election"}, Sectors: []string{"water"}, Regions: []string{"fips:52003"}}, orgs) {
		got[c.OrgID] += c.Reason + ";"
	}
	if !strings.Contains(got["water"], "x_rampart_sectors") || !strings.Contains(got["elections"], `label "election"`) ||
		!strings.Contains(got["elections"], "county") || got["elsewhere"] != "" {
		t.Errorf("targeting: %v", got)
	}
}
