package identity

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/errs"
)

// Scope limits what an API token may do.
type Scope string

// The scopes: read (GET), write (changes), admin (organization and instance
// administration, within the user's roles).
const (
	ScopeRead  Scope = "read"
	ScopeWrite Scope = "write"
	ScopeAdmin Scope = "admin"
)

// Scopes lists the scopes.
var Scopes = []Scope{ScopeRead, ScopeWrite, ScopeAdmin}

// ParseScopes parses a comma- or space-separated list of scopes.
func ParseScopes(s string) ([]Scope, error) {
	var out []Scope
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		sc := Scope(strings.ToLower(f))
		if !slices.Contains(Scopes, sc) {
			return nil, errs.E(errs.Invalid, "Unknown scope %q; use read, write or admin.", f)
		}
		if !slices.Contains(out, sc) {
			out = append(out, sc)
		}
	}
	if len(out) == 0 {
		return nil, errs.E(errs.Invalid, "A token needs at least one scope: read, write or admin.")
	}
	return out, nil
}

// Token is an API token's record; the secret itself is never stored.
type Token struct {
	ID         string    `json:"id"`
	UserID     string    `json:"user_id"`
	Name       string    `json:"name"`
	Scopes     []Scope   `json:"scopes"`
	CreatedAt  time.Time `json:"created_at"`
	ExpiresAt  time.Time `json:"expires_at,omitzero"`
	LastUsedAt time.Time `json:"last_used_at,omitzero"`
	RevokedAt  time.Time `json:"revoked_at,omitzero"`
}

// Active reports whether the token can be used at t.
func (t Token) Active(at time.Time) bool {
	return t.RevokedAt.IsZero() && (t.ExpiresAt.IsZero() || at.Before(t.ExpiresAt))
}

// tokenPrefix marks Rampart tokens so secret scanners can recognise them.
const tokenPrefix = "rmp_"

func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// CreateToken makes a token for a user and returns the record and the
// secret, which is shown once. ttl 0 means it never expires.
func (s *Store) CreateToken(ctx context.Context, tx *sql.Tx, userID, name string, scopes []Scope, ttl time.Duration) (*Token, string, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 100 {
		return nil, "", errs.E(errs.Invalid, "A token needs a name of 1 to 100 characters, to recognise it later.")
	}
	if len(scopes) == 0 {
		return nil, "", errs.E(errs.Invalid, "A token needs at least one scope: read, write or admin.")
	}
	if ttl < 0 {
		return nil, "", errs.E(errs.Invalid, "A token's lifetime must be positive.")
	}
	t := &Token{ID: newID(), UserID: userID, Name: name, Scopes: scopes, CreatedAt: time.Now().UTC().Truncate(time.Microsecond)}
	var expires int64
	if ttl > 0 {
		t.ExpiresAt = t.CreatedAt.Add(ttl)
		expires = db.Micros(t.ExpiresAt)
	}
	secret := tokenPrefix + randomSecret(24)
	_, err := tx.ExecContext(ctx, `INSERT INTO api_tokens (id, user_id, name, secret_hash, scopes, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		t.ID, userID, name, hashSecret(secret), joinScopes(scopes), db.Micros(t.CreatedAt), expires)
	if err != nil {
		if strings.Contains(err.Error(), "FOREIGN KEY") || strings.Contains(err.Error(), "23503") {
			return nil, "", errs.E(errs.NotFound, "There is no user %q.", userID)
		}
		return nil, "", fmt.Errorf("identity: insert token: %w", err)
	}
	return t, secret, nil
}

func joinScopes(scopes []Scope) string {
	s := make([]string, len(scopes))
	for i, sc := range scopes {
		s[i] = string(sc)
	}
	return strings.Join(s, " ")
}

const tokenColumns = `id, user_id, name, scopes, created_at, expires_at, last_used_at, revoked_at`

func scanToken(row interface{ Scan(...any) error }) (*Token, error) {
	var t Token
	var scopes string
	var created, expires, used, revoked int64
	if err := row.Scan(&t.ID, &t.UserID, &t.Name, &scopes, &created, &expires, &used, &revoked); err != nil {
		return nil, err
	}
	for _, f := range strings.Fields(scopes) {
		t.Scopes = append(t.Scopes, Scope(f))
	}
	t.CreatedAt = db.FromMicros(created)
	if expires > 0 {
		t.ExpiresAt = db.FromMicros(expires)
	}
	if used > 0 {
		t.LastUsedAt = db.FromMicros(used)
	}
	if revoked > 0 {
		t.RevokedAt = db.FromMicros(revoked)
	}
	return &t, nil
}

// Tokens lists a user's tokens, newest first.
func (s *Store) Tokens(ctx context.Context, userID string) ([]Token, error) {
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT `+tokenColumns+` FROM api_tokens WHERE user_id = $1 ORDER BY created_at DESC`, userID)
	if err != nil {
		return nil, fmt.Errorf("identity: tokens: %w", err)
	}
	defer rows.Close()
	var out []Token
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *t)
	}
	return out, rows.Err()
}

// RevokeToken revokes one of a user's tokens. Returns NotFound if the user
// has no such token (whoever else may own it).
func (s *Store) RevokeToken(ctx context.Context, tx *sql.Tx, userID, tokenID string) error {
	res, err := tx.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at = 0`,
		db.Micros(time.Now()), tokenID, userID)
	if err != nil {
		return fmt.Errorf("identity: revoke token: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.E(errs.NotFound, "You have no active token %q.", tokenID)
	}
	return nil
}

// tokenTouchEvery is how often a token's use is written to last_used_at.
const tokenTouchEvery = time.Minute

// AuthenticateToken finds the active token with this secret and its user,
// and records its use. Returns Unauthenticated, with a reason that helps
// the caller fix it, for an unknown, expired or revoked token or a disabled
// user.
func (s *Store) AuthenticateToken(ctx context.Context, secret string) (*Token, *User, error) {
	if !strings.HasPrefix(secret, tokenPrefix) || len(secret) != len(tokenPrefix)+48 {
		return nil, nil, errs.E(errs.Unauthenticated, "The token is malformed: Rampart tokens start with %q and have %d characters.", tokenPrefix, len(tokenPrefix)+48)
	}
	t, err := scanToken(s.db.Reader().QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM api_tokens WHERE secret_hash = $1`, hashSecret(secret)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, errs.E(errs.Unauthenticated, "The token is not known.")
	}
	if err != nil {
		return nil, nil, fmt.Errorf("identity: token: %w", err)
	}
	now := time.Now()
	switch {
	case !t.RevokedAt.IsZero():
		return nil, nil, errs.E(errs.Unauthenticated, "The token %q was revoked on %s.", t.Name, t.RevokedAt.Format(time.DateOnly))
	case !t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt):
		return nil, nil, errs.E(errs.Unauthenticated, "The token %q expired on %s.", t.Name, t.ExpiresAt.Format(time.DateOnly))
	}
	u, err := s.User(ctx, t.UserID)
	if err != nil {
		return nil, nil, err
	}
	if u.Disabled {
		return nil, nil, errs.E(errs.Unauthenticated, "The token's user is disabled.")
	}
	// Recording every use would make every read a write; once a minute is
	// enough to show "last used".
	if s.touches.claim("token:"+t.ID, t.LastUsedAt, now, tokenTouchEvery) {
		_ = s.db.Tx(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE api_tokens SET last_used_at = $1 WHERE id = $2`, db.Micros(now), t.ID)
			return err
		})
	}
	return t, u, nil
}
