package identity

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/errs"
)

// Session lifetimes. A session ends after SessionIdle without a request or
// SessionLifetime after sign-in, whichever comes first: a forgotten browser
// on a shared watch-floor machine stops working overnight, and nobody stays
// signed in for more than a week without typing their password again.
const (
	SessionIdle     = 12 * time.Hour
	SessionLifetime = 7 * 24 * time.Hour
	// sessionTouchEvery bounds how often a request writes last_seen_at, so
	// reading pages does not turn into a stream of writes.
	sessionTouchEvery = time.Minute
)

// Session is a browser session. The cookie holds a secret; the table holds
// its SHA-256 only, so a copy of the database signs nobody in.
type Session struct {
	hash       string
	UserID     string
	CSRF       string // the token every state-changing request of this session carries
	CreatedAt  time.Time
	ExpiresAt  time.Time // absolute end
	LastSeenAt time.Time
}

// idleEnd is when the session ends if no further request comes.
func (s *Session) idleEnd() time.Time { return s.LastSeenAt.Add(SessionIdle) }

// createSession inserts a session for userID and returns it with the
// cookie's secret.
func (s *Store) createSession(ctx context.Context, tx *sql.Tx, userID string, now time.Time) (*Session, string, error) {
	now = now.UTC().Truncate(time.Microsecond)
	secret := randomSecret(32)
	sess := &Session{
		hash: hashSecret(secret), UserID: userID, CSRF: randomSecret(32),
		CreatedAt: now, ExpiresAt: now.Add(SessionLifetime), LastSeenAt: now,
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, expires_at, last_seen_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		sess.hash, userID, sess.CSRF, db.Micros(sess.CreatedAt), db.Micros(sess.ExpiresAt), db.Micros(sess.LastSeenAt))
	if err != nil {
		return nil, "", fmt.Errorf("identity: insert session: %w", err)
	}
	return sess, secret, nil
}

// errNoSession is what an unknown or ended session is: the browser is
// treated as signed out.
var errNoSession = errs.E(errs.Unauthenticated, "Your session has ended; sign in again.")

// sessionBySecret returns the live session with this secret and keeps it
// alive. An ended session is deleted and reported as errNoSession.
func (s *Store) sessionBySecret(ctx context.Context, secret string, now time.Time) (*Session, error) {
	if len(secret) != 64 {
		return nil, errNoSession
	}
	hash := hashSecret(secret)
	var sess Session
	var created, expires, seen int64
	err := s.db.Reader().QueryRowContext(ctx, `SELECT id_hash, user_id, csrf_token, created_at, expires_at, last_seen_at FROM sessions WHERE id_hash = $1`, hash).
		Scan(&sess.hash, &sess.UserID, &sess.CSRF, &created, &expires, &seen)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNoSession
	}
	if err != nil {
		return nil, fmt.Errorf("identity: session: %w", err)
	}
	// The lookup is by hash, but compare again in constant time so that
	// nothing depends on how the database compares strings.
	if subtle.ConstantTimeCompare([]byte(sess.hash), []byte(hash)) != 1 {
		return nil, errNoSession
	}
	sess.CreatedAt, sess.ExpiresAt, sess.LastSeenAt = db.FromMicros(created), db.FromMicros(expires), db.FromMicros(seen)
	if !now.Before(sess.ExpiresAt) || !now.Before(sess.idleEnd()) {
		_ = s.db.Tx(ctx, func(tx *sql.Tx) error { return s.deleteSession(ctx, tx, sess.hash) })
		return nil, errNoSession
	}
	if s.touches.claim("session:"+sess.hash, sess.LastSeenAt, now, sessionTouchEvery) {
		sess.LastSeenAt = now.UTC().Truncate(time.Microsecond)
		// Failing to record activity must not fail the request; at worst
		// the session ends a minute early.
		_ = s.db.Tx(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2`, db.Micros(sess.LastSeenAt), sess.hash)
			return err
		})
	}
	return &sess, nil
}

func (s *Store) deleteSession(ctx context.Context, tx *sql.Tx, hash string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE id_hash = $1`, hash); err != nil {
		return fmt.Errorf("identity: delete session: %w", err)
	}
	return nil
}

// deleteUserSessions signs a user out everywhere, except (if set) the
// session whose hash is keep. Ended sessions go too.
func (s *Store) deleteUserSessions(ctx context.Context, tx *sql.Tx, userID, keep string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2`, userID, keep); err != nil {
		return fmt.Errorf("identity: delete sessions: %w", err)
	}
	return nil
}

// SetDisabled disables or re-enables a user inside tx. Disabling also ends
// the user's sessions, so it takes effect at once in every browser; their
// API tokens stop working because AuthenticateToken checks the flag.
// Returns NotFound.
func (s *Store) SetDisabled(ctx context.Context, tx *sql.Tx, userID string, disabled bool) error {
	res, err := tx.ExecContext(ctx, `UPDATE users SET disabled = $1 WHERE id = $2`, disabled, userID)
	if err != nil {
		return fmt.Errorf("identity: disable user: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.E(errs.NotFound, "There is no user %q.", userID)
	}
	if disabled {
		return s.deleteUserSessions(ctx, tx, userID, "")
	}
	return nil
}
