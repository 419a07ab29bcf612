package federation

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/errs"
	"github.com/rampart-project/rampart/internal/platform/events"
	"github.com/rampart-project/rampart/internal/sharing"
)

// Run runs due peers until ctx ends: each in its own goroutine, so one
// slow peer holds up no other, at most MaxParallel at once. A peer is due
// at its next_run_at (a full run) or, when it pushes and is not failing,
// as soon as push_due says objects were added to its collection (a push).
func (s *Service) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	var mu sync.Mutex
	running := map[string]bool{}
	slots := make(chan struct{}, s.maxParallel)
	for {
		due, soonest, err := s.due(ctx)
		if err != nil && ctx.Err() == nil {
			s.logger.Warn("federation: cannot list due peers", "err", err)
		}
		for _, d := range due {
			mu.Lock()
			busy := running[d.id]
			mu.Unlock()
			if busy {
				continue
			}
			select {
			case slots <- struct{}{}:
			default:
				continue // every slot is taken; the next tick tries again
			}
			mu.Lock()
			running[d.id] = true
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := s.run(ctx, d.id, d.mode)
				<-slots
				mu.Lock()
				delete(running, d.id)
				mu.Unlock()
				if err == nil {
					// Objects added during the run set push_due again;
					// look now rather than at the next tick. (Not after
					// an unrecorded run, which would only repeat.)
					s.Wake()
				}
				switch {
				case errs.Is(err, errs.Conflict):
					// Another replica claimed it first.
				case err != nil:
					s.logger.Warn("federation: run not recorded", "peer_id", d.id, "err", err)
				case res.Error != "":
					s.logger.Warn("federation: peer run failed", "peer", res.Peer, "err", res.Error)
				case res.Pulled+res.Pushed > 0:
					s.logger.Info("federation: peer synchronised", "peer", res.Peer, "pulled", res.Pulled, "pushed", res.Pushed)
				}
			}()
		}
		// Sleep until the next peer is due, but no longer than a tick:
		// other replicas add peers and release leases too.
		wait := s.tick
		if !soonest.IsZero() {
			wait = min(wait, max(time.Until(soonest), 5*time.Millisecond))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-s.wake:
		case <-time.After(wait):
		}
	}
}

type dueRun struct {
	id   string
	mode mode
}

// due lists the peers to run now that nobody holds, and when the next
// of the others is due (zero if none is).
func (s *Service) due(ctx context.Context) ([]dueRun, time.Time, error) {
	now := db.Micros(s.now())
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT id, next_run_at, lease_until < $1
		AND (next_run_at <= $1 OR (push = 1 AND push_due = 1 AND failures = 0)) FROM peers WHERE enabled = 1 ORDER BY next_run_at`, now)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("federation: due peers: %w", err)
	}
	defer rows.Close()
	var out []dueRun
	var soonest int64
	for rows.Next() {
		var d dueRun
		var next int64
		var ready bool
		if err := rows.Scan(&d.id, &next, &ready); err != nil {
			return nil, time.Time{}, fmt.Errorf("federation: due peers: %w", err)
		}
		switch {
		case ready:
			if next > now {
				d.mode = runPush
			}
			out = append(out, d)
		case next > now && (soonest == 0 || next < soonest):
			soonest = next
		}
	}
	if err := rows.Err(); err != nil || soonest == 0 {
		return out, time.Time{}, err
	}
	return out, db.FromMicros(soonest), nil
}

// ConsumerName is the durable consumer that turns additions to local
// collections into prompt pushes; replicas share it.
const ConsumerName = "federation-push"

// Consume starts the consumer of sharing.objects.added that marks the push
// peers of the collections an event names as due.
func (s *Service) Consume(ctx context.Context, bus *events.Bus) (*events.Consumer, error) {
	return bus.Consume(ctx, events.ConsumerConfig{Name: ConsumerName, Topics: []string{sharing.TopicObjectsAdded}}, s.HandleAdded)
}

// HandleAdded marks the push peers of the collections e names as due and
// wakes the worker. The flag is in the database, so the replica that
// holds a peer's lease runs it again after its current run, whichever
// replica got the event.
func (s *Service) HandleAdded(ctx context.Context, e events.Event) error {
	var ev sharing.AddedEvent
	if err := e.Decode(&ev); err != nil {
		s.logger.Error("federation: an objects-added event does not decode; ignored", "event_id", e.ID, "err", err)
		return nil
	}
	seen := map[string]bool{}
	var colls []string
	for _, o := range ev.Objects {
		for _, c := range o.Collections {
			if !seen[c] {
				seen[c] = true
				colls = append(colls, c)
			}
		}
	}
	if len(colls) == 0 {
		return nil
	}
	n, err := s.markPushDue(ctx, colls)
	if err != nil {
		return err
	}
	if n > 0 {
		s.Wake()
	}
	return nil
}

// markPushDue sets push_due on the enabled push peers of the collections.
// It reads first: most additions concern no push peer, and a write would
// queue behind the store's writers for nothing.
func (s *Service) markPushDue(ctx context.Context, colls []string) (int64, error) {
	ph := make([]string, len(colls))
	args := make([]any, len(colls))
	for i, c := range colls {
		ph[i], args[i] = fmt.Sprintf("$%d", i+1), c
	}
	where := `push = 1 AND enabled = 1 AND push_due = 0 AND local_collection IN (` + strings.Join(ph, ", ") + `)`
	var waiting int
	if err := s.db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM peers WHERE `+where, args...).Scan(&waiting); err != nil {
		return 0, fmt.Errorf("federation: push peers: %w", err)
	}
	if waiting == 0 {
		return 0, nil
	}
	var n int64
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE peers SET push_due = 1 WHERE `+where, args...)
		if err != nil {
			return fmt.Errorf("federation: mark push due: %w", err)
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}
