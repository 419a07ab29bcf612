package sharing

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/rampart-project/rampart/internal/platform/access"
	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/errs"
	"github.com/rampart-project/rampart/internal/platform/events"
	"github.com/rampart-project/rampart/stix"
)

// Store keeps every version of every STIX object submitted to the
// instance, with its owner, TLP and audience, and answers queries through
// the access decision. It is safe for concurrent use.
type Store struct {
	db     *db.DB
	outbox *events.Outbox
	policy access.Policy
	warn   warnings
	bulk   bulkStatements
}

// NewStore returns the store over d. Writes go through outbox so their
// events leave in the same transaction.
func NewStore(d *db.DB, outbox *events.Outbox, policy access.Policy) *Store {
	return &Store{db: d, outbox: outbox, policy: policy}
}

// DB returns the database the store works on.
func (s *Store) DB() *db.DB { return s.db }

// Policy returns the access policy the store applies.
func (s *Store) Policy() access.Policy { return s.policy }

// Version is one stored version of a STIX object as a reader sees it.
type Version struct {
	Seq         int64           `json:"-"`
	ItemID      string          `json:"item_id"`
	StixID      string          `json:"id"`
	Type        string          `json:"type"`
	SpecVersion string          `json:"spec_version"`
	Created     time.Time       `json:"created,omitzero"`
	Modified    time.Time       `json:"modified,omitzero"`
	VersionRaw  string          `json:"version"`
	Revoked     bool            `json:"revoked,omitempty"`
	OwnerOrg    string          `json:"owner_org,omitempty"`
	CreatedBy   string          `json:"-"`
	TLP         access.TLP      `json:"tlp"`
	TLPMarked   bool            `json:"-"` // the body carries its TLP marking itself
	Anonymous   bool            `json:"anonymous,omitempty"`
	Source      string          `json:"source"`
	SourcePeer  string          `json:"source_peer,omitempty"`
	Name        string          `json:"name"`
	ValidFrom   time.Time       `json:"valid_from,omitzero"`
	ValidUntil  time.Time       `json:"valid_until,omitzero"`
	Confidence  int             `json:"confidence"` // -1 when absent
	AddedAt     time.Time       `json:"added_at"`
	DateAdded   time.Time       `json:"-"` // in the collection queried, when one was
	Body        json.RawMessage `json:"object"`
}

// Object parses the stored bytes.
func (v Version) Object() (stix.Object, error) { return stix.ParseObject(v.Body) }

// Item is the version as the access decision sees it; audience is loaded
// separately because most callers filter in SQL.
func (v Version) Item(audience []access.Grant) access.Item {
	return access.Item{ID: v.ItemID, OwnerOrg: v.OwnerOrg, CreatedBy: v.CreatedBy, TLP: v.TLP, Audience: audience}
}

// Expired reports whether an indicator's valid_until has passed at t.
func (v Version) Expired(t time.Time) bool { return !v.ValidUntil.IsZero() && !t.Before(v.ValidUntil) }

// Masked returns v as shown to p: the owner of an anonymous submission is
// hidden from everyone but coordinators.
func (v Version) Masked(p access.Principal) Version {
	if !access.ShowsCreator(p, v.Anonymous) {
		v.OwnerOrg = ""
	}
	return v
}

const versionColumns = `v.seq, v.id, v.stix_id, v.type, v.spec_version, v.created, v.modified, v.version_raw, v.revoked,
	v.owner_org, v.created_by, v.tlp, v.tlp_marked, v.anonymous, v.source, v.source_peer, v.name, v.valid_from, v.valid_until,
	v.confidence, v.added_at`

type scanner interface{ Scan(dest ...any) error }

