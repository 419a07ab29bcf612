package notify

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

// Severity ranks a notification. See severityOf for the rule.
type Severity string

// The severities, lowest first.
const (
	SeverityLow      Severity = "low"
	SeverityMedium   Severity = "medium"
	SeverityHigh     Severity = "high"
	SeverityCritical Severity = "critical"
)

// Rank orders severities: low 1 ... critical 4, anything else 0.
func (s Severity) Rank() int {
	switch s {
	case SeverityLow:
		return 1
	case SeverityMedium:
		return 2
	case SeverityHigh:
		return 3
	case SeverityCritical:
		return 4
	}
	return 0
}

// ParseSeverity accepts the four names.
func ParseSeverity(s string) (Severity, error) {
	if Severity(s).Rank() == 0 {
		return "", errs.E(errs.Invalid, "severity: %q is not one of low, medium, high, critical.", s)
	}
	return Severity(s), nil
}

// The states of a notification, per organization.
const (
	StateUnread       = "unread"
	StateRead         = "read"
	StateAcknowledged = "acknowledged"
)

// The kinds of reason a notification has.
const (
	ReasonIndicator     = "indicator"     // an indicator's observable hits the inventory
	ReasonObservable    = "observable"    // a cyber-observable's value hits it
	ReasonVulnerability = "vulnerability" // a vulnerability affects the organization's software
	ReasonTargeting     = "targeting"     // a threat object names the organization's sector or region
	ReasonSighting      = "sighting"      // something was seen in the organization's networks
	ReasonNotice        = "notice"        // a coordinator addressed a notice to a selection the organization is in
)

// Notification tells one organization that one object concerns it, and why.
type Notification struct {
	ID              string    `json:"id"`
	OrgID           string    `json:"org_id"`
	ItemID          string    `json:"-"`
	StixID          string    `json:"object_id"`
	VersionSeq      int64     `json:"-"`
	ObjectType      string    `json:"object_type"`
	ReasonKind      string    `json:"reason_kind"`
	ReasonKey       string    `json:"-"`
	Reason          string    `json:"reason"`
	Uncertain       bool      `json:"uncertain,omitempty"`
	Severity        Severity  `json:"severity"`
	TLP             string    `json:"tlp"`
	Title           string    `json:"title"`
	CreatedAt       time.Time `json:"created_at"`
	UpdatedAt       time.Time `json:"updated_at"`
	State           string    `json:"state"`
	ReadAt          time.Time `json:"read_at,omitzero"`
	AckBy           string    `json:"acknowledged_by,omitempty"`
	AckAt           time.Time `json:"acknowledged_at,omitzero"`
	AckNote         string    `json:"acknowledgement_note,omitempty"`
	EscalationLevel int       `json:"escalation_level"`
	EscalatedAt     time.Time `json:"escalated_at,omitzero"`
	// Withdrawn is set when a newer version of the object no longer
	// concerns the organization (revoked, expired, no longer matching):
	// the row stays, saying so, rather than vanishing or misleading.
	Withdrawn       bool      `json:"withdrawn"`
	WithdrawnAt     time.Time `json:"withdrawn_at,omitzero"`
	WithdrawnReason string    `json:"withdrawn_reason,omitempty"`
	// CVE, for a vulnerability, is the key that merges the KEV entry and
	// the CVE record of one CVE into this one row; AlsoObjects are the
	// objects merged in besides StixID.
	CVE            string   `json:"cve,omitempty"`
	AlsoObjects    []string `json:"also_object_ids,omitempty"`
	RequiredAction string   `json:"required_action,omitempty"` // from KEV
	DueDate        string   `json:"due_date,omitempty"`        // from KEV
}

const notificationColumns = `id, org_id, item_id, stix_id, version_seq, object_type, reason_kind, reason_key, reason, uncertain,
	severity, tlp, title, created_at, updated_at, state, read_at, ack_by, ack_at, ack_note, escalation_level, escalated_at,
	withdrawn_at, withdrawn_reason, cve, also_ids, required_action, due_date`

