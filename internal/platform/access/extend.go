package access

import (
	"context"
	"database/sql"
	"fmt"
	"slices"

	"github.com/rampart-project/rampart/internal/platform/audit"
	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/errs"
)

// Audience reads an item's grants.
func Audience(ctx context.Context, q db.Querier, itemID string) ([]Grant, error) {
	rows, err := q.QueryContext(ctx, `SELECT grantee_kind, grantee_id, COALESCE(extended_by, '') FROM item_audience WHERE item_id = $1 ORDER BY grantee_kind, grantee_id`, itemID)
	if err != nil {
		return nil, fmt.Errorf("access: audience: %w", err)
	}
	defer rows.Close()
	var out []Grant
	for rows.Next() {
		var g Grant
		var kind string
		if err := rows.Scan(&kind, &g.ID, &g.ExtendedBy); err != nil {
			return nil, err
		}
		g.Kind = GrantKind(kind)
		out = append(out, g)
	}
	return out, rows.Err()
}

// AddGrants adds grants to an item's audience, inside the caller's transaction;
// a grant already there is kept as it is.
func AddGrants(ctx context.Context, tx *sql.Tx, itemID string, grants []Grant) error {
	for _, g := range grants {
		var ext any
		if g.ExtendedBy != "" {
			ext = g.ExtendedBy
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO item_audience (item_id, grantee_kind, grantee_id, extended_by) VALUES ($1, $2, $3, $4)
			ON CONFLICT (item_id, grantee_kind, grantee_id) DO NOTHING`, itemID, string(g.Kind), g.ID, ext); err != nil {
			return fmt.Errorf("access: add grant: %w", err)
		}
	}
	return nil
}

// Extend lets a recipient of a TLP:AMBER item share it with some of its own
// client organizations (a state with its counties), as TLP 2.0 allows, and
// records that in the audit log in the same transaction. clientsOf lists
// the organizations the recipient may extend to.
//
// Returns NotFound if by may not see the item (saying Forbidden would
// confirm it exists), Forbidden for TLP:AMBER+STRICT, other levels, or an
// organization that is not the recipient's client.
func (pol Policy) Extend(ctx context.Context, tx *sql.Tx, engine db.Engine, by Principal, it Item, to []string, clientsOf []string) error {
	if !pol.CanSee(by, it) {
		return errs.E(errs.NotFound, "There is no item %q.", it.ID)
	}
	switch it.TLP {
	case Amber:
	case AmberStrict:
		return errs.E(errs.Forbidden, "TLP:AMBER+STRICT may not be shared beyond the recipient organizations; ask the source to share it with them.")
	default:
		return errs.E(errs.Forbidden, "Only TLP:AMBER items are extended to clients; this one is TLP:%s.", it.TLP)
	}
	if len(to) == 0 {
		return errs.E(errs.Invalid, "Name at least one client organization to extend the item to.")
	}
	for _, org := range to {
		if !slices.Contains(clientsOf, org) {
			return errs.E(errs.Forbidden, "Organization %q is not a client of yours; TLP:AMBER may be extended only to your own clients.", org)
		}
	}
	grants := make([]Grant, len(to))
	for i, org := range to {
		grants[i] = Grant{Kind: GrantOrg, ID: org, ExtendedBy: by.OrgID}
	}
	if err := AddGrants(ctx, tx, it.ID, grants); err != nil {
		return err
	}
	_, err := audit.Append(ctx, tx, engine, audit.Entry{
		ActorUserID: by.UserID, ActorOrgID: by.OrgID, ActorLabel: by.UserID,
		Action: "item.tlp_extended", TargetKind: "item", TargetID: it.ID, OrgScope: by.OrgID,
		Detail: map[string]any{"tlp": string(it.TLP), "to": to},
	})
	return err
}
