package federation

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rampart-project/rampart/internal/platform/access"
	"github.com/rampart-project/rampart/internal/platform/audit"
	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/errs"
	"github.com/rampart-project/rampart/internal/sharing"
)

// Actor is who changes a peer, for the audit log: a coordinator through
// the API or a page (with the request's address and id), or "cli".
type Actor struct {
	UserID, OrgID, Label  string
	RemoteAddr, RequestID string
}

func (a Actor) entry(action, peerID string, detail map[string]any) audit.Entry {
	return audit.Entry{
		ActorUserID: a.UserID, ActorOrgID: a.OrgID, ActorLabel: a.Label, Action: action,
		TargetKind: "peer", TargetID: peerID, Detail: detail, RemoteAddr: a.RemoteAddr, RequestID: a.RequestID,
	}
}

const peerColumns = `id, name, api_root_url, remote_collection, username, secret, pull, push, enabled, local_collection,
	owner_org, interval_ms, max_tlp, cursor, push_cursor, last_run_at, last_ok_at, next_run_at, last_error, failures,
	pulled, pushed, created_at, updated_at`

func scanPeer(sc interface{ Scan(...any) error }) (Peer, error) {
	var p Peer
	var pull, push, enabled int
	var interval, lastRun, lastOK, nextRun, created, updated int64
	var tlp string
	err := sc.Scan(&p.ID, &p.Name, &p.APIRootURL, &p.RemoteCollection, &p.Username, &p.Secret, &pull, &push, &enabled,
		&p.LocalCollection, &p.OwnerOrg, &interval, &tlp, &p.Cursor, &p.PushCursor, &lastRun, &lastOK, &nextRun,
		&p.LastError, &p.Failures, &p.Pulled, &p.Pushed, &created, &updated)
	if err != nil {
		return p, err
	}
	p.Pull, p.Push, p.Enabled = pull != 0, push != 0, enabled != 0
	p.Interval, p.MaxTLP = time.Duration(interval)*time.Millisecond, access.TLP(tlp)
	p.LastRunAt, p.LastOKAt, p.NextRunAt = micros(lastRun), micros(lastOK), micros(nextRun)
	p.CreatedAt, p.UpdatedAt = micros(created), micros(updated)
	return p, nil
}

