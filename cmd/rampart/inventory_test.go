package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// inventoryWorld is a data directory with one organization.
func inventoryWorld(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if _, errOut, code := runWithStdin(t, "", "--data", dir, "org", "add", "Example County", "--kind", "local"); code != 0 {
		t.Fatalf("org add: %s", errOut)
	}
	return dir
}

func inventoryFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

const inventoryCSV = "kind,value,version\n" +
	"cidr,203.0.113.0/24,\n" +
	"cidr,203.0.113.7/24,\n" + // host bits: kept with a warning, and the same entry
	"cidr,not-a-network,\n" +
	"domain,County.Example,\n" +
	"cpe,cpe:2.3:a:apache:http_server,\n" +
	"purl,pkg:npm/lodash,4.17.20\n"

func TestInventoryImportAndList(t *testing.T) {
	t.Parallel()
	dir := inventoryWorld(t)
	file := inventoryFile(t, "inventory.csv", inventoryCSV)
	out, errOut, code := runWithStdin(t, "", "--data", dir, "inventory", "import", "--org", "Example County", file)
	if code != 1 {
		t.Fatalf("exit %d, want 1 (lines rejected): %s %s", code, out, errOut)
	}
	for _, want := range []string{
		"(csv) into Example County: 3 added, 1 kept, 2 rejected",
		"line 4: rejected: cidr not-a-network: not an IP address or network",
		"line 6: rejected: cpe cpe:2.3:a:apache:http_server: 3 attributes",
		"line 3: warning: host bits were set; stored as 203.0.113.0/24",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	out, _, code = runWithStdin(t, "", "--data", dir, "inventory", "list", "--org", "Example County")
	if code != 0 || !strings.Contains(out, "KIND") || !strings.Contains(out, "pkg:npm/lodash@4.17.20") || !strings.Contains(out, "cli") {
		t.Fatalf("list: %d\n%s", code, out)
	}
	out, _, code = runWithStdin(t, "", "--data", dir, "inventory", "list", "--org", "Example County", "--json")
	var entries []map[string]any
	if err := json.Unmarshal([]byte(out), &entries); err != nil || code != 0 || len(entries) != 3 {
		t.Fatalf("list --json: %d %v\n%s", code, err, out)
	}
	if entries[0]["kind"] != "cidr" || entries[2]["version"] != "4.17.20" {
		t.Errorf("entries %v", entries)
	}

	// The JSON listing imports again: nothing new, nothing rejected.
	listing := inventoryFile(t, "listing.json", out)
	out, _, code = runWithStdin(t, "", "--data", dir, "inventory", "import", "--org", "Example County", "--json", listing)
	var rep inventoryReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != 0 || rep.Added != 0 || rep.Kept != 3 || len(rep.Rejected) != 0 || rep.Format != "json" {
		t.Fatalf("re-import: %d %v %+v", code, err, rep)
	}

	// From standard input, detected by content, replacing everything.
	out, _, code = runWithStdin(t, "[{\"kind\":\"asn\",\"value\":\"64500\"}]", "--data", dir, "inventory", "import", "--org", "Example County", "--replace", "-")
	if code != 0 || !strings.Contains(out, "(json) into Example County: 1 added, 0 kept, 0 rejected, 3 removed") {
		t.Fatalf("replace: %d %s", code, out)
	}
	// --replace with a rejected line changes nothing.
	bad := inventoryFile(t, "bad.csv", "kind,value\ndomain,a.example\ndomain,nope\n")
	out, _, code = runWithStdin(t, "", "--data", dir, "inventory", "import", "--org", "Example County", "--replace", bad)
	if code != 1 || !strings.Contains(out, "nothing was changed") || !strings.Contains(out, "0 added") {
		t.Fatalf("replace with rejections: %d %s", code, out)
	}
	out, _, _ = runWithStdin(t, "", "--data", dir, "inventory", "list", "--org", "Example County", "--kind", "asn", "--json")
	if !strings.Contains(out, "AS64500") || strings.Contains(out, "a.example") {
		t.Fatalf("after the refused replace: %s", out)
	}

	// Every import is in the audit log with the actor cli, and it verifies.
	out, _, code = runWithStdin(t, "", "--data", dir, "audit", "list", "--action", "inventory.", "--json")
	if code != 0 || strings.Count(out, `"action": "inventory.import"`) != 2 || strings.Count(out, `"action": "inventory.replace"`) != 1 || !strings.Contains(out, `"actor_label": "cli"`) {
		t.Fatalf("audit: %d %s", code, out)
	}
	if _, errOut, code := runWithStdin(t, "", "--data", dir, "audit", "verify"); code != 0 {
		t.Fatalf("audit verify: %s", errOut)
	}
}

func TestInventoryUsage(t *testing.T) {
	t.Parallel()
	dir := inventoryWorld(t)
	file := inventoryFile(t, "inventory.csv", "kind,value\ndomain,county.example\n")
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"inventory", "import", file}, 2, "--org"},
		{[]string{"inventory", "import", "--org", "Example County"}, 2, "accepts 1 arg"},
		{[]string{"inventory", "import", "--org", "Example County", filepath.Join(dir, "missing.csv")}, 2, "no such file"},
		{[]string{"inventory", "import", "--org", "Example County", "--format", "xml", file}, 2, "--format"},
		{[]string{"inventory", "import", "--org", "Nowhere", file}, 1, `There is no organization "Nowhere"`},
		{[]string{"inventory", "list"}, 2, "--org"},
		{[]string{"inventory", "list", "--org", "Example County", "--kind", "router"}, 2, "--kind"},
		{[]string{"inventory", "import", "--org", "Example County", inventoryFile(t, "empty.csv", "")}, 1, "empty"},
		{[]string{"inventory", "import", "--org", "Example County", inventoryFile(t, "h.csv", "type,value\n")}, 1, "unknown column"},
	}
	for _, tc := range cases {
		args := append([]string{"--data", dir}, tc.args...)
		_, errOut, code := runWithStdin(t, "", args...)
		if code != tc.code || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d %q, want %d with %q", tc.args, code, errOut, tc.code, tc.want)
		}
	}
}
