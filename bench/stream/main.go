// Command stream measures the live stream's fan-out: a real server (the
// sharing module on app.New, its relay and its stream hub) with many
// subscribers connected to GET /api/v1/stream over HTTP, and objects
// stored one at a time. For every object and subscriber it measures the
// time from the commit (the store's Ingest returning) to the subscriber
// reading the event, and prints percentiles.
//
//	go run ./bench/stream                                   # SQLite + embedded NATS in a temp dir
//	go run ./bench/stream -subscribers 1000 -objects 300 -interval 20ms
//	go run ./bench/stream -database postgres://... -nats nats://127.0.0.1:4222
package main

import (
	"bufio"
	"context"
	"database/sql"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/rampart-project/rampart/internal/app"
	"github.com/rampart-project/rampart/internal/config"
	"github.com/rampart-project/rampart/internal/platform/access"
	"github.com/rampart-project/rampart/internal/platform/events"
	"github.com/rampart-project/rampart/internal/platform/identity"
	"github.com/rampart-project/rampart/internal/sharing"
	"github.com/rampart-project/rampart/stix"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "stream:", err)
		os.Exit(1)
	}
}

func run() error {
	var (
		databaseURL = flag.String("database", "", "postgres:// URL (default: SQLite in a temp dir)")
		natsURL     = flag.String("nats", "", "nats:// URL (default: embedded in a temp dir)")
		subscribers = flag.Int("subscribers", 1000, "concurrent stream subscribers")
		objects     = flag.Int("objects", 300, "objects to store, one per commit")
		interval    = flag.Duration("interval", 20*time.Millisecond, "pause between commits")
		users       = flag.Int("users", 10, "distinct users the subscribers sign in as")
	)
	flag.Parse()
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "rampart-bench-stream-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	cfg := config.Default()
	cfg.DataDir, cfg.Addr = dir, "127.0.0.1:0"
	cfg.NATSURL = *natsURL
	if *databaseURL != "" {
		url, drop, err := freshSchema(ctx, *databaseURL)
		if err != nil {
			return err
		}
		defer drop()
		cfg.DatabaseURL = url
	}
	cfg.EventsPrefix = fmt.Sprintf("benchstream%d", time.Now().UnixNano()%1e9)
	m := sharing.New()
	a, err := app.New(ctx, cfg, app.Options{Logger: slog.New(slog.DiscardHandler), Version: "bench", Modules: []app.Module{m}})
	if err != nil {
		return err
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- a.Run(runCtx) }()
	defer func() {
		stop()
		<-done
		if *natsURL != "" {
			// This run's streams on a shared server are of no further use.
			if bus, err := events.Open(ctx, events.Options{URL: *natsURL, Prefix: cfg.EventsPrefix}); err == nil {
				_ = bus.DeleteStreams(ctx)
				bus.Close()
			}
		}
	}()
	base := "http://" + a.Addr().String()

	tokens, submitter, err := world(ctx, m, *users)
	if err != nil {
		return err
	}

	// Connect every subscriber and wait for each stream's opening block.
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *subscribers, DisableCompression: true}}
	receipts := make([][]time.Time, *subscribers)
	var received atomic.Int64
	streamCtx, closeStreams := context.WithCancel(ctx)
	defer closeStreams()
	var readers sync.WaitGroup
	sem := make(chan struct{}, 64)
	errc := make(chan error, *subscribers)
	var opening sync.WaitGroup
	for i := range *subscribers {
		receipts[i] = make([]time.Time, *objects)
		opening.Add(1)
		readers.Add(1)
		sem <- struct{}{}
		go func() {
			defer readers.Done()
			opened := false
			open := func() {
				if !opened {
					opened = true
					<-sem
					opening.Done()
				}
			}
			defer open()
			if err := subscribe(streamCtx, client, base, tokens[i%len(tokens)], receipts[i], &received, open); err != nil && streamCtx.Err() == nil {
				errc <- err
			}
		}()
	}
	opening.Wait()
	select {
	case err := <-errc:
		return fmt.Errorf("a subscriber failed: %w", err)
	default:
	}
	fmt.Printf("%d subscribers connected\n", *subscribers)

	// Store objects one commit at a time and note when each commit ended.
	commits := make([]time.Time, *objects)
	store := m.Store()
	commitTook := make([]time.Duration, 0, *objects)
	for i := range *objects {
		obj, err := stix.ParseObject([]byte(indicator(i)))
		if err != nil {
			return err
		}
		start := time.Now()
		rep, err := store.Ingest(ctx, sharing.Submission{Principal: submitter, Source: sharing.SourceAPI, DefaultTLP: access.Green}, []stix.Object{obj})
		if err != nil {
			return err
		}
		if rep.Added != 1 {
			return fmt.Errorf("object %d not stored: %+v", i, rep.Outcomes)
		}
		commits[i] = time.Now()
		commitTook = append(commitTook, commits[i].Sub(start))
		time.Sleep(*interval)
	}
	want := int64(*subscribers) * int64(*objects)
	deadline := time.Now().Add(30 * time.Second)
	for received.Load() < want && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	closeStreams()
	readers.Wait()

	var lat, perObject []time.Duration
	missing := 0
	for j := range *objects {
		var slowest time.Duration
		for i := range *subscribers {
			r := receipts[i][j]
			if r.IsZero() {
				missing++
				continue
			}
			d := max(r.Sub(commits[j]), 0)
			lat = append(lat, d)
			slowest = max(slowest, d)
		}
		perObject = append(perObject, slowest)
	}
	engine := "sqlite"
	if *databaseURL != "" {
		engine = "postgres"
	}
	broker := "embedded"
	if *natsURL != "" {
		broker = "external"
	}
	fmt.Printf("command:  go run ./bench/stream %s\n", strings.Join(os.Args[1:], " "))
	fmt.Printf("setup:    %s, NATS %s, GOMAXPROCS %d, %s/%s, %s\n", engine, broker, runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH, runtime.Version())
	fmt.Printf("load:     %d subscribers (%d users), %d objects, one per commit, %s apart\n", *subscribers, len(tokens), *objects, *interval)
	fmt.Printf("received: %d of %d (%d missing)\n", len(lat), want, missing)
	fmt.Printf("commit:   p50 %s  p99 %s  (Ingest of one object)\n", pct(commitTook, 50), pct(commitTook, 99))
	fmt.Printf("commit -> receipt, every subscriber and object:  p50 %s  p90 %s  p99 %s  max %s\n",
		pct(lat, 50), pct(lat, 90), pct(lat, 99), pct(lat, 100))
	fmt.Printf("commit -> last subscriber's receipt, per object: p50 %s  p90 %s  p99 %s  max %s\n",
		pct(perObject, 50), pct(perObject, 90), pct(perObject, 99), pct(perObject, 100))
	if missing > 0 {
		return fmt.Errorf("%d receipts missing", missing)
	}
	return nil
}

