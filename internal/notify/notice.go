package notify

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/rampart-project/rampart/internal/platform/access"
	"github.com/rampart-project/rampart/internal/platform/audit"
	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/errs"
	"github.com/rampart-project/rampart/internal/platform/identity"
	"github.com/rampart-project/rampart/internal/sharing"
	"github.com/rampart-project/rampart/stix"
)

// NoticeType is the STIX type a coordinator's notice is stored as. STIX
// has no object for "a message to these organizations"; a custom SDO keeps
// it in the object store, so its notifications join stix_versions like any
// other and take the same access decision, delivery and overview.
const NoticeType = "x-rampart-notice"

// Selection chooses organizations for a notice. Each dimension is a set
// (OR within it); an organization is selected when it matches every
// dimension that is not empty (AND across them). At least one must be
// given: a notice to everyone is a choice to make explicitly (kinds).
type Selection struct {
	Kinds   []string `json:"kinds,omitempty"`   // identity.OrgKinds: state, local, ...
	Parents []string `json:"parents,omitempty"` // organization ids: their direct children
	States  []string `json:"states,omitempty"`  // two-digit state FIPS codes
	Flags   []string `json:"flags,omitempty"`   // election, water, ...
	Sectors []string `json:"sectors,omitempty"` // identity.Sectors codes
}

// NoticeDraft is what a coordinator composes.
type NoticeDraft struct {
	Title      string              `json:"title"`
	Text       string              `json:"text"`
	Action     string              `json:"action"` // what to do
	Severity   Severity            `json:"severity"`
	TLP        string              `json:"tlp"`
	References []externalReference `json:"references,omitempty"`
	Related    []string            `json:"related,omitempty"` // STIX ids
	Selection  Selection           `json:"selection"`
}

// Recipient is one selected organization and the criteria it matched.
type Recipient struct {
	OrgID   string `json:"org_id"`
	OrgName string `json:"org_name"`
	Reason  string `json:"reason"`
}

// Notice is a sent notice with what became of it.
type Notice struct {
	ID           string    `json:"id"`
	StixID       string    `json:"object_id"`
	OrgID        string    `json:"org_id"`
	Title        string    `json:"title"`
	Severity     Severity  `json:"severity"`
	TLP          string    `json:"tlp"`
	Selection    Selection `json:"selection"`
	Recipients   int       `json:"recipients"`
	Notified     int       `json:"notified"`
	Delivered    int       `json:"delivered"`
	Acknowledged int       `json:"acknowledged"`
	CreatedAt    time.Time `json:"created_at"`
}

