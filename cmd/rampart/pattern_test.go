package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runWithStdin(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, func(string) string { return "" }, strings.NewReader(stdin), &out, &errOut)
	code := exitCode(err, &errOut)
	return out.String(), errOut.String(), code
}

func TestPatternCheck(t *testing.T) {
	out, _, code := runWithStdin(t, "", "pattern", "check", "[ipv4-addr:value = '198.51.100.1']")
	if code != 0 || out != "valid\n" {
		t.Fatalf("valid pattern: %d %q", code, out)
	}
	out, _, code = runWithStdin(t, "", "pattern", "check", "[ipv4-addr:value = '198.51.100.1'")
	if code != 1 || !strings.HasPrefix(out, "invalid: line 1, column") {
		t.Fatalf("invalid pattern: %d %q", code, out)
	}
	stdin := "[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']\n\n[domain-name:value = 'example.com'] WITHIN -5 SECONDS\n[x:y = 1]\n"
	out, _, code = runWithStdin(t, stdin, "pattern", "check")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 1 || len(lines) != 3 || lines[0] != "valid" || !strings.HasPrefix(lines[1], "invalid: ") || !strings.HasPrefix(lines[2], "invalid: ") {
		t.Fatalf("stdin: %d %q", code, out)
	}
	if _, errOut, code := runWithStdin(t, "", "pattern", "check", "--stix-version", "3.0", "[a:b = 1]"); code != 2 || !strings.Contains(errOut, "--stix-version") {
		t.Fatalf("bad version: %d %q", code, errOut)
	}
	// START/STOP take plain strings in STIX 2.0.
	p20 := "[ipv4-addr:value = '10.0.0.1'] START '2016-06-01T00:00:00Z' STOP '2016-07-01T00:00:00Z'"
	if _, _, code := runWithStdin(t, "", "pattern", "check", "--stix-version", "2.0", p20); code != 0 {
		t.Fatalf("2.0 pattern rejected: %d", code)
	}
}

const bundle = `{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[
 {"type":"observed-data","spec_version":"2.1","id":"observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf",
  "created":"2016-04-06T19:58:16.000Z","modified":"2016-04-06T19:58:16.000Z",
  "first_observed":"2015-12-21T19:00:00Z","last_observed":"2015-12-21T19:00:00Z","number_observed":1,
  "object_refs":["ipv4-addr--efcd5e80-570d-4131-b213-62cb18eaa6a8"]},
 {"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--efcd5e80-570d-4131-b213-62cb18eaa6a8","value":"198.51.100.3"}]}`

func TestPatternMatch(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "bundle.json")
	if err := os.WriteFile(file, []byte(bundle), 0o600); err != nil {
		t.Fatal(err)
	}
	out, _, code := runWithStdin(t, "", "pattern", "match", "[ipv4-addr:value ISSUBSET '198.51.100.0/24']", file)
	if code != 0 || !strings.Contains(out, "observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf") {
		t.Fatalf("match: %d %q", code, out)
	}
	out, _, code = runWithStdin(t, bundle, "pattern", "match", "[ipv4-addr:value = '203.0.113.9']", "-")
	if code != 1 || !strings.HasPrefix(out, "no match") {
		t.Fatalf("no match: %d %q", code, out)
	}
	_, errOut, code := runWithStdin(t, "", "pattern", "match", "[ipv4-addr:value = ", file)
	if code != 2 || !strings.Contains(errOut, "invalid pattern") {
		t.Fatalf("bad pattern: %d %q", code, errOut)
	}
	_, errOut, code = runWithStdin(t, "{not json", "pattern", "match", "[ipv4-addr:value = '1.2.3.4']", "-")
	if code != 2 || !strings.HasPrefix(errOut, "rampart: -: ") {
		t.Fatalf("bad input: %d %q", code, errOut)
	}
	_, errOut, code = runWithStdin(t, "", "pattern", "match", "[ipv4-addr:value = '1.2.3.4']", filepath.Join(dir, "missing.json"))
	if code != 2 || !strings.Contains(errOut, "no such file") {
		t.Fatalf("missing file: %d %q", code, errOut)
	}
}
