package sharing

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rampart-project/rampart/internal/platform/access"
	"github.com/rampart-project/rampart/internal/platform/audit"
	"github.com/rampart-project/rampart/internal/platform/errs"
	"github.com/rampart-project/rampart/internal/platform/identity"
	"github.com/rampart-project/rampart/internal/platform/web"
	"github.com/rampart-project/rampart/stix"
)

// Sharing is how a submitter says who may see what it submits: the TLP
// for unmarked objects, the audience, and optionally a collection.
type Sharing struct {
	TLP        string   `json:"tlp,omitempty"`        // CLEAR, GREEN, AMBER, AMBER+STRICT, RED
	ShareWith  []string `json:"share_with,omitempty"` // "community:ID", "org:ID", "user:ID"
	Collection string   `json:"collection,omitempty"` // id or alias in the default API root
	Anonymous  bool     `json:"anonymous,omitempty"`
}

// sharingFromQuery reads Sharing from query parameters (tlp, share_with,
// collection, anonymous), which a bundle upload has no other place for.
func sharingFromQuery(r *http.Request) (Sharing, error) {
	q := r.URL.Query()
	s := Sharing{TLP: q.Get("tlp"), Collection: q.Get("collection")}
	for _, v := range q["share_with"] {
		for _, part := range strings.Split(v, ",") {
			if part = strings.TrimSpace(part); part != "" {
				s.ShareWith = append(s.ShareWith, part)
			}
		}
	}
	if a := q.Get("anonymous"); a != "" {
		b, err := strconv.ParseBool(a)
		if err != nil {
			return s, errs.E(errs.Invalid, "anonymous: %q is not true or false.", a)
		}
		s.Anonymous = b
	}
	return s, nil
}

// submission turns a caller and its Sharing into a Submission, checking
// that the caller may write to the collection and belongs to what it
// shares with.
func (m *Module) submission(ctx context.Context, r *http.Request, c *identity.Caller, s Sharing, source string) (Submission, error) {
	sub := Submission{
		Principal: c.Principal, Actor: c.User.Email, Source: source, Anonymous: s.Anonymous,
		RemoteAddr: r.RemoteAddr, RequestID: web.RequestID(ctx),
	}
	if s.TLP != "" {
		t, err := access.ParseTLP(s.TLP)
		if err != nil {
			return sub, errs.E(errs.Invalid, "tlp: %v", err)
		}
		sub.DefaultTLP = t
	}
	for _, g := range s.ShareWith {
		kind, id, ok := strings.Cut(g, ":")
		if !ok || id == "" || (kind != "community" && kind != "org" && kind != "user") {
			return sub, errs.E(errs.Invalid, "share_with: %q should be community:ID, org:ID or user:ID.", g)
		}
		if kind == "community" && id != access.AllMembers && !contains(c.Principal.Communities, id) {
			return sub, errs.E(errs.Forbidden, "share_with: your organization is not a member of community %q.", id)
		}
		sub.Grants = append(sub.Grants, access.Grant{Kind: access.GrantKind(kind), ID: id})
	}
	if s.Collection != "" {
		coll, err := m.store.Collection(ctx, DefaultAPIRoot, s.Collection)
		if err != nil || !coll.Visible(c.Principal) {
			return sub, errs.E(errs.NotFound, "There is no collection %q.", s.Collection)
		}
		if !coll.Writable(c.Principal) {
			return sub, errs.E(errs.Forbidden, "Collection %q does not take submissions from your organization.", coll.Title)
		}
		sub.Collection = &coll
		sub.Anonymous = sub.Anonymous || coll.Anonymous
	}
	return sub, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// DecodeObjects reads a STIX bundle as it streams in. Elements that are
// not JSON objects become rejected outcomes at their index; a syntax
// error is an Invalid error, and then nothing should be stored, because
// the rest of the bundle cannot be trusted.
func DecodeObjects(body io.Reader) ([]stix.Object, []Outcome, error) {
	var objs []stix.Object
	var bad []Outcome
	_, err := stix.DecodeBundle(body, func(i int, obj stix.Object, err error) error {
		if err != nil {
			bad = append(bad, Outcome{Index: i, Status: StatusRejected, Errors: []string{err.Error()}})
			return nil
		}
		objs = append(objs, obj)
		return nil
	})
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, nil, err
		}
		return nil, nil, errs.Wrap(errs.Invalid, err, "The bundle cannot be read, so nothing was stored: %v", err)
	}
	return objs, bad, nil
}

