package convert_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rampart-project/rampart/internal/platform/errs"
	"github.com/rampart-project/rampart/internal/sharing/convert"
	"github.com/rampart-project/rampart/stix"
)

// csvFile has a good or a bad line on each line; csvCases says which.
// The header is in a different order and case from the documentation.
const csvFile = "\ufeffValue,TYPE,name,valid_from,valid_until,confidence,labels,tlp,indicator_types,description\n" +
	"198.51.100.7,ipv4-addr,C2 server,2024-01-01T00:00:00Z,2024-06-01,80,c2; apt ;c2,amber,malicious-activity,seen in March\n" + // 2
	"10.0.0.0/8,ipv4-addr,,,,,,,,\n" + // 3
	"2001:DB8::1,ipv6-addr,,,,,,,,\n" + // 4
	"Evil.Example,domain-name,,,,,,,,\n" + // 5
	"http://evil.example/a'b,url,,,,,,,,\n" + // 6
	"a@evil.example,email-addr,,,,,,,,\n" + // 7
	"0749bae92ca336a02c83d126e04ec628,file:md5,,,,,,,,\n" + // 8
	"b3c4ae251f8094fa15b510051835c657eaef2a6cea46075d3aec964b14a99f68,file:sha256,,,,,,,,\n" + // 9
	`C:\Temp\a.exe,file:name,,,,,,,,` + "\n" + // 10
	"198.51.100.8,ip-dst,,2024-02-01,,0,,TLP:RED,,\n" + // 11
	"77b0c41b7d340b8a3d903f21347bbf06aa766b5b,SHA1,,,,100,,white,,\n" + // 12
	"1BoatSLRHtKNngkdXEeobR76b53LETtpyT,bitcoin,,,,,,,,\n" + // 13
	"2001:db8::2,ipv4-addr,,,,,,,,\n" + // 14
	"300.1.1.1,ipv4-addr,,,,,,,,\n" + // 15
	"x.example,domain-name,,yesterday,,,,,,\n" + // 16
	"y.example,domain-name,,2024-03-01,2024-02-01,,,,,\n" + // 17
	"z.example,domain-name,,,,150,,,,\n" + // 18
	"w.example,domain-name,,,,high,,,,\n" + // 19
	"v.example,domain-name,,,,,,purple,,\n" + // 20
	"u.example,domain-name,too,few\n" + // 21
	"198.51.100.7,ipv4-addr,duplicate of line 2,,,,,,,\n" + // 22
	"\"http://evil.example/\nsplit\",url,,,,,,,,\n" + // 23-24
	"nothex,file:sha1,,,,,,,,\n" + // 25
	",,,,,,,,,\n" + // 26: empty, skipped
	"t.example,domain-name,,,2024-01-01,,,,,\n" // 27

var csvCases = []struct {
	line    int
	pattern string // for a good line
	reason  string // for a bad line
}{
	{2, `[ipv4-addr:value = '198.51.100.7']`, ""},
	{3, `[ipv4-addr:value ISSUBSET '10.0.0.0/8']`, ""},
	{4, `[ipv6-addr:value = '2001:db8::1']`, ""},
	{5, `[domain-name:value = 'evil.example']`, ""},
	{6, `[url:value = 'http://evil.example/a\'b']`, ""},
	{7, `[email-addr:value = 'a@evil.example']`, ""},
	{8, `[file:hashes.MD5 = '0749bae92ca336a02c83d126e04ec628']`, ""},
	{9, `[file:hashes.'SHA-256' = 'b3c4ae251f8094fa15b510051835c657eaef2a6cea46075d3aec964b14a99f68']`, ""},
	{10, `[file:name = 'C:\\Temp\\a.exe']`, ""},
	{11, `[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = '198.51.100.8']`, ""},
	{12, `[file:hashes.'SHA-1' = '77b0c41b7d340b8a3d903f21347bbf06aa766b5b']`, ""},
	{13, "", `unknown type "bitcoin"`},
	{14, "", "ipv4-addr: not an IPv4 address or CIDR block"},
	{15, "", "ipv4-addr: not an IPv4 address or CIDR block"},
	{16, "", `valid_from: "yesterday" is not a date`},
	{17, "", "valid_until (2024-02-01T00:00:00.000Z) must be after valid_from (2024-03-01T00:00:00.000Z)"},
	{18, "", "confidence: 150 is out of range (0 to 100)"},
	{19, "", `confidence: "high" is not a whole number`},
	{20, "", `tlp: "purple" is not a TLP level`},
	{21, "", "wrong column count: 4 columns, the header has 10"},
	{23, "", "url: contains control characters"},
	{25, "", "file:sha1: not a SHA-1 hash"},
	{27, "", "valid_until (2024-01-01T00:00:00.000Z) must be after valid_from (2024-05-01T12:00:00.000Z)"},
}

