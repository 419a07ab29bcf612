package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/rampart-project/rampart/internal/platform/access"
	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/events"
	"github.com/rampart-project/rampart/internal/sharing"
)

// loadResult is what the load reports.
type loadResult struct {
	added, unchanged, bundles, versions int
	elapsed, ingest                     time.Duration
	byClass                             map[string]int
}

// load stores total object versions through sharing.Store.Ingest, one
// Ingest per bundle, as TAXII adds and imports do. Bundles are generated
// one ahead, so generating and parsing them overlaps with storing.
func load(ctx context.Context, d *db.DB, w *world, total int, seed uint64, maxBundle int, progress io.Writer) (loadResult, error) {
	res := loadResult{byClass: map[string]int{}}
	coll, err := w.collection(ctx, d)
	if err != nil {
		return res, err
	}
	principals, err := w.principals(ctx, d)
	if err != nil {
		return res, err
	}
	// No relay: the events stay in the outbox, and are cleared at the end
	// as a relay would have done after publishing them.
	store := sharing.NewStore(d, events.NewOutbox(d, nil), access.Policy{})
	gen := newCorpus(w, seed, maxBundle)
	bundles := make(chan bundle, 2)
	genErr := make(chan error, 1)
	genCtx, stop := context.WithCancel(ctx)
	defer stop()
	go func() {
		defer close(bundles)
		for sent := 0; sent < total; {
			b, err := gen.next(total - sent)
			if err != nil {
				genErr <- err
				return
			}
			sent += len(b.objs)
			select {
			case bundles <- b:
			case <-genCtx.Done():
				return
			}
		}
		genErr <- nil
	}()
	start := time.Now()
	lastShown := start
	done := 0
	for b := range bundles {
		m := w.Members[b.submitter]
		t0 := time.Now()
		rep, err := store.Ingest(ctx, sharing.Submission{
			Principal: principals[b.submitter], Actor: m.Email, Source: sharing.SourceTAXII,
			Collection: &coll, Grants: b.grants,
		}, b.objs)
		res.ingest += time.Since(t0)
		if err != nil {
			return res, fmt.Errorf("ingest: %w", err)
		}
		if rep.Rejected > 0 {
			for _, o := range rep.Outcomes {
				if o.Status == sharing.StatusRejected {
					return res, fmt.Errorf("ingest rejected %s: %s", o.ID, strings.Join(o.Errors, "; "))
				}
			}
		}
		res.added += rep.Added
		res.unchanged += rep.Unchanged
		res.bundles++
		res.byClass[b.class.name] += len(b.objs)
		done += len(b.objs)
		if now := time.Now(); now.Sub(lastShown) >= time.Second || done == total {
			lastShown = now
			el := now.Sub(start).Seconds()
			fmt.Fprintf(progress, "\rload: %d/%d objects (%.0f%%), %d bundles, %.0f objects/s, %s elapsed   ",
				done, total, 100*float64(done)/float64(total), res.bundles, float64(done)/el, now.Sub(start).Truncate(time.Second))
		}
	}
	fmt.Fprintln(progress)
	if err := <-genErr; err != nil {
		return res, err
	}
	res.elapsed = time.Since(start)
	res.versions = gen.versions
	if err := d.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM outbox`)
		return err
	}); err != nil {
		return res, fmt.Errorf("clear outbox: %w", err)
	}
	return res, nil
}