// MergeOutcomes renumbers the outcomes of the decoded objects to their
// place in the submitted bundle, among those rejected while decoding.
func MergeOutcomes(rep Report, decodeRejects []Outcome) Report {
	if len(decodeRejects) == 0 {
		return rep
	}
	total := len(rep.Outcomes) + len(decodeRejects)
	merged := make([]Outcome, 0, total)
	next, bi := 0, 0
	for i := range total {
		if bi < len(decodeRejects) && decodeRejects[bi].Index == i {
			merged = append(merged, decodeRejects[bi])
			bi++
			continue
		}
		o := rep.Outcomes[next]
		o.Index = i
		merged = append(merged, o)
		next++
	}
	rep.Outcomes = merged
	rep.Rejected += len(decodeRejects)
	return rep
}

// postObjects stores the objects of a bundle: the valid ones are kept, the
// others reported by index with the reason.
func (m *Module) postObjects(w http.ResponseWriter, r *http.Request) {
	c := caller(r)
	s, err := sharingFromQuery(r)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	sub, err := m.submission(r.Context(), r, c, s, SourceAPI)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	if err := checkJSONType(r.Header.Get("Content-Type")); err != nil {
		web.WriteError(w, r, err)
		return
	}
	objs, bad, err := DecodeObjects(r.Body)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	rep, err := m.store.Ingest(r.Context(), sub, objs)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, MergeOutcomes(rep, bad))
}

// checkJSONType accepts the media types a STIX bundle comes in.
func checkJSONType(ct string) error {
	if ct == "" {
		return nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err == nil && (mt == "application/json" || mt == "application/stix+json" || mt == "application/taxii+json") {
		return nil
	}
	return errs.E(errs.Unsupported, "Content-Type %q is not a STIX bundle; send application/stix+json or application/json.", ct)
}

// objectList is GET /api/v1/objects.
type objectList struct {
	Objects    []Version `json:"objects"`
	NextCursor string    `json:"next_cursor,omitempty"`
}

// QueryFromValues reads a Query from the parameters of the list API and
// the browse page: type, q, tlp, source, owner, collection, version,
// added_after, cursor, limit.
func QueryFromValues(v map[string][]string) (Query, error) {
	get := func(k string) string {
		if vs := v[k]; len(vs) > 0 {
			return strings.TrimSpace(vs[0])
		}
		return ""
	}
	split := func(k string) []string {
		var out []string
		for _, s := range v[k] {
			for _, p := range strings.Split(s, ",") {
				if p = strings.TrimSpace(p); p != "" {
					out = append(out, p)
				}
			}
		}
		return out
	}
	q := Query{Types: split("type"), Text: get("q"), Source: get("source"), OwnerOrg: get("owner"), Newest: true}
	for _, t := range split("tlp") {
		level, err := access.ParseTLP(t)
		if err != nil {
			return q, errs.E(errs.Invalid, "tlp: %v", err)
		}
		q.TLPs = append(q.TLPs, level)
	}
	if vs := split("version"); len(vs) > 0 {
		for _, s := range vs {
			if s != "last" && s != "first" && s != "all" {
				if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
					return q, errs.E(errs.Invalid, "version: %q is not last, first, all or a timestamp.", s)
				}
			}
		}
		q.Versions = vs
	}
	if s := get("added_after"); s != "" {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return q, errs.E(errs.Invalid, "added_after: %q is not a timestamp such as 2026-01-02T03:04:05Z.", s)
		}
		q.AddedAfter = t
	}
	if s := get("cursor"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			return q, errs.E(errs.Invalid, "cursor: %q is not a cursor this server gave out.", s)
		}
		q.After = n
	}
	if s := get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxLimit {
			return q, errs.E(errs.Invalid, "limit: %q should be a number from 1 to %d.", s, MaxLimit)
		}
		q.Limit = n
	}
	return q, nil
}