var (
	stixIDPattern = regexp.MustCompile(`^[a-z][a-z0-9-]*[a-z0-9]--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	fipsPattern   = regexp.MustCompile(`^[0-9]{2}$`)
	flagPattern   = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)
)

func invalid(format string, args ...any) error { return errs.E(errs.Unprocessable, format, args...) }

// normalize trims and lower-cases a dimension and drops duplicates.
func normalize(vs []string, lower bool) []string {
	var out []string
	for _, v := range vs {
		v = strings.TrimSpace(v)
		if lower {
			v = strings.ToLower(v)
		}
		if v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// check validates the selection against the organizations that exist;
// the error names the field.
func (s *Selection) check(orgs []identity.Organization) error {
	s.Kinds, s.Parents, s.States = normalize(s.Kinds, true), normalize(s.Parents, false), normalize(s.States, false)
	s.Flags, s.Sectors = normalize(s.Flags, true), normalize(s.Sectors, true)
	if len(s.Kinds)+len(s.Parents)+len(s.States)+len(s.Flags)+len(s.Sectors) == 0 {
		return invalid("selection: choose at least one of kinds, parents, states, flags, sectors.")
	}
	for _, k := range s.Kinds {
		if !slices.Contains(identity.OrgKinds, identity.OrgKind(k)) {
			return invalid("selection.kinds: %q is not a kind of organization (state, local, tribal, territorial, federal, private, isac, coordinator).", k)
		}
	}
	for _, p := range s.Parents {
		if !slices.ContainsFunc(orgs, func(o identity.Organization) bool { return o.ID == p }) {
			return invalid("selection.parents: there is no organization %q.", p)
		}
	}
	for _, st := range s.States {
		if !fipsPattern.MatchString(st) {
			return invalid("selection.states: %q is not a two-digit state FIPS code.", st)
		}
	}
	for _, f := range s.Flags {
		if !flagPattern.MatchString(f) {
			return invalid("selection.flags: %q is not a flag (lower-case letters, digits and hyphens).", f)
		}
	}
	for _, sec := range s.Sectors {
		if !slices.ContainsFunc(identity.Sectors, func(x struct{ Code, Name string }) bool { return x.Code == sec }) {
			return invalid("selection.sectors: %q is not a sector code (energy, water, election-infrastructure, ...).", sec)
		}
	}
	return nil
}

// Select returns the organizations the selection chooses, each with the
// criteria it matched in words, in the order of orgs.
func Select(orgs []identity.Organization, s Selection) []Recipient {
	names := map[string]string{}
	for _, o := range orgs {
		names[o.ID] = o.Name
	}
	var out []Recipient
	for _, o := range orgs {
		var why []string
		ok := func(dim []string, match func(string) bool, say func(string) string) bool {
			if len(dim) == 0 {
				return true
			}
			for _, v := range dim {
				if match(v) {
					why = append(why, say(v))
					return true
				}
			}
			return false
		}
		if ok(s.Kinds, func(v string) bool { return string(o.Kind) == v }, func(v string) string { return fmt.Sprintf("kind %q", v) }) &&
			ok(s.Parents, func(v string) bool { return o.ParentID == v }, func(v string) string { return fmt.Sprintf("parent %q (%s)", names[v], v) }) &&
			ok(s.States, func(v string) bool { return o.StateFIPS == v }, func(v string) string { return fmt.Sprintf("state FIPS %q", v) }) &&
			ok(s.Flags, func(v string) bool { return slices.Contains(o.Flags, v) }, func(v string) string { return fmt.Sprintf("flag %q", v) }) &&
			ok(s.Sectors, func(v string) bool { return slices.Contains(o.Sectors, v) }, func(v string) string { return fmt.Sprintf("sector %q", v) }) {
			out = append(out, Recipient{OrgID: o.ID, OrgName: o.Name, Reason: "a coordinator's notice addressed to organizations of " + strings.Join(why, " and ")})
		}
	}
	return out
}

// check validates a draft; the error names the bad field.
func (d *NoticeDraft) check(orgs []identity.Organization) (access.TLP, error) {
	d.Title, d.Text, d.Action = strings.TrimSpace(d.Title), strings.TrimSpace(d.Text), strings.TrimSpace(d.Action)
	switch {
	case d.Title == "":
		return "", invalid("title: give the notice a title.")
	case len(d.Title) > 200:
		return "", invalid("title: at most 200 characters.")
	case d.Text == "":
		return "", invalid("text: say what happened.")
	case len(d.Text) > 20000:
		return "", invalid("text: at most 20,000 characters.")
	case d.Action == "":
		return "", invalid("action: say what the organizations should do.")
	case len(d.Action) > 4000:
		return "", invalid("action: at most 4,000 characters.")
	}
	if Severity(d.Severity).Rank() == 0 {
		return "", invalid("severity: %q is not one of low, medium, high, critical.", d.Severity)
	}
	tlp, err := access.ParseTLP(d.TLP)
	if err != nil || d.TLP == "" {
		return "", invalid("tlp: %q is not one of CLEAR, GREEN, AMBER, AMBER+STRICT.", d.TLP)
	}
	if tlp == access.Red {
		// RED is for named people; a notice goes to whole organizations.
		return "", invalid("tlp: a notice goes to whole organizations, so it cannot be TLP:RED.")
	}
	for i, r := range d.References {
		if strings.TrimSpace(r.SourceName) == "" {
			return "", invalid("references[%d].source_name: name the source.", i)
		}
		if r.URL != "" {
			if u, err := url.Parse(r.URL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
				return "", invalid("references[%d].url: give an absolute http or https URL.", i)
			}
		}
	}
	d.Related = normalize(d.Related, false)
	for _, id := range d.Related {
		if !stixIDPattern.MatchString(id) {
			return "", invalid("related: %q is not a STIX id (type--UUID).", id)
		}
	}
	return tlp, d.Selection.check(orgs)
}

// PreviewNotice validates the draft's selection and returns whom it would
// reach now.
func (m *Module) PreviewNotice(ctx context.Context, sel Selection) ([]Recipient, error) {
	orgs, err := m.k.Identity.Orgs(ctx)
	if err != nil {
		return nil, err
	}
	if err := sel.check(orgs); err != nil {
		return nil, err
	}
	return Select(orgs, sel), nil
}

// SendNotice validates the draft, resolves its selection now and stores
// the notice as an x-rampart-notice object shared with the selected
// organizations; the trigger then makes one notification per recipient.
// Organizations created after this call do not receive it: the recipients
// are fixed here, in notice_recipients, not re-evaluated later. Only
// coordinators send notices (Forbidden otherwise); every send is audited.
func (m *Module) SendNotice(ctx context.Context, p access.Principal, d NoticeDraft, actor Actor) (Notice, []Recipient, error) {
	return sendNotice(ctx, m.k.DB, m.k.Identity, m.sharing, p, d, actor, NoticeType+"--"+newUUIDv4(), time.Now().UTC())
}

// SeedNotice sends a notice with a STIX id of the caller's choosing
// unless a notice with that id was sent already, and reports whether it
// sent it. It needs no running module, so the demo world can have a
// notice in its inboxes from the start: the notifications module makes
// them when it consumes the objects-added event, as for any other notice.
func SeedNotice(ctx context.Context, d *db.DB, ids *identity.Store, store *sharing.Store, p access.Principal, draft NoticeDraft, actor Actor, stixID string) (bool, error) {
	if !stixIDPattern.MatchString(stixID) || !strings.HasPrefix(stixID, NoticeType+"--") {
		return false, invalid("id: %q is not an %s id.", stixID, NoticeType)
	}
	var n int
	if err := d.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM notices WHERE stix_id = $1`, stixID).Scan(&n); err != nil {
		return false, fmt.Errorf("notify: find notice: %w", err)
	}
	if n > 0 {
		return false, nil
	}
	_, _, err := sendNotice(ctx, d, ids, store, p, draft, actor, stixID, time.Now().UTC())
	return err == nil, err
}