func scanVersion(sc scanner, extra ...any) (Version, error) {
	var v Version
	var created, modified, validFrom, validUntil, added int64
	var revoked, anonymous, marked int
	var tlp string
	dest := []any{&v.Seq, &v.ItemID, &v.StixID, &v.Type, &v.SpecVersion, &created, &modified, &v.VersionRaw, &revoked,
		&v.OwnerOrg, &v.CreatedBy, &tlp, &marked, &anonymous, &v.Source, &v.SourcePeer, &v.Name, &validFrom, &validUntil,
		&v.Confidence, &added}
	if err := sc.Scan(append(dest, extra...)...); err != nil {
		return v, err
	}
	v.Created, v.Modified = micros(created), micros(modified)
	v.ValidFrom, v.ValidUntil, v.AddedAt = micros(validFrom), micros(validUntil), micros(added)
	v.Revoked, v.Anonymous, v.TLP, v.TLPMarked = revoked != 0, anonymous != 0, access.TLP(tlp), marked != 0
	return v, nil
}

const egressColumns = `v.seq, v.stix_id, v.type, v.modified, v.version_raw, v.owner_org, v.tlp, v.tlp_marked, v.anonymous, v.added_at`

// scanEgress scans the egressColumns of Query.ForEgress.
func scanEgress(sc scanner, extra ...any) (Version, error) {
	var v Version
	var modified, added int64
	var anonymous, marked int
	var tlp string
	dest := []any{&v.Seq, &v.StixID, &v.Type, &modified, &v.VersionRaw, &v.OwnerOrg, &tlp, &marked, &anonymous, &added}
	if err := sc.Scan(append(dest, extra...)...); err != nil {
		return v, err
	}
	v.Modified, v.AddedAt = micros(modified), micros(added)
	v.Anonymous, v.TLP, v.TLPMarked = anonymous != 0, access.TLP(tlp), marked != 0
	return v, nil
}

func micros(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return db.FromMicros(us)
}

// VersionSelect chooses which versions of each object a query returns, as
// TAXII's match[version] does.
type VersionSelect string

// The selections; a timestamp in STIX form selects that version.
const (
	LastVersion  VersionSelect = "last"
	FirstVersion VersionSelect = "first"
	AllVersions  VersionSelect = "all"
)

// Query selects stored versions. The zero Query lists the latest visible
// version of every object, oldest added first.
type Query struct {
	// Collection limits the query to what was added to one collection;
	// AddedAfter and cursors then use the collection's date_added.
	Collection string
	IDs        []string
	Types      []string
	// Versions holds any of last, first, all, or version timestamps;
	// empty means last. Several are combined with OR, as TAXII says.
	Versions     []string
	SpecVersions []string
	TLPs         []access.TLP
	OwnerOrg     string
	Source       string // api, taxii, import, form, federation
	Text         string // words that must all appear in name, description, pattern or values
	AddedAfter   time.Time
	// After is the seq (or, in a collection, the date_added in
	// microseconds) of the last row of the previous page.
	After int64
	Limit int // default 100, at most 10,000
	// ForEgress reads only what leaving the instance needs (Egress, the
	// cursor, the version and the TLP): the seq, stix id, type, modified,
	// version, TLP, owner, anonymity, added times and body. A TAXII page
	// of objects does not need the rest, and scanning it was most of the
	// cost of the page beside the query.
	ForEgress bool
	// Newest lists newest first (the browsing order); otherwise oldest
	// first (the TAXII order).
	Newest bool
}

// Page is a result page.
type Page struct {
	Versions []Version
	// More is true when rows beyond this page exist; Next is the After of
	// the next page.
	More bool
	Next int64
}

// MaxLimit bounds a page.
const MaxLimit = 10000