func (m *Module) listObjects(w http.ResponseWriter, r *http.Request) {
	c := caller(r)
	q, err := QueryFromValues(r.URL.Query())
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	if coll := r.URL.Query().Get("collection"); coll != "" {
		col, err := m.store.Collection(r.Context(), DefaultAPIRoot, coll)
		if err != nil || !col.Readable(c.Principal) {
			web.WriteError(w, r, errs.E(errs.NotFound, "There is no collection %q you may read.", coll))
			return
		}
		q.Collection = col.ID
	}
	page, err := m.store.Find(r.Context(), c.Principal, q)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	out := objectList{Objects: page.Versions}
	if out.Objects == nil {
		out.Objects = []Version{}
	}
	if page.More {
		out.NextCursor = strconv.FormatInt(page.Next, 10)
	}
	web.WriteJSON(w, http.StatusOK, out)
}

func (m *Module) getObject(w http.ResponseWriter, r *http.Request) {
	c := caller(r)
	v, err := m.store.Latest(r.Context(), c.Principal, r.PathValue("id"))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	if err := m.auditRead(r, c, v); err != nil {
		web.WriteError(w, r, err)
		return
	}
	warnings, err := m.store.Warnings(r.Context(), v)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, objectView{Version: v, Warnings: warnings, Expired: v.Expired(time.Now())})
}

// objectView is one object as the API shows it: the stored version, and
// what Rampart knows about it (warning-list hits, expiry).
type objectView struct {
	Version
	Expired  bool      `json:"expired,omitempty"`
	Warnings []Warning `json:"warnings,omitempty"`
}

func (m *Module) listWarningLists(w http.ResponseWriter, r *http.Request) {
	lists, err := m.store.WarningLists(r.Context())
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"warning_lists": lists})
}

// saveWarningList creates a list or replaces its entries (coordinators).
func (m *Module) saveWarningList(w http.ResponseWriter, r *http.Request) {
	var l WarningList
	if err := web.DecodeJSON(r, &l); err != nil {
		web.WriteError(w, r, err)
		return
	}
	saved, err := m.store.SaveWarningList(r.Context(), caller(r).User.Email, l)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, saved)
}

// auditRead records reads of TLP:AMBER+STRICT and TLP:RED content, as the
// access model asks, before the content is shown.
func (m *Module) auditRead(r *http.Request, c *identity.Caller, vs ...Version) error {
	var strict []string
	for _, v := range vs {
		if v.TLP == access.Red || v.TLP == access.AmberStrict {
			strict = append(strict, v.StixID)
		}
	}
	if len(strict) == 0 {
		return nil
	}
	return m.k.DB.Tx(r.Context(), func(tx *sql.Tx) error {
		e := c.AuditEntry(r, "object.read_restricted", "stix", strict[0], c.Principal.OrgID, map[string]any{"objects": strict})
		_, err := audit.Append(r.Context(), tx, m.k.DB.Engine(), e)
		return err
	})
}

func (m *Module) getVersions(w http.ResponseWriter, r *http.Request) {
	c := caller(r)
	vs, err := m.store.History(r.Context(), c.Principal, r.PathValue("id"))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	if err := m.auditRead(r, c, vs...); err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"versions": vs})
}

// Related is what surrounds an object: relationships from and to it, the
// containers (reports, groupings, notes) that refer to it, and the sum of
// its sightings, each through the access decision.
type Related struct {
	Relationships []Version       `json:"relationships"`
	ReferencedBy  []Version       `json:"referenced_by"`
	Sightings     SightingSummary `json:"sightings"`
}

