// Command import measures how fast the sharing store takes in the whole
// ATT&CK Enterprise bundle (24,771 objects, 46 MB), beside a raw insert of
// the same objects' bytes into a table of the same database in the same run,
// which is the floor any store with an index on id must pay.
//
// Each run uses a fresh database. Wall times on a shared machine vary by a
// sixth from run to run, so it prints the CPU (user and system) of each
// phase too, and the median of the runs.
//
//	go run ./bench/import                          # SQLite in a temp dir
//	go run ./bench/import -runs 5
//	go run ./bench/import -database postgres://... # PostgreSQL
//	go run ./bench/import -cpuprofile /tmp/import.prof
package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rampart-project/rampart/internal/app"
	"github.com/rampart-project/rampart/internal/platform/access"
	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/events"
	"github.com/rampart-project/rampart/internal/platform/identity"
	"github.com/rampart-project/rampart/internal/sharing"
	"github.com/rampart-project/rampart/stix"
)

const attack = "../shared/data/mitre-attack/enterprise-attack-18.1-stix21-reconstructed.json.gz"

// rawBatch is the store's batch size: the raw insert commits as often.
const rawBatch = 1000

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "import:", err)
		os.Exit(1)
	}
}

// phase is the wall and CPU time of one measured step.
type phase struct {
	wall, cpu time.Duration
	written   int64 // bytes
}

func measure(fn func() error) (phase, error) {
	w, c, start := writtenBytes(), cpuTime(), time.Now()
	err := fn()
	return phase{time.Since(start), cpuTime() - c, writtenBytes() - w}, err
}

// writtenBytes is what the process has handed to write system calls so
// far (Linux; 0 elsewhere): WAL frames and the checkpoints' copies, the
// I/O that most of a commit's time goes to.
func writtenBytes() int64 {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "wchar: "); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	return 0
}

func run() error {
	var (
		databaseURL = flag.String("database", "", "postgres:// URL (default: SQLite in a temp dir)")
		file        = flag.String("file", attack, "gzipped STIX bundle")
		runs        = flag.Int("runs", 3, "runs, each on a fresh database")
		cpuprofile  = flag.String("cpuprofile", "", "write a CPU profile of the store imports here")
	)
	flag.Parse()
	app.TuneGC(os.Getenv) // as rampart import
	ctx := context.Background()
	raw, err := readGzip(*file)
	if err != nil {
		return fmt.Errorf("%w (run from the repository root, with ../shared/data beside it)", err)
	}
	var objs []stix.Object
	parse, err := measure(func() error {
		_, err := stix.DecodeBundle(bytes.NewReader(raw), func(_ int, o stix.Object, err error) error {
			if err == nil {
				objs = append(objs, o)
			}
			return err
		})
		return err
	})
	if err != nil {
		return err
	}
	mb := float64(len(raw)) / 1e6
	engine := "sqlite"
	if *databaseURL != "" {
		engine = "postgres"
	}
	fmt.Printf("ATT&CK Enterprise: %d objects, %.1f MB, %s, NumCPU %d, %s\n", len(objs), mb, engine, runtime.NumCPU(), runtime.Version())
	fmt.Printf("  parse (DecodeBundle):  %6.3f s  %6.0f objects/s  %5.1f MB/s  (CPU %.2f s)\n",
		parse.wall.Seconds(), float64(len(objs))/parse.wall.Seconds(), mb/parse.wall.Seconds(), parse.cpu.Seconds())

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
	var wallRatios, cpuRatios []float64
	for r := range *runs {
		rawPhase, store, err := once(ctx, *databaseURL, objs)
		if err != nil {
			return err
		}
		fmt.Printf("  run %d: raw insert %6.3f s (%5.1f MB/s, CPU %.2f s, wrote %.0f MB); store import %6.3f s (%6.0f objects/s, %5.1f MB/s, CPU %.2f s, wrote %.0f MB) = %.2f x raw (CPU %.2f x)\n",
			r+1, rawPhase.wall.Seconds(), mb/rawPhase.wall.Seconds(), rawPhase.cpu.Seconds(), float64(rawPhase.written)/1e6,
			store.wall.Seconds(), float64(len(objs))/store.wall.Seconds(), mb/store.wall.Seconds(), store.cpu.Seconds(), float64(store.written)/1e6,
			store.wall.Seconds()/rawPhase.wall.Seconds(), store.cpu.Seconds()/rawPhase.cpu.Seconds())
		wallRatios = append(wallRatios, store.wall.Seconds()/rawPhase.wall.Seconds())
		cpuRatios = append(cpuRatios, store.cpu.Seconds()/rawPhase.cpu.Seconds())
	}
	fmt.Printf("  median of %d runs: store import = %.2f x raw insert (CPU %.2f x)\n", *runs, median(wallRatios), median(cpuRatios))
	return nil
}

