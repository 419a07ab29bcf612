package notify_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/rampart-project/rampart/internal/notify"
	"github.com/rampart-project/rampart/internal/notify/notifytest"
)

// The benchmarks share one matcher over a tenth of the national world
// (bench/notify runs the whole of it): building it takes about a second.
var (
	benchOnce    sync.Once
	benchMatcher *notify.Matcher
	benchWorld   = notifytest.Scaled(10)
)

func sharedMatcher(b *testing.B) *notify.Matcher {
	benchOnce.Do(func() {
		benchMatcher = notify.NewMatcher()
		if err := benchMatcher.Load(benchWorld.Items); err != nil {
			b.Fatal(err)
		}
	})
	return benchMatcher
}

// BenchmarkMatch reports observables per second on one goroutine, by kind
// and for the feed-like mix.
func BenchmarkMatch(b *testing.B) {
	m := sharedMatcher(b)
	all := benchWorld.Observables(200_000, 20, 3)
	byType := map[string][]notify.Observable{"mix": all}
	for _, o := range all {
		k := o.Type
		if o.Op != "" {
			k = "network"
		}
		byType[k] = append(byType[k], o)
	}
	for _, k := range []string{"mix", "ipv4-addr", "ipv6-addr", "network", "domain-name", "url", "email-addr"} {
		obs := byType[k]
		b.Run(k, func(b *testing.B) {
			var dst []notify.Hit
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				dst = m.AppendMatches(dst[:0], obs[i%len(obs)])
				i++
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "obs/s")
		})
	}
}

func BenchmarkMatchSoftware(b *testing.B) {
	m := sharedMatcher(b)
	a := notify.Affected{CPEMatches: []notify.CPEMatch{{
		Criteria: "cpe:2.3:a:vendor10:product42:*:*:*:*:*:*:*:*", VersionStartIncluding: "2.0", VersionEndExcluding: "5.10.3",
	}}}
	b.ReportAllocs()
	for b.Loop() {
		m.MatchSoftware(a)
	}
}

// BenchmarkAdd is the cost of a typical incremental update: one entry
// added to an organization.
func BenchmarkAdd(b *testing.B) {
	m := notify.NewMatcher()
	if err := m.Load(benchWorld.Items); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		it := notify.Item{Kind: notify.KindDomain, Value: fmt.Sprintf("n%d.example", i)}
		if err := m.Add(notifytest.OrgID(i*7919%benchWorld.Orgs), it); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkLoad(b *testing.B) {
	w := notifytest.Scaled(100)
	b.ReportAllocs()
	for b.Loop() {
		if err := notify.NewMatcher().Load(w.Items); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(w.Size()*b.N)/b.Elapsed().Seconds(), "items/s")
}