func TestCSV(t *testing.T) {
	t.Parallel()
	res, err := convert.CSV(strings.NewReader(csvFile), opts())
	if err != nil {
		t.Fatal(err)
	}
	checkResult(t, res)
	patterns := map[string]stix.Object{}
	for _, o := range res.Objects {
		patterns[str(o, "pattern")] = o
	}
	good, bad := 0, 0
	for _, tc := range csvCases {
		where := "line " + strconv.Itoa(tc.line)
		if tc.reason != "" {
			bad++
			if !hasRejection(res.Rejected, where, tc.reason) {
				t.Errorf("%s: no rejection %q", where, tc.reason)
			}
			continue
		}
		good++
		if _, ok := patterns[tc.pattern]; !ok {
			t.Errorf("%s: no indicator %s", where, tc.pattern)
		}
	}
	if len(res.Objects) != good || len(res.Rejected) != bad {
		t.Errorf("%d objects, %d rejections; want %d and %d\n%v", len(res.Objects), len(res.Rejected), good, bad, res.Rejected)
	}
	if len(res.Warnings) != 1 || res.Warnings[0].Where != "line 22" || !strings.Contains(res.Warnings[0].Reason, "the same indicator as line 2") {
		t.Errorf("warnings %v, want line 22 as a duplicate", res.Warnings)
	}

	c2 := patterns[`[ipv4-addr:value = '198.51.100.7']`]
	for prop, want := range map[string]string{
		"name": "C2 server", "description": "seen in March", "valid_from": "2024-01-01T00:00:00.000Z",
		"valid_until": "2024-06-01T00:00:00.000Z", "created": "2024-01-01T00:00:00.000Z", "pattern_version": "2.1",
	} {
		if got := str(c2, prop); got != want {
			t.Errorf("%s = %q, want %q", prop, got, want)
		}
	}
	if c, _ := c2.Confidence(); c != 80 {
		t.Errorf("confidence %d", c)
	}
	if l := c2.Labels(); strings.Join(l, ",") != "c2,apt" {
		t.Errorf("labels %q", l)
	}
	if it := c2.Strings("indicator_types"); len(it) != 1 || it[0] != "malicious-activity" {
		t.Errorf("indicator_types %q", it)
	}
	for pattern, want := range map[string]string{
		`[ipv4-addr:value = '198.51.100.7']`: stix.TLPAmber,
		`[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = '198.51.100.8']`: stix.TLPRed,
		`[file:hashes.'SHA-1' = '77b0c41b7d340b8a3d903f21347bbf06aa766b5b']`:                              stix.TLPClear,
	} {
		if l, _ := stix.TLPOf(patterns[pattern].ObjectMarkingRefs()); l != want {
			t.Errorf("%s: TLP %q, want %q", pattern, l, want)
		}
	}
	// No valid_from: Options.Now for valid_from, created and modified.
	if got := str(patterns[`[domain-name:value = 'evil.example']`], "valid_from"); got != "2024-05-01T12:00:00.000Z" {
		t.Errorf("valid_from without a column value = %s", got)
	}
}