// RelatedTo gathers what surrounds an object for p.
func (s *Store) RelatedTo(ctx context.Context, p access.Principal, stixID string) (Related, error) {
	var out Related
	var err error
	if out.Relationships, err = s.Referencing(ctx, p, stixID, []string{"source_ref", "target_ref"}, 500); err != nil {
		return out, err
	}
	if out.ReferencedBy, err = s.Referencing(ctx, p, stixID, []string{"object_refs"}, 200); err != nil {
		return out, err
	}
	if out.Sightings, err = s.Sightings(ctx, p, stixID); err != nil {
		return out, err
	}
	if out.Relationships == nil {
		out.Relationships = []Version{}
	}
	if out.ReferencedBy == nil {
		out.ReferencedBy = []Version{}
	}
	return out, nil
}

func (m *Module) getRelated(w http.ResponseWriter, r *http.Request) {
	c := caller(r)
	id := r.PathValue("id")
	if _, err := m.store.Latest(r.Context(), c.Principal, id); err != nil {
		web.WriteError(w, r, err)
		return
	}
	rel, err := m.store.RelatedTo(r.Context(), c.Principal, id)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, rel)
}

// Revoke stores a new version of the object with revoked set, which only
// the organization that submitted it may do.
func (s *Store) Revoke(ctx context.Context, sub Submission, stixID string) (Version, error) {
	v, err := s.Latest(ctx, sub.Principal, stixID)
	if err != nil {
		return v, err
	}
	owner, err := s.ownerOf(ctx, v.Seq)
	if err != nil {
		return v, err
	}
	if owner != sub.Principal.OrgID {
		return v, errs.E(errs.Forbidden, "Only the organization that submitted %s may revoke it.", stixID)
	}
	if v.Revoked {
		return v, errs.E(errs.Conflict, "%s is revoked already.", stixID)
	}
	obj, err := v.Object()
	if err != nil {
		return v, err
	}
	now := time.Now()
	if !now.After(v.Modified) {
		now = v.Modified.Add(time.Millisecond)
	}
	if obj, err = obj.With("revoked", true); err == nil {
		obj, err = obj.With("modified", stix.FormatTimestamp(now))
	}
	if err != nil {
		return v, err
	}
	sub.DefaultTLP = v.TLP
	if sub.Grants, err = s.Audience(ctx, v.ItemID); err != nil {
		return v, err
	}
	rep, err := s.Ingest(ctx, sub, []stix.Object{obj})
	if err != nil {
		return v, err
	}
	if rep.Added != 1 {
		return v, errs.E(errs.Invalid, "The revocation was not stored: %s", strings.Join(rep.Outcomes[0].Errors, "; "))
	}
	return s.Latest(ctx, sub.Principal, stixID)
}

func (m *Module) revokeObject(w http.ResponseWriter, r *http.Request) {
	c := caller(r)
	sub, err := m.submission(r.Context(), r, c, Sharing{}, SourceAPI)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	v, err := m.store.Revoke(r.Context(), sub, r.PathValue("id"))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, v)
}

// SightingReport is what an entity reports when it sees an indicator (or
// another object) in its own networks.
type SightingReport struct {
	SightingOf  string    `json:"sighting_of_ref"`
	Count       int       `json:"count"`
	FirstSeen   time.Time `json:"first_seen,omitzero"`
	LastSeen    time.Time `json:"last_seen,omitzero"`
	Description string    `json:"description,omitempty"`
	Anonymous   bool      `json:"anonymous,omitempty"`
	// TLP, when stricter than the sighted object's, limits who counts
	// this sighting; by default it is shared like the object itself, so
	// everyone who may see the object sees the sum.
	TLP string `json:"tlp,omitempty"`
}

