package identity

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/errs"
)

// InvitationLifetime is how long an invitation link works.
const InvitationLifetime = 7 * 24 * time.Hour

// Invitation lets a person join an organization through a one-time link.
// Only the hash of the link's secret is stored.
type Invitation struct {
	ID         string    `json:"id"`
	OrgID      string    `json:"org_id"`
	Email      string    `json:"email"`
	Roles      []Role    `json:"roles"`
	InvitedBy  string    `json:"invited_by"`
	CreatedAt  time.Time `json:"created_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	AcceptedAt time.Time `json:"accepted_at,omitzero"`
}

// CreateInvitation invites email to join orgID with roles, on behalf of
// by, inside tx, and returns the invitation and the secret of its link
// (/invite/SECRET), which is shown once. The caller's roles decide: org
// admins invite to their own organization, coordinators to any, and only
// coordinators give the coordinator role. Returns Invalid, Forbidden,
// NotFound (organization) or Conflict (the address already has an
// account).
func (s *Store) CreateInvitation(ctx context.Context, tx *sql.Tx, by *Caller, orgID, email string, roles []Role) (*Invitation, string, error) {
	if !by.Is(RoleCoordinator) && !(by.Is(RoleOrgAdmin) && by.User.OrgID == orgID) {
		return nil, "", errs.E(errs.Forbidden, "Only the organization's administrators and coordinators invite people to it.")
	}
	email, err := NormalizeEmail(email)
	if err != nil {
		return nil, "", err
	}
	if len(roles) == 0 {
		return nil, "", errs.E(errs.Invalid, "Give the person at least one role.")
	}
	for _, r := range roles {
		if !slices.Contains(Roles, r) {
			return nil, "", errs.E(errs.Invalid, "Role %q is unknown.", r)
		}
	}
	if slices.Contains(roles, RoleCoordinator) && !by.Is(RoleCoordinator) {
		return nil, "", errs.E(errs.Forbidden, "Only coordinators give the coordinator role.")
	}
	if _, err := s.org(ctx, tx, orgID); err != nil {
		return nil, "", err
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE email = $1`, email).Scan(&n); err != nil {
		return nil, "", fmt.Errorf("identity: invitation: %w", err)
	}
	if n > 0 {
		return nil, "", errs.E(errs.Conflict, "%s already has an account.", email)
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	inv := &Invitation{ID: newID(), OrgID: orgID, Email: email, Roles: slices.Sorted(slices.Values(roles)), InvitedBy: by.User.ID,
		CreatedAt: now, ExpiresAt: now.Add(InvitationLifetime)}
	inv.Roles = slices.Compact(inv.Roles)
	secret := randomSecret(32)
	_, err = tx.ExecContext(ctx, `INSERT INTO invitations (id, token_hash, org_id, email, roles, invited_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		inv.ID, hashSecret(secret), orgID, email, joinRoles(inv.Roles), by.User.ID, db.Micros(inv.CreatedAt), db.Micros(inv.ExpiresAt))
	if err != nil {
		return nil, "", fmt.Errorf("identity: insert invitation: %w", err)
	}
	return inv, secret, nil
}

func joinRoles(rs []Role) string {
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = string(r)
	}
	return strings.Join(s, " ")
}

const invitationColumns = `id, org_id, email, roles, invited_by, created_at, expires_at, accepted_at`

func scanInvitation(row interface{ Scan(...any) error }) (*Invitation, error) {
	var inv Invitation
	var roles string
	var created, expires, accepted int64
	if err := row.Scan(&inv.ID, &inv.OrgID, &inv.Email, &roles, &inv.InvitedBy, &created, &expires, &accepted); err != nil {
		return nil, err
	}
	for _, f := range strings.Fields(roles) {
		inv.Roles = append(inv.Roles, Role(f))
	}
	inv.CreatedAt, inv.ExpiresAt = db.FromMicros(created), db.FromMicros(expires)
	if accepted > 0 {
		inv.AcceptedAt = db.FromMicros(accepted)
	}
	return &inv, nil
}

// Invitations lists an organization's invitations that are neither
// accepted nor expired, newest first.
func (s *Store) Invitations(ctx context.Context, orgID string) ([]Invitation, error) {
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT `+invitationColumns+` FROM invitations
		WHERE org_id = $1 AND accepted_at = 0 AND expires_at > $2 ORDER BY created_at DESC`, orgID, db.Micros(time.Now()))
	if err != nil {
		return nil, fmt.Errorf("identity: invitations: %w", err)
	}
	defer rows.Close()
	var out []Invitation
	for rows.Next() {
		inv, err := scanInvitation(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *inv)
	}
	return out, rows.Err()
}

