package main

import (
	"compress/gzip"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// importWorld is a data directory with one organization and a community.
func importWorld(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if _, errOut, code := runWithStdin(t, "", "--data", dir, "org", "add", "State of Meridian", "--kind", "state"); code != 0 {
		t.Fatalf("org add: %s", errOut)
	}
	if _, errOut, code := runWithStdin(t, "", "--data", dir, "community", "add", "Meridian SLTT", "--owner", "State of Meridian"); code != 0 {
		t.Fatalf("community add: %s", errOut)
	}
	return dir
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

const halfValidBundle = `{"type":"bundle","id":"bundle--0a6e1c4e-8f4b-4ad4-9d6f-3b7a0c2e1f10","objects":[
{"type":"indicator","spec_version":"2.1","id":"indicator--1f0c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e01","created":"2026-11-01T00:00:00.000Z","modified":"2026-11-01T00:00:00.000Z",
 "pattern":"[domain-name:value = 'update-check.example']","pattern_type":"stix","valid_from":"2026-11-01T00:00:00Z"},
{"type":"indicator","spec_version":"2.1","id":"indicator--1f0c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e02","created":"2026-11-01T00:00:00.000Z","modified":"2026-11-01T00:00:00.000Z",
 "pattern":"[domain-name:value = ","pattern_type":"stix","valid_from":"2026-11-01T00:00:00Z"},
"not an object"
]}`

func TestImportHalfValidBundle(t *testing.T) {
	dir := importWorld(t)
	file := writeFile(t, "mixed.json", halfValidBundle)
	out, errOut, code := runWithStdin(t, "", "--data", dir, "import", file, "--org", "State of Meridian", "--tlp", "green", "--share-with", "Meridian SLTT", "--quiet")
	if code != 1 {
		t.Fatalf("exit %d, want 1 (objects rejected): %s %s", code, out, errOut)
	}
	for _, want := range []string{"3 read, 1 added, 0 unchanged, 2 rejected", "objects[1] indicator--1f0c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e02: pattern:", "objects[2]"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// Again: the good one is unchanged, nothing is lost.
	out, _, _ = runWithStdin(t, "", "--data", dir, "import", file, "--org", "State of Meridian", "--json")
	var sum importSummary
	if err := json.Unmarshal([]byte(out), &sum); err != nil || sum.Unchanged != 1 || sum.Added != 0 || sum.Rejected != 2 || len(sum.Problems) != 2 {
		t.Fatalf("second import: %v %s", err, out)
	}
}

func TestImportFormats(t *testing.T) {
	dir := importWorld(t)
	// gzipped, whatever the name says.
	gz := filepath.Join(t.TempDir(), "bundle.data")
	f, err := os.Create(gz)
	must(t, err)
	zw := gzip.NewWriter(f)
	_, _ = zw.Write([]byte(halfValidBundle))
	must(t, zw.Close())
	must(t, f.Close())
	if out, _, _ := runWithStdin(t, "", "--data", dir, "import", gz, "--org", "State of Meridian", "--quiet"); !strings.Contains(out, "(stix): 3 read, 1 added") {
		t.Fatalf("gzipped bundle: %s", out)
	}

	csv := writeFile(t, "indicators.csv", "type,value,name\nipv4-addr,198.51.100.23,Scanner\ndomain-name,bad domain,Broken\nurl,http://login-portal.example/x,Phish\n")
	out, _, code := runWithStdin(t, "", "--data", dir, "import", csv, "--org", "State of Meridian", "--quiet")
	if code != 1 || !strings.Contains(out, "(csv): 2 read, 2 added") || !strings.Contains(out, "line 3") {
		t.Fatalf("csv: %d %s", code, out)
	}

	misp := writeFile(t, "event.json", `{"Event":{"uuid":"5e1f0a2b-3c4d-4e5f-8a6b-7c8d9e0f1a2b","info":"Phishing wave against county payroll","date":"2026-11-20",
"timestamp":"1763600000","published":true,"Orgc":{"name":"State of Meridian SOC","uuid":"6f2a1b3c-4d5e-4f6a-9b7c-8d9e0f1a2b3c"},
"Tag":[{"name":"tlp:green"}],
"Attribute":[{"uuid":"7a3b2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d","type":"domain","category":"Network activity","value":"payroll-verify.example","to_ids":true,"timestamp":"1763600000"}]}}`)
	out, errOut, code := runWithStdin(t, "", "--data", dir, "import", misp, "--org", "State of Meridian", "--quiet")
	if code != 0 || !strings.Contains(out, "(misp):") || strings.Contains(out, " 0 added") {
		t.Fatalf("misp: %d %s %s", code, out, errOut)
	}

	if _, errOut, code := runWithStdin(t, "", "--data", dir, "import", csv); code != 2 || !strings.Contains(errOut, "--org") {
		t.Fatalf("no submitter: %d %s", code, errOut)
	}
	if _, errOut, code := runWithStdin(t, "", "--data", dir, "import", "/nonexistent.json", "--org", "State of Meridian"); code == 0 || !strings.Contains(errOut, "/nonexistent.json") {
		t.Fatalf("missing file: %d %s", code, errOut)
	}
}

// TestImportATTACK imports the whole ATT&CK Enterprise bundle, as the
// issue asks, when the shared data is beside the repository.
func TestImportATTACK(t *testing.T) {
	if testing.Short() {
		t.Skip("imports 24,771 objects")
	}
	file := "../../../shared/data/mitre-attack/enterprise-attack-18.1-stix21-reconstructed.json.gz"
	if _, err := os.Stat(file); err != nil {
		t.Skip("shared data not present:", err)
	}
	dir := importWorld(t)
	out, errOut, code := runWithStdin(t, "", "--data", dir, "import", file, "--org", "State of Meridian", "--tlp", "clear", "--json")
	var sum importSummary
	if err := json.Unmarshal([]byte(out), &sum); code != 0 || err != nil {
		t.Fatalf("exit %d: %v %s %s", code, err, out, errOut)
	}
	if sum.Read != 24771 || sum.Added != 24771 || sum.Rejected != 0 {
		t.Fatalf("summary: %+v", sum)
	}
}
