// Command taxii measures TAXII 2.1 page latency on a large collection: it
// stores a million realistic STIX object versions in one collection
// through the real ingest path, starts the HTTP server with the TAXII
// module and identity's authentication, and has concurrent clients page
// through GET .../collections/{id}/objects/ as community members with
// HTTP Basic (e-mail and API token). The target of the issue is a page p99
// of at most 20 ms with 64 clients at 1,000,000 objects.
//
//	go run ./bench/taxii                                   # SQLite in a temp dir, built and removed
//	go run ./bench/taxii -data /tmp/taxii-bench            # built once, reused by later runs
//	go run ./bench/taxii -data /tmp/taxii-bench -limit 100,1000 -repeat 3
//	go run ./bench/taxii -data /tmp/taxii-pg -database 'postgres://...&search_path=bench_taxii'
//	go run ./bench/taxii -data /tmp/taxii-bench -cpuprofile /tmp/taxii.prof
//
// Clients run closed-loop by default (the next request as soon as the
// previous answer is read), which measures the server at saturation: by
// Little's law, mean latency is then clients / throughput. -think gives
// each client a mean pause between pages, for latency under a load the
// server keeps up with. -readers and -sqlite-pragma change the SQLite
// reader pool for experiments (what db.Open would gain from other
// settings); they are not how the server runs.
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rampart-project/rampart/internal/app"
	"github.com/rampart-project/rampart/internal/config"
	"github.com/rampart-project/rampart/internal/platform/access"
	"github.com/rampart-project/rampart/internal/platform/audit"
	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/events"
	"github.com/rampart-project/rampart/internal/platform/identity"
	"github.com/rampart-project/rampart/internal/platform/web"
	taxiiserver "github.com/rampart-project/rampart/internal/taxii"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "taxii:", err)
		os.Exit(1)
	}
}

