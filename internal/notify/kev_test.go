package notify_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampart-project/rampart/internal/notify"
)

func TestCVSS3BaseScore(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		vector string
		want   float64
	}{
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0},
		{"CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 8.8},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1},
		{"CVSS:3.0/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N", 5.5},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0},
	} {
		got, err := notify.CVSS3BaseScore(tc.vector)
		if err != nil || got != tc.want {
			t.Errorf("%s = %v, %v; want %v", tc.vector, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "CVSS:2.0/AV:N", "CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H"} {
		if _, err := notify.CVSS3BaseScore(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestKEVProductsMatchInventoryCPEs(t *testing.T) {
	t.Parallel()
	m := notify.NewMatcher()
	must(t, m.SetOrg("state", []notify.Item{{Kind: notify.KindCPE, Value: "cpe:2.3:o:paloaltonetworks:pan-os:10.2.8:*:*:*:*:*:*:*"}}))
	must(t, m.SetOrg("vpn", []notify.Item{{Kind: notify.KindCPE, Value: "cpe:2.3:a:ivanti:connect_secure:22.7:*:*:*:*:*:*:*"}}))
	hits := m.MatchSoftware(notify.Affected{ID: "CVE-2024-3400", Products: notify.KEVProducts("Palo Alto Networks", "PAN-OS")})
	if len(hits) != 1 || hits[0].OrgID != "state" {
		t.Errorf("PAN-OS: %+v", hits)
	}
	hits = m.MatchSoftware(notify.Affected{ID: "CVE-2025-22457", Products: notify.KEVProducts("Ivanti", "Connect Secure, Policy Secure, and ZTA Gateways")})
	if len(hits) != 1 || hits[0].OrgID != "vpn" {
		t.Errorf("Connect Secure: %+v", hits)
	}
	if hits := m.MatchSoftware(notify.Affected{Products: notify.KEVProducts("Palo Alto Networks", "Expedition")}); len(hits) != 0 {
		t.Errorf("Expedition matched: %+v", hits)
	}
}

// TestKEVCatalog reads the real catalog when the workspace has it.
func TestKEVCatalog(t *testing.T) {
	t.Parallel()
	f, err := os.Open("/work/shared/data/kev/known_exploited_vulnerabilities.json")
	if err != nil {
		t.Skip("no KEV catalog here")
	}
	defer f.Close()
	cat, bad, err := notify.ParseKEV(f)
	if err != nil || len(bad) > 0 || len(cat.Vulnerabilities) < 1000 {
		t.Fatalf("%d entries, %v, %v", len(cat.Vulnerabilities), bad, err)
	}
	o, err := notify.KEVObject(cat.Vulnerabilities[0])
	must(t, err)
	if !strings.HasPrefix(o.ID(), "vulnerability--") || !bytes.Contains(o.Raw(), []byte("x_cisa_kev_due_date")) {
		t.Errorf("object: %s", o.Raw())
	}
	again, _ := notify.KEVObject(cat.Vulnerabilities[0])
	if again.ID() != o.ID() {
		t.Errorf("ids differ between imports: %s %s", o.ID(), again.ID())
	}
}

// TestCVERecords converts the workspace's CVE JSON 5 records and checks
// that their CPEs reach the matcher.
func TestCVERecords(t *testing.T) {
	t.Parallel()
	files, _ := filepath.Glob("/work/shared/data/cve/records/*.json")
	if len(files) == 0 {
		t.Skip("no CVE records here")
	}
	withAffected := 0
	for _, path := range files {
		data, err := os.ReadFile(path)
		must(t, err)
		rec, err := notify.ParseCVERecord(data)
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		o, err := notify.CVEObject(rec)
		must(t, err)
		var body struct {
			Affected notify.Affected `json:"x_rampart_affected"`
		}
		must(t, json.Unmarshal(o.Raw(), &body))
		if len(body.Affected.Products) > 0 {
			withAffected++
		}
	}
	if withAffected == 0 {
		t.Errorf("no record carried affected products")
	}
	// The CNA scores CVE-2024-4978 with CVSS 3.1 (8.4) and an ADP with
	// CVSS 4.0 (8.7): the newer version wins.
	if data, err := os.ReadFile("/work/shared/data/cve/records/CVE-2024-4978.json"); err == nil {
		rec, err := notify.ParseCVERecord(data)
		must(t, err)
		o, err := notify.CVEObject(rec)
		must(t, err)
		var body struct {
			Score  float64 `json:"x_rampart_cvss_score"`
			Vector string  `json:"x_rampart_cvss_vector"`
		}
		must(t, json.Unmarshal(o.Raw(), &body))
		if body.Score != 8.7 || !strings.HasPrefix(body.Vector, "CVSS:4.0/") {
			t.Errorf("CVE-2024-4978 scored %v %q, want the CVSS 4.0 score 8.7", body.Score, body.Vector)
		}
	}
}

func FuzzParseKEV(f *testing.F) {
	f.Add([]byte(`{"vulnerabilities":[{"cveID":"CVE-2024-3400","vendorProject":"Palo Alto Networks","product":"PAN-OS","dateAdded":"2024-04-12"}]}`))
	f.Add([]byte(`{"vulnerabilities":[{"cveID":"x","dateAdded":"no"}]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		cat, _, err := notify.ParseKEV(bytes.NewReader(data))
		if err != nil {
			return
		}
		for _, v := range cat.Vulnerabilities {
			if _, err := notify.KEVObject(v); err != nil {
				t.Fatalf("valid entry %+v: %v", v, err)
			}
		}
	})
}

func FuzzParseCVERecord(f *testing.F) {
	f.Add([]byte(`{"dataType":"CVE_RECORD","cveMetadata":{"cveId":"CVE-2023-1234","state":"PUBLISHED","datePublished":"2023-01-02T03:04:05"},
		"containers":{"cna":{"affected":[{"vendor":"a","product":"b","versions":[{"version":"1.0","status":"affected","lessThan":"2.0"}]}],
		"metrics":[{"cvssV3_1":{"baseScore":9.8,"vectorString":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}}]}}}`))
	f.Add([]byte(`{"cveMetadata":{"cveId":"CVE-1-2"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		rec, err := notify.ParseCVERecord(data)
		if err != nil {
			return
		}
		if _, err := notify.CVEObject(rec); err != nil {
			t.Fatalf("valid record: %v", err)
		}
	})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