func scanNotification(sc interface{ Scan(...any) error }) (Notification, error) {
	var n Notification
	var uncertain, created, updated, readAt, ackAt, escAt, wdAt int64
	var sev, also string
	err := sc.Scan(&n.ID, &n.OrgID, &n.ItemID, &n.StixID, &n.VersionSeq, &n.ObjectType, &n.ReasonKind, &n.ReasonKey, &n.Reason, &uncertain,
		&sev, &n.TLP, &n.Title, &created, &updated, &n.State, &readAt, &n.AckBy, &ackAt, &n.AckNote, &n.EscalationLevel, &escAt,
		&wdAt, &n.WithdrawnReason, &n.CVE, &also, &n.RequiredAction, &n.DueDate)
	if err != nil {
		return n, err
	}
	n.Withdrawn, n.WithdrawnAt = wdAt != 0, fromMicros(wdAt)
	if also != "" {
		n.AlsoObjects = strings.Fields(also)
	}
	n.Uncertain, n.Severity = uncertain != 0, Severity(sev)
	n.CreatedAt, n.UpdatedAt = db.FromMicros(created), db.FromMicros(updated)
	n.ReadAt, n.AckAt, n.EscalatedAt = fromMicros(readAt), fromMicros(ackAt), fromMicros(escAt)
	return n, nil
}

