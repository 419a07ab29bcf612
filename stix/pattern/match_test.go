package pattern

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// hardBundle is a STIX 2.1 bundle with network traffic, e-mail, files and
// processes, observed at different times.
const hardBundle = `{"type": "bundle", "id": "bundle--1", "objects": [
 {"type": "observed-data", "id": "observed-data--a", "first_observed": "2020-01-01T00:00:00Z", "last_observed": "2020-01-01T00:00:00Z", "number_observed": 1,
  "object_refs": ["network-traffic--1"]},
 {"type": "network-traffic", "id": "network-traffic--1", "src_ref": "ipv4-addr--1", "dst_ref": "ipv6-addr--1", "dst_port": 443, "protocols": ["ipv6", "tcp"]},
 {"type": "ipv4-addr", "id": "ipv4-addr--1", "value": "198.51.100.7"},
 {"type": "ipv6-addr", "id": "ipv6-addr--1", "value": "2001:db8:dead:beef::1"},

 {"type": "observed-data", "id": "observed-data--b", "first_observed": "2020-01-01T00:00:30Z", "last_observed": "2020-01-01T00:00:30Z", "number_observed": 1,
  "object_refs": ["email-message--1", "email-addr--1", "file--1"]},
 {"type": "email-message", "id": "email-message--1", "is_multipart": true, "from_ref": "email-addr--1", "subject": "Invoice 42",
  "body_multipart": [{"body": "hello"}, {"body_raw_ref": "file--1"}]},
 {"type": "email-addr", "id": "email-addr--1", "value": "mallory@evil.example"},
 {"type": "file", "id": "file--1", "name": "invoice.pdf.exe", "size": 4096,
  "hashes": {"SHA-256": "aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f", "MD5": "79054025255fb1a26e4bc422aef54eb4"},
  "extensions": {"windows-pebinary-ext": {"sections": [{"name": ".text", "entropy": 7.9}, {"name": ".data", "entropy": 2.1}]}},
  "matrix": [[1, 2], [3, 4]]},

 {"type": "observed-data", "id": "observed-data--c", "first_observed": "2020-01-01T00:10:00Z", "last_observed": "2020-01-01T00:10:00Z", "number_observed": 3,
  "object_refs": ["process--1"]},
 {"type": "process", "id": "process--1", "name": "evil.exe", "command_line": "evil.exe -add GlobalSign.cer -c -s -r localMachine Root"}
]}`

func mustObservations(t testing.TB, js string) []Observation {
	t.Helper()
	obs, err := ObservationsFromJSON([]byte(js))
	if err != nil {
		t.Fatal(err)
	}
	return obs
}

