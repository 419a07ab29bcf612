package identity

import (
	"context"

	"github.com/rampart-project/rampart/internal/platform/access"
)

// Principal loads what the access decision needs to know about a user: the
// organization and its communities, and whether the user coordinates the
// instance.
func (s *Store) Principal(ctx context.Context, u *User) (access.Principal, error) {
	p, err := s.OrgPrincipal(ctx, u.OrgID, u.ID)
	p.Coordinator = u.HasRole(RoleCoordinator)
	return p, err
}

// OrgPrincipal is an organization acting as itself rather than through one
// of its users — a webhook, a federation peer, an organization-wide
// notice, the command line. actingAs labels it ("webhook:ID", "cli") and is
// no user's id, so nothing meant for named people (TLP:RED, user grants)
// ever matches it; it is never a coordinator.
func (s *Store) OrgPrincipal(ctx context.Context, orgID, actingAs string) (access.Principal, error) {
	p := access.Principal{UserID: actingAs, OrgID: orgID}
	communities, err := queryStrings(ctx, s.db.Reader(), `SELECT community_id FROM community_members WHERE org_id = $1 ORDER BY community_id`, orgID)
	if err != nil {
		return p, err
	}
	p.Communities = append([]string{access.AllMembers}, communities...)
	return p, nil
}
