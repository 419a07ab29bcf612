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

// receiptPruner prunes one consumer's receipts, on the consumer's own
// goroutine after an event: an idle consumer adds no receipts and needs no
// pruning. One batch per event, so that a backlog (the first run on an
// instance that never pruned) delays each event by one delete, not by all
// of them; once a batch comes back short the next is due an hour later.
type receiptPruner struct {
	mu   sync.Mutex
	next time.Time
}

func (p *receiptPruner) maybePrune(ctx context.Context, d *db.DB, consumer string, now time.Time) (int, error) {
	p.mu.Lock()
	due := !now.Before(p.next)
	if due {
		p.next = now.Add(receiptPruneEvery)
	}
	p.mu.Unlock()
	if !due {
		return 0, nil
	}
	n, err := pruneReceiptBatch(ctx, d, consumer, now.Add(-receiptKeep))
	if err != nil || n == receiptPruneBatch {
		// More may be left (or it failed): due again at the next event.
		p.mu.Lock()
		p.next = time.Time{}
		p.mu.Unlock()
	}
	return n, err
}

// pruneReceiptBatch deletes up to receiptPruneBatch of the consumer's
// receipts of events emitted before cutoff. Emit gives every event a
// UUIDv7, whose text sorts by creation time, so the cut is a range of the
// primary key.
func pruneReceiptBatch(ctx context.Context, d *db.DB, consumer string, cutoff time.Time) (int, error) {
	var n int64
	err := d.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM event_receipts WHERE consumer = $1 AND event_id IN (
			SELECT event_id FROM event_receipts WHERE consumer = $1 AND event_id < $2 ORDER BY event_id LIMIT $3 + 0)`,
			consumer, uuidV7Floor(cutoff), receiptPruneBatch)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("events: prune receipts of %s: %w", consumer, err)
	}
	return int(n), nil
}

// uuidV7Floor is the smallest UUIDv7 text of the millisecond t.
func uuidV7Floor(t time.Time) string {
	ms := uint64(t.UnixMilli())
	return fmt.Sprintf("%08x-%04x-7000-8000-000000000000", ms>>16, ms&0xffff)
}