// ReportSighting stores a sighting object for r, shared like the sighted
// object unless a stricter TLP is asked for.
func (s *Store) ReportSighting(ctx context.Context, sub Submission, rep SightingReport) (Version, error) {
	target, err := s.Latest(ctx, sub.Principal, rep.SightingOf)
	if err != nil {
		return Version{}, err
	}
	if rep.Count < 0 || rep.Count > 999999999 {
		return Version{}, errs.E(errs.Invalid, "count: %d is outside 0 to 999999999.", rep.Count)
	}
	if rep.Count == 0 {
		rep.Count = 1
	}
	if !rep.FirstSeen.IsZero() && !rep.LastSeen.IsZero() && rep.LastSeen.Before(rep.FirstSeen) {
		return Version{}, errs.E(errs.Invalid, "last_seen is before first_seen.")
	}
	tlp := target.TLP
	if rep.TLP != "" {
		t, err := access.ParseTLP(rep.TLP)
		if err != nil {
			return Version{}, errs.E(errs.Invalid, "tlp: %v", err)
		}
		if t.Rank() < tlp.Rank() {
			return Version{}, errs.E(errs.Invalid, "tlp: a sighting of a TLP:%s object cannot be TLP:%s, which is less restricted.", tlp, t)
		}
		tlp = t
	}
	if tlp == target.TLP {
		aud, err := s.Audience(ctx, target.ItemID)
		if err != nil {
			return Version{}, err
		}
		for _, g := range aud {
			if g.ExtendedBy == "" {
				sub.Grants = append(sub.Grants, g)
			}
		}
		if tlp == access.Red {
			sub.Grants = append(sub.Grants, access.Grant{Kind: access.GrantUser, ID: target.CreatedBy})
		}
		if tlp != access.Red && target.OwnerOrg != "" {
			sub.Grants = append(sub.Grants, access.Grant{Kind: access.GrantOrg, ID: target.OwnerOrg})
		}
	}
	sub.DefaultTLP, sub.Anonymous = tlp, rep.Anonymous
	now := time.Now().UTC()
	ts := stix.FormatTimestamp(now)
	// The id is derived from the reporter and the moment, so a retried
	// request within the same millisecond is one sighting, not two.
	sum := sha256.Sum256([]byte(sub.Principal.UserID + "|" + rep.SightingOf + "|" + ts))
	b := sum[:16]
	b[6], b[8] = b[6]&0x0f|0x40, b[8]&0x3f|0x80
	obj := map[string]any{
		"type": "sighting", "spec_version": "2.1",
		"id":      fmt.Sprintf("sighting--%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16]),
		"created": ts, "modified": ts, "sighting_of_ref": rep.SightingOf, "count": rep.Count,
	}
	if !rep.FirstSeen.IsZero() {
		obj["first_seen"] = stix.FormatTimestamp(rep.FirstSeen)
	}
	if !rep.LastSeen.IsZero() {
		obj["last_seen"] = stix.FormatTimestamp(rep.LastSeen)
	}
	if rep.Description != "" {
		obj["description"] = rep.Description
	}
	if id, ok := stix.TLPMarkingID(strings.ToLower(string(tlp))); ok {
		obj["object_marking_refs"] = []string{id}
	}
	raw, _ := json.Marshal(obj)
	parsed, err := stix.ParseObject(raw)
	if err != nil {
		return Version{}, err
	}
	res, err := s.Ingest(ctx, sub, []stix.Object{parsed})
	if err != nil {
		return Version{}, err
	}
	if res.Added != 1 {
		return Version{}, errs.E(errs.Invalid, "The sighting was not stored: %s", strings.Join(res.Outcomes[0].Errors, "; "))
	}
	return s.Latest(ctx, sub.Principal, parsed.ID())
}

func (m *Module) postSighting(w http.ResponseWriter, r *http.Request) {
	c := caller(r)
	var rep SightingReport
	if err := web.DecodeJSON(r, &rep); err != nil {
		web.WriteError(w, r, err)
		return
	}
	if rep.SightingOf == "" {
		web.WriteError(w, r, errs.E(errs.Invalid, "sighting_of_ref: name the object you saw, e.g. indicator--..."))
		return
	}
	sub, err := m.submission(r.Context(), r, c, Sharing{}, SourceAPI)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	v, err := m.store.ReportSighting(r.Context(), sub, rep)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusCreated, v)
}

func (m *Module) listCollections(w http.ResponseWriter, r *http.Request) {
	c := caller(r)
	cols, err := m.store.Collections(r.Context(), c.Principal, "")
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	if cols == nil {
		cols = []Collection{}
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"collections": cols})
}
