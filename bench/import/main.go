// Command import measures how fast the sharing store takes in the whole
// ATT&CK Enterprise bundle (24,771 objects, 46 MB), beside a raw insert of
// the same objects' bytes into a table of the same database in the same run,
// which is the floor any store with an index on id must pay.
//
//	go run ./bench/import                          # SQLite in a temp dir
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
	"runtime/pprof"
	"time"

	"github.com/rampart-project/rampart/internal/platform/access"
	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/events"
	"github.com/rampart-project/rampart/internal/platform/identity"
	"github.com/rampart-project/rampart/internal/sharing"
	"github.com/rampart-project/rampart/stix"
)

const attack = "../shared/data/mitre-attack/enterprise-attack-18.1-stix21-reconstructed.json.gz"

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "import:", err)
		os.Exit(1)
	}
}

func run() error {
	var (
		databaseURL = flag.String("database", "", "postgres:// URL (default: SQLite in a temp dir)")
		file        = flag.String("file", attack, "gzipped STIX bundle")
		cpuprofile  = flag.String("cpuprofile", "", "write a CPU profile of the store import here")
	)
	flag.Parse()
	ctx := context.Background()
	raw, err := readGzip(*file)
	if err != nil {
		return fmt.Errorf("%w (run from the repository root, with ../shared/data beside it)", err)
	}
	var objs []stix.Object
	start := time.Now()
	if _, err := stix.DecodeBundle(bytes.NewReader(raw), func(_ int, o stix.Object, err error) error {
		if err == nil {
			objs = append(objs, o)
		}
		return err
	}); err != nil {
		return err
	}
	parse := time.Since(start)

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

	// The floor: the same bytes into a table keyed by id, in the same
	// batches and transactions of the same size as the store uses.
	if err := d.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `CREATE TABLE bench_raw (id TEXT NOT NULL, modified TEXT NOT NULL, body BYTEA NOT NULL, PRIMARY KEY (id, modified))`)
		return err
	}); err != nil {
		return err
	}
	start = time.Now()
	for i := 0; i < len(objs); i += 1000 {
		err := d.Tx(ctx, func(tx *sql.Tx) error {
			stmt, err := tx.PrepareContext(ctx, `INSERT INTO bench_raw (id, modified, body) VALUES ($1, $2, $3)`)
			if err != nil {
				return err
			}
			defer stmt.Close()
			for _, o := range objs[i:min(i+1000, len(objs))] {
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
	rawInsert := time.Since(start)

	var org identity.Organization
	ids := identity.NewStore(d)
	if err := d.Tx(ctx, func(tx *sql.Tx) error {
		org = identity.Organization{Name: "Bench Coordinator", Kind: identity.KindCoordinator}
		return ids.CreateOrg(ctx, tx, &org)
	}); err != nil {
		return err
	}
	store := sharing.NewStore(d, events.NewOutbox(d, nil), access.Policy{})
	sub := sharing.Submission{Principal: access.Principal{UserID: "bench", OrgID: org.ID, Communities: []string{access.AllMembers}},
		Actor: "bench", Source: sharing.SourceImport, DefaultTLP: access.Clear}
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
	start = time.Now()
	rep, err := store.Ingest(ctx, sub, objs)
	if err != nil {
		return err
	}
	ingest := time.Since(start)
	if rep.Added != len(objs) {
		return errors.New("not every object was added")
	}
	mb := float64(len(raw)) / 1e6
	fmt.Printf("ATT&CK Enterprise: %d objects, %.1f MB, %s\n", len(objs), mb, d.Engine())
	fmt.Printf("  parse (DecodeBundle):       %7.3f s  %8.0f objects/s  %6.1f MB/s\n", parse.Seconds(), float64(len(objs))/parse.Seconds(), mb/parse.Seconds())
	fmt.Printf("  raw insert (same bytes):    %7.3f s  %8.0f objects/s  %6.1f MB/s\n", rawInsert.Seconds(), float64(len(objs))/rawInsert.Seconds(), mb/rawInsert.Seconds())
	fmt.Printf("  store import (validate, index, audit, event): %7.3f s  %8.0f objects/s  %6.1f MB/s  = %.2f x raw insert\n",
		ingest.Seconds(), float64(len(objs))/ingest.Seconds(), mb/ingest.Seconds(), ingest.Seconds()/rawInsert.Seconds())
	return nil
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