// Find returns the versions q selects that p may see.
func (s *Store) Find(ctx context.Context, p access.Principal, q Query) (Page, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, MaxLimit)
	var a access.Args
	var where []string
	from := "stix_versions v"
	orderCol := "v.seq"
	dateAdded := "v.added_at"
	if q.Collection != "" {
		from = "collection_objects c JOIN stix_versions v ON v.seq = c.version_seq"
		where = append(where, "c.collection_id = "+a.Add(q.Collection))
		orderCol, dateAdded = "c.date_added", "c.date_added"
	}
	pred := s.policy.Predicate(p, access.On("v"), &a)
	where = append(where, pred)
	if len(q.IDs) > 0 {
		where = append(where, "v.stix_id IN ("+list(&a, q.IDs)+")")
	}
	if len(q.Types) > 0 {
		where = append(where, "v.type IN ("+list(&a, q.Types)+")")
	}
	if len(q.SpecVersions) > 0 {
		where = append(where, "v.spec_version IN ("+list(&a, q.SpecVersions)+")")
	}
	if len(q.TLPs) > 0 {
		tl := make([]string, len(q.TLPs))
		for i, t := range q.TLPs {
			tl[i] = string(t)
		}
		where = append(where, "v.tlp IN ("+list(&a, tl)+")")
	}
	if q.OwnerOrg != "" {
		// An anonymous submission is not listed under its owner, or the
		// filter would reveal who sent it.
		where = append(where, "v.owner_org = "+a.Add(q.OwnerOrg))
		if !p.Coordinator {
			where = append(where, "v.anonymous = 0")
		}
	}
	if q.Source != "" {
		where = append(where, "v.source = "+a.Add(q.Source))
	}
	for _, word := range strings.Fields(strings.ToLower(q.Text)) {
		// The id is searched in its own column, not copied into the text
		// (ids are lower-case, and SQLite's LIKE ignores ASCII case).
		pat := a.Add("%" + escapeLike(word) + "%")
		idLike := " LIKE "
		if s.db.Engine() == db.Postgres {
			idLike = " ILIKE "
		}
		where = append(where, "(v.search_text LIKE "+pat+" ESCAPE '\\' OR v.stix_id"+idLike+pat+" ESCAPE '\\')")
	}
	if !q.AddedAfter.IsZero() {
		where = append(where, dateAdded+" > "+a.Add(db.Micros(q.AddedAfter)))
	}
	if q.After != 0 {
		op := " > "
		if q.Newest {
			op = " < "
		}
		where = append(where, orderCol+op+a.Add(q.After))
	}
	if vs := s.versionFilter(p, q, &a); vs != "" {
		where = append(where, vs)
	}
	dir := "ASC"
	if q.Newest {
		dir = "DESC"
	}
	extra := ""
	if q.Collection != "" {
		extra = ", c.date_added"
	}
	cols, scan := versionColumns, scanVersion
	if q.ForEgress {
		cols, scan = egressColumns, scanEgress
	}
	// The limit is a parameter, not part of the text: SQLite readers keep
	// their statements prepared by text, and clients choose any limit. It
	// is "? + 0", not a bare parameter: SQLite reads a bare LIMIT
	// parameter's value while planning, which marks the statement to be
	// compiled again every time the parameter is bound — on every page.
	sqlText := fmt.Sprintf("SELECT %s, v.body%s FROM %s WHERE %s ORDER BY %s %s LIMIT %s + 0",
		cols, extra, from, strings.Join(where, " AND "), orderCol, dir, a.Add(limit+1))
	rows, err := s.db.Reader().QueryContext(ctx, sqlText, a.Values...)
	if err != nil {
		return Page{}, fmt.Errorf("sharing: find: %w", err)
	}
	defer rows.Close()
	var page Page
	for rows.Next() {
		var body []byte
		var da int64
		dest := []any{StoredJSON(&body)}
		if q.Collection != "" {
			dest = append(dest, &da)
		}
		v, err := scan(rows, dest...)
		if err != nil {
			return Page{}, fmt.Errorf("sharing: find: %w", err)
		}
		v.Body = body
		v.DateAdded = v.AddedAt
		if q.Collection != "" {
			v.DateAdded = micros(da)
		}
		page.Versions = append(page.Versions, v.Masked(p))
	}
	if err := rows.Err(); err != nil {
		return Page{}, fmt.Errorf("sharing: find: %w", err)
	}
	if len(page.Versions) > limit {
		page.Versions, page.More = page.Versions[:limit], true
	}
	if n := len(page.Versions); n > 0 {
		last := page.Versions[n-1]
		page.Next = last.Seq
		if q.Collection != "" {
			page.Next = db.Micros(last.DateAdded)
		}
	}
	return page, nil
}

