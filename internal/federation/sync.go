package federation

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rampart-project/rampart/internal/platform/audit"
	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/errs"
)

// mode says what a run does.
type mode int

const (
	runFull mode = iota // pull, then push: the interval's run
	runPush             // push only: objects were added locally
)

// Result is what one run of a peer did.
type Result struct {
	Peer       string `json:"peer"`
	Pulled     int    `json:"pulled"`    // versions pulled and stored
	Unchanged  int    `json:"unchanged"` // versions pulled that were known already
	Rejected   int    `json:"rejected"`  // versions pulled that failed validation
	Dropped    int    `json:"dropped"`   // TLP:RED versions offered, never stored
	Pushed     int    `json:"pushed"`    // versions the peer took
	Refused    int    `json:"refused"`   // versions the peer refused
	Cursor     string `json:"cursor"`
	PushCursor string `json:"push_cursor"`
	Error      string `json:"error,omitempty"`
	// Note is a problem that did not fail the run: objects the peer
	// refused, which are not sent again.
	Note string `json:"note,omitempty"`
}

// errLeaseLost ends a run whose claim another replica has taken over
// (after it expired) or whose peer was deleted meanwhile.
var errLeaseLost = errors.New("federation: the claim on the peer was lost")

// Sync runs a peer now, pull and push as it is set up, even if it is
// disabled, and records the run like a scheduled one. It is audited.
// Returns NotFound, or Conflict when the peer is running already here or
// on another replica. A failure of the run itself is in Result.Error (and
// on the peer), not the error.
func (s *Service) Sync(ctx context.Context, actor Actor, idOrName string) (Result, error) {
	p, err := s.Get(ctx, idOrName)
	if err != nil {
		return Result{}, err
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := audit.Append(ctx, tx, s.db.Engine(), actor.entry("peer.sync", p.ID, map[string]any{"name": p.Name}))
		return err
	})
	if err != nil {
		return Result{}, err
	}
	return s.run(ctx, p.ID, runFull)
}

// run claims the peer, pulls and pushes, and records the outcome.
func (s *Service) run(ctx context.Context, id string, m mode) (Result, error) {
	claimed, err := s.claim(ctx, id)
	if err != nil {
		return Result{}, err
	}
	if !claimed {
		return Result{}, errs.E(errs.Conflict, "The peer is being synchronised already; try again in a moment.")
	}
	p, err := s.Get(ctx, id)
	if err != nil {
		s.release(id)
		return Result{}, err
	}
	res := Result{Peer: p.Name}
	var pullErr, pushErr error
	if p.Pull && m == runFull {
		if pullErr = s.pull(ctx, &p, &res); pullErr != nil {
			pullErr = fmt.Errorf("pull: %w", pullErr)
		}
	}
	if p.Push && !errors.Is(pullErr, errLeaseLost) && ctx.Err() == nil {
		if pushErr = s.push(ctx, &p, &res); pushErr != nil {
			pushErr = fmt.Errorf("push: %w", pushErr)
		}
	}
	res.Cursor, res.PushCursor = p.Cursor, p.PushCursorText()
	runErr := errors.Join(pullErr, pushErr)
	if runErr != nil {
		res.Error = errorText(runErr)
	}
	if errors.Is(runErr, errLeaseLost) {
		return res, nil
	}
	if ctx.Err() != nil {
		// Shutting down: what was stored stays stored and the cursors say
		// so; the interrupted run is not a failure of the peer.
		s.release(id)
		return res, nil
	}
	return res, s.record(ctx, p, m, res, runErr)
}

// claim takes the peer's lease if nobody holds it. Clearing push_due here,
// before anything is read, means an addition committed after this point
// sets it again and gets a run of its own.
func (s *Service) claim(ctx context.Context, id string) (bool, error) {
	now := s.now()
	var n int64
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE peers SET lease_owner = $2, lease_until = $3, push_due = 0 WHERE id = $1 AND lease_until < $4`,
			id, s.owner, db.Micros(now.Add(s.leaseTTL)), db.Micros(now))
		if err != nil {
			return fmt.Errorf("federation: claim peer: %w", err)
		}
		n, err = res.RowsAffected()
		return err
	})
	return n == 1, err
}

// progress saves what a page or batch advanced, renewing the lease in the
// same statement; a lost lease ends the run.
func (s *Service) progress(ctx context.Context, query string, args ...any) error {
	var n int64
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, query, args...)
		if err != nil {
			return fmt.Errorf("federation: save progress: %w", err)
		}
		n, err = res.RowsAffected()
		return err
	})
	if err == nil && n == 0 {
		return errLeaseLost
	}
	return err
}

func (s *Service) leaseUntil() int64 { return db.Micros(s.now().Add(s.leaseTTL)) }

// release gives the lease back without recording a run.
func (s *Service) release(id string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE peers SET lease_owner = '', lease_until = 0 WHERE id = $1 AND lease_owner = $2`, id, s.owner)
		return err
	})
	if err != nil {
		s.logger.Warn("federation: releasing a peer failed; it is free again when the lease ends", "peer_id", id, "err", err)
	}
}

// record writes the outcome of a run and releases the lease. A failed run
// is retried after the interval, doubled for each further failure, up to
// maxBackoff (or the interval, if longer). A push-only run that succeeds
// leaves the schedule of the next full run as it was.
func (s *Service) record(ctx context.Context, p Peer, m mode, res Result, runErr error) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	now := s.now()
	failures, lastErr, next, okAt := 0, res.Note, p.NextRunAt, p.LastOKAt
	if runErr != nil {
		failures, lastErr = p.Failures+1, res.Error
		next = now.Add(backoff(p.Interval, failures))
	} else {
		okAt = now
		if m == runFull || next.IsZero() {
			next = now.Add(p.Interval)
		}
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE peers SET last_run_at = $3, last_error = $4, failures = $5, next_run_at = $6,
			last_ok_at = $7, lease_owner = '', lease_until = 0 WHERE id = $1 AND lease_owner = $2`,
			p.ID, s.owner, db.Micros(now), lastErr, failures, db.Micros(next), timeMicros(okAt))
		if err != nil {
			return fmt.Errorf("federation: record run: %w", err)
		}
		return nil
	})
}

func timeMicros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return db.Micros(t)
}

// maxBackoff bounds the wait after repeated failures, so a peer that comes
// back is noticed within minutes.
const maxBackoff = 15 * time.Minute

func backoff(interval time.Duration, failures int) time.Duration {
	limit := max(interval, maxBackoff)
	d := interval
	for i := 1; i < failures && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}

// errorText is a run's error as the peer keeps it: one line, bounded.
// The texts are the client's and the store's; neither includes the
// peer's secret, which travels only in an Authorization header.
func errorText(err error) string {
	msg := strings.ReplaceAll(err.Error(), "\n", "; ")
	const limit = 1000
	if len(msg) > limit {
		msg = strings.ToValidUTF8(msg[:limit], "") + "…"
	}
	return msg
}
