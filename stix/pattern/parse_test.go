package pattern

import (
	"errors"
	"strings"
	"testing"
)

// specExamples are the pattern examples of STIX 2.1 section 9 (9.9
// "Pattern Examples" and the examples alongside the operators).
var specExamples = []string{
	`[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']`,
	`[email-message:from_ref.value MATCHES '.+\\@example\\.com$' AND email-message:body_multipart[*].body_raw_ref.name MATCHES '^Final Report.+\\.exe$']`,
	`[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f' AND file:mime_type = 'application/x-pdf']`,
	`[file:hashes.'SHA-256' = 'bf07a7fbb825fc0aae7bf4a1177b2b31fcf8a3feeaf7092761e18c859ee52a9c' OR file:hashes.MD5 = 'cead3f77f6cda6ec00f57d76c9a6879f'] AND [file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']`,
	`([file:hashes.MD5 = '79054025255fb1a26e4bc422aef54eb4'] FOLLOWEDBY [windows-registry-key:key = 'HKEY_LOCAL_MACHINE\\foo\\bar']) WITHIN 300 SECONDS`,
	`[user-account:account_type = 'unix' AND user-account:user_id = '1007' AND user-account:account_login = 'Peter'] AND [user-account:account_type = 'unix' AND user-account:user_id = '1008' AND user-account:account_login = 'Paul'] AND [user-account:account_type = 'unix' AND user-account:user_id = '1009' AND user-account:account_login = 'Mary']`,
	`[artifact:mime_type = 'application/vnd.tcpdump.pcap' AND artifact:payload_bin MATCHES '\\xd4\\xc3\\xb2\\xa1\\x02\\x00\\x04\\x00']`,
	`[file:name = 'foo.dll' AND file:parent_directory_ref.path = 'C:\\Windows\\System32']`,
	`[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.0]`,
	`[file:mime_type = 'image/bmp' AND file:magic_number_hex = h'ffd8']`,
	`[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = '203.0.113.33/32']`,
	`[network-traffic:dst_ref.type = 'domain-name' AND network-traffic:dst_ref.value = 'example.com'] REPEATS 5 TIMES WITHIN 1800 SECONDS`,
	`[domain-name:value = 'www.5z8.info' AND domain-name:resolves_to_refs[*].value = '198.51.100.1/32']`,
	`[url:value = 'http://example.com/foo' OR url:value = 'http://example.com/bar']`,
	`[x509-certificate:issuer = 'CN=WEBMAIL' AND x509-certificate:serial_number = '4c:0b:1d:19:74:86:a7:66:b4:1a:bf:40:27:21:76:28']`,
	`[windows-registry-key:key = 'HKEY_CURRENT_USER\\Software\\CryptoLocker\\Files' OR windows-registry-key:key = 'HKEY_CURRENT_USER\\Software\\Microsoft\\CurrentVersion\\Run\\CryptoLocker_0388']`,
	`[(file:name = 'pdf.exe' OR file:size = '371712') AND file:created = t'2014-01-13T07:03:17Z']`,
	`[email-message:sender_ref.value = 'jdoe@example.com' AND email-message:subject = 'Conference Info']`,
	`[x-usb-device:usbdrive.serial_number = '575833314133343231313937']`,
	`[process:command_line MATCHES '^.+>-add GlobalSign.cer -c -s -r localMachine Root$'] FOLLOWEDBY [process:command_line MATCHES '^.+>-add GlobalSign.cer -c -s -r localMachineTrustedPublisher$'] WITHIN 300 SECONDS`,
	`[network-traffic:dst_ref.value ISSUBSET '2001:0db8:dead:beef:0000:0000:0000:0000/64']`,
	`([file:name = 'foo.dll'] AND [windows-registry-key:key = 'HKEY_LOCAL_MACHINE\\foo\\bar']) OR [process:name = 'fooproc' OR process:name = 'procfoo']`,
	`[file:name = 'foo.dll'] START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z'`,
	`[ipv4-addr:value = '198.51.100.1/32' OR ipv4-addr:value = '203.0.113.33/32' OR ipv6-addr:value = '2001:0db8:dead:beef:dead:beef:dead:0001/128']`,
	`[file:size NOT > 1024]`,
	`[windows-registry-key:values[*].name = 'Foo']`,
	`[file:extensions.'ntfs-ext'.alternate_data_streams[0].name = 'evil']`,
	`[EXISTS windows-registry-key:values]`,
	`[file:created > t'2016-01-01T00:00:00.000Z' AND file:created < t'2016-02-01T00:00:00Z']`,
	`[process:pid IN (1, 2, 3) AND process:name NOT IN ('a', 'b')]`,
	`[ipv4-addr:value ISSUPERSET '10.0.0.1']`,
	`[file:name LIKE 'sys%.d_l']`,
	`[artifact:payload_bin = b'dGhpcyBpcyBhIHRlc3Q=']`,
}

