package identity_test

import (
	"context"
	"database/sql"
	"sync"
	"testing"

	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/db/dbtest"
	"github.com/rampart-project/rampart/internal/platform/identity"
)

// countUpdates makes the database count the rows of table whose column an
// UPDATE sets: the writes callers make without reporting them.
func countUpdates(t *testing.T, f *fixture, table, column string) func() int {
	t.Helper()
	ctx := context.Background()
	stmts := []string{`CREATE TABLE touch_count (n INTEGER NOT NULL)`}
	if f.d.Engine() == db.Postgres {
		stmts = append(stmts,
			`CREATE FUNCTION count_touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO touch_count VALUES (1); RETURN NEW; END $$`,
			`CREATE TRIGGER count_touch AFTER UPDATE OF `+column+` ON `+table+` FOR EACH ROW EXECUTE FUNCTION count_touch()`)
	} else {
		stmts = append(stmts, `CREATE TRIGGER count_touch AFTER UPDATE OF `+column+` ON `+table+` BEGIN INSERT INTO touch_count VALUES (1); END`)
	}
	f.tx(func(tx *sql.Tx) error {
		for _, s := range stmts {
			if _, err := tx.ExecContext(ctx, s); err != nil {
				return err
			}
		}
		return nil
	})
	return func() int {
		var n int
		if err := f.d.Reader().QueryRowContext(ctx, `SELECT count(*) FROM touch_count`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
}

// Concurrent requests with one token (a TAXII client paging in parallel,
// a SIEM's workers) record its use once, not once each.
func TestConcurrentUsesOfATokenWriteItsLastUseOnce(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFixture(t, d)
		var secret string
		f.tx(func(tx *sql.Tx) (err error) {
			_, secret, err = f.s.CreateToken(ctx, tx, f.pat.ID, "SIEM", []identity.Scope{identity.ScopeRead}, 0)
			return err
		})
		writes := countUpdates(t, f, "api_tokens", "last_used_at")
		var wg sync.WaitGroup
		start := make(chan struct{})
		for range 32 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				if _, _, err := f.s.AuthenticateToken(ctx, secret); err != nil {
					t.Error(err)
				}
			}()
		}
		close(start)
		wg.Wait()
		if n := writes(); n != 1 {
			t.Errorf("32 concurrent uses of a token wrote last_used_at %d times, want 1", n)
		}
		tokens, err := f.s.Tokens(ctx, f.pat.ID)
		if err != nil || len(tokens) != 1 || tokens[0].LastUsedAt.IsZero() {
			t.Errorf("the token's last use is not recorded: %+v %v", tokens, err)
		}
		// A second instance of the store (another server on the same
		// database) sees the recorded time and writes nothing either.
		if _, _, err := identity.NewStore(d).AuthenticateToken(ctx, secret); err != nil {
			t.Fatal(err)
		}
		if n := writes(); n != 1 {
			t.Errorf("a use a second after the recorded one wrote again (%d writes)", n)
		}
	})
}