type options struct {
	databaseURL string
	dataDir     string
	objects     int
	maxBundle   int
	clients     int
	duration    time.Duration
	warmup      time.Duration
	limits      []int
	repeat      int
	think       time.Duration
	rate        float64
	writes      float64
	readers     int
	pragmas     []string
	cpuprofile  string
	seed        uint64
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.databaseURL, "database", "", "postgres:// URL (default: SQLite in the data directory)")
	fs.StringVar(&o.dataDir, "data", "", "keep the data here and reuse it in later runs (default: a temp dir, removed)")
	fs.IntVar(&o.objects, "objects", 1_000_000, "object versions to store")
	fs.IntVar(&o.maxBundle, "max-bundle", 2000, "largest bundle; sizes are log-uniform from 1")
	fs.IntVar(&o.clients, "clients", 64, "concurrent clients")
	fs.DurationVar(&o.duration, "duration", 30*time.Second, "measured time per run; 0 only builds the data")
	fs.DurationVar(&o.warmup, "warmup", 5*time.Second, "unmeasured time before each run")
	limits := fs.String("limit", "100", "page sizes to run, comma-separated (the server caps them at 1000)")
	fs.IntVar(&o.repeat, "repeat", 1, "runs per page size, to see the spread")
	fs.DurationVar(&o.think, "think", 0, "mean pause of a client between pages (exponential); 0 = closed loop")
	fs.Float64Var(&o.rate, "rate", 0, "open loop: pages per second offered by all clients together, each on a Poisson schedule, latency counted from when a request was due; 0 = closed loop or -think")
	fs.Float64Var(&o.writes, "writes", 0, "commits per second beside the clients during each run, each a 1 KB row in a table of the benchmark's own (a store that is also taking in objects; 0 = none)")
	fs.IntVar(&o.readers, "readers", 0, "override the SQLite reader pool size (an experiment; 0 = what db.Open sets)")
	pragmas := fs.String("sqlite-pragma", "", "run these PRAGMAs (comma-separated, e.g. mmap_size=4294967296) on every SQLite reader connection (an experiment)")
	fs.StringVar(&o.cpuprofile, "cpuprofile", "", "write a CPU profile of the client runs here")
	fs.Uint64Var(&o.seed, "seed", 1, "seed of the corpus and the clients")
	if err := fs.Parse(args[1:]); err != nil {
		return o, err
	}
	for _, f := range strings.Split(*limits, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			return o, fmt.Errorf("-limit: %q is not a page size", f)
		}
		o.limits = append(o.limits, n)
	}
	for _, p := range strings.Split(*pragmas, ",") {
		if p = strings.TrimSpace(p); p != "" {
			o.pragmas = append(o.pragmas, p)
		}
	}
	if o.clients <= 0 || o.repeat <= 0 || o.objects <= 0 {
		return o, errors.New("-clients, -repeat and -objects must be positive")
	}
	return o, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "command: %s\n", commandLine(args))
	// The collector as rampart serve sets it.
	gcPercent, memLimit := app.TuneGC(os.Getenv)
	fmt.Fprintf(stdout, "collector: GC percent %d, memory limit %d MiB (as rampart serve; GOGC and GOMEMLIMIT override)\n", gcPercent, memLimit>>20)
	fmt.Fprintf(stdout, "machine: %s/%s, %s, NumCPU %d, GOMAXPROCS %d, %s, load average %s\n",
		runtime.GOOS, runtime.GOARCH, runtime.Version(), runtime.NumCPU(), runtime.GOMAXPROCS(0), cpuModel(), loadAverage())

	dir := o.dataDir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "rampart-taxii-bench-"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	} else if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	opts := db.Options{Engine: db.SQLite, SQLitePath: dir + "/rampart.db"}
	if o.databaseURL != "" {
		opts = db.Options{Engine: db.Postgres, PostgresURL: o.databaseURL}
		if err := ensureSchema(ctx, o.databaseURL); err != nil {
			return err
		}
	}
	d, err := db.Open(ctx, opts)
	if err != nil {
		return err
	}
	defer d.Close()
	if _, err := d.Migrate(ctx); err != nil {
		return err
	}
	w, err := prepare(ctx, d, dir, o, stdout, stderr)
	if err != nil {
		return err
	}
	if o.duration == 0 {
		return nil
	}
	if err := describeData(ctx, d, w, stdout); err != nil {
		return err
	}
	if err := tuneReaders(ctx, d, o, stdout); err != nil {
		return err
	}

	srv, timings, err := startServer(ctx, d)
	if err != nil {
		return err
	}
	defer srv.close()
	first, last, _, err := w.addedRange(ctx, d)
	if err != nil {
		return err
	}
	tg := target{base: srv.url + "/taxii2/" + w.APIRoot + "/collections/" + w.Collection + "/objects/",
		members: w.Members, first: first, last: last}

	if o.cpuprofile != "" {
		f, err := os.Create(o.cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	mode := "closed loop (no pause between pages)"
	if o.think > 0 {
		mode = fmt.Sprintf("mean pause %s between a client's pages", o.think)
	}
	if o.rate > 0 {
		mode = fmt.Sprintf("open loop, %.0f pages/s offered in all (Poisson), latency from when each request was due", o.rate)
	}
	fmt.Fprintf(stdout, "clients: %d, %s; %s measured after %s warm-up per run; sessions of 1-%d pages: %s\n",
		o.clients, mode, o.duration, o.warmup, maxSessionPages, sessionMix())
	if o.writes > 0 {
		fmt.Fprintf(stdout, "writes: %.0f commits/s beside the clients\n", o.writes)
	}
	for _, limit := range o.limits {
		var runs []summary
		for r := range o.repeat {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			timings.reset(time.Now().Add(o.warmup))
			// The pool's counters, like the latencies, leave the warm-up out.
			beforeCh := make(chan sql.DBStats, 1)
			time.AfterFunc(o.warmup, func() { beforeCh <- poolStats(d) })
			la := loadAverage()
			cpuCh := make(chan time.Duration, 1)
			time.AfterFunc(o.warmup, func() { cpuCh <- cpuTime() })
			stopWrites := startWrites(ctx, d, o.writes)
			samples, elapsed := runClients(ctx, tg, clientOptions{clients: o.clients, duration: o.duration, warmup: o.warmup,
				limit: limit, think: o.think, rate: o.rate, seed: o.seed + uint64(1000*r+limit)})
			writes, writeErr := stopWrites()
			if writeErr != nil {
				return writeErr
			}
			s := summarise(samples, elapsed, limit)
			s.writes = writes
			after, before := poolStats(d), <-beforeCh
			s.cpu = cpuTime() - <-cpuCh
			s.poolWaits = after.WaitCount - before.WaitCount
			if s.n > 0 {
				s.poolWaitMean = (after.WaitDuration - before.WaitDuration) / time.Duration(s.n)
			}
			s.serverN, s.serverP50, s.serverP99 = timings.percentiles()
			s.loadBefore, s.loadAfter = la, loadAverage()
			printRun(stdout, limit, r+1, o.repeat, s)
			runs = append(runs, s)
		}
		if len(runs) > 1 {
			printSpread(stdout, limit, runs)
		}
	}
	return nil
}

// prepare reuses the data of an earlier run or builds it.
func prepare(ctx context.Context, d *db.DB, dir string, o options, stdout, stderr io.Writer) (*world, error) {
	gen := fmt.Sprintf("objects=%d seed=%d max-bundle=%d", o.objects, o.seed, o.maxBundle)
	w, err := loadWorld(dir)
	if err != nil {
		return nil, err
	}
	if w != nil && w.Loaded > 0 && w.Engine == d.Engine() && w.Generation == gen {
		// The file may outlive its database (a dropped schema, a deleted
		// file): measuring an empty collection would look like a fast one.
		if _, _, n, err := w.addedRange(ctx, d); err != nil || n != w.Loaded {
			return nil, fmt.Errorf("%s/%s describes %d objects but %s holds %d (%v); remove the directory to build again",
				dir, worldFile, w.Loaded, d.Where(), n, err)
		}
		fmt.Fprintf(stdout, "data: reusing %s (%s, %d object versions loaded %s, at %.0f objects/s)\n",
			d.Where(), d.Engine(), w.Loaded, w.LoadedAt, float64(w.Loaded)/w.LoadSecs)
		return w, nil
	}
	var n int
	if err := d.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM organizations`).Scan(&n); err != nil {
		return nil, err
	}
	if n > 0 {
		return nil, fmt.Errorf("%s holds data this run did not build (or built with other parameters than %s); "+
			"use an empty database (another -data directory, another PostgreSQL search_path)", d.Where(), gen)
	}
	if w, err = buildWorld(ctx, d); err != nil {
		return nil, err
	}
	if err := w.save(dir); err != nil {
		return nil, err
	}
	fmt.Fprintf(stderr, "load: %d object versions into %s (%s)\n", o.objects, d.Where(), d.Engine())
	res, err := load(ctx, d, w, o.objects, o.seed, o.maxBundle, stderr)
	if err != nil {
		return nil, err
	}
	if d.Engine() == db.Postgres {
		// Autovacuum would analyze the new tables within minutes; doing it
		// now measures the steady state instead of the first minutes.
		if err := d.Tx(ctx, func(tx *sql.Tx) error { _, err := tx.ExecContext(ctx, `ANALYZE`); return err }); err != nil {
			return nil, err
		}
	}
	fmt.Fprintf(stdout, "load: %d object versions (%d added, %d unchanged, %d later versions of earlier indicators) in %d bundles, %.1f s = %.0f objects/s (Ingest alone %.1f s = %.0f objects/s)\n",
		o.objects, res.added, res.unchanged, res.versions, res.bundles, res.elapsed.Seconds(), float64(o.objects)/res.elapsed.Seconds(),
		res.ingest.Seconds(), float64(o.objects)/res.ingest.Seconds())
	var classes []string
	for _, c := range tlpClasses {
		classes = append(classes, fmt.Sprintf("%s %.1f%%", c.name, 100*float64(res.byClass[c.name])/float64(o.objects)))
	}
	fmt.Fprintf(stdout, "load: by sharing setting: %s\n", strings.Join(classes, ", "))
	w.Loaded, w.LoadSecs, w.LoadedAt, w.Generation = res.added+res.unchanged, res.elapsed.Seconds(), time.Now().Format(time.RFC3339), gen
	return w, w.save(dir)
}

// describeData prints what the collection holds and how much of it one
// reader may see, so the figures can be read against the data.
func describeData(ctx context.Context, d *db.DB, w *world, stdout io.Writer) error {
	rows, err := d.Reader().QueryContext(ctx, `SELECT v.tlp, COUNT(*) FROM collection_objects c JOIN stix_versions v ON v.seq = c.version_seq
		WHERE c.collection_id = $1 GROUP BY v.tlp ORDER BY COUNT(*) DESC`, w.Collection)
	if err != nil {
		return err
	}
	var parts []string
	total := 0
	for rows.Next() {
		var tlp string
		var n int
		if err := rows.Scan(&tlp, &n); err != nil {
			rows.Close()
			return err
		}
		total += n
		parts = append(parts, fmt.Sprintf("%s %d", tlp, n))
	}
	rows.Close()
	var objects, indicators int
	if err := d.Reader().QueryRowContext(ctx, `SELECT COUNT(DISTINCT stix_id), SUM(CASE WHEN type = 'indicator' THEN 1 ELSE 0 END) FROM stix_versions`).
		Scan(&objects, &indicators); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "data: %s, %d versions of %d objects in the collection (%d indicator versions); by TLP: %s\n",
		d.Engine(), total, objects, indicators, strings.Join(parts, ", "))
	p, err := w.principals(ctx, d)
	if err != nil {
		return err
	}
	var a access.Args
	q := `SELECT COUNT(*) FROM collection_objects c JOIN stix_versions v ON v.seq = c.version_seq WHERE c.collection_id = ` +
		a.Add(w.Collection) + ` AND ` + access.Policy{}.Predicate(p[1], access.On("v"), &a)
	var visible int
	if err := d.Reader().QueryRowContext(ctx, q, a.Values...).Scan(&visible); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "data: %s may see %d of them (%.1f%%); readers are the analysts of the %d member organizations\n",
		w.Members[1].Name, visible, 100*float64(visible)/float64(total), len(w.Members))
	return nil
}

// server is the HTTP server under test.
type server struct {
	url   string
	hs    *http.Server
	stop  context.CancelFunc
	done  chan error
	serve chan error
}

func (s *server) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = s.hs.Shutdown(ctx)
	<-s.serve
	s.stop()
	<-s.done
}

// startServer builds the server as the TAXII tests do — the web server's
// middleware, identity's authentication, the TAXII module on the kernel —
// and serves it on a loopback port. Requests are logged nowhere: the
// logger costs the same in every configuration and is not what is
// measured.
func startServer(ctx context.Context, d *db.DB) (*server, *handlerTimings, error) {
	cfg := config.Default()
	logger := slog.New(slog.DiscardHandler)
	ids := identity.NewStore(d)
	rec := audit.NewRecorder(d.Engine())
	auth, err := identity.NewAuth(identity.AuthOptions{Store: ids, Audit: rec})
	if err != nil {
		return nil, nil, err
	}
	ws := web.NewServer(web.Options{
		Addr: "127.0.0.1:0", Logger: logger, Registry: prometheus.NewRegistry(),
		MaxBodyBytes: cfg.MaxBodyBytes, RequestTimeout: cfg.RequestTimeout, Authenticate: auth.Middleware,
	})
	k := &app.Kernel{Config: cfg, Logger: logger, DB: d, Outbox: events.NewOutbox(d, nil), Router: ws.Router,
		Identity: ids, Auth: auth, Audit: rec, Access: access.Policy{}}
	m := taxiiserver.New(taxiiserver.Options{})
	if err := m.Mount(ctx, k); err != nil {
		return nil, nil, err
	}
	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	s := &server{stop: stop, done: make(chan error, 1), serve: make(chan error, 1)}
	go func() { s.done <- m.Run(runCtx) }()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		stop()
		return nil, nil, err
	}
	// The whole chain of web.Server, wrapped once more to time the server
	// side of each request: the gap to the client's figure is the
	// loopback, the client and waiting for a core.
	timings := &handlerTimings{}
	s.hs = &http.Server{Handler: timings.wrap(ws.Handler()), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	s.url = "http://" + ln.Addr().String()
	go func() { s.serve <- s.hs.Serve(ln) }()
	return s, timings, nil
}

// handlerTimings collects the server-side duration of each request that
// starts after from, so that the warm-up is left out as on the client side.
type handlerTimings struct {
	mu   sync.Mutex
	from time.Time
	d    []time.Duration
}

func (t *handlerTimings) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		h.ServeHTTP(w, r)
		el := time.Since(start)
		t.mu.Lock()
		if start.After(t.from) {
			t.d = append(t.d, el)
		}
		t.mu.Unlock()
	})
}

func (t *handlerTimings) reset(from time.Time) {
	t.mu.Lock()
	t.from, t.d = from, t.d[:0]
	t.mu.Unlock()
}

func (t *handlerTimings) percentiles() (int, time.Duration, time.Duration) {
	t.mu.Lock()
	d := slices.Clone(t.d)
	t.mu.Unlock()
	slices.Sort(d)
	return len(d), percentile(d, 0.5), percentile(d, 0.99)
}

// tuneReaders applies -readers and -sqlite-pragma, experiments with
// what db.Open sets for SQLite. A PRAGMA holds per connection, so every
// connection of the pool is opened and held at once while it runs; the
// pool keeps them open afterwards (no lifetime, as many idle as open).
func tuneReaders(ctx context.Context, d *db.DB, o options, stdout io.Writer) error {
	pool := d.ReadPool()
	if d.Engine() != db.SQLite || o.readers == 0 && len(o.pragmas) == 0 {
		return nil
	}
	if o.readers > 0 {
		pool.SetMaxOpenConns(o.readers)
		pool.SetMaxIdleConns(o.readers)
	}
	if len(o.pragmas) == 0 {
		return nil
	}
	n := pool.Stats().MaxOpenConnections
	conns := make([]*sql.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range n {
		c, err := pool.Conn(ctx)
		if err != nil {
			return err
		}
		conns = append(conns, c)
		for _, p := range o.pragmas {
			var got string
			if err := c.QueryRowContext(ctx, "PRAGMA "+p).Scan(&got); err != nil && !errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("PRAGMA %s: %w", p, err)
			}
			if len(conns) == 1 {
				fmt.Fprintf(stdout, "readers: PRAGMA %s -> %q on each of %d connections\n", p, got, n)
			}
		}
	}
	return nil
}

func poolStats(d *db.DB) sql.DBStats {
	return d.ReadPool().Stats()
}

func printRun(w io.Writer, limit, r, of int, s summary) {
	errFrac := 0.0
	if s.n > 0 {
		errFrac = float64(s.errors) / float64(s.n)
	}
	cpuPerPage := 0.0
	if s.n > 0 {
		cpuPerPage = float64(s.cpu.Microseconds()) / 1000 / float64(s.n)
	}
	fmt.Fprintf(w, "limit=%d run %d/%d: %d requests in %.1f s = %.0f pages/s, errors %.3f%%; this process used %.2f cores, %.2f ms CPU per page (server and clients)\n",
		limit, r, of, s.n, s.elapsed.Seconds(), s.throughput, 100*errFrac, s.cpu.Seconds()/s.elapsed.Seconds(), cpuPerPage)
	fmt.Fprintf(w, "  latency p50 %s  p90 %s  p99 %s  max %s   (server side: p50 %s  p99 %s)\n",
		ms(s.p50), ms(s.p90), ms(s.p99), ms(s.max), ms(s.serverP50), ms(s.serverP99))
	fmt.Fprintf(w, "  page: %.1f objects, %.1f KB on average; full pages %.0f B/object; %.0f%% of requests followed next\n",
		s.meanObjs, s.meanBytes/1024, s.fullPageBytesPerObj, 100*s.nextShare)
	var kinds []string
	for k := range sessionKinds {
		b := s.byKind[k]
		kinds = append(kinds, fmt.Sprintf("%s %d p50 %s p99 %s", sessionNames[k], b.n, ms(b.p50), ms(b.p99)))
	}
	fmt.Fprintf(w, "  by session: %s\n", strings.Join(kinds, "; "))
	if s.writes > 0 {
		fmt.Fprintf(w, "  writes: %d commits beside the clients (warm-up included)\n", s.writes)
	}
	fmt.Fprintf(w, "  reader pool: %d waits for a connection, %s per request on average; load average %s -> %s\n",
		s.poolWaits, ms(s.poolWaitMean), s.loadBefore, s.loadAfter)
}

func printSpread(w io.Writer, limit int, runs []summary) {
	pick := func(f func(summary) float64) string {
		v := make([]float64, len(runs))
		for i, r := range runs {
			v[i] = f(r)
		}
		slices.Sort(v)
		return fmt.Sprintf("%.2f / %.2f / %.2f", v[0], v[len(v)/2], v[len(v)-1])
	}
	msOf := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	fmt.Fprintf(w, "limit=%d over %d runs (min / median / max): pages/s %s; CPU ms/page %s; p50 ms %s; p90 ms %s; p99 ms %s; max ms %s\n",
		limit, len(runs),
		pick(func(s summary) float64 { return s.throughput }),
		pick(func(s summary) float64 { return float64(s.cpu.Microseconds()) / 1000 / float64(max(s.n, 1)) }),
		pick(func(s summary) float64 { return msOf(s.p50) }),
		pick(func(s summary) float64 { return msOf(s.p90) }),
		pick(func(s summary) float64 { return msOf(s.p99) }),
		pick(func(s summary) float64 { return msOf(s.max) }))
}

func sessionMix() string {
	var parts []string
	for k := range sessionKinds {
		parts = append(parts, fmt.Sprintf("%s %d%%", sessionNames[k], sessionWeights[k]))
	}
	return strings.Join(parts, ", ")
}

// ensureSchema creates the schema a PostgreSQL URL's search_path names, so
// the benchmark can keep its data apart from the tests' in one database.
func ensureSchema(ctx context.Context, rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return err
	}
	schema := u.Query().Get("search_path")
	if schema == "" {
		return nil
	}
	for _, r := range schema {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			return fmt.Errorf("search_path %q: use lower-case letters, digits and _", schema)
		}
	}
	admin, err := sql.Open("pgx", rawURL)
	if err != nil {
		return err
	}
	defer admin.Close()
	_, err = admin.ExecContext(ctx, "CREATE SCHEMA IF NOT EXISTS "+schema)
	return err
}

func commandLine(args []string) string {
	out := []string{"go run ./bench/taxii"}
	for _, a := range args[1:] {
		if strings.ContainsAny(a, " '\"&?;$") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		out = append(out, a)
	}
	return strings.Join(out, " ")
}

// cpuTime is the CPU the process has used, user and system: under a
// machine shared with other work, CPU per page varies less than pages per
// second.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "cpu ?"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "cpu ?"
}

// startWrites commits perSecond small writes a second until the returned
// function is called, which says how many it made. Every commit makes each
// SQLite reader drop what it has cached and mapped of the file at its next
// read (the database changed under it), which a read-only run never shows.
func startWrites(ctx context.Context, d *db.DB, perSecond float64) func() (int, error) {
	if perSecond <= 0 {
		return func() (int, error) { return 0, nil }
	}
	ctx, cancel := context.WithCancel(ctx)
	var n int
	done := make(chan error, 1)
	go func() {
		err := d.Tx(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS bench_writes (n INTEGER NOT NULL, filler TEXT NOT NULL)`)
			return err
		})
		filler := strings.Repeat("w", 1000)
		t := time.NewTicker(time.Duration(float64(time.Second) / perSecond))
		defer t.Stop()
		for err == nil {
			select {
			case <-ctx.Done():
				done <- nil
				return
			case <-t.C:
			}
			err = d.Tx(ctx, func(tx *sql.Tx) error {
				_, err := tx.ExecContext(ctx, `INSERT INTO bench_writes (n, filler) VALUES ($1, $2)`, n, filler)
				return err
			})
			if err == nil {
				n++
			}
		}
		if ctx.Err() != nil {
			err = nil
		}
		done <- err
	}()
	return func() (int, error) {
		cancel()
		err := <-done
		return n, err
	}
}
