package taxiiserver

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/errs"
	"github.com/rampart-project/rampart/taxii"
)

// staleAfter is how long a status may stay pending before it is shown as
// abandoned: far longer than the largest envelope the body limit admits
// takes to store, so only a process that died mid-add leaves one behind.
const staleAfter = time.Hour

// abandoned is the failure message of objects an add never reached.
const abandoned = "The server stopped before storing this object; send it again."

// status is one add-objects request as the taxii_status table keeps it.
type status struct {
	id, root, collection, user string
	done                       bool
	requestAt                  time.Time
	total                      int
	success, failure, pending  int
	details                    statusDetails
}

// statusDetails is the details column. While an add is pending, Pendings
// lists every object still to be stored when it started, in the order it
// stores them; the last pending_count of them are still pending, so the
// list is written once rather than after every batch.
type statusDetails struct {
	Successes []taxii.StatusDetail `json:"successes,omitempty"`
	Failures  []taxii.StatusDetail `json:"failures,omitempty"`
	Pendings  []taxii.StatusDetail `json:"pendings,omitempty"`
}

// resource is the status resource of s at now.
func (s *status) resource(now time.Time) taxii.Status {
	out := taxii.Status{
		ID: s.id, Status: taxii.StatusComplete, RequestTimestamp: taxii.Timestamp{Time: s.requestAt},
		TotalCount: s.total, SuccessCount: s.success, FailureCount: s.failure, PendingCount: s.pending,
		// Copies: the resource is encoded while a background job may go
		// on appending to s.
		Successes: slices.Clone(s.details.Successes), Failures: slices.Clone(s.details.Failures),
	}
	if s.done {
		return out
	}
	pendings := slices.Clone(s.details.Pendings[max(len(s.details.Pendings)-s.pending, 0):])
	if now.Sub(s.requestAt) > staleAfter {
		out.Failures = append(out.Failures, failed(pendings, abandoned)...)
		out.FailureCount += s.pending
		out.PendingCount = 0
		return out
	}
	out.Status = taxii.StatusPending
	out.Pendings = pendings
	return out
}

func failed(ds []taxii.StatusDetail, message string) []taxii.StatusDetail {
	out := make([]taxii.StatusDetail, len(ds))
	for i, d := range ds {
		out[i] = taxii.StatusDetail{ID: d.ID, Version: d.Version, Message: message}
	}
	return out
}

// newStatusID returns a random UUID (version 4): status ids are handed to
// clients and must not be guessable in sequence.
func newStatusID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func stateOf(done bool) string {
	if done {
		return taxii.StatusComplete
	}
	return taxii.StatusPending
}

// insertStatus records a new status.
func (m *Module) insertStatus(ctx context.Context, s *status) error {
	details, err := json.Marshal(s.details)
	if err != nil {
		return fmt.Errorf("taxii: status details: %w", err)
	}
	return m.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO taxii_status (id, api_root, collection_id, user_id, status, request_at,
			total_count, success_count, failure_count, pending_count, details) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			s.id, s.root, s.collection, s.user, stateOf(s.done), db.Micros(s.requestAt),
			s.total, s.success, s.failure, s.pending, string(details))
		if err != nil {
			return fmt.Errorf("taxii: insert status: %w", err)
		}
		return nil
	})
}

// updateCounts records the progress of a pending add; the lists are
// written once, when it completes.
func (m *Module) updateCounts(ctx context.Context, s *status) error {
	return m.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE taxii_status SET success_count = $2, failure_count = $3, pending_count = $4 WHERE id = $1`,
			s.id, s.success, s.failure, s.pending)
		if err != nil {
			return fmt.Errorf("taxii: update status: %w", err)
		}
		return nil
	})
}

// completeStatus records the outcome of an add.
func (m *Module) completeStatus(ctx context.Context, s *status) error {
	details, err := json.Marshal(s.details)
	if err != nil {
		return fmt.Errorf("taxii: status details: %w", err)
	}
	return m.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE taxii_status SET status = $2, success_count = $3, failure_count = $4, pending_count = $5,
			details = $6 WHERE id = $1`, s.id, stateOf(s.done), s.success, s.failure, s.pending, string(details))
		if err != nil {
			return fmt.Errorf("taxii: complete status: %w", err)
		}
		return nil
	})
}

// loadStatus returns the status if the user made the request. Returns
// NotFound otherwise, so status ids reveal nothing about other users' adds.
func (m *Module) loadStatus(ctx context.Context, root, id, userID string) (*status, error) {
	s := &status{}
	var state, details string
	var at int64
	err := m.db.Reader().QueryRowContext(ctx, `SELECT id, api_root, collection_id, user_id, status, request_at, total_count,
		success_count, failure_count, pending_count, details FROM taxii_status WHERE id = $1 AND api_root = $2 AND user_id = $3`,
		id, root, userID).Scan(&s.id, &s.root, &s.collection, &s.user, &state, &at, &s.total, &s.success, &s.failure, &s.pending, &details)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.E(errs.NotFound, "There is no status %q.", clip(id))
	}
	if err != nil {
		return nil, fmt.Errorf("taxii: status: %w", err)
	}
	s.done, s.requestAt = state == taxii.StatusComplete, db.FromMicros(at)
	if err := json.Unmarshal([]byte(details), &s.details); err != nil {
		return nil, fmt.Errorf("taxii: status %s details: %w", s.id, err)
	}
	return s, nil
}

// getStatus is GET /taxii2/{root}/status/{id}/.
func (m *Module) getStatus(w http.ResponseWriter, r *http.Request) {
	s, err := m.loadStatus(r.Context(), r.PathValue("root"), r.PathValue("id"), caller(r).User.ID)
	if err == nil {
		err = acceptable(r)
	}
	if err != nil {
		fail(w, r, err)
		return
	}
	writeResource(w, http.StatusOK, s.resource(time.Now()))
}
