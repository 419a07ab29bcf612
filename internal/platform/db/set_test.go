package db_test

import (
	"context"
	"database/sql"
	"slices"
	"testing"

	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/db/dbtest"
)

// A set passed as one parameter selects exactly the rows an IN list of
// the same values would, whatever the values hold.
func TestSetSelectsTheSameRowsAsAnInList(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		stored := []string{"a", "b", `quote"d`, "it's", `back\slash`, "ünïcode", "comma, inside", "", "[]"}
		if err := d.Tx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, `CREATE TABLE set_test (v TEXT PRIMARY KEY)`); err != nil {
				return err
			}
			for _, v := range stored {
				if _, err := tx.ExecContext(ctx, `INSERT INTO set_test (v) VALUES ($1)`, v); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		for _, want := range [][]string{nil, {"a"}, {"a", "missing"}, {`quote"d`, "it's", `back\slash`}, {"ünïcode", "comma, inside", "", "[]"}, stored} {
			in, arg := db.Set(d.Engine(), "$1", want)
			rows, err := d.Reader().QueryContext(ctx, `SELECT v FROM set_test WHERE v IN `+in+` ORDER BY v`, arg)
			if err != nil {
				t.Fatalf("%q: %v", want, err)
			}
			var got []string
			for rows.Next() {
				var v string
				if err := rows.Scan(&v); err != nil {
					t.Fatal(err)
				}
				got = append(got, v)
			}
			rows.Close()
			var expect []string
			for _, v := range want {
				if slices.Contains(stored, v) {
					expect = append(expect, v)
				}
			}
			slices.Sort(expect)
			slices.Sort(got)
			if !slices.Equal(got, expect) {
				t.Errorf("IN %q: got %q, want %q", want, got, expect)
			}
		}
	})
}
