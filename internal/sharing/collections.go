package sharing

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/rampart-project/rampart/internal/platform/access"
	"github.com/rampart-project/rampart/internal/platform/audit"
	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/errs"
)

// Collection is a TAXII collection: a channel of objects that belongs to a
// community or an organization (its audience). Members of the audience may
// read and write it as CanRead and CanWrite say; the owner organization
// administers it and may always read and write it.
type Collection struct {
	ID           string     `json:"id"`
	APIRoot      string     `json:"api_root"`
	Alias        string     `json:"alias,omitempty"`
	Title        string     `json:"title"`
	Description  string     `json:"description,omitempty"`
	OwnerOrg     string     `json:"owner_org"`
	AudienceKind string     `json:"audience_kind"` // community or org
	AudienceID   string     `json:"audience_id"`
	CanRead      bool       `json:"can_read"`
	CanWrite     bool       `json:"can_write"`
	Anonymous    bool       `json:"anonymous"`
	DefaultTLP   access.TLP `json:"default_tlp"`
	CreatedAt    time.Time  `json:"created_at"`
}

// DefaultAPIRoot is the API root collections live in unless told otherwise.
const DefaultAPIRoot = "api"

// member reports whether p belongs to the collection's audience.
func (c *Collection) member(p access.Principal) bool {
	if p.Anonymous() {
		return false
	}
	switch c.AudienceKind {
	case string(access.GrantOrg):
		return p.OrgID == c.AudienceID
	case string(access.GrantCommunity):
		return c.AudienceID == access.AllMembers || slices.Contains(p.Communities, c.AudienceID)
	}
	return false
}

// Readable reports whether p may read the collection's objects (each
// object is still subject to the access decision).
func (c *Collection) Readable(p access.Principal) bool {
	return !p.Anonymous() && (p.OrgID == c.OwnerOrg || c.CanRead && c.member(p))
}

// Writable reports whether p may add objects to the collection.
func (c *Collection) Writable(p access.Principal) bool {
	return !p.Anonymous() && (p.OrgID == c.OwnerOrg || c.CanWrite && c.member(p))
}

// Visible reports whether p may know the collection exists: TAXII lists a
// collection to those who may read or write it.
func (c *Collection) Visible(p access.Principal) bool { return c.Readable(p) || c.Writable(p) }

// ReadableFor returns whether p may read it, as TAXII's can_read for p.
func (c *Collection) ReadableFor(p access.Principal) bool { return c.Readable(p) }

const collectionColumns = `id, api_root, alias, title, description, owner_org, audience_kind, audience_id, can_read, can_write, anonymous, default_tlp, created_at`

func scanCollection(sc scanner) (Collection, error) {
	var c Collection
	var read, write, anon int
	var tlp string
	var created int64
	err := sc.Scan(&c.ID, &c.APIRoot, &c.Alias, &c.Title, &c.Description, &c.OwnerOrg, &c.AudienceKind, &c.AudienceID, &read, &write, &anon, &tlp, &created)
	c.CanRead, c.CanWrite, c.Anonymous, c.DefaultTLP, c.CreatedAt = read != 0, write != 0, anon != 0, access.TLP(tlp), db.FromMicros(created)
	return c, err
}

