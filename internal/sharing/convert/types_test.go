package convert_test

import (
	"strings"
	"testing"

	"github.com/rampart-project/rampart/internal/sharing/convert"
	"github.com/rampart-project/rampart/stix"
)

const attrUUID = "7d8c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b"

func oneAttribute(t *testing.T, typ, value string, toIDS bool) convert.Result {
	t.Helper()
	return mustEvent(t, event(t, map[string]any{"Attribute": []any{map[string]any{
		"uuid": attrUUID, "type": typ, "value": value, "to_ids": toIDS, "timestamp": "1714000000",
	}}}), opts())
}

// TestPatternMapping is the MISP type -> STIX pattern table, one value
// each.
func TestPatternMapping(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ typ, value, pattern string }{
		{"ip-dst", "198.51.100.7", `[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = '198.51.100.7']`},
		{"ip-src", "198.51.100.0/24", `[network-traffic:src_ref.type = 'ipv4-addr' AND network-traffic:src_ref.value ISSUBSET '198.51.100.0/24']`},
		{"ip-dst", "2001:DB8:0:0::1", `[network-traffic:dst_ref.type = 'ipv6-addr' AND network-traffic:dst_ref.value = '2001:db8::1']`},
		{"ip-src", "2001:db8::/32", `[network-traffic:src_ref.type = 'ipv6-addr' AND network-traffic:src_ref.value ISSUBSET '2001:db8::/32']`},
		{"ip-dst|port", "198.51.100.7|8443", `[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = '198.51.100.7' AND network-traffic:dst_port = 8443]`},
		{"ip-src|port", "2001:db8::1|53", `[network-traffic:src_ref.type = 'ipv6-addr' AND network-traffic:src_ref.value = '2001:db8::1' AND network-traffic:src_port = 53]`},
		{"hostname|port", "c2.example.com|443", `[network-traffic:dst_ref.type = 'domain-name' AND network-traffic:dst_ref.value = 'c2.example.com' AND network-traffic:dst_port = 443]`},
		{"domain", "Evil.Example.COM.", `[domain-name:value = 'evil.example.com']`},
		{"hostname", "mail.evil.example", `[domain-name:value = 'mail.evil.example']`},
		{"domain|ip", "evil.example|203.0.113.9", `[domain-name:value = 'evil.example' AND domain-name:resolves_to_refs[*].value = '203.0.113.9']`},
		{"url", "http://evil.example/a'b", `[url:value = 'http://evil.example/a\'b']`},
		{"uri", "/gate.php", `[url:value = '/gate.php']`},
		{"link", "https://evil.example/x", `[url:value = 'https://evil.example/x']`},
		{"email", "bob@Evil.Example", `[email-addr:value = 'bob@evil.example']`},
		{"email-src", "phish@evil.example", `[email-message:from_ref.value = 'phish@evil.example']`},
		{"email-dst", "victim@corp.example", `[email-message:to_refs[*].value = 'victim@corp.example']`},
		{"email-subject", "Invoice 'urgent'", `[email-message:subject = 'Invoice \'urgent\'']`},
		{"email-reply-to", "r@evil.example", `[email-message:additional_header_fields.'Reply-To' = 'r@evil.example']`},
		{"email-x-mailer", "Foxmail 7", `[email-message:additional_header_fields.'X-Mailer' = 'Foxmail 7']`},
		{"email-message-id", "<abc@evil.example>", `[email-message:message_id = '<abc@evil.example>']`},
		{"email-attachment", "invoice.pdf.exe", `[email-message:body_multipart[*].body_raw_ref.name = 'invoice.pdf.exe']`},
		{"filename", `C:\Users\Public\a.exe`, `[file:name = 'C:\\Users\\Public\\a.exe']`},
		{"md5", "0749BAE92CA336A02C83D126E04EC628", `[file:hashes.MD5 = '0749bae92ca336a02c83d126e04ec628']`},
		{"sha1", "77b0c41b7d340b8a3d903f21347bbf06aa766b5b", `[file:hashes.'SHA-1' = '77b0c41b7d340b8a3d903f21347bbf06aa766b5b']`},
		{"sha256", "b3c4ae251f8094fa15b510051835c657eaef2a6cea46075d3aec964b14a99f68", `[file:hashes.'SHA-256' = 'b3c4ae251f8094fa15b510051835c657eaef2a6cea46075d3aec964b14a99f68']`},
		{"sha512", strings.Repeat("ab", 64), `[file:hashes.'SHA-512' = '` + strings.Repeat("ab", 64) + `']`},
		{"ssdeep", "96:s4Ud1Lj96tHHlZDrwciQmA+4uy1I0G4HYuL8N3TzS8QsO/wqWXLcMSx:sF1LjEtHHlZDrJzrhuyZvHYm8tKp/RWO", `[file:hashes.SSDEEP = '96:s4Ud1Lj96tHHlZDrwciQmA+4uy1I0G4HYuL8N3TzS8QsO/wqWXLcMSx:sF1LjEtHHlZDrJzrhuyZvHYm8tKp/RWO']`},
		{"filename|md5", "a|b.exe|0749bae92ca336a02c83d126e04ec628", `[file:name = 'a|b.exe' AND file:hashes.MD5 = '0749bae92ca336a02c83d126e04ec628']`},
		{"filename|sha1", "x.dll|77b0c41b7d340b8a3d903f21347bbf06aa766b5b", `[file:name = 'x.dll' AND file:hashes.'SHA-1' = '77b0c41b7d340b8a3d903f21347bbf06aa766b5b']`},
		{"filename|sha256", "x.dll|b3c4ae251f8094fa15b510051835c657eaef2a6cea46075d3aec964b14a99f68", `[file:name = 'x.dll' AND file:hashes.'SHA-256' = 'b3c4ae251f8094fa15b510051835c657eaef2a6cea46075d3aec964b14a99f68']`},
		{"malware-sample", "simple.json|7637beddacbeac59d44469b2b120b9e6", `[file:name = 'simple.json' AND file:hashes.MD5 = '7637beddacbeac59d44469b2b120b9e6']`},
		{"imphash", "f34d5f2d4577ed6d9ceec516c1f5a744", `[file:extensions.'windows-pebinary-ext'.imphash = 'f34d5f2d4577ed6d9ceec516c1f5a744']`},
		{"size-in-bytes", "21", `[file:size = 21]`},
		{"mutex", `Global\MsWinZonesCacheCounterMutexA`, `[mutex:name = 'Global\\MsWinZonesCacheCounterMutexA']`},
		{"regkey", `HKLM\Software\Run`, `[windows-registry-key:key = 'HKLM\\Software\\Run']`},
		{"regkey|value", `HKCU\Run|"c:\x.exe" -a|b`, `[windows-registry-key:key = 'HKCU\\Run' AND windows-registry-key:values[*].data = '"c:\\x.exe" -a|b']`},
		{"user-agent", "Mozilla/4.0 (compatible; MSIE 6.0)", `[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' = 'Mozilla/4.0 (compatible; MSIE 6.0)']`},
		{"AS", "AS64496", `[autonomous-system:number = 64496]`},
		{"x509-fingerprint-sha1", "A1:B2:C3:D4:E5:F6:A7:B8:C9:D0:E1:F2:A3:B4:C5:D6:E7:F8:A9:B0", `[x509-certificate:hashes.'SHA-1' = 'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0']`},
		{"x509-fingerprint-md5", "0749bae92ca336a02c83d126e04ec628", `[x509-certificate:hashes.MD5 = '0749bae92ca336a02c83d126e04ec628']`},
		{"ja3-fingerprint-md5", "72a589da586844d7f0818ce684948eea", `[x-ja3-fingerprint:md5 = '72a589da586844d7f0818ce684948eea']`},
		{"mac-address", "00-1A-2B-3C-4D-5E", `[mac-addr:value = '00:1a:2b:3c:4d:5e']`},
		{"port", "4444", `[network-traffic:dst_port = 4444]`},
	} {
		t.Run(tc.typ, func(t *testing.T) {
			res := oneAttribute(t, tc.typ, tc.value, true)
			if len(res.Rejected) > 0 {
				t.Fatalf("rejected: %v", res.Rejected)
			}
			if got := str(find(t, res, "indicator--"+attrUUID), "pattern"); got != tc.pattern {
				t.Errorf("%s %q:\n got %s\nwant %s", tc.typ, tc.value, got, tc.pattern)
			}
		})
	}
}