// versionFilter is the SQL for q.Versions. "last" and "first" are decided
// among the versions p may see (in the collection, when one is queried),
// so nobody is shown an older version merely because a newer one is
// hidden from them — nor learns that a hidden one exists.
func (s *Store) versionFilter(p access.Principal, q Query, a *access.Args) string {
	sel := q.Versions
	if len(sel) == 0 {
		sel = []string{string(LastVersion)}
	}
	var ors []string
	for _, v := range sel {
		switch VersionSelect(v) {
		case AllVersions:
			return ""
		case LastVersion, FirstVersion:
			cmp := ">"
			if VersionSelect(v) == FirstVersion {
				cmp = "<"
			}
			inner := "stix_versions v2"
			cond := "v2.stix_id = v.stix_id AND (v2.modified " + cmp + " v.modified OR (v2.modified = v.modified AND v2.seq " + cmp + " v.seq))"
			if q.Collection != "" {
				inner = "collection_objects c2 JOIN stix_versions v2 ON v2.seq = c2.version_seq"
				cond += " AND c2.collection_id = c.collection_id"
			}
			hidden := fmt.Sprintf("NOT EXISTS (SELECT 1 FROM %s WHERE %s AND %s)", inner, cond, s.policy.Predicate(p, access.On("v2"), a))
			if VersionSelect(v) == LastVersion {
				// A version nothing outdates is the latest for every reader
				// (decision 23); only the others need the search.
				hidden = "(v.superseded = 0 OR " + hidden + ")"
			}
			ors = append(ors, hidden)
		default:
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				ors = append(ors, "1 = 0")
				continue
			}
			ors = append(ors, "v.modified = "+a.Add(db.Micros(t)))
		}
	}
	return "(" + strings.Join(ors, " OR ") + ")"
}

func list(a *access.Args, values []string) string { return a.List(values) }

func escapeLike(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}

// Latest returns the newest version of the object p may see. Returns
// NotFound when there is none, whether it does not exist or is hidden.
func (s *Store) Latest(ctx context.Context, p access.Principal, stixID string) (Version, error) {
	page, err := s.Find(ctx, p, Query{IDs: []string{stixID}, Limit: 1})
	if err != nil {
		return Version{}, err
	}
	if len(page.Versions) == 0 {
		return Version{}, errs.E(errs.NotFound, "There is no object %q.", stixID)
	}
	return page.Versions[0], nil
}

// History returns every version of the object p may see, oldest first.
func (s *Store) History(ctx context.Context, p access.Principal, stixID string) ([]Version, error) {
	page, err := s.Find(ctx, p, Query{IDs: []string{stixID}, Versions: []string{string(AllVersions)}, Limit: MaxLimit})
	if err != nil {
		return nil, err
	}
	if len(page.Versions) == 0 {
		return nil, errs.E(errs.NotFound, "There is no object %q.", stixID)
	}
	return page.Versions, nil
}

// Referencing returns the latest visible versions of objects that refer
// to stixID through one of the properties (source_ref, target_ref,
// sighting_of_ref, object_refs, ...) and still do in that version.
func (s *Store) Referencing(ctx context.Context, p access.Principal, stixID string, properties []string, limit int) ([]Version, error) {
	if len(properties) == 0 {
		return nil, errors.New("sharing: Referencing needs the properties to follow")
	}
	// The keys are parameters, not literals: the reader keeps statements
	// prepared by their text, and each id would make another.
	var a access.Args
	keys := make([]string, len(properties))
	for i, prop := range properties {
		keys[i] = a.Add(db.Key64(prop, stixID))
	}
	ids, err := queryStrings(ctx, s.db.Reader(), "SELECT DISTINCT v.stix_id FROM stix_refs r JOIN stix_versions v ON v.seq = r.version_seq WHERE r.ref_key IN ("+
		strings.Join(keys, ", ")+") AND "+s.policy.Predicate(p, access.On("v"), &a)+fmt.Sprintf(" LIMIT %d", max(limit, 1)), a.Values...)
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	page, err := s.Find(ctx, p, Query{IDs: ids, Limit: len(ids)})
	if err != nil {
		return nil, err
	}
	// A key is shared by another (property, id) once in 2^64 pairs; the
	// body says whether this one is a match.
	out := page.Versions[:0]
	for _, v := range page.Versions {
		if obj, err := v.Object(); err == nil && RefersTo(obj, stixID, properties) {
			out = append(out, v)
		}
	}
	return out, nil
}