// CreateCollection adds a collection inside tx. Its id is set when empty.
func (s *Store) CreateCollection(ctx context.Context, tx *sql.Tx, c *Collection) error {
	if strings.TrimSpace(c.Title) == "" {
		return errs.E(errs.Invalid, "A collection needs a title.")
	}
	if c.AudienceKind != string(access.GrantCommunity) && c.AudienceKind != string(access.GrantOrg) {
		return errs.E(errs.Invalid, "A collection belongs to a community or an organization, not %q.", c.AudienceKind)
	}
	if c.DefaultTLP == "" {
		c.DefaultTLP = access.Amber
	}
	if _, err := access.ParseTLP(string(c.DefaultTLP)); err != nil {
		return errs.E(errs.Invalid, "default_tlp: %v", err)
	}
	if c.ID == "" {
		c.ID = newID()
	}
	if c.APIRoot == "" {
		c.APIRoot = DefaultAPIRoot
	}
	if c.CreatedAt.IsZero() {
		c.CreatedAt = time.Now()
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO collections (`+collectionColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		c.ID, c.APIRoot, c.Alias, c.Title, c.Description, c.OwnerOrg, c.AudienceKind, c.AudienceID,
		boolInt(c.CanRead), boolInt(c.CanWrite), boolInt(c.Anonymous), string(c.DefaultTLP), db.Micros(c.CreatedAt))
	if err != nil {
		return fmt.Errorf("sharing: create collection: %w", err)
	}
	return nil
}

// Collection returns a collection by id or alias, whoever asks; callers
// decide visibility. Returns NotFound.
func (s *Store) Collection(ctx context.Context, apiRoot, idOrAlias string) (Collection, error) {
	row := s.db.Reader().QueryRowContext(ctx, `SELECT `+collectionColumns+` FROM collections WHERE api_root = $1 AND (id = $2 OR (alias <> '' AND alias = $2))`, apiRoot, idOrAlias)
	c, err := scanCollection(row)
	if errors.Is(err, sql.ErrNoRows) {
		return c, errs.E(errs.NotFound, "There is no collection %q.", idOrAlias)
	}
	if err != nil {
		return c, fmt.Errorf("sharing: collection: %w", err)
	}
	return c, nil
}

// Collections lists the collections of an API root that p may read or
// write ("" lists every root's).
func (s *Store) Collections(ctx context.Context, p access.Principal, apiRoot string) ([]Collection, error) {
	q := `SELECT ` + collectionColumns + ` FROM collections`
	var args []any
	if apiRoot != "" {
		q += ` WHERE api_root = $1`
		args = append(args, apiRoot)
	}
	rows, err := s.db.Reader().QueryContext(ctx, q+` ORDER BY title`, args...)
	if err != nil {
		return nil, fmt.Errorf("sharing: collections: %w", err)
	}
	defer rows.Close()
	var out []Collection
	for rows.Next() {
		c, err := scanCollection(rows)
		if err != nil {
			return nil, err
		}
		if c.Visible(p) {
			out = append(out, c)
		}
	}
	return out, rows.Err()
}

// APIRoots lists the API roots that hold collections.
func (s *Store) APIRoots(ctx context.Context) ([]string, error) {
	roots, err := queryStrings(ctx, s.db.Reader(), `SELECT DISTINCT api_root FROM collections ORDER BY api_root`)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(roots, DefaultAPIRoot) {
		roots = append([]string{DefaultAPIRoot}, roots...)
	}
	return roots, nil
}

// RemoveFromCollection takes versions of an object out of a collection:
// all of them, or those whose version is in versions. Only the owner
// organization of a version, or of the collection, may remove it. It
// returns how many were removed; NotFound when p can see none.
func (s *Store) RemoveFromCollection(ctx context.Context, p access.Principal, actor string, c Collection, stixID string, versions []string) (int, error) {
	page, err := s.Find(ctx, p, Query{Collection: c.ID, IDs: []string{stixID}, Versions: versionsOrAll(versions), Limit: MaxLimit})
	if err != nil {
		return 0, err
	}
	if len(page.Versions) == 0 {
		return 0, errs.E(errs.NotFound, "There is no object %q in this collection.", stixID)
	}
	var seqs []int64
	for _, v := range page.Versions {
		owner, err := s.ownerOf(ctx, v.Seq)
		if err != nil {
			return 0, err
		}
		if owner != p.OrgID && c.OwnerOrg != p.OrgID {
			return 0, errs.E(errs.Forbidden, "Only the organization that submitted %s, or the collection's owner, may delete it.", stixID)
		}
		seqs = append(seqs, v.Seq)
	}
	err = s.outbox.Tx(ctx, func(tx *sql.Tx) error {
		for _, seq := range seqs {
			if _, err := tx.ExecContext(ctx, `DELETE FROM collection_objects WHERE collection_id = $1 AND version_seq = $2`, c.ID, seq); err != nil {
				return fmt.Errorf("sharing: remove from collection: %w", err)
			}
		}
		_, err := audit.Append(ctx, tx, s.db.Engine(), audit.Entry{
			ActorUserID: p.UserID, ActorOrgID: p.OrgID, ActorLabel: actor, Action: "objects.remove",
			TargetKind: "stix", TargetID: stixID, OrgScope: p.OrgID,
			Detail: map[string]any{"collection": c.ID, "versions": len(seqs)},
		})
		return err
	})
	return len(seqs), err
}

func versionsOrAll(v []string) []string {
	if len(v) == 0 {
		return []string{string(AllVersions)}
	}
	return v
}

func (s *Store) ownerOf(ctx context.Context, seq int64) (string, error) {
	var owner string
	err := s.db.Reader().QueryRowContext(ctx, `SELECT owner_org FROM stix_versions WHERE seq = $1`, seq).Scan(&owner)
	return owner, err
}
