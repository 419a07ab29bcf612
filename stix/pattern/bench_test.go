package pattern

import (
	"fmt"
	"strings"
	"testing"
)

// benchPatterns are realistic indicator patterns of the kinds seen in
// threat-intelligence feeds.
var benchPatterns = []string{
	"[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']",
	"[ipv4-addr:value = '198.51.100.7' OR ipv4-addr:value ISSUBSET '203.0.113.0/24']",
	"[network-traffic:dst_ref.value ISSUBSET '198.51.100.0/24' AND network-traffic:dst_port IN (443, 8443)]",
	"[email-message:from_ref.value MATCHES '@evil\\\\.example$' AND email-message:subject LIKE 'Invoice%']",
	"([network-traffic:dst_port = 443] FOLLOWEDBY [email-message:subject = 'Invoice 42']) WITHIN 300 SECONDS",
	"[process:name = 'evil.exe'] REPEATS 3 TIMES",
}

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	var bytes int64
	for _, p := range benchPatterns {
		bytes += int64(len(p))
	}
	b.SetBytes(bytes / int64(len(benchPatterns)))
	for i := 0; b.Loop(); i++ {
		if _, err := Parse(benchPatterns[i%len(benchPatterns)]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkString(b *testing.B) {
	p, _ := Parse(benchPatterns[4])
	b.ReportAllocs()
	for b.Loop() {
		_ = p.String()
	}
}

// benchObservations builds n observed-data objects, one in ten of them
// relevant to the bench patterns.
func benchObservations(b *testing.B, n int) []Observation {
	var sb strings.Builder
	sb.WriteString(`{"type": "bundle", "id": "bundle--b", "objects": [`)
	for i := range n {
		if i > 0 {
			sb.WriteString(",")
		}
		ts := fmt.Sprintf("2020-01-01T%02d:%02d:%02dZ", i/3600%24, i/60%60, i%60)
		fmt.Fprintf(&sb, `{"type": "observed-data", "id": "observed-data--%d", "first_observed": %q, "last_observed": %q, "number_observed": 1, "object_refs": ["network-traffic--%d", "ipv4-addr--%d", "file--%d"]},`, i, ts, ts, i, i, i)
		ip := fmt.Sprintf("10.%d.%d.%d", i/65536%256, i/256%256, i%256)
		if i%10 == 0 {
			ip = "198.51.100.7"
		}
		fmt.Fprintf(&sb, `{"type": "network-traffic", "id": "network-traffic--%d", "dst_ref": "ipv4-addr--%d", "dst_port": %d},`, i, i, 443+i%7)
		fmt.Fprintf(&sb, `{"type": "ipv4-addr", "id": "ipv4-addr--%d", "value": %q},`, i, ip)
		fmt.Fprintf(&sb, `{"type": "file", "id": "file--%d", "name": "f%d.exe", "hashes": {"SHA-256": "%064x"}}`, i, i, i)
	}
	sb.WriteString(`]}`)
	obs, err := ObservationsFromJSON([]byte(sb.String()))
	if err != nil {
		b.Fatal(err)
	}
	return obs
}

func BenchmarkMatch(b *testing.B) {
	obs := benchObservations(b, 1)
	for _, n := range []int{1, 100} {
		if n > 1 {
			obs = benchObservations(b, n)
		}
		for i, src := range benchPatterns {
			p, err := Parse(src)
			if err != nil {
				b.Fatal(err)
			}
			b.Run(fmt.Sprintf("pattern%d/obs%d", i, n), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := p.Match(obs); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

func BenchmarkObservationsFromJSON(b *testing.B) {
	data := []byte(hardBundle)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := ObservationsFromJSON(data); err != nil {
			b.Fatal(err)
		}
	}
}