// freshSchema creates an empty schema in the database at base and returns
// a URL whose connections use it, and a function that drops it, so that
// runs neither see each other's data nor leave any behind.
func freshSchema(ctx context.Context, base string) (string, func(), error) {
	admin, err := sql.Open("pgx", base)
	if err != nil {
		return "", nil, err
	}
	schema := fmt.Sprintf("bench_stream_%d", time.Now().UnixNano())
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		return "", nil, fmt.Errorf("create schema: %w", err)
	}
	drop := func() {
		if _, err := admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			fmt.Fprintln(os.Stderr, "stream: drop schema", schema+":", err)
		}
		admin.Close()
	}
	u, err := url.Parse(base)
	if err != nil {
		drop()
		return "", nil, err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), drop, nil
}

// world creates two organizations with users and API tokens, and returns
// the tokens and the principal that submits.
func world(ctx context.Context, m *sharing.Module, n int) ([]string, access.Principal, error) {
	d := m.Store().DB()
	ids := identity.NewStore(d)
	var tokens []string
	var submitter access.Principal
	err := d.Tx(ctx, func(tx *sql.Tx) error {
		var orgs []*identity.Organization
		for _, name := range []string{"State of Meridian", "Ashford County"} {
			o := &identity.Organization{Name: name, Kind: identity.KindLocal}
			if err := ids.CreateOrg(ctx, tx, o); err != nil {
				return err
			}
			orgs = append(orgs, o)
		}
		for i := range max(n, 1) {
			u := &identity.User{Email: fmt.Sprintf("analyst%d@bench.example", i), Name: "Analyst", OrgID: orgs[i%2].ID, Roles: []identity.Role{identity.RoleAnalyst}}
			if err := ids.CreateUserHashed(ctx, tx, u, ""); err != nil {
				return err
			}
			_, secret, err := ids.CreateToken(ctx, tx, u.ID, "bench", []identity.Scope{identity.ScopeRead, identity.ScopeWrite}, 0)
			if err != nil {
				return err
			}
			tokens = append(tokens, secret)
			if i == 0 {
				submitter = access.Principal{UserID: u.ID, OrgID: u.OrgID, Communities: []string{access.AllMembers}}
			}
		}
		return nil
	})
	return tokens, submitter, err
}

func indicator(i int) string {
	return fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"indicator--00000000-0000-4000-8000-%012d","created":"2026-01-01T00:00:00.000Z",
"modified":"2026-01-01T00:00:00.000Z","name":"bench-%d","pattern":"[ipv4-addr:value = '198.51.100.%d']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"}`,
		i, i, i%250)
}

// subscribe reads one stream until ctx ends, recording when each object
// arrives; open is called once the stream has opened.
func subscribe(ctx context.Context, client *http.Client, base, token string, receipts []time.Time, received *atomic.Int64, open func()) error {
	req, err := http.NewRequestWithContext(ctx, "GET", base+"/api/v1/stream", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("status %d: %s", resp.StatusCode, b)
	}
	r := bufio.NewReader(resp.Body)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return err
		}
		if line == "\n" {
			open()
			continue
		}
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok {
			continue
		}
		at := time.Now()
		_, rest, _ := strings.Cut(data, `"name":"bench-`)
		num, _, _ := strings.Cut(rest, `"`)
		if i, err := strconv.Atoi(num); err == nil && i >= 0 && i < len(receipts) && receipts[i].IsZero() {
			receipts[i] = at
			received.Add(1)
		}
	}
}

func pct(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := (len(s) - 1) * p / 100
	return s[i].Round(10 * time.Microsecond)
}