// prefixed qualifies each column of a list with a table alias.
func prefixed(alias, columns string) string {
	parts := strings.Split(columns, ",")
	for i, c := range parts {
		parts[i] = alias + "." + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}

func fromMicros(us int64) time.Time {
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

// upsert creates the notification of (organization, object, reason) or,
// when one exists for an older version, brings it up to this version. It
// reports whether a row was created, so that only new notifications are
// delivered: a new version of an object updates the inbox, it does not
// send the e-mail again. A version older than or equal to the stored one
// changes nothing, which makes retroactive matching idempotent. A
// matching version also lifts a withdrawal.
//
// A vulnerability with a CVE id (n.CVE) first looks for the row of another
// object about the same CVE and software entry — the KEV entry and the
// CVE record are two objects — and merges into it (merge).
func upsert(ctx context.Context, tx *sql.Tx, n *Notification, now time.Time) (created bool, err error) {
	n.ID = newID()
	us := db.Micros(now)
	var id, stixID string
	var stored int64
	err = tx.QueryRowContext(ctx, `SELECT id, stix_id, version_seq FROM notifications WHERE org_id = $1 AND reason_key = $2
		AND (stix_id = $3 OR ($4 <> '' AND cve = $4)) ORDER BY CASE WHEN stix_id = $3 THEN 0 ELSE 1 END, created_at LIMIT 1`,
		n.OrgID, n.ReasonKey, n.StixID, n.CVE).Scan(&id, &stixID, &stored)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		_, err = tx.ExecContext(ctx, `INSERT INTO notifications (id, org_id, item_id, stix_id, version_seq, object_type, reason_kind, reason_key,
			reason, uncertain, severity, tlp, title, created_at, updated_at, cve, required_action, due_date)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14, $15, $16, $17)`,
			n.ID, n.OrgID, n.ItemID, n.StixID, n.VersionSeq, n.ObjectType, n.ReasonKind, n.ReasonKey, n.Reason, boolInt(n.Uncertain),
			string(n.Severity), n.TLP, n.Title, us, n.CVE, n.RequiredAction, n.DueDate)
		if err != nil {
			return false, fmt.Errorf("notify: insert notification: %w", err)
		}
		n.CreatedAt, n.UpdatedAt, n.State = db.FromMicros(us), db.FromMicros(us), StateUnread
		return true, nil
	case err != nil:
		return false, fmt.Errorf("notify: find notification: %w", err)
	}
	if stixID != n.StixID {
		n.ID = id
		return false, merge(ctx, tx, id, n, us)
	}
	n.ID = id
	if stored >= n.VersionSeq {
		return false, nil
	}
	// A new version is news again: the organization has not read it.
	// KEV facts merged in from another object keep the severity at least
	// high (severityOf's rule for KEV membership).
	_, err = tx.ExecContext(ctx, `UPDATE notifications SET item_id = $1, version_seq = $2, reason = $3, uncertain = $4,
		severity = CASE WHEN (required_action <> '' OR $10 <> '') AND $5 IN ('low', 'medium') THEN 'high' ELSE $5 END, tlp = $6,
		title = $7, updated_at = $8, state = CASE WHEN state = 'read' THEN 'unread' ELSE state END, withdrawn_at = 0, withdrawn_reason = '',
		required_action = CASE WHEN $10 <> '' THEN $10 ELSE required_action END, due_date = CASE WHEN $11 <> '' THEN $11 ELSE due_date END
		WHERE id = $9`,
		n.ItemID, n.VersionSeq, n.Reason, boolInt(n.Uncertain), string(n.Severity), n.TLP, n.Title, us, id, n.RequiredAction, n.DueDate)
	if err != nil {
		return false, fmt.Errorf("notify: update notification: %w", err)
	}
	return false, nil
}

// merge folds a second object about the same CVE and software entry into
// the existing row: the higher severity wins, a certain match beats a
// possible one, the KEV facts (required action, due date) are added, and
// the object is listed among also_ids. The row keeps pointing at the
// object that created it, so its link and overview stay where they were.
// Merging is news (the row becomes unread) but is not delivered again.
func merge(ctx context.Context, tx *sql.Tx, id string, n *Notification, us int64) error {
	cur, err := getNotification(ctx, tx, id)
	if err != nil {
		return err
	}
	also := cur.AlsoObjects
	if !slices.Contains(also, n.StixID) {
		also = append(also, n.StixID)
	}
	sev := cur.Severity
	if n.Severity.Rank() > sev.Rank() {
		sev = n.Severity
	}
	reason := cur.Reason
	if !strings.Contains(reason, n.Reason) {
		reason += "; also " + n.Title + ": " + n.Reason
	}
	action, due := cur.RequiredAction, cur.DueDate
	if n.RequiredAction != "" {
		action, due = n.RequiredAction, n.DueDate
	}
	if sev == cur.Severity && action == cur.RequiredAction && due == cur.DueDate && len(also) == len(cur.AlsoObjects) &&
		reason == cur.Reason && (cur.Uncertain == (cur.Uncertain && n.Uncertain)) && !cur.Withdrawn {
		return nil // the same facts again: retroactive matching, a repeated import
	}
	_, err = tx.ExecContext(ctx, `UPDATE notifications SET also_ids = $1, severity = $2, reason = $3, required_action = $4, due_date = $5,
		uncertain = $6, updated_at = $7, state = CASE WHEN state = 'read' THEN 'unread' ELSE state END, withdrawn_at = 0, withdrawn_reason = ''
		WHERE id = $8`, strings.Join(also, " "), string(sev), clipReason(reason), action, due, boolInt(cur.Uncertain && n.Uncertain), us, id)
	if err != nil {
		return fmt.Errorf("notify: merge notification: %w", err)
	}
	return nil
}

func clipReason(s string) string {
	if len(s) > 4000 {
		return s[:4000]
	}
	return s
}

// withdraw marks the notifications of an object that its version seq no
// longer supports: those made for an older version whose (organization,
// reason) is not among keep. why says what changed, for the inbox.
func withdraw(ctx context.Context, tx *sql.Tx, stixID string, seq int64, keep map[[2]string]bool, why string, now time.Time) (int, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, org_id, reason_key FROM notifications WHERE stix_id = $1 AND version_seq < $2 AND withdrawn_at = 0`, stixID, seq)
	if err != nil {
		return 0, fmt.Errorf("notify: withdraw: %w", err)
	}
	var ids []string
	for rows.Next() {
		var id, org, key string
		if err := rows.Scan(&id, &org, &key); err != nil {
			rows.Close()
			return 0, fmt.Errorf("notify: withdraw: %w", err)
		}
		if !keep[[2]string{org, key}] {
			ids = append(ids, id)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("notify: withdraw: %w", err)
	}
	for _, id := range ids {
		if _, err := tx.ExecContext(ctx, `UPDATE notifications SET withdrawn_at = $1, withdrawn_reason = $2, updated_at = $1 WHERE id = $3`,
			db.Micros(now), why, id); err != nil {
			return 0, fmt.Errorf("notify: withdraw: %w", err)
		}
	}
	return len(ids), nil
}

// Inbox reads and changes notifications for the organizations they were
// made for.
type Inbox struct {
	db     *db.DB
	policy access.Policy
}

// NewInbox returns the inbox over d.
func NewInbox(d *db.DB, policy access.Policy) *Inbox { return &Inbox{db: d, policy: policy} }

// InboxQuery selects a page of an organization's notifications: unread
// first, then by severity, newest first.
type InboxQuery struct {
	State    string   // unread, read, acknowledged; "" for all
	Severity Severity // at least this; "" for all
	Cursor   string   // from the previous page
	Limit    int      // default 50, at most 500
}

// orderKey sorts the inbox: unread before read before acknowledged, then
// by severity, then newest first. It is also the cursor, so paging is
// stable while rows change state.
const orderKey = `(CASE state WHEN 'unread' THEN 0 WHEN 'read' THEN 1 ELSE 2 END) * 10 + (5 - CASE severity WHEN 'critical' THEN 4 WHEN 'high' THEN 3 WHEN 'medium' THEN 2 ELSE 1 END)`

// List returns a page of p's organization's notifications and the next
// cursor ("" at the end). Rows whose object p may no longer see (a
// revoked audience grant) are left out.
func (in *Inbox) List(ctx context.Context, p access.Principal, q InboxQuery) ([]Notification, string, error) {
	if p.Anonymous() || p.OrgID == "" {
		return nil, "", errs.E(errs.Unauthenticated, "Sign in to see notifications.")
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 500)
	var a access.Args
	where := []string{"n.org_id = " + a.Add(p.OrgID), in.policy.Predicate(p, access.On("v"), &a)}
	if q.State != "" {
		switch q.State {
		case StateUnread, StateRead, StateAcknowledged:
		default:
			return nil, "", errs.E(errs.Invalid, "state: %q is not one of unread, read, acknowledged.", q.State)
		}
		where = append(where, "n.state = "+a.Add(q.State))
	}
	if q.Severity != "" {
		if _, err := ParseSeverity(string(q.Severity)); err != nil {
			return nil, "", err
		}
		var sev []string
		for _, s := range []Severity{SeverityLow, SeverityMedium, SeverityHigh, SeverityCritical} {
			if s.Rank() >= q.Severity.Rank() {
				sev = append(sev, a.Add(string(s)))
			}
		}
		where = append(where, "n.severity IN ("+strings.Join(sev, ", ")+")")
	}
	key := strings.ReplaceAll(strings.ReplaceAll(orderKey, "state", "n.state"), "severity", "n.severity")
	if q.Cursor != "" {
		var ck, cu int64
		var cid string
		if _, err := fmt.Sscanf(q.Cursor, "%d.%d.%s", &ck, &cu, &cid); err != nil {
			return nil, "", errs.E(errs.Invalid, "cursor: %q is not a cursor this API gave.", q.Cursor)
		}
		k, u, i := a.Add(ck), a.Add(cu), a.Add(cid)
		where = append(where, fmt.Sprintf("(%s > %s OR (%s = %s AND (n.updated_at < %s OR (n.updated_at = %s AND n.id > %s))))", key, k, key, k, u, u, i))
	}
	cols := prefixed("n", notificationColumns)
	query := fmt.Sprintf(`SELECT %s, %s FROM notifications n JOIN stix_versions v ON v.id = n.item_id WHERE %s ORDER BY 29, n.updated_at DESC, n.id LIMIT %d`,
		cols, key, strings.Join(where, " AND "), limit+1)
	rows, err := in.db.Reader().QueryContext(ctx, query, a.Values...)
	if err != nil {
		return nil, "", fmt.Errorf("notify: list notifications: %w", err)
	}
	defer rows.Close()
	var out []Notification
	var keys []int64
	for rows.Next() {
		var k int64
		n, err := scanNotification(scanExtras{rows, []any{&k}})
		if err != nil {
			return nil, "", fmt.Errorf("notify: list notifications: %w", err)
		}
		out, keys = append(out, n), append(keys, k)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("notify: list notifications: %w", err)
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		last := out[limit-1]
		next = fmt.Sprintf("%d.%d.%s", keys[limit-1], db.Micros(last.UpdatedAt), last.ID)
	}
	return out, next, nil
}

// Get returns one notification of p's organization. Returns NotFound when
// it is another organization's, or its object is hidden from p.
func (in *Inbox) Get(ctx context.Context, p access.Principal, id string) (Notification, error) {
	n, err := getNotification(ctx, in.db.Reader(), id)
	if err != nil {
		return n, err
	}
	if n.OrgID != p.OrgID || p.Anonymous() {
		return Notification{}, errs.E(errs.NotFound, "There is no notification %q.", id)
	}
	ok, err := in.canSee(ctx, p, n)
	if err != nil {
		return Notification{}, err
	}
	if !ok {
		return Notification{}, errs.E(errs.NotFound, "There is no notification %q.", id)
	}
	return n, nil
}

func (in *Inbox) canSee(ctx context.Context, p access.Principal, n Notification) (bool, error) {
	var owner, createdBy, tlp string
	err := in.db.Reader().QueryRowContext(ctx, `SELECT owner_org, created_by, tlp FROM stix_versions WHERE id = $1`, n.ItemID).Scan(&owner, &createdBy, &tlp)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("notify: notification object: %w", err)
	}
	aud, err := access.Audience(ctx, in.db.Reader(), n.ItemID)
	if err != nil {
		return false, err
	}
	return in.policy.CanSee(p, access.Item{ID: n.ItemID, OwnerOrg: owner, CreatedBy: createdBy, TLP: access.TLP(tlp), Audience: aud}), nil
}

func getNotification(ctx context.Context, q db.Querier, id string) (Notification, error) {
	n, err := scanNotification(q.QueryRowContext(ctx, `SELECT `+notificationColumns+` FROM notifications WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return n, errs.E(errs.NotFound, "There is no notification %q.", id)
	}
	if err != nil {
		return n, fmt.Errorf("notify: get notification: %w", err)
	}
	return n, nil
}