func TestSpecExamplesParseAndRoundTrip(t *testing.T) {
	for _, s := range specExamples {
		p, err := Parse(s)
		if err != nil {
			t.Errorf("%s: %v", s, err)
			continue
		}
		q, err := Parse(p.String())
		if err != nil || !p.Equal(q) {
			t.Errorf("round trip %s -> %s: %v", s, p, err)
		}
		if p.String() != q.String() {
			t.Errorf("canonical form not stable: %s vs %s", p, q)
		}
	}
}

func TestCanonicalForm(t *testing.T) {
	tests := []struct{ in, want string }{
		{"[file:size==1]", "[file:size = 1]"},
		{"[file:size<>1]", "[file:size != 1]"},
		{"  [ file:name = 'a' ]  /* comment */ // trailing", "[file:name = 'a']"},
		{"[file:name = 'it\\'s' AND file:x = 'a\\\\b']", `[file:name = 'it\'s' AND file:x = 'a\\b']`},
		{"[(file:a = 1 AND file:b = 2) OR file:c = 3]", "[file:a = 1 AND file:b = 2 OR file:c = 3]"},
		{"[file:a = 1 AND (file:b = 2 OR file:c = 3)]", "[file:a = 1 AND (file:b = 2 OR file:c = 3)]"},
		{"[file:a = 1 OR (file:b = 2 OR file:c = 3)]", "[file:a = 1 OR (file:b = 2 OR file:c = 3)]"},
		{"([file:a = 1] AND [file:b = 2]) OR [file:c = 3]", "[file:a = 1] AND [file:b = 2] OR [file:c = 3]"},
		{"[file:a = 1] AND ([file:b = 2] OR [file:c = 3])", "[file:a = 1] AND ([file:b = 2] OR [file:c = 3])"},
		{"([file:a = 1]) WITHIN 5 SECONDS", "[file:a = 1] WITHIN 5 SECONDS"},
		{"([file:a = 1]) WITHIN 5 SECONDS WITHIN 6.5 SECONDS", "([file:a = 1] WITHIN 5 SECONDS) WITHIN 6.5 SECONDS"},
		{"([file:a = 1] AND [file:b = 2]) REPEATS +3 TIMES", "([file:a = 1] AND [file:b = 2]) REPEATS 3 TIMES"},
		{"[file:size = +7.50]", "[file:size = 7.5]"},
		{"[file:size = 7.0]", "[file:size = 7.0]"},
		{"[file:size = -.5]", "[file:size = -0.5]"},
		{"[file:x = h'FFD8']", "[file:x = h'ffd8']"},
		{"[file:'name' = 'a']", "[file:name = 'a']"},
		{"[file:hashes.'x-custom' = 'a']", "[file:hashes.'x-custom' = 'a']"},
		{"[file:x.'AND' = 1]", "[file:x.'AND' = 1]"},
		{"[file:x[-1] = 1]", "[file:x[-1] = 1]"},
		{"[file:x IN ()]", "[file:x IN ()]"},
		{"[file:x NOT LIKE 'a%']", "[file:x NOT LIKE 'a%']"},
	}
	for _, tc := range tests {
		p, err := Parse(tc.in)
		if err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		if got := p.String(); got != tc.want {
			t.Errorf("%s: got %s, want %s", tc.in, got, tc.want)
		}
		q, err := Parse(p.String())
		if err != nil || !p.Equal(q) {
			t.Errorf("%s: round trip failed: %v", tc.in, err)
		}
	}
}

