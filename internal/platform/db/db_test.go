package db_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/db/dbtest"
)

func TestMigrateIsIdempotent(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		again, err := d.Migrate(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(again) != 0 {
			t.Fatalf("second Migrate applied %d migrations, want 0", len(again))
		}
		current, latest, err := d.SchemaVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if current != latest || current < 1 {
			t.Fatalf("schema version %d, latest %d", current, latest)
		}
	})
}

// A binary older than the schema refuses it rather than misreading it.
func TestMigrateRefusesANewerSchema(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		if err := d.Tx(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO goose_db_version (version_id, is_applied) VALUES (999, true)`)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		_, err := d.Migrate(ctx)
		if err == nil || !strings.Contains(err.Error(), "version 999, newer than this binary's") {
			t.Fatalf("Migrate on a newer schema: %v", err)
		}
	})
}

func TestTxCommitsAndRollsBack(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		insert := func(id string) func(tx *sql.Tx) error {
			return func(tx *sql.Tx) error {
				_, err := tx.ExecContext(ctx,
					`INSERT INTO outbox (event_id, topic, payload, created_at) VALUES ($1, $2, $3, $4)`,
					id, "test", []byte("{}"), db.Micros(time.Now()))
				return err
			}
		}
		if err := d.Tx(ctx, insert("kept")); err != nil {
			t.Fatal(err)
		}
		boom := errors.New("boom")
		err := d.Tx(ctx, func(tx *sql.Tx) error {
			if err := insert("dropped")(tx); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("Tx returned %v, want the callback's error", err)
		}
		var ids []string
		rows, err := d.Reader().QueryContext(ctx, `SELECT event_id FROM outbox ORDER BY seq`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
		if fmt.Sprint(ids) != "[kept]" {
			t.Fatalf("outbox holds %v, want [kept]", ids)
		}
	})
}

// Concurrent writers must queue rather than fail with SQLITE_BUSY or lose
// updates.
func TestConcurrentWritersDoNotConflict(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		const writers, each = 8, 25
		var wg sync.WaitGroup
		errs := make(chan error, writers*each)
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					errs <- d.Tx(ctx, func(tx *sql.Tx) error {
						var n int
						if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM outbox`).Scan(&n); err != nil {
							return err
						}
						_, err := tx.ExecContext(ctx,
							`INSERT INTO outbox (event_id, topic, payload, created_at) VALUES ($1, 's', $2, $3)`,
							fmt.Sprintf("w%d-%d", w, i), []byte("x"), int64(n))
						return err
					})
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		var n int
		if err := d.Reader().QueryRowContext(ctx, `SELECT count(*) FROM outbox`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != writers*each {
			t.Fatalf("%d rows, want %d", n, writers*each)
		}
	})
}

func TestSQLiteReaderCannotWrite(t *testing.T) {
	d := dbtest.Open(t, db.SQLite)
	_, err := d.Reader().ExecContext(context.Background(), `DELETE FROM outbox`)
	if err == nil {
		t.Fatal("a write through the reader pool succeeded")
	}
}

func TestOpenReportsWhereItFailed(t *testing.T) {
	ctx := context.Background()
	_, err := db.Open(ctx, db.Options{Engine: db.Postgres, PostgresURL: "postgres://rampart:secret@127.0.0.1:1/nothing?connect_timeout=2"})
	if err == nil {
		t.Fatal("opened a database on port 1")
	}
	msg := err.Error()
	if want := "127.0.0.1:1"; !strings.Contains(msg, want) || strings.Contains(msg, "secret") {
		t.Fatalf("error %q should name %s and hide the password", msg, want)
	}
}

// openBlobs opens a new SQLite database with a table of blobs; it returns
// the database and its path.
func openBlobs(t *testing.T) (*db.DB, string) {
	t.Helper()
	ctx := context.Background()
	path := t.TempDir() + "/blobs.db"
	d, err := db.Open(ctx, db.Options{Engine: db.SQLite, SQLitePath: path})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if err := d.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `CREATE TABLE blobs (id INTEGER PRIMARY KEY, body BLOB NOT NULL)`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return d, path
}

// Writes back to back, as a bulk import makes them, must not grow the WAL
// without bound: the checkpointer copies beside the writer, and only the
// writer can rewind the log (checkpoint.go).
func TestSQLiteWALStaysBoundedUnderSustainedWrites(t *testing.T) {
	ctx := context.Background()
	d, path := openBlobs(t)
	body := make([]byte, 200_000)
	const total = 150 << 20 // ten times the writer's checkpoint mark
	for written := 0; written < total; written += 10 * len(body) {
		if err := d.Tx(ctx, func(tx *sql.Tx) error {
			for range 10 {
				if _, err := tx.ExecContext(ctx, `INSERT INTO blobs (body) VALUES ($1)`, body); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	st, err := os.Stat(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	if st.Size() > 64<<20 {
		t.Fatalf("the WAL grew to %d MiB after writing %d MiB", st.Size()>>20, total>>20)
	}
}

func TestCheckpointEmptiesTheWAL(t *testing.T) {
	ctx := context.Background()
	d, path := openBlobs(t)
	if err := d.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO blobs (body) VALUES ($1)`, make([]byte, 1<<20))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	walSize := func() int64 {
		t.Helper()
		st, err := os.Stat(path + "-wal")
		if err != nil {
			t.Fatal(err)
		}
		return st.Size()
	}
	if n := walSize(); n < 1<<20 {
		t.Fatalf("before: the WAL holds %d bytes", n)
	}
	if err := d.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	if n := walSize(); n != 0 {
		t.Fatalf("after Checkpoint the WAL holds %d bytes", n)
	}
	var n int
	if err := d.Reader().QueryRowContext(ctx, `SELECT count(*) FROM blobs`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d rows, %v", n, err)
	}
}
