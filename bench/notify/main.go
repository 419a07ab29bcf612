// Command notify measures the notification matcher on a generated
// national-scale world: 90,000 organizations holding 1,000,000 networks
// (IPv4 and IPv6), 2,000,000 domains and 500,000 software entries, plus one
// e-mail domain per organization and some URLs and AS numbers. It reports
// the time to build the matcher, the heap it keeps (HeapInuse after a
// collection, minus the heap before), and matching throughput on one core
// (GOMAXPROCS 1, one goroutine) over a feed-like mix of addresses,
// networks, domains, URLs and e-mail addresses, with the hit rate.
//
//	go run ./bench/notify                  # the national world
//	go run ./bench/notify -scale 10        # a tenth of it
//	go run ./bench/notify -cpuprofile /tmp/match.prof
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/rampart-project/rampart/internal/notify"
	"github.com/rampart-project/rampart/internal/notify/notifytest"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "notify:", err)
		os.Exit(1)
	}
}

func run() error {
	var (
		scale      = flag.Int("scale", 1, "divide the national world by this")
		count      = flag.Int("observables", 2_000_000, "observables to match")
		aimed      = flag.Int("aimed", 20, "one observable in this many is made to hit an inventory entry")
		rounds     = flag.Int("rounds", 3, "matching rounds; the best is reported")
		updates    = flag.Int("updates", 20_000, "one-entry updates to time (more than the delta holds, so one rebuild is included)")
		cpuprofile = flag.String("cpuprofile", "", "write a CPU profile of the matching here")
	)
	flag.Parse()
	if *scale < 1 || *count < 1 || *rounds < 1 {
		return fmt.Errorf("-scale, -observables and -rounds must be positive")
	}
	world := notifytest.National()
	if *scale > 1 {
		world = notifytest.Scaled(*scale)
	}
	fmt.Printf("command: go run ./bench/notify %s\n", strings.Join(os.Args[1:], " "))
	fmt.Printf("machine: %s/%s, %d CPUs, %s\n", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version())
	fmt.Printf("world:   %d organizations, %d networks, %d domains, %d software entries, %d items in all\n",
		world.Orgs, world.CIDRs, world.Domains, world.Software, world.Size())

	// What generating the world costs, to tell it apart from building.
	start := time.Now()
	for range world.Items {
	}
	generate := time.Since(start)

	before := heapInuse()
	m := notify.NewMatcher()
	start = time.Now()
	if err := m.Load(world.Items); err != nil {
		return err
	}
	build := time.Since(start)
	after := heapInuse()
	st := m.Stats()
	fmt.Printf("build:   %.1fs, of which %.1fs generating the world (%d entries of %d organizations after dropping repeats; %.0f entries/s without generating)\n",
		build.Seconds(), generate.Seconds(), st.Entries, st.Organizations, float64(st.Entries)/(build-generate).Seconds())
	fmt.Printf("memory:  %.0f MiB heap in use for the matcher (%.0f bytes per entry)\n",
		float64(after-before)/(1<<20), float64(after-before)/float64(st.Entries))

	obs := world.Observables(*count, *aimed, 7)
	mix := map[string]int{}
	for _, o := range obs {
		k := o.Type
		if o.Op == "ISSUBSET" {
			k = "network"
		}
		mix[k]++
	}
	fmt.Printf("mix:     %s\n", describeMix(mix, len(obs)))

	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)
	var best time.Duration
	var hits, hitObs int
	var dst []notify.Hit
	for range *rounds {
		hits, hitObs = 0, 0
		start := time.Now()
		for _, o := range obs {
			dst = m.AppendMatches(dst[:0], o)
			if len(dst) > 0 {
				hitObs++
				hits += len(dst)
			}
		}
		if d := time.Since(start); best == 0 || d < best {
			best = d
		}
	}
	fmt.Printf("match:   %.0f observables/s on one core (GOMAXPROCS 1; best of %d rounds of %d, %.0f ns each)\n",
		float64(len(obs))/best.Seconds(), *rounds, len(obs), float64(best.Nanoseconds())/float64(len(obs)))
	fmt.Printf("hits:    %.2f%% of observables hit (%d hits on %d observables, %.1f per hitting observable)\n",
		100*float64(hitObs)/float64(len(obs)), hits, hitObs, float64(hits)/float64(max(hitObs, 1)))

	// The same with a fresh slice per call, as Match allocates it.
	start = time.Now()
	for _, o := range obs {
		_ = m.Match(o)
	}
	d := time.Since(start)
	fmt.Printf("match:   %.0f observables/s with Match (a new slice per call)\n", float64(len(obs))/d.Seconds())

	// Incremental updates: an edit adds one entry to some organization.
	// Enough of them that the delta reaches its limit and the base is
	// rebuilt at least once, so the mean is the amortised cost.
	var worst time.Duration
	start = time.Now()
	for i := range *updates {
		org := notifytest.OrgID(i * 7919 % world.Orgs)
		t := time.Now()
		if err := m.Add(org, notify.Item{Kind: notify.KindDomain, Value: fmt.Sprintf("new%d.example", i)}); err != nil {
			return err
		}
		worst = max(worst, time.Since(t))
	}
	st = m.Stats()
	fmt.Printf("update:  %.3f ms mean per one-entry Add over %d (slowest %.2fs: a base rebuild; the delta now holds %d)\n",
		float64(time.Since(start).Microseconds())/1000/float64(*updates), *updates, worst.Seconds(), st.Delta)
	runtime.KeepAlive(m)
	return nil
}

func heapInuse() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

func describeMix(mix map[string]int, n int) string {
	var parts []string
	for _, k := range []string{"ipv4-addr", "ipv6-addr", "network", "domain-name", "url", "email-addr"} {
		parts = append(parts, fmt.Sprintf("%s %.0f%%", k, 100*float64(mix[k])/float64(n)))
	}
	return strings.Join(parts, ", ")
}