// Actor is reused from the inventory store for who changes a
// notification's state.

// MarkRead marks p's organization's notification read (an acknowledged one
// stays acknowledged).
func (in *Inbox) MarkRead(ctx context.Context, p access.Principal, id string, actor Actor) (Notification, error) {
	if _, err := in.Get(ctx, p, id); err != nil {
		return Notification{}, err
	}
	var out Notification
	err := in.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE notifications SET state = 'read', read_at = $1 WHERE id = $2 AND state = 'unread'`,
			db.Micros(time.Now()), id); err != nil {
			return fmt.Errorf("notify: mark read: %w", err)
		}
		var err error
		out, err = getNotification(ctx, tx, id)
		return err
	})
	return out, err
}

// Acknowledge records that p's organization has dealt with the
// notification — who, when, and a note such as "patched" or "not
// applicable" — in the audit log too. Acknowledging stops escalation. An
// acknowledged notification may be acknowledged again to change the note.
func (in *Inbox) Acknowledge(ctx context.Context, p access.Principal, id, note string, actor Actor) (Notification, error) {
	note = strings.TrimSpace(note)
	if len(note) > 500 {
		return Notification{}, errs.E(errs.Invalid, "note: at most 500 characters.")
	}
	if _, err := in.Get(ctx, p, id); err != nil {
		return Notification{}, err
	}
	var out Notification
	err := in.db.Tx(ctx, func(tx *sql.Tx) error {
		now := db.Micros(time.Now())
		if _, err := tx.ExecContext(ctx, `UPDATE notifications SET state = 'acknowledged', ack_by = $1, ack_at = $2, ack_note = $3,
			read_at = CASE WHEN read_at = 0 THEN $2 ELSE read_at END WHERE id = $4`, actor.Label, now, note, id); err != nil {
			return fmt.Errorf("notify: acknowledge: %w", err)
		}
		var err error
		if out, err = getNotification(ctx, tx, id); err != nil {
			return err
		}
		_, err = audit.Append(ctx, tx, in.db.Engine(), audit.Entry{
			ActorUserID: actor.UserID, ActorOrgID: actor.OrgID, ActorLabel: actor.Label,
			Action: "notification.acknowledge", TargetKind: "notification", TargetID: id, OrgScope: out.OrgID,
			Detail:     map[string]any{"object": out.StixID, "note": note},
			RemoteAddr: actor.RemoteAddr, RequestID: actor.RequestID,
		})
		return err
	})
	return out, err
}

// Changed returns p's organization's notifications updated after the
// given time (microseconds), oldest first: what the live stream sends.
func (in *Inbox) Changed(ctx context.Context, p access.Principal, afterMicros int64, limit int) ([]Notification, error) {
	var a access.Args
	where := "n.org_id = " + a.Add(p.OrgID) + " AND n.updated_at > " + a.Add(afterMicros) + " AND " + in.policy.Predicate(p, access.On("v"), &a)
	cols := prefixed("n", notificationColumns)
	rows, err := in.db.Reader().QueryContext(ctx, fmt.Sprintf(`SELECT %s FROM notifications n JOIN stix_versions v ON v.id = n.item_id WHERE %s ORDER BY n.updated_at, n.id LIMIT %d`,
		cols, where, max(limit, 1)), a.Values...)
	if err != nil {
		return nil, fmt.Errorf("notify: changed notifications: %w", err)
	}
	defer rows.Close()
	var out []Notification
	for rows.Next() {
		n, err := scanNotification(rows)
		if err != nil {
			return nil, fmt.Errorf("notify: changed notifications: %w", err)
		}
		out = append(out, n)
	}
	return out, rows.Err()
}
