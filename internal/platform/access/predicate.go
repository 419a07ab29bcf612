package access

import (
	"fmt"
	"strings"
)

// Args collects query arguments and hands out their placeholders, so a
// predicate can be spliced into a larger query.
type Args struct{ Values []any }

// Add appends v and returns its placeholder ($N).
func (a *Args) Add(v any) string {
	a.Values = append(a.Values, v)
	return fmt.Sprintf("$%d", len(a.Values))
}

// List appends values and returns their placeholders joined by commas,
// for an IN (...) list.
func (a *Args) List(values []string) string {
	ph := make([]string, len(values))
	for i, v := range values {
		ph[i] = a.Add(v)
	}
	return strings.Join(ph, ", ")
}

// Columns names the columns of the item table in the query: its id, owner
// organization, creating user and TLP. Audience grants live in the shared
// item_audience table, keyed by the item id.
type Columns struct {
	ID, OwnerOrg, CreatedBy, TLP string
}

// On returns the conventional column names under a table alias.
func On(alias string) Columns {
	return Columns{ID: alias + ".id", OwnerOrg: alias + ".owner_org", CreatedBy: alias + ".created_by", TLP: alias + ".tlp"}
}

// Predicate returns a SQL boolean expression, valid on SQLite and
// PostgreSQL, that is true exactly for the rows p may see. It is CanSee
// written as SQL; keep the two in step (the property test checks them).
func (pol Policy) Predicate(p Principal, c Columns, a *Args) string {
	if p.Anonymous() {
		if pol.PublicFeed {
			return fmt.Sprintf("(%s = 'CLEAR')", c.TLP)
		}
		return "(1 = 0)"
	}
	user, org := a.Add(p.UserID), a.Add(p.OrgID)
	grant := func(cond string) string {
		return fmt.Sprintf("EXISTS (SELECT 1 FROM item_audience g WHERE g.item_id = %s AND %s)", c.ID, cond)
	}
	inCommunity := fmt.Sprintf(
		"g.grantee_kind = 'community' AND (g.grantee_id = '%s' OR g.grantee_id IN (SELECT cm.community_id FROM community_members cm WHERE cm.org_id = %s))",
		AllMembers, org)
	orgGrant := fmt.Sprintf("g.grantee_kind = 'org' AND g.grantee_id = %s", org)
	return fmt.Sprintf(`(
  (%[1]s = 'RED' AND (%[2]s = %[3]s OR %[4]s))
  OR (%[1]s <> 'RED' AND (
    %[1]s = 'CLEAR'
    OR %[5]s = %[6]s
    OR (%[1]s = 'GREEN' AND %[7]s)
    OR (%[1]s = 'AMBER' AND %[8]s)
    OR (%[1]s = 'AMBER+STRICT' AND %[9]s)
  ))
)`,
		c.TLP, c.CreatedBy, user,
		grant(fmt.Sprintf("g.grantee_kind = 'user' AND g.grantee_id = %s", user)),
		c.OwnerOrg, org,
		grant(inCommunity),
		grant("(("+orgGrant+") OR ("+inCommunity+"))"),
		grant(orgGrant+" AND g.extended_by IS NULL"),
	)
}
