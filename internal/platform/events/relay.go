package events

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/rampart-project/rampart/internal/platform/db"
)

// Relay publishes outbox rows to JetStream in order and deletes each once
// JetStream has acknowledged it. Several relays (one per replica) may run:
// JetStream drops the duplicates by message id.
type Relay struct {
	db       *db.DB
	bus      *Bus
	logger   *slog.Logger
	wake     chan struct{}
	interval time.Duration
	batch    int
}

// NewRelay returns a relay; Run starts it.
func NewRelay(d *db.DB, b *Bus, logger *slog.Logger) *Relay {
	return &Relay{
		db: d, bus: b, logger: logger.With("component", "relay"),
		wake:     make(chan struct{}, 1),
		interval: 500 * time.Millisecond, // picks up events other processes wrote
		batch:    512,
	}
}

// Wake asks the relay to look at the outbox now.
func (r *Relay) Wake() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run publishes until ctx ends, then makes one last pass so that events
// committed just before shutdown leave at once rather than at next start.
func (r *Relay) Run(ctx context.Context) error {
	ticker := time.NewTicker(r.interval)
	defer ticker.Stop()
	for {
		n, err := r.Flush(ctx)
		if err != nil && ctx.Err() == nil {
			r.logger.Warn("publishing outbox events failed; will retry", "err", err)
		}
		if n == r.batch && err == nil {
			continue
		}
		select {
		case <-ctx.Done():
			final, cancel := context.WithTimeout(context.WithoutCancel(ctx), 3*time.Second)
			_, _ = r.Flush(final)
			cancel()
			return nil
		case <-r.wake:
		case <-ticker.C:
		}
	}
}

type outboxRow struct {
	seq     int64
	id      string
	topic   string
	payload []byte
	created int64
}

// Flush publishes one batch and returns how many rows it published.
func (r *Relay) Flush(ctx context.Context) (int, error) {
	rows, err := r.pending(ctx)
	if err != nil || len(rows) == 0 {
		if err == nil {
			r.bus.metrics.outboxPending.Set(0)
		}
		return 0, err
	}
	futures := make([]jetstream.PubAckFuture, len(rows))
	for i, row := range rows {
		msg := nats.NewMsg(r.bus.Subject(row.topic))
		msg.Data = row.payload
		msg.Header.Set(jetstream.MsgIDHeader, row.id)
		msg.Header.Set(headerEventID, row.id)
		msg.Header.Set(headerTopic, row.topic)
		msg.Header.Set(headerTime, strconv.FormatInt(row.created, 10))
		if futures[i], err = r.bus.js.PublishMsgAsync(msg); err != nil {
			futures = futures[:i]
			break
		}
	}
	// Delete only the unbroken run of acknowledged rows from the start, so
	// publication order is preserved across a failure.
	var done []int64
	var firstErr = err
	for i, f := range futures {
		select {
		case <-f.Ok():
			if firstErr == nil {
				done = append(done, rows[i].seq)
			}
		case e := <-f.Err():
			r.bus.metrics.publishErrors.Inc()
			if firstErr == nil {
				firstErr = e
			}
		case <-ctx.Done():
			if firstErr == nil {
				firstErr = ctx.Err()
			}
		}
	}
	if len(done) > 0 {
		if err := r.delete(context.WithoutCancel(ctx), done); err != nil {
			return 0, err
		}
		r.bus.metrics.published.Add(float64(len(done)))
	}
	if firstErr != nil {
		return len(done), fmt.Errorf("relay: publish: %w", firstErr)
	}
	return len(done), nil
}

func (r *Relay) pending(ctx context.Context) ([]outboxRow, error) {
	q, err := r.db.Reader().QueryContext(ctx,
		`SELECT seq, event_id, topic, payload, created_at FROM outbox ORDER BY seq LIMIT $1 + 0`, r.batch)
	if err != nil {
		return nil, fmt.Errorf("relay: read outbox: %w", err)
	}
	defer q.Close()
	var rows []outboxRow
	for q.Next() {
		var row outboxRow
		if err := q.Scan(&row.seq, &row.id, &row.topic, &row.payload, &row.created); err != nil {
			return nil, fmt.Errorf("relay: read outbox: %w", err)
		}
		rows = append(rows, row)
	}
	if err := q.Err(); err != nil {
		return nil, fmt.Errorf("relay: read outbox: %w", err)
	}
	if len(rows) < r.batch {
		r.bus.metrics.outboxPending.Set(float64(len(rows)))
	}
	return rows, nil
}

func (r *Relay) delete(ctx context.Context, seqs []int64) error {
	var sb strings.Builder
	args := make([]any, len(seqs))
	sb.WriteString(`DELETE FROM outbox WHERE seq IN (`)
	for i, s := range seqs {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString("$" + strconv.Itoa(i+1))
		args[i] = s
	}
	sb.WriteByte(')')
	return r.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, sb.String(), args...)
		return err
	})
}
