package events

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"

	"github.com/rampart-project/rampart/internal/platform/db"
)

// Receipts only matter while their event can still be delivered again:
// the stream keeps an event for eventRetention, so a receipt a day older
// than that is dead weight. Without pruning the table grows by a row per
// event and transactional consumer for as long as the instance runs.
const (
	receiptKeep       = eventRetention + 24*time.Hour
	receiptPruneEvery = time.Hour
	receiptPruneBatch = 5000
)

// receiptPruner prunes one consumer's receipts at most once per
// receiptPruneEvery, on the consumer's own goroutine after an event: an
// idle consumer adds no receipts and needs no pruning.
type receiptPruner struct {
	mu   sync.Mutex
	last time.Time
}

func (p *receiptPruner) maybePrune(ctx context.Context, d *db.DB, consumer string, now time.Time) (int, error) {
	p.mu.Lock()
	due := now.Sub(p.last) >= receiptPruneEvery
	if due {
		p.last = now
	}
	p.mu.Unlock()
	if !due {
		return 0, nil
	}
	return pruneReceipts(ctx, d, consumer, now.Add(-receiptKeep))
}

// pruneReceipts deletes the consumer's receipts of events emitted before
// cutoff, a batch per transaction so that the writer is never held long.
// Emit gives every event a UUIDv7, whose text sorts by creation time, so
// the cut is a range of the primary key.
func pruneReceipts(ctx context.Context, d *db.DB, consumer string, cutoff time.Time) (int, error) {
	bound := uuidV7Floor(cutoff)
	total := 0
	for {
		var n int64
		err := d.Tx(ctx, func(tx *sql.Tx) error {
			res, err := tx.ExecContext(ctx, `DELETE FROM event_receipts WHERE consumer = $1 AND event_id IN (
				SELECT event_id FROM event_receipts WHERE consumer = $1 AND event_id < $2 ORDER BY event_id LIMIT $3 + 0)`,
				consumer, bound, receiptPruneBatch)
			if err != nil {
				return err
			}
			n, err = res.RowsAffected()
			return err
		})
		if err != nil {
			return total, fmt.Errorf("events: prune receipts of %s: %w", consumer, err)
		}
		total += int(n)
		if n < receiptPruneBatch {
			return total, nil
		}
	}
}

// uuidV7Floor is the smallest UUIDv7 text of the millisecond t.
func uuidV7Floor(t time.Time) string {
	ms := uint64(t.UnixMilli())
	return fmt.Sprintf("%08x-%04x-7000-8000-000000000000", ms>>16, ms&0xffff)
}