// Invitation returns the usable invitation with this link secret. Returns
// NotFound for an unknown link, and Conflict for one already used or
// expired, each with a message saying so.
func (s *Store) Invitation(ctx context.Context, secret string) (*Invitation, error) {
	return s.invitation(ctx, s.db.Reader(), secret, time.Now())
}

func (s *Store) invitation(ctx context.Context, q db.Querier, secret string, now time.Time) (*Invitation, error) {
	inv, err := scanInvitation(q.QueryRowContext(ctx, `SELECT `+invitationColumns+` FROM invitations WHERE token_hash = $1`, hashSecret(secret)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.E(errs.NotFound, "This invitation link is not valid. Check that you copied all of it, or ask for a new one.")
	}
	if err != nil {
		return nil, fmt.Errorf("identity: invitation: %w", err)
	}
	switch {
	case !inv.AcceptedAt.IsZero():
		return nil, errs.E(errs.Conflict, "This invitation was already used on %s; an invitation link works once. Sign in instead, or ask for a new invitation.", inv.AcceptedAt.Format(time.DateOnly))
	case !now.Before(inv.ExpiresAt):
		return nil, errs.E(errs.Conflict, "This invitation expired on %s. Ask your organization's administrator for a new one.", inv.ExpiresAt.Format(time.DateOnly))
	}
	return inv, nil
}

// AcceptInvitation uses the invitation with this secret: it creates the
// user in the invitation's organization with the invited roles and the
// chosen name and password, marks the invitation used, signs the person in
// (setting the session cookie on w) and records it, in one transaction.
// Returns what Invitation returns, and Invalid for a bad name or password.
func (a *Auth) AcceptInvitation(w http.ResponseWriter, r *http.Request, secret, name, password string) (*User, error) {
	ctx := r.Context()
	now := a.now()
	var u *User
	var cookie string
	err := a.store.db.Tx(ctx, func(tx *sql.Tx) error {
		inv, err := a.store.invitation(ctx, tx, secret, now)
		if err != nil {
			return err
		}
		// Claim the invitation first: of two browsers racing with one
		// link, exactly one gets the row.
		res, err := tx.ExecContext(ctx, `UPDATE invitations SET accepted_at = $1 WHERE id = $2 AND accepted_at = 0`, db.Micros(now), inv.ID)
		if err != nil {
			return fmt.Errorf("identity: accept invitation: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errs.E(errs.Conflict, "This invitation was already used; an invitation link works once.")
		}
		u = &User{Email: inv.Email, Name: name, OrgID: inv.OrgID, Roles: inv.Roles}
		if err := a.store.CreateUser(ctx, tx, u, password); err != nil {
			return err
		}
		if password == "" {
			return errs.E(errs.Invalid, "Choose a password.")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET last_signin_at = $1 WHERE id = $2`, db.Micros(now), u.ID); err != nil {
			return fmt.Errorf("identity: accept invitation: %w", err)
		}
		if _, cookie, err = a.store.createSession(ctx, tx, u.ID, now); err != nil {
			return err
		}
		e := (&Caller{User: u}).AuditEntry(r, "invitation.accepted", "user", u.ID, u.OrgID,
			map[string]any{"invitation_id": inv.ID, "invited_by": inv.InvitedBy, "roles": joinRoles(inv.Roles)})
		_, err = a.audit.Record(ctx, tx, e)
		return err
	})
	if err != nil {
		return nil, err
	}
	a.setSessionCookie(w, cookie)
	return u, nil
}
