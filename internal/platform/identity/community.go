package identity

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rampart-project/rampart/internal/platform/access"
	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/errs"
)

// CreateCommunity inserts a community, owned by an organization or (with
// ownerOrgID "") by the coordinators. Returns Invalid or Conflict.
func (s *Store) CreateCommunity(ctx context.Context, tx *sql.Tx, c *Community) error {
	c.Name = strings.TrimSpace(c.Name)
	if c.Name == "" || len(c.Name) > 200 {
		return errs.E(errs.Invalid, "A community needs a name of 1 to 200 characters.")
	}
	if c.OwnerOrgID != "" {
		if _, err := s.org(ctx, tx, c.OwnerOrgID); err != nil {
			return err
		}
	}
	if c.ID == "" {
		c.ID = newID()
	}
	c.CreatedAt = time.Now().UTC().Truncate(time.Microsecond)
	_, err := tx.ExecContext(ctx, `INSERT INTO communities (id, name, description, owner_org_id, created_at) VALUES ($1, $2, $3, $4, $5)`,
		c.ID, c.Name, c.Description, nullable(c.OwnerOrgID), db.Micros(c.CreatedAt))
	if isUniqueViolation(err) {
		return errs.E(errs.Conflict, "A community named %q already exists.", c.Name)
	}
	if err != nil {
		return fmt.Errorf("identity: insert community: %w", err)
	}
	if c.OwnerOrgID != "" {
		return s.AddMember(ctx, tx, c.ID, c.OwnerOrgID)
	}
	return nil
}

// AddMember adds an organization to a community; adding it twice is a
// no-op. The all-members community has no explicit members.
func (s *Store) AddMember(ctx context.Context, tx *sql.Tx, communityID, orgID string) error {
	if communityID == access.AllMembers {
		return errs.E(errs.Invalid, "Every organization is already in the all-members community.")
	}
	if _, err := s.org(ctx, tx, orgID); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO community_members (community_id, org_id, added_at) VALUES ($1, $2, $3)
		ON CONFLICT (community_id, org_id) DO NOTHING`, communityID, orgID, db.Micros(time.Now()))
	if err != nil {
		if strings.Contains(err.Error(), "FOREIGN KEY") || strings.Contains(err.Error(), "23503") {
			return errs.E(errs.NotFound, "There is no community %q.", communityID)
		}
		return fmt.Errorf("identity: add member: %w", err)
	}
	return nil
}

// RemoveMember removes an organization from a community.
func (s *Store) RemoveMember(ctx context.Context, tx *sql.Tx, communityID, orgID string) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM community_members WHERE community_id = $1 AND org_id = $2`, communityID, orgID)
	return err
}

// Community returns a community by id or name. Members are filled in only
// for a viewer whose organization is a member, or a coordinator: membership
// is visible to members only. Returns NotFound.
func (s *Store) Community(ctx context.Context, idOrName string, viewer access.Principal) (*Community, error) {
	var c Community
	var owner sql.NullString
	var created int64
	err := s.db.Reader().QueryRowContext(ctx, `SELECT id, name, description, owner_org_id, created_at FROM communities WHERE id = $1 OR name = $1`, idOrName).
		Scan(&c.ID, &c.Name, &c.Description, &owner, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.E(errs.NotFound, "There is no community %q.", idOrName)
	}
	if err != nil {
		return nil, fmt.Errorf("identity: community: %w", err)
	}
	c.OwnerOrgID, c.CreatedAt, c.AllMembers = owner.String, db.FromMicros(created), c.ID == access.AllMembers
	members, err := s.members(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	if viewer.Coordinator || containsString(members, viewer.OrgID) {
		c.Members = members
	}
	return &c, nil
}

// Communities lists the communities a viewer may know of: those its
// organization belongs to (with members), the all-members community, and,
// for coordinators, every community.
func (s *Store) Communities(ctx context.Context, viewer access.Principal) ([]Community, error) {
	ids, err := queryStrings(ctx, s.db.Reader(), `SELECT id FROM communities c
		WHERE c.id = $1 OR $2 OR EXISTS (SELECT 1 FROM community_members m WHERE m.community_id = c.id AND m.org_id = $3)
		ORDER BY c.id = $1 DESC, c.name`, access.AllMembers, viewer.Coordinator, viewer.OrgID)
	if err != nil {
		return nil, err
	}
	out := make([]Community, 0, len(ids))
	for _, id := range ids {
		c, err := s.Community(ctx, id, viewer)
		if err != nil {
			return nil, err
		}
		out = append(out, *c)
	}
	return out, nil
}

func (s *Store) members(ctx context.Context, communityID string) ([]string, error) {
	return queryStrings(ctx, s.db.Reader(), `SELECT org_id FROM community_members WHERE community_id = $1 ORDER BY org_id`, communityID)
}

// CanManageCommunity reports whether p may change a community's membership:
// coordinators, and org admins of the owner organization.
func CanManageCommunity(p access.Principal, isOrgAdmin bool, c *Community) bool {
	if c.AllMembers {
		return false
	}
	return p.Coordinator || isOrgAdmin && c.OwnerOrgID != "" && c.OwnerOrgID == p.OrgID
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