func TestRulePatterns(t *testing.T) {
	t.Parallel()
	rule := "rule x {\n  strings: $a = \"evil\"\n  condition: $a\n}"
	res := oneAttribute(t, "yara", rule, true)
	ind := find(t, res, "indicator--"+attrUUID)
	if str(ind, "pattern_type") != "yara" || str(ind, "pattern") != rule {
		t.Errorf("yara indicator %s", ind.Raw())
	}
	if _, ok := ind.Property("pattern_version"); ok {
		t.Error("pattern_version is for STIX patterns")
	}
}

// TestMalformedValues: each is a rejection naming the type and the
// problem, never an indicator.
func TestMalformedValues(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ typ, value, reason string }{
		{"ip-dst", "not-an-ip", "ip-dst: not an IP address"},
		{"ip-src", "10.0.0.0/33", "not an IP address or CIDR block"},
		{"ip-dst", "fe80::1%eth0", "not an IP address"},
		{"ip-dst|port", "198.51.100.7|70000", "second part: not a port number"},
		{"ip-dst|port", "198.51.100.7", "two parts separated by |"},
		{"domain", "198.51.100.7", "an IP address, not a domain name"},
		{"domain", "http://evil.example/", "not a domain name"},
		{"domain", "*.evil.example", "not a domain name (character '*')"},
		{"hostname", "a..b", "empty label"},
		{"url", "http://evil.example/a b", "white space"},
		{"email-src", "no-at-sign", "not an email address"},
		{"md5", "0749bae92ca336a02c83d126e04ec62", "not a MD5 hash"},
		{"sha256", strings.Repeat("z", 64), "not a SHA-256 hash"},
		{"ssdeep", "nope", "not an ssdeep hash"},
		{"filename|sha1", "a.exe|123", "second part: not a SHA-1 hash"},
		{"AS", "ASX", "not an autonomous system number"},
		{"mac-address", "00:11:22", "not a MAC address"},
		{"filename", "a\x00b", "control characters"},
		{"mutex", "   ", "empty value"},
	} {
		t.Run(tc.typ, func(t *testing.T) {
			res := oneAttribute(t, tc.typ, tc.value, true)
			if !hasRejection(res.Rejected, "Event.Attribute[0]", tc.reason) {
				t.Errorf("%s %q: rejections %v, want %q", tc.typ, tc.value, res.Rejected, tc.reason)
			}
			if counts(res)["indicator"] != 0 {
				t.Error("an indicator was made")
			}
		})
	}
}