func sendNotice(ctx context.Context, database *db.DB, ids *identity.Store, store *sharing.Store, p access.Principal, d NoticeDraft, actor Actor,
	stixID string, now time.Time) (Notice, []Recipient, error) {
	if !p.Coordinator {
		return Notice{}, nil, errs.E(errs.Forbidden, "Only coordinators send notices.")
	}
	orgs, err := ids.Orgs(ctx)
	if err != nil {
		return Notice{}, nil, err
	}
	tlp, err := d.check(orgs)
	if err != nil {
		return Notice{}, nil, err
	}
	recips := Select(orgs, d.Selection)
	if len(recips) == 0 {
		return Notice{}, nil, invalid("selection: no organization matches it; widen it.")
	}
	n := Notice{ID: newID(), StixID: stixID, OrgID: p.OrgID, Title: d.Title, Severity: d.Severity,
		TLP: string(tlp), Selection: d.Selection, Recipients: len(recips), CreatedAt: now}
	sel, _ := json.Marshal(d.Selection)
	err = database.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO notices (id, stix_id, org_id, created_by, title, severity, tlp, selection, recipients, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, n.ID, n.StixID, n.OrgID, p.UserID, n.Title, string(n.Severity), n.TLP, string(sel),
			n.Recipients, db.Micros(now)); err != nil {
			return fmt.Errorf("notify: insert notice: %w", err)
		}
		for _, r := range recips {
			if _, err := tx.ExecContext(ctx, `INSERT INTO notice_recipients (notice_id, org_id, reason) VALUES ($1, $2, $3)`, n.ID, r.OrgID, r.Reason); err != nil {
				return fmt.Errorf("notify: insert notice recipient: %w", err)
			}
		}
		ids := make([]string, len(recips))
		for i, r := range recips {
			ids[i] = r.OrgID
		}
		_, err := audit.Append(ctx, tx, database.Engine(), audit.Entry{ActorUserID: actor.UserID, ActorOrgID: actor.OrgID, ActorLabel: actor.Label,
			Action: "notice.send", TargetKind: "notice", TargetID: n.ID, OrgScope: p.OrgID,
			Detail:     map[string]any{"object": n.StixID, "title": n.Title, "severity": n.Severity, "tlp": n.TLP, "selection": d.Selection, "recipients": ids},
			RemoteAddr: actor.RemoteAddr, RequestID: actor.RequestID})
		return err
	})
	if err != nil {
		return Notice{}, nil, err
	}
	obj, err := noticeObject(n, d, now)
	if err != nil {
		return Notice{}, nil, err
	}
	var grants []access.Grant
	if tlp == access.Amber || tlp == access.AmberStrict {
		for _, r := range recips {
			grants = append(grants, access.Grant{Kind: access.GrantOrg, ID: r.OrgID})
		}
	}
	rep, err := store.Ingest(ctx, sharing.Submission{Principal: p, Actor: actor.Label, Source: sharing.SourceForm, DefaultTLP: tlp,
		Grants: grants, RemoteAddr: actor.RemoteAddr, RequestID: actor.RequestID}, []stix.Object{obj})
	if err == nil && rep.Added != 1 {
		err = fmt.Errorf("notify: store notice: %+v", rep.Outcomes)
	}
	if err != nil {
		// Without its object the notice reaches nobody; do not list it.
		_ = database.Tx(context.WithoutCancel(ctx), func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `DELETE FROM notices WHERE id = $1`, n.ID)
			return err
		})
		return Notice{}, nil, err
	}
	return n, recips, nil
}