func micros(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return db.FromMicros(us)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// List returns every peer by name.
func (s *Service) List(ctx context.Context) ([]Peer, error) {
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT `+peerColumns+` FROM peers ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("federation: list peers: %w", err)
	}
	defer rows.Close()
	out := []Peer{}
	for rows.Next() {
		p, err := scanPeer(rows)
		if err != nil {
			return nil, fmt.Errorf("federation: list peers: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// Get returns a peer by id or name. Returns NotFound.
func (s *Service) Get(ctx context.Context, idOrName string) (Peer, error) {
	return s.get(ctx, s.db.Reader(), idOrName)
}

func (s *Service) get(ctx context.Context, q db.Querier, idOrName string) (Peer, error) {
	p, err := scanPeer(q.QueryRowContext(ctx, `SELECT `+peerColumns+` FROM peers WHERE id = $1 OR name = $1`, idOrName))
	if errors.Is(err, sql.ErrNoRows) {
		return p, errs.E(errs.NotFound, "There is no peer %q.", idOrName)
	}
	if err != nil {
		return p, fmt.Errorf("federation: peer: %w", err)
	}
	return p, nil
}

// Create adds a peer. The owner organization defaults to the actor's;
// the local collection is required. Returns Invalid, NotFound (an unknown
// collection or organization) or Conflict (the name is taken).
func (s *Service) Create(ctx context.Context, actor Actor, in Input) (Peer, error) {
	now := s.now()
	p := Peer{ID: newID(), Enabled: true, Interval: DefaultInterval, MaxTLP: DefaultMaxTLP, CreatedAt: now, UpdatedAt: now}
	if in.OwnerOrg == nil || strings.TrimSpace(*in.OwnerOrg) == "" {
		if actor.OrgID == "" {
			return p, errs.E(errs.Invalid, "owner_org: name the organization the peer's objects are attributed to.")
		}
		in.OwnerOrg = &actor.OrgID
	}
	if in.LocalCollection == nil || strings.TrimSpace(*in.LocalCollection) == "" {
		return p, errs.E(errs.Invalid, "local_collection: name the local collection pulled into and pushed from (id or alias).")
	}
	if err := in.apply(&p); err != nil {
		return p, err
	}
	if err := s.resolve(ctx, &p, in); err != nil {
		return p, err
	}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := nameFree(ctx, tx, p.Name, p.ID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO peers (id, name, api_root_url, remote_collection, username, secret, pull, push,
			enabled, local_collection, owner_org, interval_ms, max_tlp, cursor, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
			p.ID, p.Name, p.APIRootURL, p.RemoteCollection, p.Username, p.Secret, boolInt(p.Pull), boolInt(p.Push),
			boolInt(p.Enabled), p.LocalCollection, p.OwnerOrg, p.Interval.Milliseconds(), string(p.MaxTLP), p.Cursor,
			db.Micros(p.CreatedAt), db.Micros(p.UpdatedAt))
		if err != nil {
			return uniqueName(fmt.Errorf("federation: insert peer: %w", err), p.Name)
		}
		_, err = audit.Append(ctx, tx, s.db.Engine(), actor.entry("peer.create", p.ID, settingsDetail(p)))
		return err
	})
	if err != nil {
		return Peer{}, err
	}
	s.Wake()
	return s.Get(ctx, p.ID)
}

// Update changes the fields in is set. A new local collection starts its
// push cursor over; any change lets the peer run at once with a clean
// slate of failures. Returns NotFound, Invalid or Conflict.
func (s *Service) Update(ctx context.Context, actor Actor, idOrName string, in Input) (Peer, error) {
	p, err := s.Get(ctx, idOrName)
	if err != nil {
		return p, err
	}
	before := p
	if err := in.apply(&p); err != nil {
		return p, err
	}
	if err := s.resolve(ctx, &p, in); err != nil {
		return p, err
	}
	if p.LocalCollection != before.LocalCollection {
		p.PushCursor = 0
	}
	p.UpdatedAt = s.now()
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := nameFree(ctx, tx, p.Name, p.ID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE peers SET name = $2, api_root_url = $3, remote_collection = $4, username = $5,
			secret = $6, pull = $7, push = $8, enabled = $9, local_collection = $10, owner_org = $11, interval_ms = $12,
			max_tlp = $13, cursor = $14, push_cursor = $15, next_run_at = 0, failures = 0, updated_at = $16 WHERE id = $1`,
			p.ID, p.Name, p.APIRootURL, p.RemoteCollection, p.Username, p.Secret, boolInt(p.Pull), boolInt(p.Push),
			boolInt(p.Enabled), p.LocalCollection, p.OwnerOrg, p.Interval.Milliseconds(), string(p.MaxTLP), p.Cursor,
			p.PushCursor, db.Micros(p.UpdatedAt))
		if err != nil {
			return uniqueName(fmt.Errorf("federation: update peer: %w", err), p.Name)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.E(errs.NotFound, "There is no peer %q.", idOrName)
		}
		detail := settingsDetail(p)
		detail["changed"] = changedFields(before, p)
		_, err = audit.Append(ctx, tx, s.db.Engine(), actor.entry("peer.update", p.ID, detail))
		return err
	})
	if err != nil {
		return Peer{}, err
	}
	s.Wake()
	return s.Get(ctx, p.ID)
}

// Delete removes a peer. What it pulled stays, with its provenance.
// Returns NotFound.
func (s *Service) Delete(ctx context.Context, actor Actor, idOrName string) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		p, err := s.get(ctx, tx, idOrName)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM peers WHERE id = $1`, p.ID); err != nil {
			return fmt.Errorf("federation: delete peer: %w", err)
		}
		_, err = audit.Append(ctx, tx, s.db.Engine(), actor.entry("peer.delete", p.ID, map[string]any{"name": p.Name, "api_root_url": p.APIRootURL}))
		return err
	})
}

// resolve turns the local collection and owner organization the input
// names (by id, alias or name) into ids, and checks that the owner may do
// what the peer does with the collection: write it to pull into it, read
// it to push from it.
func (s *Service) resolve(ctx context.Context, p *Peer, in Input) error {
	if in.OwnerOrg != nil {
		org, err := s.ids.OrgByName(ctx, strings.TrimSpace(*in.OwnerOrg))
		if err != nil {
			return err
		}
		p.OwnerOrg = org.ID
	}
	ref := p.LocalCollection
	if in.LocalCollection != nil {
		ref = strings.TrimSpace(*in.LocalCollection)
	}
	coll, err := s.collection(ctx, ref)
	if err != nil {
		return err
	}
	p.LocalCollection = coll.ID
	owner, err := s.ids.OrgPrincipal(ctx, p.OwnerOrg, peerUser(p.ID))
	if err != nil {
		return err
	}
	if p.Pull && !coll.Writable(owner) {
		return errs.E(errs.Invalid, "local_collection: the owner organization may not add objects to %q, so it cannot pull into it.", coll.Title)
	}
	if p.Push && !coll.Readable(owner) {
		return errs.E(errs.Invalid, "local_collection: the owner organization may not read %q, so it cannot push from it.", coll.Title)
	}
	return nil
}

// collection finds a local collection by id or alias in any API root,
// the default root first.
func (s *Service) collection(ctx context.Context, idOrAlias string) (sharing.Collection, error) {
	roots, err := s.store.APIRoots(ctx)
	if err != nil {
		return sharing.Collection{}, err
	}
	for _, root := range roots {
		c, err := s.store.Collection(ctx, root, idOrAlias)
		if err == nil {
			return c, nil
		}
		if !errs.Is(err, errs.NotFound) {
			return c, err
		}
	}
	return sharing.Collection{}, errs.E(errs.NotFound, "There is no local collection %q.", idOrAlias)
}

func nameFree(ctx context.Context, tx *sql.Tx, name, id string) error {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM peers WHERE name = $1 AND id <> $2`, name, id).Scan(&n); err != nil {
		return fmt.Errorf("federation: check name: %w", err)
	}
	if n > 0 {
		return errs.E(errs.Conflict, "There is a peer named %q already.", name)
	}
	return nil
}

// uniqueName reports a lost race for a name (checked first, but two
// PostgreSQL replicas may insert at once) as the conflict it is.
func uniqueName(err error, name string) error {
	msg := err.Error()
	if strings.Contains(msg, "UNIQUE") || strings.Contains(msg, "23505") {
		return errs.Wrap(errs.Conflict, err, "There is a peer named %q already.", name)
	}
	return err
}

// settingsDetail is what the audit log keeps of a peer's settings: all
// but the secret, of which only whether one is set.
func settingsDetail(p Peer) map[string]any {
	return map[string]any{
		"name": p.Name, "api_root_url": p.APIRootURL, "remote_collection": p.RemoteCollection,
		"username": p.Username, "secret_set": p.Secret != "", "pull": p.Pull, "push": p.Push, "enabled": p.Enabled,
		"local_collection": p.LocalCollection, "owner_org": p.OwnerOrg, "interval": p.Interval.String(),
		"max_tlp": string(p.MaxTLP),
	}
}

func changedFields(a, b Peer) []string {
	var out []string
	add := func(name string, changed bool) {
		if changed {
			out = append(out, name)
		}
	}
	add("name", a.Name != b.Name)
	add("api_root_url", a.APIRootURL != b.APIRootURL)
	add("remote_collection", a.RemoteCollection != b.RemoteCollection)
	add("username", a.Username != b.Username)
	add("secret", a.Secret != b.Secret)
	add("pull", a.Pull != b.Pull)
	add("push", a.Push != b.Push)
	add("enabled", a.Enabled != b.Enabled)
	add("local_collection", a.LocalCollection != b.LocalCollection)
	add("owner_org", a.OwnerOrg != b.OwnerOrg)
	add("interval", a.Interval != b.Interval)
	add("max_tlp", a.MaxTLP != b.MaxTLP)
	add("cursor", a.Cursor != b.Cursor)
	if out == nil {
		out = []string{}
	}
	return out
}

// peerUser is the user id a peer's pulls are created by.
func peerUser(peerID string) string { return "peer:" + peerID }