// RefersTo says whether obj names id in one of the properties, a _ref or
// a _refs list.
func RefersTo(obj stix.Object, id string, properties []string) bool {
	for _, prop := range properties {
		if ref, ok := obj.String(prop); ok && ref == id || slices.Contains(obj.Strings(prop), id) {
			return true
		}
	}
	return false
}

// SightingSummary aggregates the sightings of an object that p may see.
type SightingSummary struct {
	Reports   int       `json:"reports"`
	Count     int       `json:"count"`
	FirstSeen time.Time `json:"first_seen,omitzero"`
	LastSeen  time.Time `json:"last_seen,omitzero"`
}

// Sightings sums the latest visible sighting objects of stixID. Hidden
// sightings count for nothing, so the sum reveals no more than the list.
func (s *Store) Sightings(ctx context.Context, p access.Principal, stixID string) (SightingSummary, error) {
	vs, err := s.Referencing(ctx, p, stixID, []string{"sighting_of_ref"}, MaxLimit)
	if err != nil {
		return SightingSummary{}, err
	}
	var sum SightingSummary
	for _, v := range vs {
		obj, err := v.Object()
		if err != nil {
			continue
		}
		sg, ok := stix.SightingOf(obj)
		if !ok {
			continue
		}
		sum.Reports++
		sum.Count += max(sg.Count, 1)
		if !sg.FirstSeen.IsZero() && (sum.FirstSeen.IsZero() || sg.FirstSeen.Before(sum.FirstSeen)) {
			sum.FirstSeen = sg.FirstSeen
		}
		if sg.LastSeen.After(sum.LastSeen) {
			sum.LastSeen = sg.LastSeen
		}
	}
	return sum, nil
}

// Audience returns the grants of a stored version.
func (s *Store) Audience(ctx context.Context, itemID string) ([]access.Grant, error) {
	return access.Audience(ctx, s.db.Reader(), itemID)
}

// CanSee decides for one version, loading its audience.
func (s *Store) CanSee(ctx context.Context, p access.Principal, v Version) (bool, error) {
	aud, err := s.Audience(ctx, v.ItemID)
	if err != nil {
		return false, err
	}
	return s.policy.CanSee(p, v.Item(aud)), nil
}

// BySeq returns the versions with the given seqs that p may see, in seq
// order. Streams use it to catch up.
func (s *Store) BySeq(ctx context.Context, p access.Principal, after int64, limit int) ([]Version, error) {
	page, err := s.Find(ctx, p, Query{After: after, Limit: limit, Versions: []string{string(AllVersions)}})
	return page.Versions, err
}

func queryStrings(ctx context.Context, q db.Querier, query string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sharing: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// newID returns a UUID version 7: unique, and ordered by time.
func newID() string { return uuid.Must(uuid.NewV7()).String() }

// tick reserves n strictly increasing microsecond times after the last
// handed out, at or after now, and returns the first. Holding the clock
// row until commit serialises the store's writers, so seq and added_at
// follow commit order and a cursor never skips a row committed late.
func tick(ctx context.Context, tx *sql.Tx, engine db.Engine, now time.Time, n int) (int64, error) {
	greatest := "MAX"
	if engine == db.Postgres {
		greatest = "GREATEST"
	}
	var last int64
	err := tx.QueryRowContext(ctx, fmt.Sprintf(`UPDATE sharing_clock SET last = %s(last + $1, $2) WHERE id = 1 RETURNING last`, greatest),
		int64(n), db.Micros(now)+int64(n)-1).Scan(&last)
	if err != nil {
		return 0, fmt.Errorf("sharing: clock: %w", err)
	}
	return last - int64(n) + 1, nil
}
