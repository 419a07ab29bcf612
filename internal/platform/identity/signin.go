package identity

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/rampart-project/rampart/internal/platform/audit"
	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/errs"
)

// Lockout: after maxFailures wrong passwords in a row an account refuses
// sign-in for lockFor, whoever tries. Together with the per-address rate
// limit this bounds online guessing both from one machine and from many.
const (
	maxFailures = 5
	lockFor     = 15 * time.Minute
)

// errWrongCredentials is the one answer for an unknown e-mail address and
// a wrong password, so sign-in does not reveal who has an account.
var errWrongCredentials = errs.E(errs.Unauthenticated, "The e-mail or password is wrong.")

// RetryAfterError is a refusal that ends after a while: a rate limit or a
// lockout. Handlers send After as Retry-After.
type RetryAfterError struct {
	After time.Duration
	Err   error
}

func (e *RetryAfterError) Error() string { return e.Err.Error() }
func (e *RetryAfterError) Unwrap() error { return e.Err }

// RetryAfter returns how long err says to wait, if it is a RetryAfterError.
func RetryAfter(err error) (time.Duration, bool) {
	var ra *RetryAfterError
	if errors.As(err, &ra) {
		return ra.After, true
	}
	return 0, false
}

// SignIn checks an e-mail address and password and, if they are right,
// starts a session and sets its cookie on w, replacing the browser's
// previous session (rotation). Every attempt, good or bad, is recorded in
// the audit log in the same transaction as its effect on the account.
// Returns Invalid when either is empty, Unauthenticated ("The e-mail or
// password is wrong.") for an unknown address or a wrong password,
// Forbidden for a disabled account, and a RetryAfterError wrapping
// RateLimited when the client is over the rate limit or the account is
// locked.
func (a *Auth) SignIn(w http.ResponseWriter, r *http.Request, email, password string) (*User, error) {
	ctx := r.Context()
	now := a.now()
	if wait, ok := a.limiter.allow(clientIP(r), now); !ok {
		return nil, &RetryAfterError{After: wait, Err: errs.E(errs.RateLimited,
			"Too many sign-in attempts from your address; try again in %s.", roundUp(wait))}
	}
	email = strings.ToLower(strings.TrimSpace(email))
	if email == "" || password == "" {
		// Not an attempt at anyone's account: nothing to count or record.
		return nil, errs.E(errs.Invalid, "Enter your e-mail address and your password.")
	}
	entry := func(u *User, action string, detail map[string]any) audit.Entry {
		e := (*Caller)(nil).AuditEntry(r, action, "user", "", "", detail)
		e.ActorLabel = truncate(email, 200)
		if e.ActorLabel == "" {
			e.ActorLabel = "anonymous"
		}
		if u != nil {
			e.ActorUserID, e.ActorOrgID, e.TargetID, e.OrgScope = u.ID, u.OrgID, u.ID, u.OrgID
		}
		return e
	}

	u, err := a.store.UserByEmail(ctx, email)
	if errs.Is(err, errs.NotFound) {
		// Spend the time a real check takes, so the answer's timing does
		// not tell unknown addresses from wrong passwords.
		VerifyPassword(dummyHash, password)
		if err := a.record(ctx, entry(nil, "user.signin_failed", map[string]any{"reason": "unknown_email"})); err != nil {
			return nil, err
		}
		return nil, errWrongCredentials
	}
	if err != nil {
		return nil, err
	}
	failures, lockedUntil, err := a.store.signInState(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	if now.Before(lockedUntil) {
		if err := a.record(ctx, entry(u, "user.signin_failed", map[string]any{"reason": "locked"})); err != nil {
			return nil, err
		}
		return nil, lockedError(lockedUntil, now)
	}
	hash, err := a.store.PasswordHash(ctx, u.ID)
	if err != nil {
		return nil, fmt.Errorf("identity: sign in: %w", err)
	}
	if hash == "" {
		hash = dummyHash // no password (single sign-on only): never matches
	}
	if !VerifyPassword(hash, password) || hash == dummyHash {
		var locked time.Time
		err := a.store.db.Tx(ctx, func(tx *sql.Tx) error {
			locked = time.Time{}
			n := failures + 1
			until := int64(0)
			if n >= maxFailures {
				locked = now.Add(lockFor)
				n, until = 0, db.Micros(locked)
			}
			if _, err := tx.ExecContext(ctx, `UPDATE users SET failed_signins = $1, locked_until = $2 WHERE id = $3`, n, until, u.ID); err != nil {
				return fmt.Errorf("identity: count failed sign-in: %w", err)
			}
			detail := map[string]any{"reason": "wrong_password", "failures": failures + 1}
			if !locked.IsZero() {
				detail["locked_until"] = locked.UTC().Format(time.RFC3339)
			}
			_, err := a.audit.Record(ctx, tx, entry(u, "user.signin_failed", detail))
			return err
		})
		if err != nil {
			return nil, err
		}
		if !locked.IsZero() {
			return nil, lockedError(locked, now)
		}
		return nil, errWrongCredentials
	}
	if u.Disabled {
		if err := a.record(ctx, entry(u, "user.signin_failed", map[string]any{"reason": "disabled"})); err != nil {
			return nil, err
		}
		return nil, errs.E(errs.Forbidden, "Your account is disabled; ask your organization's administrator.")
	}
	if err := a.startSession(w, r, u, nil, func() audit.Entry { return entry(u, "user.signin", map[string]any{"method": "password"}) }); err != nil {
		return nil, err
	}
	return u, nil
}

// startSession resets the account's failure count, ends the browser's
// previous session if it had one, starts a new one with its audit entry,
// all in one transaction, and sets the cookie. before, if set, runs first
// in the same transaction (single sign-on creates or links the user there);
// entry is built after it, when the user's id is known.
func (a *Auth) startSession(w http.ResponseWriter, r *http.Request, u *User, before func(tx *sql.Tx) error, entry func() audit.Entry) error {
	ctx := r.Context()
	now := a.now()
	var secret string
	err := a.store.db.Tx(ctx, func(tx *sql.Tx) error {
		if before != nil {
			if err := before(tx); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET failed_signins = 0, locked_until = 0, last_signin_at = $1 WHERE id = $2`, db.Micros(now), u.ID); err != nil {
			return fmt.Errorf("identity: sign in: %w", err)
		}
		if ck, err := r.Cookie(SessionCookie); err == nil && ck.Value != "" {
			if err := a.store.deleteSession(ctx, tx, hashSecret(ck.Value)); err != nil {
				return err
			}
		}
		var err error
		if _, secret, err = a.store.createSession(ctx, tx, u.ID, now); err != nil {
			return err
		}
		_, err = a.audit.Record(ctx, tx, entry())
		return err
	})
	if err != nil {
		return err
	}
	a.setSessionCookie(w, secret)
	return nil
}

func lockedError(until, now time.Time) error {
	return &RetryAfterError{After: until.Sub(now), Err: errs.E(errs.RateLimited,
		"Too many wrong passwords: this account is locked until %s UTC. Try again then, or ask your organization's administrator.",
		until.UTC().Format("15:04 on 2 January 2006"))}
}

func roundUp(d time.Duration) string {
	if d < time.Second {
		return "1s"
	}
	return d.Round(time.Second).String()
}

func (a *Auth) record(ctx context.Context, e audit.Entry) error {
	return a.store.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := a.audit.Record(ctx, tx, e)
		return err
	})
}

func (s *Store) signInState(ctx context.Context, userID string) (failures int, lockedUntil time.Time, err error) {
	var locked int64
	err = s.db.Reader().QueryRowContext(ctx, `SELECT failed_signins, locked_until FROM users WHERE id = $1`, userID).Scan(&failures, &locked)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("identity: sign-in state: %w", err)
	}
	if locked > 0 {
		lockedUntil = db.FromMicros(locked)
	}
	return failures, lockedUntil, nil
}

// SignOut ends the caller's session, records it, and clears the cookie.
// A request without a session (a token) has nothing to end.
func (a *Auth) SignOut(w http.ResponseWriter, r *http.Request) error {
	c, ok := CallerFrom(r.Context())
	if !ok || c.Session == nil {
		a.clearSessionCookie(w, r)
		return nil
	}
	ctx := r.Context()
	err := a.store.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := a.store.deleteSession(ctx, tx, c.Session.hash); err != nil {
			return err
		}
		_, err := a.audit.Record(ctx, tx, c.AuditEntry(r, "user.signout", "user", c.User.ID, c.User.OrgID, nil))
		return err
	})
	if err != nil {
		return err
	}
	a.clearSessionCookie(w, r)
	return nil
}

// ChangePassword changes the caller's password after checking the current
// one, signs the user out of every other session, and gives this browser a
// new session (rotation), all with one audit entry. It needs a session:
// a stolen API token must not be able to take over the account. Returns
// Unauthenticated for a wrong current password and Invalid for a weak new
// one.
func (a *Auth) ChangePassword(w http.ResponseWriter, r *http.Request, current, next string) error {
	c, ok := CallerFrom(r.Context())
	if !ok || c.Session == nil {
		return errs.E(errs.Forbidden, "Change your password in the browser, signed in with your current password.")
	}
	ctx := r.Context()
	hash, err := a.store.PasswordHash(ctx, c.User.ID)
	if err != nil {
		return fmt.Errorf("identity: change password: %w", err)
	}
	if hash == "" {
		VerifyPassword(dummyHash, current)
		return errs.E(errs.Invalid, "Your account has no password: you sign in through single sign-on.")
	}
	if !VerifyPassword(hash, current) {
		return errs.E(errs.Unauthenticated, "The current password is wrong.")
	}
	if current == next {
		return errs.E(errs.Invalid, "The new password is the same as the current one.")
	}
	var secret string
	err = a.store.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := a.store.SetPassword(ctx, tx, c.User.ID, c.User.Email, next); err != nil {
			return err
		}
		if err := a.store.deleteUserSessions(ctx, tx, c.User.ID, ""); err != nil {
			return err
		}
		var err error
		if _, secret, err = a.store.createSession(ctx, tx, c.User.ID, a.now()); err != nil {
			return err
		}
		_, err = a.audit.Record(ctx, tx, c.AuditEntry(r, "user.password_changed", "user", c.User.ID, c.User.OrgID, nil))
		return err
	})
	if err != nil {
		return err
	}
	a.setSessionCookie(w, secret)
	return nil
}

// clientIP is the address sign-in attempts are counted against: the peer
// of the connection. Forwarded headers are not trusted, because anyone can
// send them; behind a reverse proxy every client shares the proxy's
// budget, which errs on the safe side.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// ipLimiter rate-limits per client address with a token bucket each. It
// forgets addresses that have been quiet long enough to have a full
// bucket, so its memory stays bounded by recent activity.
type ipLimiter struct {
	mu      sync.Mutex
	every   time.Duration
	burst   int
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

func newIPLimiter(every time.Duration, burst int) *ipLimiter {
	return &ipLimiter{every: every, burst: burst, buckets: map[string]*bucket{}}
}

// allow takes one attempt from ip's bucket, or says how long to wait.
func (l *ipLimiter) allow(ip string, now time.Time) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	full := l.every * time.Duration(l.burst)
	if now.Sub(l.swept) > full {
		for k, b := range l.buckets {
			if now.Sub(b.seen) > full {
				delete(l.buckets, k)
			}
		}
		l.swept = now
	}
	b, ok := l.buckets[ip]
	if !ok {
		b = &bucket{lim: rate.NewLimiter(rate.Every(l.every), l.burst)}
		l.buckets[ip] = b
	}
	b.seen = now
	res := b.lim.ReserveN(now, 1)
	if !res.OK() {
		return l.every, false
	}
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return d, false
	}
	return 0, true
}