func TestMatchHardCases(t *testing.T) {
	obs := mustObservations(t, hardBundle)
	tests := []struct {
		pattern string
		want    bool
		ids     string // observed-data of the first match, comma-separated
	}{
		// dereferencing
		{"[network-traffic:src_ref.value = '198.51.100.7']", true, "observed-data--a"},
		{"[network-traffic:dst_ref.value ISSUBSET '2001:db8:dead:beef::/64']", true, ""},
		{"[network-traffic:dst_ref.value ISSUBSET '2001:db8:dead:bee0::/64']", false, ""},
		{"[network-traffic:src_ref.value ISSUBSET '198.51.100.0/24' AND network-traffic:dst_port = 443]", true, ""},
		{"[network-traffic:src_ref.value ISSUBSET '198.51.101.0/24']", false, ""},
		{"[network-traffic:src_ref.value ISSUBSET '2001:db8::/32']", false, ""},
		{"[ipv4-addr:value ISSUBSET '198.51.100.0/24']", false, ""}, // not in any object_refs
		{"[email-message:from_ref.value MATCHES '@evil\\\\.example$']", true, "observed-data--b"},
		{"[email-message:body_multipart[*].body_raw_ref.name LIKE '%.exe']", true, ""},
		{"[email-message:body_multipart[1].body_raw_ref.size > 4000]", true, ""},
		{"[email-message:body_multipart[0].body_raw_ref.size > 4000]", false, ""},
		{"[email-message:body_multipart[-1].body_raw_ref.name = 'invoice.pdf.exe']", true, ""},
		{"[email-message:from_ref.value = 'mallory@evil.example' AND email-message:subject LIKE 'Invoice%']", true, ""},
		// AND inside brackets must hold on one object
		{"[email-message:subject = 'Invoice 42' AND file:name = 'invoice.pdf.exe']", false, ""},
		{"[email-message:subject = 'Invoice 42' OR file:name = 'nope']", true, ""},
		// quoted keys, nested lists, [*]
		{"[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']", true, ""},
		{"[file:hashes.MD5 IN ('79054025255fb1a26e4bc422aef54eb4', '00000000000000000000000000000000')]", true, ""},
		{"[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.0]", true, ""},
		{"[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 8.0]", false, ""},
		{"[file:extensions.'windows-pebinary-ext'.sections[*].name NOT = '.text']", true, ""}, // any element
		{"[file:matrix[1][0] = 3]", true, ""},
		{"[file:matrix[*][*] = 4]", true, ""},
		{"[file:matrix[2][0] = 3]", false, ""},
		{"[EXISTS file:hashes.MD5]", true, ""},
		{"[EXISTS file:hashes.'SHA-1']", false, ""},
		// != means "exists and differs"
		{"[file:name != 'x']", true, ""},
		{"[file:owner != 'x']", false, ""},
		{"[file:size NOT > 5000]", true, ""},
		// MATCHES
		{"[process:command_line MATCHES '^.+-add GlobalSign.cer -c -s -r localMachine Root$']", true, "observed-data--c"},
		{"[process:name MATCHES '(?i)^EVIL\\\\.EXE$']", true, ""},
		// temporal: b is 30s after a, c is 10 minutes after
		{"[network-traffic:dst_port = 443] FOLLOWEDBY [email-message:subject = 'Invoice 42']", true, "observed-data--a,observed-data--b"},
		{"[email-message:subject = 'Invoice 42'] FOLLOWEDBY [network-traffic:dst_port = 443]", false, ""},
		{"([network-traffic:dst_port = 443] FOLLOWEDBY [email-message:subject = 'Invoice 42']) WITHIN 30 SECONDS", true, ""},
		{"([network-traffic:dst_port = 443] FOLLOWEDBY [email-message:subject = 'Invoice 42']) WITHIN 29.5 SECONDS", false, ""},
		{"([network-traffic:dst_port = 443] FOLLOWEDBY [process:name = 'evil.exe']) WITHIN 600 SECONDS", true, ""},
		{"([network-traffic:dst_port = 443] FOLLOWEDBY [process:name = 'evil.exe']) WITHIN 599 SECONDS", false, ""},
		{"[network-traffic:dst_port = 443] FOLLOWEDBY [email-message:subject = 'Invoice 42'] FOLLOWEDBY [process:name = 'evil.exe']", true, "observed-data--a,observed-data--b,observed-data--c"},
		// REPEATS counts number_observed
		{"[process:name = 'evil.exe'] REPEATS 3 TIMES", true, "observed-data--c"},
		{"[process:name = 'evil.exe'] REPEATS 4 TIMES", false, ""},
		{"[process:name = 'evil.exe'] AND [process:name = 'evil.exe']", true, ""},
		{"[file:size = 4096] AND [file:size = 4096]", false, ""},
		{"[file:size = 4096] REPEATS 2 TIMES", false, ""},
		// START/STOP
		{"[process:name = 'evil.exe'] START t'2020-01-01T00:10:00Z' STOP t'2020-01-01T00:10:01Z'", true, ""},
		{"[process:name = 'evil.exe'] START t'2020-01-01T00:09:00Z' STOP t'2020-01-01T00:10:00Z'", false, ""},
		// OR at the observation level
		{"[file:name = 'nope'] OR [process:name = 'evil.exe']", true, "observed-data--c"},
	}
	for _, tc := range tests {
		p, err := Parse(tc.pattern)
		if err != nil {
			t.Errorf("%s: %v", tc.pattern, err)
			continue
		}
		r, err := p.Match(obs)
		if err != nil {
			t.Errorf("%s: %v", tc.pattern, err)
			continue
		}
		if r.Matched != tc.want {
			t.Errorf("%s: matched=%v, want %v", tc.pattern, r.Matched, tc.want)
			continue
		}
		if tc.ids != "" {
			if got := strings.Join(r.ObservedData(), ","); got != tc.ids {
				t.Errorf("%s: bound %s, want %s", tc.pattern, got, tc.ids)
			}
		}
	}
}

func TestMatchBindings(t *testing.T) {
	obs := mustObservations(t, hardBundle)
	p, err := Parse("[file:name = 'nope'] OR ([network-traffic:dst_port = 443] FOLLOWEDBY [process:name = 'evil.exe'] REPEATS 2 TIMES)")
	if err != nil {
		t.Fatal(err)
	}
	r, err := p.Match(obs)
	if err != nil || !r.Matched {
		t.Fatalf("no match: %v", err)
	}
	got := fmt.Sprint(r.Bindings)
	want := "[{1 0 observed-data--a} {2 2 observed-data--c} {2 2 observed-data--c}]"
	if got != want {
		t.Errorf("bindings %s, want %s", got, want)
	}
}

