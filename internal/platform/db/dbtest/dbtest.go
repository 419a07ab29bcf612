// Package dbtest runs a test against every engine Rampart supports: SQLite
// always, and PostgreSQL when RAMPART_TEST_POSTGRES holds a connection URL.
// Each test gets a fresh, migrated database — a new file on SQLite, a new
// schema on PostgreSQL — so tests may run in parallel.
package dbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/rampart-project/rampart/internal/platform/db"
)

// EnvPostgres names the variable that holds the PostgreSQL URL for tests.
const EnvPostgres = "RAMPART_TEST_POSTGRES"

// Engines returns the engines tests run on here.
func Engines() []db.Engine {
	if os.Getenv(EnvPostgres) != "" {
		return []db.Engine{db.SQLite, db.Postgres}
	}
	return []db.Engine{db.SQLite}
}

// Run runs fn as a parallel subtest per engine, each with its own migrated
// database.
func Run(t *testing.T, fn func(t *testing.T, d *db.DB)) {
	t.Helper()
	for _, engine := range Engines() {
		t.Run(string(engine), func(t *testing.T) {
			t.Parallel()
			fn(t, Open(t, engine))
		})
	}
}

// Open returns a fresh migrated database of the given engine, closed and
// removed when the test ends.
func Open(tb testing.TB, engine db.Engine) *db.DB {
	tb.Helper()
	opts := Options(tb, engine)
	ctx := context.Background()
	d, err := db.Open(ctx, opts)
	if err != nil {
		tb.Fatalf("dbtest: open %s: %v", engine, err)
	}
	tb.Cleanup(func() { d.Close() })
	if _, err := d.Migrate(ctx); err != nil {
		tb.Fatalf("dbtest: migrate %s: %v", engine, err)
	}
	return d
}

// Options returns the options of a fresh, empty database of the given
// engine without opening it: a new file, or a new PostgreSQL schema that is
// dropped when the test ends. Tests that start a server process use them.
func Options(tb testing.TB, engine db.Engine) db.Options {
	tb.Helper()
	switch engine {
	case db.SQLite:
		return db.Options{Engine: db.SQLite, SQLitePath: filepath.Join(tb.TempDir(), "rampart.db")}
	case db.Postgres:
		return db.Options{Engine: db.Postgres, PostgresURL: PostgresURL(tb)}
	}
	tb.Fatalf("dbtest: unknown engine %q", engine)
	return db.Options{}
}

// PostgresURL creates an empty schema in the test database and returns a URL
// whose connections use it. It skips the test when RAMPART_TEST_POSTGRES is
// not set.
func PostgresURL(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv(EnvPostgres)
	if base == "" {
		tb.Skipf("%s is not set; skipping the PostgreSQL run", EnvPostgres)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])

	admin, err := sql.Open("pgx", base)
	if err != nil {
		tb.Fatalf("dbtest: %v", err)
	}
	defer admin.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		tb.Fatalf("dbtest: create schema on %s: %v", EnvPostgres, err)
	}
	tb.Cleanup(func() {
		admin, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer admin.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			tb.Logf("dbtest: drop schema %s: %v", schema, err)
		}
	})

	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("dbtest: %s: %v", EnvPostgres, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
