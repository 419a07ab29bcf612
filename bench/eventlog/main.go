// Command eventlog measures Rampart's write-and-event path: transactions that
// each write one outbox event, the relay publishing them to JetStream, and a
// durable consumer receiving them. It prints write throughput, commit
// latency and commit-to-consumer latency.
//
//	go run ./bench/eventlog                      # SQLite + embedded NATS in a temp dir
//	go run ./bench/eventlog -database postgres://... -nats nats://127.0.0.1:4222
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/events"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "eventlog:", err)
		os.Exit(1)
	}
}

func run() error {
	var (
		databaseURL = flag.String("database", "", "postgres:// URL (default: SQLite in a temp dir)")
		natsURL     = flag.String("nats", "", "nats:// URL (default: embedded in a temp dir)")
		total       = flag.Int("events", 20000, "events to write")
		writers     = flag.Int("writers", 8, "concurrent writers")
	)
	flag.Parse()
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "rampart-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	opts := db.Options{Engine: db.SQLite, SQLitePath: dir + "/bench.db"}
	if *databaseURL != "" {
		opts = db.Options{Engine: db.Postgres, PostgresURL: *databaseURL}
	}
	d, err := db.Open(ctx, opts)
	if err != nil {
		return err
	}
	defer d.Close()
	if _, err := d.Migrate(ctx); err != nil {
		return err
	}
	prefix := fmt.Sprintf("bench%d", time.Now().UnixNano()%1e9)
	bus, err := events.Open(ctx, events.Options{URL: *natsURL, StoreDir: dir + "/nats", Prefix: prefix})
	if err != nil {
		return err
	}
	defer func() {
		if *natsURL != "" {
			_ = bus.DeleteStreams(ctx)
		}
		bus.Close()
	}()
	logger := slog.New(slog.DiscardHandler)
	relay := events.NewRelay(d, bus, logger)
	relayCtx, stopRelay := context.WithCancel(ctx)
	go relay.Run(relayCtx)
	defer stopRelay()
	outbox := events.NewOutbox(d, relay)

	var mu sync.Mutex
	endToEnd := make([]time.Duration, 0, *total)
	received := make(chan struct{})
	var count atomic.Int64
	cons, err := bus.Consume(ctx, events.ConsumerConfig{Name: "bench"}, func(_ context.Context, e events.Event) error {
		var p struct{ Committed int64 }
		if err := e.Decode(&p); err != nil {
			return err
		}
		lat := time.Since(time.Unix(0, p.Committed))
		mu.Lock()
		endToEnd = append(endToEnd, lat)
		mu.Unlock()
		if count.Add(1) == int64(*total) {
			close(received)
		}
		return nil
	})
	if err != nil {
		return err
	}
	defer cons.Stop()

	commits := make([]time.Duration, *total)
	var next atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, *writers)
	for range *writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(*total) {
					return
				}
				t0 := time.Now()
				err := outbox.Tx(ctx, func(tx *sql.Tx) error {
					// The timestamp is taken inside the transaction, so
					// commit time counts toward end-to-end latency.
					_, err := events.Emit(ctx, tx, "bench.written", map[string]int64{"Committed": time.Now().UnixNano()})
					return err
				})
				if err != nil {
					errs <- err
					return
				}
				commits[i] = time.Since(t0)
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	written := time.Since(start)
	select {
	case <-received:
	case <-time.After(2 * time.Minute):
		return fmt.Errorf("consumer received %d of %d events", count.Load(), *total)
	}
	drained := time.Since(start)

	engine := "sqlite"
	if *databaseURL != "" {
		engine = "postgres"
	}
	natsKind := "embedded"
	if *natsURL != "" {
		natsKind = "external"
	}
	fmt.Printf("backend            %s + %s nats, %d writers\n", engine, natsKind, *writers)
	fmt.Printf("events             %d\n", *total)
	fmt.Printf("write throughput   %.0f tx/s (one event each)\n", float64(*total)/written.Seconds())
	fmt.Printf("commit latency     p50 %s  p99 %s\n", pct(commits, 50), pct(commits, 99))
	fmt.Printf("commit -> consumer p50 %s  p99 %s\n", pct(endToEnd, 50), pct(endToEnd, 99))
	fmt.Printf("all delivered in   %s\n", drained.Round(time.Millisecond))
	return nil
}

func pct(ds []time.Duration, p int) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	return s[min(len(s)-1, len(s)*p/100)].Round(10 * time.Microsecond)
}