// TestObservableMapping: attributes without to_ids become these
// observables, with deterministic ids.
func TestObservableMapping(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		typ, value string
		scos       map[string]string // type -> a property that must be there, name=value
	}{
		{"ip-dst", "198.51.100.7", map[string]string{"ipv4-addr": "value=198.51.100.7"}},
		{"ip-src", "2001:db8::1", map[string]string{"ipv6-addr": "value=2001:db8::1"}},
		{"ip-dst|port", "198.51.100.7|80", map[string]string{"ipv4-addr": "value=198.51.100.7", "network-traffic": "dst_port=80"}},
		{"domain", "evil.example", map[string]string{"domain-name": "value=evil.example"}},
		{"domain|ip", "evil.example|198.51.100.7", map[string]string{"domain-name": "value=evil.example", "ipv4-addr": "value=198.51.100.7"}},
		{"url", "http://evil.example/x", map[string]string{"url": "value=http://evil.example/x"}},
		{"email-src", "a@evil.example", map[string]string{"email-addr": "value=a@evil.example"}},
		{"email-subject", "hello", map[string]string{"email-message": "subject=hello"}},
		{"filename", "a.exe", map[string]string{"file": "name=a.exe"}},
		{"sha256", "b3c4ae251f8094fa15b510051835c657eaef2a6cea46075d3aec964b14a99f68", map[string]string{"file": "hashes"}},
		{"filename|md5", "a.exe|0749bae92ca336a02c83d126e04ec628", map[string]string{"file": "name=a.exe"}},
		{"mutex", "m", map[string]string{"mutex": "name=m"}},
		{"regkey|value", `HKCU\Run|x`, map[string]string{"windows-registry-key": `key=HKCU\Run`}},
		{"AS", "64496", map[string]string{"autonomous-system": "number"}},
		{"x509-fingerprint-sha256", strings.Repeat("ab", 32), map[string]string{"x509-certificate": "hashes"}},
		{"mac-address", "00:1a:2b:3c:4d:5e", map[string]string{"mac-addr": "value=00:1a:2b:3c:4d:5e"}},
	} {
		t.Run(tc.typ, func(t *testing.T) {
			res := oneAttribute(t, tc.typ, tc.value, false)
			od := find(t, res, "observed-data--"+attrUUID)
			got := map[string]stix.Object{}
			for _, ref := range od.Strings("object_refs") {
				o := find(t, res, ref)
				got[o.Type()] = o
				if id, err := stix.SCOID(o); err != nil || id != o.ID() {
					t.Errorf("%s: id %s, deterministic id %s (%v)", o.Type(), o.ID(), id, err)
				}
			}
			if len(got) != len(tc.scos) {
				t.Errorf("observables %v, want %v", got, tc.scos)
			}
			for typ, prop := range tc.scos {
				o, ok := got[typ]
				if !ok {
					t.Errorf("no %s among %v", typ, od.Strings("object_refs"))
					continue
				}
				name, want, hasValue := strings.Cut(prop, "=")
				if v, ok := o.Property(name); !ok || hasValue && strings.Trim(string(v), `"`) != strings.ReplaceAll(want, `\`, `\\`) {
					t.Errorf("%s.%s = %s, want %s", typ, name, v, want)
				}
			}
		})
	}
}
