// Package db opens Rampart's database — SQLite (embedded, the default) or
// PostgreSQL (for many replicas) — applies the embedded migrations, and runs
// transactions. Both engines take the same SQL where it can be written once:
// placeholders are $1, $2, ... on both, timestamps are BIGINT microseconds
// since the Unix epoch (UTC), and upserts use ON CONFLICT. Where the engines
// differ, code asks Engine().
//
// On SQLite every write goes through a single connection that begins
// transactions with BEGIN IMMEDIATE, so writers queue in Go instead of failing
// with SQLITE_BUSY; reads use a separate pool that cannot write.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver
)

// Engine names a storage engine.
type Engine string

// The storage engines.
const (
	SQLite   Engine = "sqlite"
	Postgres Engine = "postgres"
)

// Options say which database to open.
type Options struct {
	Engine      Engine
	SQLitePath  string // with SQLite: the database file
	PostgresURL string // with Postgres: the connection URL
	Logger      *slog.Logger
}

// Querier is what both a pool and a transaction offer, so that helpers can
// run inside or outside a transaction.
type Querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// DB is an open database.
type DB struct {
	engine Engine
	read   *sql.DB // reads; on PostgreSQL the same pool as write
	write  *sql.DB
	// stmts prepares SQLite reads once per connection; nil on PostgreSQL.
	stmts *stmtCache
	// checkpoints copies SQLite's WAL into the database file; nil on
	// PostgreSQL.
	checkpoints *checkpointer
	where       string // for messages: a path or a redacted URL
	logger      *slog.Logger
}

// Open opens the database and checks that it answers. It does not migrate.
func Open(ctx context.Context, o Options) (*DB, error) {
	logger := o.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	switch o.Engine {
	case SQLite:
		return openSQLite(ctx, o.SQLitePath, logger)
	case Postgres:
		return openPostgres(ctx, o.PostgresURL, logger)
	default:
		return nil, fmt.Errorf("db: unknown engine %q", o.Engine)
	}
}

// The connections of an SQLite database.
type sqliteRole int

const (
	readerConn sqliteRole = iota
	writerConn
	checkpointConn
)

func sqliteDSN(path string, role sqliteRole) string {
	q := url.Values{}
	for _, p := range []string{
		"busy_timeout(10000)",
		"foreign_keys(1)",
		// FULL: an acknowledged write survives power loss, not only a crash.
		"synchronous(FULL)",
		// Statement journals and sorts in memory: they are scratch space,
		// and as temporary files they cost a write syscall per page (they
		// made a bulk import of STIX objects spend a third of its time in
		// the kernel).
		"temp_store(MEMORY)",
		// 64 MiB of page cache per connection instead of 2 MiB, so index
		// pages of a large store stay in memory during imports and queries.
		"cache_size(-65536)",
	} {
		q.Add("_pragma", p)
	}
	switch role {
	case writerConn:
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", fmt.Sprintf("wal_autocheckpoint(%d)", writerCheckpointPages)) // see checkpoint.go
		// A WAL that a burst made larger is cut back to 64 MiB when the
		// log is rewound, rather than keeping its largest size on disk.
		q.Add("_pragma", "journal_size_limit(67108864)")
		q.Set("_txlock", "immediate")
	case readerConn:
		q.Add("_pragma", "query_only(1)")
		// Readers map the file instead of copying each page they miss
		// with a read system call: a page of a large collection touches
		// hundreds of pages scattered over the file. As much of it as
		// SQLite allows (its build caps the map at 2 GiB; a million STIX
		// versions make a 2.7 GB file, and with 1 GiB mapped TAXII pages
		// took a tenth more CPU).
		q.Add("_pragma", "mmap_size(17179869184)")
	}
	return "file:" + path + "?" + q.Encode()
}

