package db

import (
	"context"
	"fmt"
	"sync"
	"testing"
)

// TestStmtCacheReadsWhatWasCommitted: a cached statement is reset when
// its rows close, so it never keeps an old snapshot; it is prepared once
// per text; the cache stays within its bound; concurrent readers of one
// statement each get their own answer; a bad query reports its error.
func TestStmtCacheReadsWhatWasCommitted(t *testing.T) {
	ctx := context.Background()
	d, err := Open(ctx, Options{Engine: SQLite, SQLitePath: t.TempDir() + "/c.db"})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.write.ExecContext(ctx, `CREATE TABLE kv (k INTEGER PRIMARY KEY, v TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	r := d.Reader()
	for i := range 5 {
		if _, err := d.write.ExecContext(ctx, `INSERT INTO kv (k, v) VALUES ($1, $2)`, i, fmt.Sprint("v", i)); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := r.QueryRowContext(ctx, `SELECT count(*) FROM kv`).Scan(&n); err != nil || n != i+1 {
			t.Fatalf("after %d inserts the reader counts %d (%v)", i+1, n, err)
		}
		rows, err := r.QueryContext(ctx, `SELECT v FROM kv WHERE k = $1`, i)
		if err != nil {
			t.Fatal(err)
		}
		var got string
		for rows.Next() {
			if err := rows.Scan(&got); err != nil {
				t.Fatal(err)
			}
		}
		rows.Close()
		if got != fmt.Sprint("v", i) {
			t.Fatalf("row %d reads %q", i, got)
		}
	}
	if n := len(d.stmts.byQ); n != 2 {
		t.Errorf("%d statements cached for two query texts", n)
	}

	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var v string
			if err := r.QueryRowContext(ctx, `SELECT v FROM kv WHERE k = $1`, g%5).Scan(&v); err != nil || v != fmt.Sprint("v", g%5) {
				errs <- fmt.Errorf("reader %d: %q, %v", g, v, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	for i := range stmtCacheSize + 10 {
		var n int
		if err := r.QueryRowContext(ctx, fmt.Sprintf(`SELECT count(*) + %d FROM kv`, i)).Scan(&n); err != nil || n != 5+i {
			t.Fatalf("query %d: %d, %v", i, n, err)
		}
	}
	if n := len(d.stmts.byQ); n > stmtCacheSize {
		t.Errorf("%d statements cached, bound %d", n, stmtCacheSize)
	}
	if err := r.QueryRowContext(ctx, `SELECT nope FROM kv`).Scan(new(int)); err == nil {
		t.Error("a query of a missing column succeeded")
	}
	if _, err := r.QueryContext(ctx, `SELECT nope FROM kv`); err == nil {
		t.Error("a query of a missing column succeeded")
	}
}