func newUUIDv4() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// noticeObject is the notice as STIX.
func noticeObject(n Notice, d NoticeDraft, now time.Time) (stix.Object, error) {
	ts := now.Format("2006-01-02T15:04:05.000Z")
	body := map[string]any{"type": NoticeType, "spec_version": "2.1", "id": n.StixID, "created": ts, "modified": ts,
		"name": d.Title, "description": d.Text, "x_rampart_action": d.Action, "x_rampart_severity": string(d.Severity)}
	if len(d.References) > 0 {
		body["external_references"] = d.References
	}
	if len(d.Related) > 0 {
		body["object_refs"] = d.Related
	}
	b, err := json.Marshal(body)
	if err != nil {
		return stix.Object{}, err
	}
	return stix.ParseObject(b)
}

// noticeCandidates are the recipients fixed when the notice was sent.
func noticeCandidates(ctx context.Context, q db.Querier, stixID string) ([]candidate, error) {
	rows, err := q.QueryContext(ctx, `SELECT r.org_id, r.reason FROM notice_recipients r JOIN notices n ON n.id = r.notice_id WHERE n.stix_id = $1`, stixID)
	if err != nil {
		return nil, fmt.Errorf("notify: notice recipients: %w", err)
	}
	defer rows.Close()
	var out []candidate
	for rows.Next() {
		var c candidate
		if err := rows.Scan(&c.OrgID, &c.Reason); err != nil {
			return nil, fmt.Errorf("notify: notice recipients: %w", err)
		}
		c.Kind, c.Key = ReasonNotice, ReasonNotice
		out = append(out, c)
	}
	return out, rows.Err()
}

// Notices lists the notices sent, newest first, with how many recipients
// were notified, delivered to and have acknowledged. Coordinators only.
func (m *Module) Notices(ctx context.Context, p access.Principal, limit int) ([]Notice, error) {
	if !p.Coordinator {
		return nil, errs.E(errs.Forbidden, "Only coordinators see the notices sent.")
	}
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	rows, err := m.k.DB.Reader().QueryContext(ctx, fmt.Sprintf(`SELECT n.id, n.stix_id, n.org_id, n.title, n.severity, n.tlp, n.selection, n.recipients, n.created_at,
		(SELECT COUNT(*) FROM notifications x WHERE x.stix_id = n.stix_id),
		(SELECT COUNT(DISTINCT x.id) FROM notifications x JOIN notification_deliveries d ON d.notification_id = x.id
			WHERE x.stix_id = n.stix_id AND d.status IN ('delivered', 'digest')),
		(SELECT COUNT(*) FROM notifications x WHERE x.stix_id = n.stix_id AND x.state = 'acknowledged')
		FROM notices n ORDER BY n.created_at DESC, n.id LIMIT %d`, limit))
	if err != nil {
		return nil, fmt.Errorf("notify: list notices: %w", err)
	}
	defer rows.Close()
	out := []Notice{}
	for rows.Next() {
		var n Notice
		var sev, sel string
		var created int64
		if err := rows.Scan(&n.ID, &n.StixID, &n.OrgID, &n.Title, &sev, &n.TLP, &sel, &n.Recipients, &created, &n.Notified, &n.Delivered, &n.Acknowledged); err != nil {
			return nil, fmt.Errorf("notify: list notices: %w", err)
		}
		n.Severity, n.CreatedAt = Severity(sev), db.FromMicros(created)
		_ = json.Unmarshal([]byte(sel), &n.Selection)
		out = append(out, n)
	}
	return out, rows.Err()
}