// TestCSVIdempotent: the id depends on type and value only, so a
// re-import, even with other names and at another time, names the same
// indicators.
func TestCSVIdempotent(t *testing.T) {
	t.Parallel()
	a, err := convert.CSV(strings.NewReader(csvFile), opts())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := convert.CSV(strings.NewReader(csvFile), opts())
	if raw(a) != raw(b) {
		t.Error("two conversions of the same file differ")
	}
	later := convert.Options{Now: func() time.Time { return fixed.Add(time.Hour) }}
	c, err := convert.CSV(strings.NewReader("type,value,name,valid_from\nipv4-addr,198.51.100.7,another name,2024-01-01\n"), later)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Objects) != 1 || c.Objects[0].ID() != a.Objects[0].ID() {
		t.Errorf("ids %v and %v differ", c.Objects, a.Objects[0].ID())
	}
	d, _ := convert.CSV(strings.NewReader("type,value\ndomain-name,evil.example\n"), opts())
	e, _ := convert.CSV(strings.NewReader("type,value\ndomain,EVIL.example\n"), opts())
	if d.Objects[0].ID() != e.Objects[0].ID() {
		t.Error("the same indicator spelt two ways has two ids")
	}
}

func TestCSVForms(t *testing.T) {
	t.Parallel()
	for name, data := range map[string]string{
		"tabs":     "type\tvalue\nipv4-addr\t198.51.100.7\n",
		"crlf":     "type,value\r\nipv4-addr,198.51.100.7\r\n",
		"spaces":   " Type , Value \nipv4-addr, 198.51.100.7\n",
		"extra":    "type,value,comment\nipv4-addr,198.51.100.7,ignored\n",
		"no final": "value,type\n198.51.100.7,ipv4-addr",
	} {
		res, err := convert.CSV(strings.NewReader(data), opts())
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		checkResult(t, res)
		if len(res.Objects) != 1 || str(res.Objects[0], "pattern") != `[ipv4-addr:value = '198.51.100.7']` || len(res.Rejected) != 0 {
			t.Errorf("%s: %d objects, rejected %v", name, len(res.Objects), res.Rejected)
		}
	}
	for name, data := range map[string]string{
		"empty":      "",
		"no value":   "type,name\nipv4-addr,x\n",
		"no type":    "value\n1.2.3.4\n",
		"duplicated": "type,value,Type\n",
		"bad header": "type,\"value\n",
	} {
		if _, err := convert.CSV(strings.NewReader(data), opts()); !errs.Is(err, errs.Invalid) {
			t.Errorf("%s: err = %v, want invalid", name, err)
		}
	}
}

// TestCSVBadQuotes: a malformed quote costs its line and the reader goes
// on; a quote never closed takes the rest of the file with it, as it
// does in every CSV reader.
func TestCSVBadQuotes(t *testing.T) {
	t.Parallel()
	res, err := convert.CSV(strings.NewReader("type,value\nipv4-addr,1.2\"3.4\nipv4-addr,198.51.100.7\nfile:name,\xff\nipv4-addr,\"1.2.3.4\nipv4-addr,5.6.7.8\n"), opts())
	if err != nil {
		t.Fatal(err)
	}
	checkResult(t, res)
	for _, r := range []struct{ where, reason string }{
		{"line 2", `malformed CSV: bare " in non-quoted-field`},
		{"line 4", "file:name: not valid UTF-8"},
		{"line 5", "malformed CSV"},
	} {
		if !hasRejection(res.Rejected, r.where, r.reason) {
			t.Errorf("no rejection %s %q in %v", r.where, r.reason, res.Rejected)
		}
	}
	if len(res.Objects) != 1 || len(res.Rejected) != 3 {
		t.Errorf("%d objects, rejected %v; want line 3's indicator and three rejections", len(res.Objects), res.Rejected)
	}
}

func TestCSVOptions(t *testing.T) {
	t.Parallel()
	o := opts()
	o.DefaultTLP, o.CreatedBy = "green", "identity--8c8d3a62-4c5f-4f8e-9f3b-1b2c3d4e5f60"
	res, err := convert.CSV(strings.NewReader("type,value,tlp\nurl,http://a.example/,\nurl,http://b.example/,red\n"), o)
	if err != nil {
		t.Fatal(err)
	}
	checkResult(t, res)
	for i, want := range []string{stix.TLPGreen, stix.TLPRed} {
		obj := res.Objects[i]
		if l, _ := stix.TLPOf(obj.ObjectMarkingRefs()); l != want || obj.CreatedByRef() != o.CreatedBy {
			t.Errorf("line %d: TLP %q created_by_ref %q", i+2, l, obj.CreatedByRef())
		}
	}
}