func TestPrecedence(t *testing.T) {
	p, err := Parse("[file:a = 1] FOLLOWEDBY [file:b = 2] OR [file:c = 3] AND [file:d = 4] WITHIN 5 SECONDS")
	if err != nil {
		t.Fatal(err)
	}
	fb, ok := p.Root.(*ObsBinary)
	if !ok || fb.Op != FollowedBy {
		t.Fatalf("root is %T, want FOLLOWEDBY", p.Root)
	}
	or, ok := fb.Right.(*ObsBinary)
	if !ok || or.Op != ObsOr {
		t.Fatalf("FOLLOWEDBY right is not OR")
	}
	and, ok := or.Right.(*ObsBinary)
	if !ok || and.Op != ObsAnd {
		t.Fatalf("OR right is not AND")
	}
	if _, ok := and.Right.(*Qualified); !ok {
		t.Fatalf("WITHIN should bind to the last bracket only")
	}
	c, err := Parse("[file:a = 1 OR file:b = 2 AND file:c = 3]")
	if err != nil {
		t.Fatal(err)
	}
	cb := c.Root.(*Bracketed).Expr.(*CompBinary)
	if cb.And || !cb.Right.(*CompBinary).And {
		t.Fatalf("AND must bind tighter than OR in comparisons")
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		in        string
		line, col int
		msg       string
	}{
		{"[file:name = 'foo'", 1, 19, "expected ']' to close the observation expression started at column 1"},
		{"file:size = 1280", 1, 1, "expected '['"},
		{"[file:size = ]", 1, 14, "expected a constant"},
		{"[file:hashes.MD5 = cead3f77f6cda6ec00f57d76c9a6879f]", 1, 20, "strings need single quotes"},
		{"[file.size = 1280]", 1, 6, "expected ':'"},
		{"[file:name MATCHES /.*\\.dll/]", 1, 20, "regular expressions are written as strings"},
		{"[file:a = 1] WITHIN 5 HOURS", 1, 23, "expected SECONDS"},
		{"[file:a = 1] WITHIN -5 SECONDS", 1, 21, "positive"},
		{"[file:a = 1] WITHIN SECONDS", 1, 21, "expected a number of seconds"},
		{"[file:a = 1] WITHIN 0 SECONDS", 1, 21, "positive"},
		{"[file:a = 1] REPEATS 0 TIMES", 1, 22, "positive"},
		{"[file:a = 1] REPEATS 1.5 TIMES", 1, 22, "whole number"},
		{"[file:a = 1] within 2 seconds", 1, 14, "keywords must be upper case"},
		{"[file:hashes.'SHA-256' = 'f00']", 1, 26, "not a valid SHA-256 hash"},
		{"[file:a = 1] START t'2016-01-01T00:00:00Z' STOP t'2015-01-01T00:00:00Z'", 1, 14, "START time must be before STOP"},
		{"[file:a = 1] START '2016-01-01T00:00:00Z' STOP '2017-01-01T00:00:00Z'", 1, 20, "STIX 2.0 syntax"},
		{"[file:a = 1] WITHIN 5 SECONDS WITHIN 6 SECONDS", 1, 31, "duplicate WITHIN"},
		{"[file:a < true]", 1, 11, "booleans are not ordered"},
		{"[file:a LIKE 5]", 1, 14, "LIKE needs a string"},
		{"[file:a MATCHES '(a)\\\\1']", 1, 17, "backreference"},
		{"[file:a MATCHES '(?=a)']", 1, 17, "lookaround"},
		{"[file:a MATCHES '(']", 1, 17, "invalid MATCHES regular expression"},
		{"[file:a ISSUBSET 'not-an-ip']", 1, 18, "IP address or CIDR"},
		{"[file:a IN 'x']", 1, 12, "parenthesised set"},
		{"[file:a IN (1, true)]", 1, 12, "same type"},
		{"[File:a = 1]", 1, 2, "lower-case"},
		{"[ab:a = 1]", 1, 2, "3 to 250"},
		{"[file:needs-quotes = 1]", 1, 7, "quote it"},
		{"[file:a = 01]", 1, 11, "leading zero"},
		{"[file:a = 1e5]", 1, 11, "exponents"},
		{"[file:a = 'x\\n']", 1, 13, "invalid escape"},
		{"[file:a = 'abc", 1, 11, "never closed"},
		{"[file:a = b'====']", 1, 11, "base64"},
		{"[file:a = h'abc']", 1, 11, "odd number"},
		{"[file:a = t'2016-13-01T00:00:00Z']", 1, 11, "month"},
		{"[file:a = TRUE]", 1, 11, "lower case"},
		{"[file:a = 1]\n  AND\n  [file:b = ]", 3, 13, "expected a constant"},
		{"[file:a = 'é' AND xyz]", 1, 22, "expected ':'"},
		{"", 1, 1, "empty pattern"},
		{"[]", 1, 2, "empty observation"},
		{"[file:a = 1] FOLLOWEDBY", 1, 24, "expected an observation expression"},
		{"[file:a = 1] )", 1, 14, "end of the pattern"},
		{"[file:a = 1] /* open", 1, 14, "never closed"},
	}
	for _, tc := range tests {
		_, err := Parse(tc.in)
		var pe *Error
		if !errors.As(err, &pe) {
			t.Errorf("%q: got %v, want a *Error", tc.in, err)
			continue
		}
		if pe.Line != tc.line || pe.Column != tc.col || !strings.Contains(pe.Msg, tc.msg) {
			t.Errorf("%q: got %q (line %d col %d), want line %d col %d containing %q", tc.in, pe.Error(), pe.Line, pe.Column, tc.line, tc.col, tc.msg)
		}
	}
}

