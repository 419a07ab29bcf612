package pattern

import (
	"fmt"
	"strings"
	"testing"
)

func TestObservables(t *testing.T) {
	tests := []struct {
		pattern string
		want    string // one line per observable: text, then * when sufficient
	}{
		{"[ipv4-addr:value = '198.51.100.1']", "ipv4-addr:value = '198.51.100.1' *"},
		{"[file:hashes.MD5 = 'cead3f77f6cda6ec00f57d76c9a6879f' OR file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']",
			"file:hashes.MD5 = 'cead3f77f6cda6ec00f57d76c9a6879f' *\nfile:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f' *"},
		{"[file:name = 'a.exe' AND file:size = 10]", "file:name = 'a.exe'\nfile:size = 10"},
		{"[network-traffic:dst_ref.value ISSUBSET '203.0.113.0/24' OR (network-traffic:dst_port = 22 AND network-traffic:src_port = 1)]",
			"network-traffic:dst_ref.value ISSUBSET '203.0.113.0/24' *\nnetwork-traffic:dst_port = 22\nnetwork-traffic:src_port = 1"},
		{"[domain-name:value = 'a.example'] OR [url:value IN ('http://a', 'http://b')]", "domain-name:value = 'a.example' *\nurl:value IN ('http://a', 'http://b') *"},
		{"[domain-name:value = 'a.example'] AND [url:value = 'http://a']", "domain-name:value = 'a.example'\nurl:value = 'http://a'"},
		{"[domain-name:value = 'a.example'] FOLLOWEDBY [url:value = 'http://a']", "domain-name:value = 'a.example'\nurl:value = 'http://a'"},
		{"[domain-name:value = 'a.example'] WITHIN 5 SECONDS", "domain-name:value = 'a.example' *"},
		{"[domain-name:value = 'a.example'] REPEATS 2 TIMES", "domain-name:value = 'a.example'"},
		{"[domain-name:value = 'a.example'] REPEATS 1 TIMES", "domain-name:value = 'a.example' *"},
		{"[email-addr:value != 'a@b' OR email-addr:value NOT = 'c@d' OR email-addr:value LIKE '%@evil']",
			"email-addr:value != 'a@b'\nemail-addr:value NOT = 'c@d'\nemail-addr:value LIKE '%@evil'"},
		{"([ipv6-addr:value = '::1'] OR [mac-addr:value = '00:00:00:00:00:00']) AND [file:name = 'x']",
			"ipv6-addr:value = '::1'\nmac-addr:value = '00:00:00:00:00:00'\nfile:name = 'x'"},
	}
	for _, tc := range tests {
		p, err := Parse(tc.pattern)
		if err != nil {
			t.Fatalf("%s: %v", tc.pattern, err)
		}
		var lines []string
		for _, o := range p.Observables() {
			s := o.String()
			if o.Sufficient {
				s += " *"
			}
			lines = append(lines, s)
		}
		if got := strings.Join(lines, "\n"); got != tc.want {
			t.Errorf("%s:\ngot\n%s\nwant\n%s", tc.pattern, got, tc.want)
		}
	}
	p, _ := Parse("[network-traffic:dst_ref.value = '10.0.0.1'] AND [file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']")
	obs := p.Observables()
	if got := fmt.Sprint(obs[0].Type, " ", obs[0].Path, " ", obs[0].Expr, " ", obs[1].Path, " ", obs[1].Expr); got != "network-traffic dst_ref.value 0 hashes.'SHA-256' 1" {
		t.Errorf("got %s", got)
	}
}