// once imports objs into a fresh database: the raw insert, then the store.
func once(ctx context.Context, databaseURL string, objs []stix.Object) (rawPhase, store phase, err error) {
	dir, err := os.MkdirTemp("", "rampart-bench-")
	if err != nil {
		return
	}
	defer os.RemoveAll(dir)
	opts := db.Options{Engine: db.SQLite, SQLitePath: dir + "/bench.db"}
	if databaseURL != "" {
		opts = db.Options{Engine: db.Postgres, PostgresURL: databaseURL}
	}
	d, err := db.Open(ctx, opts)
	if err != nil {
		return
	}
	defer d.Close()
	if _, err = d.Migrate(ctx); err != nil {
		return
	}
	if databaseURL != "" {
		// A database reused across runs: start both tables empty.
		if err = d.Tx(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `DROP TABLE IF EXISTS bench_raw`)
			return err
		}); err != nil {
			return
		}
	}

	// The floor: the same bytes into a table keyed by id, in transactions
	// of the store's batch size.
	if err = d.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `CREATE TABLE bench_raw (id TEXT NOT NULL, modified TEXT NOT NULL, body BYTEA NOT NULL, PRIMARY KEY (id, modified))`)
		return err
	}); err != nil {
		return
	}
	rawPhase, err = measure(func() error {
		for i := 0; i < len(objs); i += rawBatch {
			err := d.Tx(ctx, func(tx *sql.Tx) error {
				stmt, err := tx.PrepareContext(ctx, `INSERT INTO bench_raw (id, modified, body) VALUES ($1, $2, $3)`)
				if err != nil {
					return err
				}
				defer stmt.Close()
				for _, o := range objs[i:min(i+rawBatch, len(objs))] {
					b, _ := o.MarshalJSON()
					if _, err := stmt.ExecContext(ctx, o.ID(), o.ModifiedRaw(), b); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return
	}

	// The store starts, as the raw insert did, from an empty WAL: the
	// copying of the raw insert's last frames is not the store's to pay.
	if err = d.Checkpoint(ctx); err != nil {
		return
	}
	var org identity.Organization
	ids := identity.NewStore(d)
	if err = d.Tx(ctx, func(tx *sql.Tx) error {
		org = identity.Organization{Name: fmt.Sprintf("Bench Coordinator %d", time.Now().UnixNano()), Kind: identity.KindCoordinator}
		return ids.CreateOrg(ctx, tx, &org)
	}); err != nil {
		return
	}
	st := sharing.NewStore(d, events.NewOutbox(d, nil), access.Policy{})
	sub := sharing.Submission{Principal: access.Principal{UserID: "bench", OrgID: org.ID, Communities: []string{access.AllMembers}},
		Actor: "bench", Source: sharing.SourceImport, DefaultTLP: access.Clear}
	store, err = measure(func() error {
		rep, err := st.Ingest(ctx, sub, objs)
		if err != nil {
			return err
		}
		if rep.Added != len(objs) {
			return errors.New("not every object was added (on PostgreSQL, run against an empty database)")
		}
		return nil
	})
	return
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	return s[len(s)/2]
}

// cpuTime is the CPU the process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func readGzip(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}
