package identity

import (
	"context"

	"github.com/rampart-project/rampart/internal/platform/access"
)

// Principal loads what the access decision needs to know about a user: the
// organization and its communities, and whether the user coordinates the
// instance.
func (s *Store) Principal(ctx context.Context, u *User) (access.Principal, error) {
	p := access.Principal{UserID: u.ID, OrgID: u.OrgID, Coordinator: u.HasRole(RoleCoordinator)}
	communities, err := queryStrings(ctx, s.db.Reader(), `SELECT community_id FROM community_members WHERE org_id = $1 ORDER BY community_id`, u.OrgID)
	if err != nil {
		return p, err
	}
	p.Communities = append([]string{access.AllMembers}, communities...)
	return p, nil
}