func TestVersion20(t *testing.T) {
	ok20 := []string{
		"[file:a = 1] START '2016-01-01T00:00:00Z' STOP '2017-01-01T00:00:00Z'",
		"[file:a = 1] START t'2016-01-01T00:00:00Z' STOP t'2017-01-01T00:00:00Z'",
	}
	for _, s := range ok20 {
		p, err := Parse(s, WithVersion(V20))
		if err != nil {
			t.Errorf("%s: %v", s, err)
			continue
		}
		q, err := Parse(p.String(), WithVersion(V20))
		if err != nil || !p.Equal(q) {
			t.Errorf("%s: round trip: %v", s, err)
		}
	}
	for _, s := range []string{
		"[EXISTS file:a]",
		"[file:a = 1] START 'yesterday' STOP '2017-01-01T00:00:00Z'",
	} {
		if _, err := Parse(s, WithVersion(V20)); err == nil {
			t.Errorf("%s: parsed in 2.0", s)
		}
	}
}

func TestLimits(t *testing.T) {
	deep := strings.Repeat("(", MaxDepth+1) + "[file:a = 1]" + strings.Repeat(")", MaxDepth+1)
	if _, err := Parse(deep); err == nil || !strings.Contains(err.Error(), "nesting") {
		t.Errorf("deep nesting: %v", err)
	}
	deepComp := "[" + strings.Repeat("(", MaxDepth) + "file:a = 1" + strings.Repeat(")", MaxDepth) + "]"
	if _, err := Parse(deepComp); err == nil {
		t.Errorf("deep comparison nesting accepted")
	}
	long := "[file:a = '" + strings.Repeat("x", MaxLength) + "']"
	if _, err := Parse(long); err == nil || !strings.Contains(err.Error(), "longer than") {
		t.Errorf("long pattern: %v", err)
	}
	ok := strings.Repeat("(", MaxDepth-1) + "[file:a = 1]" + strings.Repeat(")", MaxDepth-1)
	if _, err := Parse(ok); err != nil {
		t.Errorf("nesting within the limit: %v", err)
	}
}

func TestLenient(t *testing.T) {
	for _, s := range []string{"[x:a = 1]", "[My_Type:a = 1]", "[file:a = 1] START t'2017-01-01T00:00:00Z' STOP t'2016-01-01T00:00:00Z'", "[file:a = 1] REPEATS 2 TIMES REPEATS 2 TIMES"} {
		if _, err := Parse(s); err == nil {
			t.Errorf("%s: accepted in strict mode", s)
		}
		p, err := Parse(s, Lenient())
		if err != nil {
			t.Errorf("%s: rejected in lenient mode: %v", s, err)
			continue
		}
		q, err := Parse(p.String(), Lenient())
		if err != nil || !p.Equal(q) {
			t.Errorf("%s: round trip: %v", s, err)
		}
	}
}