func openSQLite(ctx context.Context, path string, logger *slog.Logger) (*DB, error) {
	if path == "" {
		return nil, errors.New("db: no SQLite path")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("database %s: %w", path, err)
	}
	write, err := sql.Open("sqlite", sqliteDSN(path, writerConn))
	if err != nil {
		return nil, fmt.Errorf("database %s: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	// The writer must exist and be in WAL mode before readers open the file.
	if err := pingContext(ctx, write); err != nil {
		write.Close()
		return nil, fmt.Errorf("database %s: %w", path, err)
	}
	read, err := sql.Open("sqlite", sqliteDSN(path, readerConn))
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("database %s: %w", path, err)
	}
	// More readers than cores: a reader waiting for a page fault or a
	// busy lock holds its connection without using a core.
	readers := max(8, 4*runtime.NumCPU())
	read.SetMaxOpenConns(readers)
	read.SetMaxIdleConns(readers)
	if err := pingContext(ctx, read); err != nil {
		write.Close()
		read.Close()
		return nil, fmt.Errorf("database %s: %w", path, err)
	}
	cp, err := startCheckpointer(path)
	if err != nil {
		write.Close()
		read.Close()
		return nil, fmt.Errorf("database %s: %w", path, err)
	}
	return &DB{engine: SQLite, read: read, write: write, stmts: newStmtCache(read), checkpoints: cp, where: path, logger: logger}, nil
}

func openPostgres(ctx context.Context, rawURL string, logger *slog.Logger) (*DB, error) {
	where := redact(rawURL)
	pool, err := sql.Open("pgx", withoutJIT(rawURL))
	if err != nil {
		return nil, fmt.Errorf("database %s: %w", where, err)
	}
	pool.SetMaxOpenConns(max(10, 4*runtime.NumCPU()))
	pool.SetMaxIdleConns(max(10, 4*runtime.NumCPU()))
	pool.SetConnMaxIdleTime(5 * time.Minute)
	if err := pingContext(ctx, pool); err != nil {
		pool.Close()
		return nil, fmt.Errorf("database %s: cannot connect: %w", where, err)
	}
	return &DB{engine: Postgres, read: pool, write: pool, where: where, logger: logger}, nil
}

// withoutJIT turns PostgreSQL's JIT compilation off for Rampart's
// connections unless the URL says otherwise: the access predicate makes
// list queries look expensive to the planner, which then spends hundreds of
// milliseconds compiling a query that runs in a few.
func withoutJIT(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil || u.Query().Has("jit") {
		return rawURL
	}
	q := u.Query()
	q.Set("jit", "off")
	u.RawQuery = q.Encode()
	return u.String()
}

func pingContext(ctx context.Context, d *sql.DB) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return d.PingContext(ctx)
}

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable URL)"
	}
	return u.Redacted()
}

// Engine returns which engine this is.
func (d *DB) Engine() Engine { return d.engine }

// Where describes the database for messages: a file path or a URL without
// its password.
func (d *DB) Where() string { return d.where }

// Reader returns the pool for reads. On SQLite it cannot write, and
// keeps its statements prepared (stmtcache.go).
func (d *DB) Reader() Querier {
	if d.stmts != nil {
		return d.stmts
	}
	return d.read
}

// PrepareWrite prepares a statement on the pool that transactions run on,
// for a caller that runs it in many transactions (through tx.StmtContext)
// and would otherwise have it compiled in each. It must not be called
// inside a transaction: on SQLite that holds the only write connection.
func (d *DB) PrepareWrite(ctx context.Context, query string) (*sql.Stmt, error) {
	return d.write.PrepareContext(ctx, query)
}

// ReadPool returns the pool behind Reader, for its statistics and
// settings.
func (d *DB) ReadPool() *sql.DB { return d.read }

// Ping checks that the database answers, for readiness.
func (d *DB) Ping(ctx context.Context) error {
	if err := d.read.PingContext(ctx); err != nil {
		return err
	}
	if d.engine == SQLite {
		return d.write.PingContext(ctx)
	}
	return nil
}

// Close closes the pools.
func (d *DB) Close() error {
	if d.stmts != nil {
		d.stmts.close()
	}
	err := d.read.Close()
	if d.read != d.write {
		err = errors.Join(err, d.write.Close())
	}
	if d.checkpoints != nil {
		err = errors.Join(err, d.checkpoints.close())
	}
	return err
}

// Tx runs fn in a write transaction and commits it if fn returns nil. On
// PostgreSQL a serialization failure or deadlock is retried a few times, so fn
// must not have effects outside the transaction.
func (d *DB) Tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	const attempts = 5
	var err error
	for attempt := 1; attempt <= attempts; attempt++ {
		err = d.tx(ctx, fn)
		if err == nil || !retryable(err) || ctx.Err() != nil {
			return err
		}
		d.logger.DebugContext(ctx, "retrying transaction", "attempt", attempt, "err", err)
		time.Sleep(time.Duration(attempt*attempt) * 5 * time.Millisecond)
	}
	return err
}

func (d *DB) tx(ctx context.Context, fn func(tx *sql.Tx) error) (err error) {
	tx, err := d.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("db: begin: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if err = fn(tx); err != nil {
		return err
	}
	if err = tx.Commit(); err != nil {
		return fmt.Errorf("db: commit: %w", err)
	}
	return nil
}

// retryable recognises transient conflicts by their SQLSTATE or SQLite code
// without importing either driver's error type into every caller.
func retryable(err error) bool {
	var coded interface{ SQLState() string }
	if errors.As(err, &coded) {
		switch coded.SQLState() {
		case "40001", "40P01": // serialization_failure, deadlock_detected
			return true
		}
	}
	s := err.Error()
	return strings.Contains(s, "SQLITE_BUSY") || strings.Contains(s, "database is locked")
}

// Checkpoint empties SQLite's WAL into the database file, so what comes
// next starts from a rewound log: benchmarks use it to keep one phase's
// copying out of the next one's time. It does nothing on PostgreSQL.
func (d *DB) Checkpoint(ctx context.Context) error {
	if d.checkpoints == nil {
		return nil
	}
	return d.checkpoints.checkpointAll(ctx)
}

// Micros converts a time to the stored form: microseconds since the epoch.
func Micros(t time.Time) int64 { return t.UnixMicro() }

// FromMicros converts the stored form back to a UTC time.
func FromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }
