package notify

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rampart-project/rampart/internal/platform/access"
	"github.com/rampart-project/rampart/internal/platform/audit"
	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/errs"
	"github.com/rampart-project/rampart/internal/platform/events"
)

// TopicInventoryChanged is emitted, in the writing transaction, whenever an
// organization's inventory changes; the matcher's consumer reloads that
// organization (Store.RefreshOrg).
const TopicInventoryChanged = "notify.inventory.changed"

// InventoryChanged is the payload of TopicInventoryChanged.
type InventoryChanged struct {
	OrgID   string `json:"org_id"`
	Added   int    `json:"added"`
	Removed int    `json:"removed"`
}

// Store keeps inventories in inventory_items.
type Store struct {
	db *db.DB
}

// NewStore returns the inventory store of d.
func NewStore(d *db.DB) *Store { return &Store{db: d} }

// CanView reports whether p may see the inventory of the organization
// orgID: its own members, and the instance's coordinators, who need every
// inventory to coordinate. An inventory says where an organization is
// exposed, so nobody else — not even a parent organization — sees it.
// Every read path of this package asks it.
func CanView(p access.Principal, orgID string) bool {
	if p.Anonymous() || orgID == "" {
		return false
	}
	return p.OrgID == orgID || p.Coordinator
}

// Actor is who makes a change, as the audit log records it.
type Actor struct {
	UserID     string
	OrgID      string
	Label      string // an e-mail address, "cli", "system"
	RemoteAddr string
	RequestID  string
}

// Entry is a stored inventory item.
type Entry struct {
	ID    string `json:"id"`
	OrgID string `json:"org_id"`
	Item
	AddedAt time.Time `json:"added_at"`
	AddedBy string    `json:"added_by"`
}

// ListQuery selects a page of an inventory, in (kind, value, version)
// order.
type ListQuery struct {
	Kind  Kind   // only this kind; "" for all
	After string // the id of the last entry of the previous page
	Limit int    // at most this many; <= 0 for all
}

// List returns a page of the organization's inventory and the cursor of the
// next page ("" at the end). Returns NotFound when p may not see it, so
// that nobody learns which organizations exist.
func (s *Store) List(ctx context.Context, p access.Principal, orgID string, q ListQuery) ([]Entry, string, error) {
	if !CanView(p, orgID) {
		return nil, "", errs.E(errs.NotFound, "There is no inventory of organization %q that you may see.", orgID)
	}
	if q.Kind != "" {
		if _, err := ParseKind(string(q.Kind)); err != nil {
			return nil, "", err
		}
	}
	where := []string{"org_id = $1"}
	args := []any{orgID}
	if q.Kind != "" {
		args = append(args, string(q.Kind))
		where = append(where, fmt.Sprintf("kind = $%d", len(args)))
	}
	if q.After != "" {
		args = append(args, q.After)
		n := len(args)
		where = append(where, fmt.Sprintf(`(kind, value, version) > (SELECT kind, value, version FROM inventory_items WHERE id = $%d AND org_id = $1)`, n))
	}
	query := `SELECT id, org_id, kind, value, version, added_at, added_by FROM inventory_items WHERE ` +
		strings.Join(where, " AND ") + ` ORDER BY kind, value, version`
	if q.Limit > 0 {
		query += fmt.Sprintf(" LIMIT %d", q.Limit+1)
	}
	rows, err := s.db.Reader().QueryContext(ctx, query, args...)
	if err != nil {
		return nil, "", fmt.Errorf("notify: list inventory: %w", err)
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var e Entry
		var kind string
		var added int64
		if err := rows.Scan(&e.ID, &e.OrgID, &kind, &e.Value, &e.Version, &added, &e.AddedBy); err != nil {
			return nil, "", fmt.Errorf("notify: list inventory: %w", err)
		}
		e.Kind, e.AddedAt = Kind(kind), db.FromMicros(added)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("notify: list inventory: %w", err)
	}
	next := ""
	if q.Limit > 0 && len(out) > q.Limit {
		out = out[:q.Limit]
		next = out[len(out)-1].ID
	}
	return out, next, nil
}

// Counts returns how many entries of each kind the organization's
// inventory holds. Returns NotFound like List.
func (s *Store) Counts(ctx context.Context, p access.Principal, orgID string) (map[Kind]int, error) {
	if !CanView(p, orgID) {
		return nil, errs.E(errs.NotFound, "There is no inventory of organization %q that you may see.", orgID)
	}
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT kind, COUNT(*) FROM inventory_items WHERE org_id = $1 GROUP BY kind`, orgID)
	if err != nil {
		return nil, fmt.Errorf("notify: count inventory: %w", err)
	}
	defer rows.Close()
	out := map[Kind]int{}
	for rows.Next() {
		var kind string
		var n int
		if err := rows.Scan(&kind, &n); err != nil {
			return nil, fmt.Errorf("notify: count inventory: %w", err)
		}
		out[Kind(kind)] = n
	}
	return out, rows.Err()
}

// ImportResult says what an import did.
type ImportResult struct {
	Added   int `json:"added"`
	Kept    int `json:"kept"` // already in the inventory (or repeated in the input)
	Removed int `json:"removed,omitempty"`
}

// Import adds items to the organization's inventory in one transaction,
// with one audit entry and one change event; items already there are kept
// as they are. Items are normalised first; an invalid one fails the whole
// import with errs.Invalid (parse files with ParseCSV or ParseJSON, which
// reject bad lines one by one). Returns NotFound for an unknown
// organization.
func (s *Store) Import(ctx context.Context, orgID string, items []Item, actor Actor) (ImportResult, error) {
	return s.write(ctx, orgID, items, actor, false)
}

// Replace makes items the organization's whole inventory: what is not in
// items is removed, like Import otherwise.
func (s *Store) Replace(ctx context.Context, orgID string, items []Item, actor Actor) (ImportResult, error) {
	return s.write(ctx, orgID, items, actor, true)
}

func (s *Store) write(ctx context.Context, orgID string, items []Item, actor Actor, replace bool) (ImportResult, error) {
	if actor.Label == "" {
		return ImportResult{}, errors.New("notify: a write needs an actor label")
	}
	norm := make([]Item, 0, len(items))
	seen := make(map[Item]bool, len(items))
	for _, it := range items {
		n, _, err := Normalize(it)
		if err != nil {
			return ImportResult{}, err
		}
		if !seen[n] {
			seen[n] = true
			norm = append(norm, n)
		}
	}
	var res ImportResult
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		res = ImportResult{}
		if err := orgExists(ctx, tx, orgID); err != nil {
			return err
		}
		if replace {
			removed, err := s.deleteExcept(ctx, tx, orgID, seen)
			if err != nil {
				return err
			}
			res.Removed = removed
		}
		added, err := insertItems(ctx, tx, orgID, norm, actor.Label)
		if err != nil {
			return err
		}
		res.Added, res.Kept = added, len(items)-added
		action := "inventory.import"
		if replace {
			action = "inventory.replace"
		}
		detail := map[string]any{"added": res.Added, "kept": res.Kept}
		if replace {
			detail["removed"] = res.Removed
		}
		return s.record(ctx, tx, orgID, action, "", detail, actor, res.Added, res.Removed)
	})
	if err != nil {
		return ImportResult{}, err
	}
	return res, nil
}

// Add adds one item and returns it as stored. Returns Conflict when the
// organization already has it.
func (s *Store) Add(ctx context.Context, orgID string, it Item, actor Actor) (Entry, error) {
	if actor.Label == "" {
		return Entry{}, errors.New("notify: a write needs an actor label")
	}
	n, _, err := Normalize(it)
	if err != nil {
		return Entry{}, err
	}
	e := Entry{ID: newID(), OrgID: orgID, Item: n, AddedAt: db.FromMicros(db.Micros(time.Now())), AddedBy: actor.Label}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := orgExists(ctx, tx, orgID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO inventory_items (id, org_id, kind, value, version, added_at, added_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (org_id, kind, value, version) DO NOTHING`,
			e.ID, orgID, string(n.Kind), n.Value, n.Version, db.Micros(e.AddedAt), e.AddedBy)
		if err != nil {
			return fmt.Errorf("notify: add inventory item: %w", err)
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return errs.E(errs.Conflict, "The inventory already has %s.", n)
		}
		return s.record(ctx, tx, orgID, "inventory.add", e.ID, map[string]any{"kind": string(n.Kind), "value": n.Value, "version": n.Version}, actor, 1, 0)
	})
	if err != nil {
		return Entry{}, err
	}
	return e, nil
}

// RemoveByID removes one entry of the organization. Returns NotFound when
// it has no such entry.
func (s *Store) RemoveByID(ctx context.Context, orgID, id string, actor Actor) error {
	if actor.Label == "" {
		return errors.New("notify: a write needs an actor label")
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		var it Item
		var kind string
		err := tx.QueryRowContext(ctx, `DELETE FROM inventory_items WHERE org_id = $1 AND id = $2 RETURNING kind, value, version`, orgID, id).
			Scan(&kind, &it.Value, &it.Version)
		if errors.Is(err, sql.ErrNoRows) {
			return errs.E(errs.NotFound, "The inventory has no entry %q.", id)
		}
		if err != nil {
			return fmt.Errorf("notify: remove inventory item: %w", err)
		}
		it.Kind = Kind(kind)
		return s.record(ctx, tx, orgID, "inventory.remove", id, map[string]any{"kind": kind, "value": it.Value, "version": it.Version}, actor, 0, 1)
	})
}

// Remove removes the given items from the organization's inventory and
// returns how many it had.
func (s *Store) Remove(ctx context.Context, orgID string, items []Item, actor Actor) (int, error) {
	if actor.Label == "" {
		return 0, errors.New("notify: a write needs an actor label")
	}
	norm := make([]Item, 0, len(items))
	for _, it := range items {
		n, _, err := Normalize(it)
		if err != nil {
			return 0, err
		}
		norm = append(norm, n)
	}
	var removed int
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		removed = 0
		if err := orgExists(ctx, tx, orgID); err != nil {
			return err
		}
		for _, it := range norm {
			res, err := tx.ExecContext(ctx, `DELETE FROM inventory_items WHERE org_id = $1 AND kind = $2 AND value = $3 AND version = $4`,
				orgID, string(it.Kind), it.Value, it.Version)
			if err != nil {
				return fmt.Errorf("notify: remove inventory items: %w", err)
			}
			n, _ := res.RowsAffected()
			removed += int(n)
		}
		return s.record(ctx, tx, orgID, "inventory.remove", "", map[string]any{"removed": removed}, actor, 0, removed)
	})
	return removed, err
}

// record writes the audit entry of a change and, when something changed,
// its event.
func (s *Store) record(ctx context.Context, tx *sql.Tx, orgID, action, target string, detail map[string]any, actor Actor, added, removed int) error {
	kind := "organization"
	if target == "" {
		target = orgID
	} else {
		kind = "inventory_item"
	}
	_, err := audit.Append(ctx, tx, s.db.Engine(), audit.Entry{
		ActorUserID: actor.UserID, ActorOrgID: actor.OrgID, ActorLabel: actor.Label,
		Action: action, TargetKind: kind, TargetID: target, OrgScope: orgID, Detail: detail,
		RemoteAddr: actor.RemoteAddr, RequestID: actor.RequestID,
	})
	if err != nil {
		return err
	}
	if added == 0 && removed == 0 {
		return nil
	}
	if _, err := events.Emit(ctx, tx, TopicInventoryChanged, InventoryChanged{OrgID: orgID, Added: added, Removed: removed}); err != nil {
		return err
	}
	return nil
}

func orgExists(ctx context.Context, q db.Querier, orgID string) error {
	var one int
	err := q.QueryRowContext(ctx, `SELECT 1 FROM organizations WHERE id = $1`, orgID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return errs.E(errs.NotFound, "There is no organization %q.", orgID)
	}
	if err != nil {
		return fmt.Errorf("notify: find organization: %w", err)
	}
	return nil
}

// insertBatch rows per INSERT: 7 parameters each stays far below both
// engines' parameter limits, and a statement per batch instead of per row
// keeps a large import to a few hundred round trips on PostgreSQL.
const insertBatch = 500

func insertItems(ctx context.Context, tx *sql.Tx, orgID string, items []Item, by string) (int, error) {
	now := db.Micros(time.Now())
	added := 0
	for start := 0; start < len(items); start += insertBatch {
		batch := items[start:min(start+insertBatch, len(items))]
		var b strings.Builder
		b.WriteString(`INSERT INTO inventory_items (id, org_id, kind, value, version, added_at, added_by) VALUES `)
		args := make([]any, 0, 7*len(batch))
		for i, it := range batch {
			if i > 0 {
				b.WriteString(", ")
			}
			n := len(args)
			fmt.Fprintf(&b, "($%d, $%d, $%d, $%d, $%d, $%d, $%d)", n+1, n+2, n+3, n+4, n+5, n+6, n+7)
			args = append(args, newID(), orgID, string(it.Kind), it.Value, it.Version, now, by)
		}
		b.WriteString(` ON CONFLICT (org_id, kind, value, version) DO NOTHING`)
		res, err := tx.ExecContext(ctx, b.String(), args...)
		if err != nil {
			return 0, fmt.Errorf("notify: insert inventory items: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return 0, fmt.Errorf("notify: insert inventory items: %w", err)
		}
		added += int(n)
	}
	return added, nil
}

// deleteExcept removes the organization's entries that are not in keep.
func (s *Store) deleteExcept(ctx context.Context, tx *sql.Tx, orgID string, keep map[Item]bool) (int, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, kind, value, version FROM inventory_items WHERE org_id = $1`, orgID)
	if err != nil {
		return 0, fmt.Errorf("notify: read inventory: %w", err)
	}
	var drop []string
	for rows.Next() {
		var id, kind string
		var it Item
		if err := rows.Scan(&id, &kind, &it.Value, &it.Version); err != nil {
			rows.Close()
			return 0, fmt.Errorf("notify: read inventory: %w", err)
		}
		it.Kind = Kind(kind)
		if !keep[it] {
			drop = append(drop, id)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("notify: read inventory: %w", err)
	}
	for start := 0; start < len(drop); start += insertBatch {
		batch := drop[start:min(start+insertBatch, len(drop))]
		marks := make([]string, len(batch))
		args := []any{orgID}
		for i, id := range batch {
			args = append(args, id)
			marks[i] = fmt.Sprintf("$%d", i+2)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM inventory_items WHERE org_id = $1 AND id IN (`+strings.Join(marks, ", ")+`)`, args...); err != nil {
			return 0, fmt.Errorf("notify: remove inventory items: %w", err)
		}
	}
	return len(drop), nil
}

// LoadMatcher fills m with every organization's inventory. It is the
// matcher's own read, made for the system and reachable from no request:
// the matcher's hits are what later passes through CanView and the access
// decision on their way to anyone.
func (s *Store) LoadMatcher(ctx context.Context, m *Matcher) error {
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT org_id, kind, value, version FROM inventory_items ORDER BY org_id`)
	if err != nil {
		return fmt.Errorf("notify: load inventories: %w", err)
	}
	defer rows.Close()
	var scanErr error
	loadErr := m.Load(func(yield func(string, Item) bool) {
		for rows.Next() {
			var org, kind string
			var it Item
			if err := rows.Scan(&org, &kind, &it.Value, &it.Version); err != nil {
				scanErr = err
				return
			}
			it.Kind = Kind(kind)
			if !yield(org, it) {
				return
			}
		}
	})
	if scanErr != nil {
		return fmt.Errorf("notify: load inventories: %w", scanErr)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("notify: load inventories: %w", err)
	}
	return loadErr
}

// RefreshOrg replaces the organization's entries in m with what the store
// holds, after a TopicInventoryChanged event. Like LoadMatcher it is a
// system read.
func (s *Store) RefreshOrg(ctx context.Context, m *Matcher, orgID string) error {
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT kind, value, version FROM inventory_items WHERE org_id = $1`, orgID)
	if err != nil {
		return fmt.Errorf("notify: load inventory: %w", err)
	}
	defer rows.Close()
	var items []Item
	for rows.Next() {
		var kind string
		var it Item
		if err := rows.Scan(&kind, &it.Value, &it.Version); err != nil {
			return fmt.Errorf("notify: load inventory: %w", err)
		}
		it.Kind = Kind(kind)
		items = append(items, it)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("notify: load inventory: %w", err)
	}
	return m.SetOrg(orgID, items)
}

// newID returns a UUID version 7, so ids sort by creation time.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	ms := uint64(time.Now().UnixMilli())
	for i := range 6 {
		b[i] = byte(ms >> (40 - 8*i))
	}
	b[6] = b[6]&0x0f | 0x70
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
