package notify_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/rampart-project/rampart/internal/notify"
	"github.com/rampart-project/rampart/internal/platform/errs"
)

const mixedCSV = "\ufeffKind, Value ,VERSION\n" +
	"cidr,203.0.113.0/24,\n" +
	"cidr,203.0.113.300/24,\n" + // bad address
	"# a comment\n" +
	"\n" +
	"domain,County.Example\n" + // version column left out
	"cpe,cpe:2.3:a:apache:http_server:*:*:*:*:*:*:*:*,2.4.57\n" +
	"cpe,cpe:2.3:a:apache,\n" + // too few attributes
	"url,\"https://portal.county.example/a,b\",\n" + // quoted comma
	"asn,AS64500,,extra\n" + // too many fields
	"cidr,\"203.0.113.9\n" + // unterminated quote swallows the rest
	"domain,later.example,\n"

func TestParseCSV(t *testing.T) {
	t.Parallel()
	p, err := notify.ParseCSV(strings.NewReader(mixedCSV))
	if err != nil {
		t.Fatal(err)
	}
	want := []notify.Item{
		item("cidr", "203.0.113.0/24", ""),
		item("domain", "county.example", ""),
		item("cpe", "cpe:2.3:a:apache:http_server:2.4.57:*:*:*:*:*:*:*", "2.4.57"),
		item("url", "https://portal.county.example/a,b", ""),
	}
	if !reflect.DeepEqual(p.Items, want) {
		t.Errorf("items %v, want %v", p.Items, want)
	}
	if !reflect.DeepEqual(p.Lines, []int{2, 6, 7, 9}) {
		t.Errorf("lines %v", p.Lines)
	}
	wantRejected := []struct {
		line   int
		reason string
	}{{3, "CIDR notation: IPv4 field has value >255"}, {8, "attributes"}, {10, "4 fields"}, {11, "malformed CSV"}}
	if len(p.Rejected) != len(wantRejected) {
		t.Fatalf("rejected %v", p.Rejected)
	}
	for i, w := range wantRejected {
		if r := p.Rejected[i]; r.Line != w.line || !strings.Contains(r.Reason, w.reason) {
			t.Errorf("rejection %d = %+v, want line %d with %q", i, r, w.line, w.reason)
		}
	}
}

func TestParseCSVHeader(t *testing.T) {
	t.Parallel()
	p, err := notify.ParseCSV(strings.NewReader("version,value,kind\n1.2,pkg:npm/left-pad,purl\n"))
	if err != nil || len(p.Items) != 1 || p.Items[0] != item("purl", "pkg:npm/left-pad@1.2", "1.2") {
		t.Fatalf("columns in another order: %v %v", p, err)
	}
	for in, reason := range map[string]string{
		"":                        "empty",
		"kind\ncidr\n":            "kind,value,version",
		"kind,value,owner\n":      "unknown column \"owner\"",
		"kind,value,kind\n":       "appears twice",
		"203.0.113.0/24,cidr\n":   "unknown column",
		"kind,\"value\n":          "header",
		"\ufeff\n\nvalue,version": "kind,value,version",
	} {
		_, err := notify.ParseCSV(strings.NewReader(in))
		if err == nil || errs.CodeOf(err) != errs.Invalid || !strings.Contains(err.Error(), reason) {
			t.Errorf("ParseCSV(%q) = %v, want Invalid with %q", in, err, reason)
		}
	}
}

const mixedJSON = `[
  {"kind": "cidr", "value": "2001:db8::/32"},
  {"kind": "cidr", "value": "2001:db8::/129"},
  "not an object",
  {"kind": "domain", "value": "county.example", "owner": "pat"},
  {"kind": "asn", "value": 64500},
  {"kind": "purl", "value": "pkg:npm/lodash", "version": "4.17.20"},
  {"value": "county.example"},
  {"id": "0190", "org_id": "x", "added_at": "2026-11-01T00:00:00Z", "added_by": "cli", "kind": "email-domain", "value": "county.example"},
  {"kind": "domain", "value": "mail.county.example"} {"kind": "domain"}
]`

func TestParseJSON(t *testing.T) {
	t.Parallel()
	p, err := notify.ParseJSON(strings.NewReader(mixedJSON))
	if err != nil {
		t.Fatal(err)
	}
	want := []notify.Item{
		item("cidr", "2001:db8::/32", ""),
		item("purl", "pkg:npm/lodash@4.17.20", "4.17.20"),
		item("email-domain", "county.example", ""),
		item("domain", "mail.county.example", ""),
	}
	if !reflect.DeepEqual(p.Items, want) {
		t.Errorf("items %v, want %v", p.Items, want)
	}
	if !reflect.DeepEqual(p.Lines, []int{2, 7, 9, 10}) {
		t.Errorf("lines %v", p.Lines)
	}
	wantRejected := []struct {
		line   int
		reason string
	}{{3, "CIDR"}, {4, "must be an object"}, {5, "unknown field \"owner\""}, {6, "value must be a string"}, {8, "no kind"}, {10, "malformed JSON"}}
	if len(p.Rejected) != len(wantRejected) {
		t.Fatalf("rejected %+v", p.Rejected)
	}
	for i, w := range wantRejected {
		if r := p.Rejected[i]; r.Line != w.line || !strings.Contains(r.Reason, w.reason) {
			t.Errorf("rejection %d = %+v, want line %d with %q", i, r, w.line, w.reason)
		}
	}

	// An {"items": [...]} object, as an API would send it.
	p, err = notify.ParseJSON(strings.NewReader(`{"note": {"x": [1]}, "items": [{"kind": "asn", "value": "AS64500"}]}`))
	if err != nil || len(p.Items) != 1 || p.Items[0] != item("asn", "AS64500", "") {
		t.Errorf("items object: %+v %v", p, err)
	}
	for in, reason := range map[string]string{
		`"x"`:           "array",
		`{"other": []}`: "no \"items\"",
		`{"items": 1}`:  "must be an array",
		`[`:             "",
	} {
		p, err := notify.ParseJSON(strings.NewReader(in))
		if reason == "" {
			if err != nil || len(p.Items) != 0 {
				t.Errorf("ParseJSON(%q) = %+v, %v", in, p, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), reason) {
			t.Errorf("ParseJSON(%q) = %v, want %q", in, err, reason)
		}
	}
}

func TestParseDetects(t *testing.T) {
	t.Parallel()
	for in, n := range map[string]int{
		"\n  [{\"kind\":\"asn\",\"value\":\"1\"}]":    1,
		"\ufeff{\"items\":[]}":                        0,
		"kind,value\nasn,1\nasn,2\n":                  2,
		"\ufeff\r\nkind,value\r\nasn,1\r\n":           1,
		"\n\nkind,value\ndomain,bad domain.example\n": 0,
	} {
		p, err := notify.Parse(strings.NewReader(in))
		if err != nil || len(p.Items) != n {
			t.Errorf("Parse(%q) = %+v, %v; want %d items", in, p, err, n)
		}
	}
	// Lines are counted from the top of the file, blank lines included.
	p, _ := notify.Parse(strings.NewReader("\n\nkind,value\ndomain,bad domain.example\n"))
	if len(p.Rejected) != 1 || p.Rejected[0].Line != 4 {
		t.Errorf("rejections %+v, want line 4", p.Rejected)
	}
	if _, err := notify.Parse(strings.NewReader(" \n\t")); err == nil {
		t.Error("an empty file parsed")
	}
}