func TestObservationsFromJSONForms(t *testing.T) {
	od := `{"type": "observed-data", "id": "observed-data--x", "first_observed": "2020-01-01T00:00:00Z", "last_observed": "2020-01-01T00:00:00Z", "number_observed": 1, "object_refs": ["ipv4-addr--1"]}`
	sco := `{"type": "ipv4-addr", "id": "ipv4-addr--1", "value": "10.0.0.1"}`
	od20 := `{"type": "observed-data", "id": "observed-data--y", "first_observed": "2020-01-01T00:00:00Z", "last_observed": "2020-01-01T00:00:00Z", "number_observed": 1, "objects": {"0": {"type": "ipv4-addr", "value": "10.0.0.1"}}}`
	bundle := `{"type": "bundle", "id": "bundle--1", "objects": [` + od + `,` + sco + `]}`
	p, err := Parse("[ipv4-addr:value = '10.0.0.1']")
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range []string{bundle, "[" + bundle + "," + bundle + "]", "[" + od + "," + sco + "]", od20, "[" + od20 + "]"} {
		obs, err := ObservationsFromJSON([]byte(in))
		if err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		if r, err := p.Match(obs); err != nil || !r.Matched {
			t.Errorf("%s: no match (%v)", in, err)
		}
	}
	for _, bad := range []string{`"x"`, `[[1]]`, `{"type": "observed-data", "number_observed": 1}`,
		`{"type": "observed-data", "first_observed": "2020-01-01T00:00:00Z", "last_observed": "2020-01-01T00:00:00Z", "number_observed": 0}`, `{`} {
		if _, err := ObservationsFromJSON([]byte(bad)); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
}

func TestMatchTooComplex(t *testing.T) {
	var b strings.Builder
	b.WriteString(`[`)
	for i := range 200 {
		if i > 0 {
			b.WriteString(",")
		}
		ts := fmt.Sprintf("2020-01-01T%02d:%02d:%02dZ", i/3600, i/60%60, i%60)
		fmt.Fprintf(&b, `{"type": "observed-data", "id": "observed-data--%d", "first_observed": %q, "last_observed": %q, "number_observed": 1, "objects": {"0": {"type": "file", "size": %d}}}`, i, ts, ts, i)
	}
	b.WriteString(`]`)
	obs := mustObservations(t, b.String())
	// Every combination is tried and rejected by WITHIN: C(200, 100) of them.
	p, err := Parse("[file:size >= 0] REPEATS 100 TIMES WITHIN 1 SECONDS")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.match(obs, 1<<14); !errors.Is(err, ErrTooComplex) {
		t.Errorf("got %v, want ErrTooComplex", err)
	}
	p, err = Parse("[file:size >= 0] REPEATS 100000 TIMES")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Match(obs); !errors.Is(err, ErrTooComplex) {
		t.Errorf("got %v, want ErrTooComplex", err)
	}
}

func TestMatchTimestampError(t *testing.T) {
	obs := mustObservations(t, `{"type": "observed-data", "first_observed": "2020-01-01T00:00:00Z", "last_observed": "2020-01-01T00:00:00Z", "number_observed": 1, "objects": {"0": {"type": "file", "created": "yesterday"}}}`)
	p, err := Parse("[file:created > t'2020-01-01T00:00:00Z']")
	if err != nil {
		t.Fatal(err)
	}
	var me *MatchError
	if _, err := p.Match(obs); !errors.As(err, &me) {
		t.Errorf("got %v, want *MatchError", err)
	}
}

func TestLike(t *testing.T) {
	tests := []struct {
		s, pat string
		want   bool
	}{
		{"hello", "he%", true}, {"hello", "he__o", true}, {"hello", "%", true}, {"", "%", true},
		{"", "_", false}, {"hello", "h%l%o", true}, {"hello", "h%x%o", false}, {"héllo", "h_llo", true},
		{"a%b", "a%b", true}, {"line\nbreak", "line%", true}, {"abc", "abc%%", true}, {"abc", "ab", false},
	}
	for _, tc := range tests {
		if got := like(tc.s, tc.pat); got != tc.want {
			t.Errorf("like(%q, %q) = %v", tc.s, tc.pat, got)
		}
	}
}
