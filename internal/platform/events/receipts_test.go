package events

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/db/dbtest"
)

func TestUUIDv7FloorSortsWithRealIDs(t *testing.T) {
	now := time.Now()
	id := uuid.Must(uuid.NewV7()).String()
	if !(uuidV7Floor(now.Add(-time.Second)) < id && id < uuidV7Floor(now.Add(time.Second))) {
		t.Errorf("%s does not sort between the floors a second either side: %s, %s", id, uuidV7Floor(now.Add(-time.Second)), uuidV7Floor(now.Add(time.Second)))
	}
}

// oldID is a UUIDv7 of time t, as Emit would have made then.
func oldID(t time.Time, n int) string {
	f := uuidV7Floor(t)
	return f[:len(f)-12] + fmt.Sprintf("%012x", n)
}

func TestPruneReceiptsDeletesOnlyThisConsumersExpiredOnes(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		now := time.Now()
		expired, kept := now.Add(-receiptKeep-time.Hour), now.Add(-receiptKeep+2*time.Hour)
		insert := func(consumer, id string) {
			t.Helper()
			if err := d.Tx(ctx, func(tx *sql.Tx) error {
				_, err := tx.ExecContext(ctx, `INSERT INTO event_receipts (consumer, event_id, received_at) VALUES ($1, $2, 0)`, consumer, id)
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
		// More expired receipts than one batch, so that the loop is taken.
		if err := d.Tx(ctx, func(tx *sql.Tx) error {
			// One statement per 500 rows: a round trip per row is seconds on PostgreSQL.
			for start := 0; start < receiptPruneBatch+7; start += 500 {
				var values []string
				var args []any
				for i := start; i < min(start+500, receiptPruneBatch+7); i++ {
					args = append(args, oldID(expired, i))
					values = append(values, fmt.Sprintf("('mine', $%d, 0)", len(args)))
				}
				if _, err := tx.ExecContext(ctx, `INSERT INTO event_receipts (consumer, event_id, received_at) VALUES `+strings.Join(values, ", "), args...); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		insert("mine", oldID(kept, 1))
		insert("mine", uuid.Must(uuid.NewV7()).String())
		insert("other", oldID(expired, 1))

		var p receiptPruner
		// A backlog goes a batch per event, then waits for the hour.
		for i, want := range []int{receiptPruneBatch, 7, 0} {
			if n, err := p.maybePrune(ctx, d, "mine", now.Add(time.Duration(i)*time.Second)); err != nil || n != want {
				t.Fatalf("prune %d: %d, %v; want %d", i+1, n, err, want)
			}
		}
		count := func(consumer string) int {
			var c int
			if err := d.Reader().QueryRowContext(ctx, `SELECT count(*) FROM event_receipts WHERE consumer = $1`, consumer).Scan(&c); err != nil {
				t.Fatal(err)
			}
			return c
		}
		if count("mine") != 2 || count("other") != 1 {
			t.Errorf("left %d of mine (want the 2 recent) and %d of the other consumer's (want 1)", count("mine"), count("other"))
		}
		insert("mine", oldID(expired, 1<<40))
		if n, _ := p.maybePrune(ctx, d, "mine", now.Add(time.Minute)); n != 0 {
			t.Errorf("pruned again %d rows within the hour", n)
		}
		// The short batch (the second call, a second in) set the hour.
		if n, _ := p.maybePrune(ctx, d, "mine", now.Add(time.Second+receiptPruneEvery)); n != 1 {
			t.Errorf("an hour later pruned %d rows, want the 1 expired since", n)
		}
	})
}
