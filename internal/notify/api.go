package notify

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rampart-project/rampart/internal/platform/audit"
	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/errs"
	"github.com/rampart-project/rampart/internal/platform/identity"
	"github.com/rampart-project/rampart/internal/platform/web"
)

// caller returns the signed-in caller; routes with a rule other than
// Public always have one.
func caller(r *http.Request) *identity.Caller {
	c, _ := identity.CallerFrom(r.Context())
	return c
}

func actorOf(r *http.Request) Actor {
	c := caller(r)
	return Actor{UserID: c.User.ID, OrgID: c.User.OrgID, Label: c.User.Email, RemoteAddr: r.RemoteAddr, RequestID: web.RequestID(r.Context())}
}

func inboxQuery(r *http.Request) (InboxQuery, error) {
	q := r.URL.Query()
	iq := InboxQuery{State: q.Get("state"), Severity: Severity(q.Get("severity")), Cursor: q.Get("cursor")}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 {
			return iq, errs.E(errs.Invalid, "limit: %q is not a positive number.", l)
		}
		iq.Limit = n
	}
	return iq, nil
}

func (m *Module) apiList(w http.ResponseWriter, r *http.Request) {
	iq, err := inboxQuery(r)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	list, next, err := m.inbox.List(r.Context(), caller(r).Principal, iq)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	if list == nil {
		list = []Notification{}
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"notifications": list, "next": next})
}

func (m *Module) apiGet(w http.ResponseWriter, r *http.Request) {
	n, err := m.inbox.Get(r.Context(), caller(r).Principal, r.PathValue("id"))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, n)
}

func (m *Module) apiRead(w http.ResponseWriter, r *http.Request) {
	n, err := m.inbox.MarkRead(r.Context(), caller(r).Principal, r.PathValue("id"), actorOf(r))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, n)
}

func (m *Module) apiAcknowledge(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Note string `json:"note"`
	}
	if r.ContentLength != 0 {
		if err := web.DecodeJSON(r, &body); err != nil {
			web.WriteError(w, r, err)
			return
		}
	}
	n, err := m.inbox.Acknowledge(r.Context(), caller(r).Principal, r.PathValue("id"), body.Note, actorOf(r))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, n)
}

func (m *Module) apiGetPreference(w http.ResponseWriter, r *http.Request) {
	p, err := m.preference(r.Context(), caller(r).User.ID)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, p)
}

func (m *Module) apiPutPreference(w http.ResponseWriter, r *http.Request) {
	var p Preference
	if err := web.DecodeJSON(r, &p); err != nil {
		web.WriteError(w, r, err)
		return
	}
	p, err := m.setPreference(r, p)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, p)
}

// setPreference validates and saves the caller's preference, audited; the
// API and the settings page share it.
func (m *Module) setPreference(r *http.Request, p Preference) (Preference, error) {
	if p.MinSeverity == "" {
		p.MinSeverity = SeverityLow
	}
	if _, err := ParseSeverity(string(p.MinSeverity)); err != nil {
		return p, errs.E(errs.Invalid, "min_severity: %q is not one of low, medium, high, critical.", p.MinSeverity)
	}
	if p.Mode == "" {
		p.Mode = "immediate"
	}
	if p.Mode != "immediate" && p.Mode != "digest" {
		return p, errs.E(errs.Invalid, "mode: %q is not immediate or digest.", p.Mode)
	}
	for _, c := range p.Channels {
		if c != ChannelEmail {
			return p, errs.E(errs.Invalid, "channels: %q is not a channel a user chooses (email; the inbox and the stream are always on).", c)
		}
	}
	if p.Channels == nil {
		p.Channels = []string{}
	}
	u := caller(r).User
	err := m.k.DB.Tx(r.Context(), func(tx *sql.Tx) error {
		_, err := tx.ExecContext(r.Context(), `INSERT INTO notification_preferences (user_id, channels, min_severity, mode, updated_at)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id) DO UPDATE SET channels = excluded.channels, min_severity = excluded.min_severity,
			mode = excluded.mode, updated_at = excluded.updated_at`, u.ID, strings.Join(p.Channels, ","), string(p.MinSeverity), p.Mode, db.Micros(time.Now()))
		if err != nil {
			return fmt.Errorf("notify: save preference: %w", err)
		}
		a := actorOf(r)
		_, err = audit.Append(r.Context(), tx, m.k.DB.Engine(), audit.Entry{ActorUserID: a.UserID, ActorOrgID: a.OrgID, ActorLabel: a.Label,
			Action: "notification.preferences", TargetKind: "user", TargetID: u.ID, OrgScope: u.OrgID,
			Detail: map[string]any{"channels": p.Channels, "min_severity": p.MinSeverity, "mode": p.Mode}, RemoteAddr: a.RemoteAddr, RequestID: a.RequestID})
		return err
	})
	return p, err
}

// NotificationWebhook is an organization's receiver of notifications.
type NotificationWebhook struct {
	ID        string    `json:"id"`
	OrgID     string    `json:"org_id"`
	URL       string    `json:"url"`
	Secret    string    `json:"secret,omitempty"` // shown once, at creation
	CreatedAt time.Time `json:"created_at"`
}

func (m *Module) apiListWebhooks(w http.ResponseWriter, r *http.Request) {
	c := caller(r)
	rows, err := m.k.DB.Reader().QueryContext(r.Context(), `SELECT id, org_id, url, created_at FROM notification_webhooks WHERE org_id = $1 AND active = 1 ORDER BY created_at`, c.User.OrgID)
	if err != nil {
		web.WriteError(w, r, fmt.Errorf("notify: list webhooks: %w", err))
		return
	}
	defer rows.Close()
	out := []NotificationWebhook{}
	for rows.Next() {
		var h NotificationWebhook
		var created int64
		if err := rows.Scan(&h.ID, &h.OrgID, &h.URL, &created); err != nil {
			web.WriteError(w, r, fmt.Errorf("notify: list webhooks: %w", err))
			return
		}
		h.CreatedAt = db.FromMicros(created)
		out = append(out, h)
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"webhooks": out})
}

func (m *Module) apiCreateWebhook(w http.ResponseWriter, r *http.Request) {
	var body struct {
		URL string `json:"url"`
	}
	if err := web.DecodeJSON(r, &body); err != nil {
		web.WriteError(w, r, err)
		return
	}
	u, err := url.Parse(body.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		web.WriteError(w, r, errs.E(errs.Invalid, "url: give an absolute http or https URL."))
		return
	}
	var b [24]byte
	_, _ = rand.Read(b[:])
	c := caller(r)
	h := NotificationWebhook{ID: newID(), OrgID: c.User.OrgID, URL: u.String(), Secret: "whsec_" + hex.EncodeToString(b[:]), CreatedAt: time.Now()}
	err = m.k.DB.Tx(r.Context(), func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(r.Context(), `INSERT INTO notification_webhooks (id, org_id, url, secret, created_at) VALUES ($1, $2, $3, $4, $5)`,
			h.ID, h.OrgID, h.URL, h.Secret, db.Micros(h.CreatedAt)); err != nil {
			return fmt.Errorf("notify: create webhook: %w", err)
		}
		a := actorOf(r)
		_, err := audit.Append(r.Context(), tx, m.k.DB.Engine(), audit.Entry{ActorUserID: a.UserID, ActorOrgID: a.OrgID, ActorLabel: a.Label,
			Action: "notification.webhook_create", TargetKind: "notification_webhook", TargetID: h.ID, OrgScope: h.OrgID,
			Detail: map[string]any{"url": h.URL}, RemoteAddr: a.RemoteAddr, RequestID: a.RequestID})
		return err
	})
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusCreated, h)
}

func (m *Module) apiDeleteWebhook(w http.ResponseWriter, r *http.Request) {
	c := caller(r)
	id := r.PathValue("id")
	err := m.k.DB.Tx(r.Context(), func(tx *sql.Tx) error {
		res, err := tx.ExecContext(r.Context(), `UPDATE notification_webhooks SET active = 0 WHERE id = $1 AND org_id = $2 AND active = 1`, id, c.User.OrgID)
		if err != nil {
			return fmt.Errorf("notify: delete webhook: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.E(errs.NotFound, "There is no webhook %q.", id)
		}
		a := actorOf(r)
		_, err = audit.Append(r.Context(), tx, m.k.DB.Engine(), audit.Entry{ActorUserID: a.UserID, ActorOrgID: a.OrgID, ActorLabel: a.Label,
			Action: "notification.webhook_delete", TargetKind: "notification_webhook", TargetID: id, OrgScope: c.User.OrgID,
			RemoteAddr: a.RemoteAddr, RequestID: a.RequestID})
		return err
	})
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// overseen returns the organizations whose notifications the caller may
// follow on the overview: every organization for a coordinator; for an
// org admin, their own and its client organizations (a state's counties
// and cities). nil means all.
func (m *Module) overseen(r *http.Request) (map[string]bool, error) {
	c := caller(r)
	if c.Principal.Coordinator {
		return nil, nil
	}
	ids, err := m.k.Identity.Clients(r.Context(), c.User.OrgID)
	if err != nil {
		return nil, err
	}
	out := map[string]bool{c.User.OrgID: true}
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}

// EntityStatus is one organization's state for one object on the
// overview.
type EntityStatus struct {
	OrgID        string    `json:"org_id"`
	OrgName      string    `json:"org_name"`
	Notification string    `json:"notification_id,omitempty"`
	Notified     bool      `json:"notified"`
	NotifiedAt   time.Time `json:"notified_at,omitzero"`
	Severity     Severity  `json:"severity,omitempty"`
	Deliveries   int       `json:"deliveries"`
	Delivered    int       `json:"delivered"`
	State        string    `json:"state,omitempty"`
	AckBy        string    `json:"acknowledged_by,omitempty"`
	AckAt        time.Time `json:"acknowledged_at,omitzero"`
	AckNote      string    `json:"acknowledgement_note,omitempty"`
	// TimeToAck is seconds from notification to acknowledgement.
	TimeToAck  float64 `json:"time_to_acknowledge_seconds,omitempty"`
	Escalation int     `json:"escalation_level,omitempty"`
}

// overview answers for one object: which of the overseen organizations
// were notified, delivered to, and acknowledged, and how fast. The caller
// must be able to see the object itself.
func (m *Module) overview(r *http.Request, object string) ([]EntityStatus, error) {
	c := caller(r)
	if _, err := m.sharing.Latest(r.Context(), c.Principal, object); err != nil {
		return nil, err
	}
	scope, err := m.overseen(r)
	if err != nil {
		return nil, err
	}
	orgs, err := m.k.Identity.Orgs(r.Context())
	if err != nil {
		return nil, err
	}
	byOrg := map[string]*EntityStatus{}
	var out []*EntityStatus
	for _, o := range orgs {
		if scope != nil && !scope[o.ID] {
			continue
		}
		e := &EntityStatus{OrgID: o.ID, OrgName: o.Name}
		byOrg[o.ID] = e
		out = append(out, e)
	}
	rows, err := m.k.DB.Reader().QueryContext(r.Context(), `SELECT `+prefixed("n", notificationColumns)+`,
		(SELECT COUNT(*) FROM notification_deliveries d WHERE d.notification_id = n.id),
		(SELECT COUNT(*) FROM notification_deliveries d WHERE d.notification_id = n.id AND d.status IN ('delivered', 'digest'))
		FROM notifications n WHERE n.stix_id = $1 OR (n.also_ids <> '' AND ' ' || n.also_ids || ' ' LIKE '% ' || $2 || ' %') ORDER BY n.created_at`, object, object)
	if err != nil {
		return nil, fmt.Errorf("notify: overview: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var total, delivered int
		n, err := scanNotification(scanExtras{rows, []any{&total, &delivered}})
		if err != nil {
			return nil, fmt.Errorf("notify: overview: %w", err)
		}
		e, ok := byOrg[n.OrgID]
		if !ok {
			continue
		}
		if e.Notified { // several reasons: keep the first, add up deliveries
			e.Deliveries += total
			e.Delivered += delivered
			continue
		}
		*e = EntityStatus{OrgID: e.OrgID, OrgName: e.OrgName, Notification: n.ID, Notified: true, NotifiedAt: n.CreatedAt, Severity: n.Severity,
			Deliveries: total, Delivered: delivered, State: n.State, AckBy: n.AckBy, AckAt: n.AckAt, AckNote: n.AckNote, Escalation: n.EscalationLevel}
		if !n.AckAt.IsZero() {
			e.TimeToAck = n.AckAt.Sub(n.CreatedAt).Seconds()
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	list := make([]EntityStatus, len(out))
	for i, e := range out {
		list[i] = *e
	}
	slices.SortStableFunc(list, func(a, b EntityStatus) int {
		if a.Notified != b.Notified {
			if a.Notified {
				return -1
			}
			return 1
		}
		return strings.Compare(a.OrgName, b.OrgName)
	})
	return list, nil
}

func (m *Module) apiOverview(w http.ResponseWriter, r *http.Request) {
	object := r.URL.Query().Get("object")
	if object == "" {
		web.WriteError(w, r, errs.E(errs.Invalid, "object: name the object, ?object=indicator--..."))
		return
	}
	list, err := m.overview(r, object)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"object": object, "organizations": list})
}

// EscalationSetting is an organization's escalation rule.
type EscalationSetting struct {
	After   string `json:"after"` // a Go duration such as "30m"; "" is the instance's --escalate-after
	Enabled bool   `json:"enabled"`
}

func (m *Module) apiGetEscalation(w http.ResponseWriter, r *http.Request) {
	s, err := m.escalationSetting(r.Context(), caller(r).User.OrgID)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, s)
}

// escalationSetting is the organization's rule, or the instance's default.
func (m *Module) escalationSetting(ctx context.Context, orgID string) (EscalationSetting, error) {
	s := EscalationSetting{After: m.k.Config.EscalateAfter.String(), Enabled: true}
	var after, enabled int64
	err := m.k.DB.Reader().QueryRowContext(ctx, `SELECT after_us, enabled FROM notification_escalation WHERE org_id = $1`, orgID).Scan(&after, &enabled)
	switch {
	case err == nil:
		s = EscalationSetting{After: (time.Duration(after) * time.Microsecond).String(), Enabled: enabled != 0}
	case err != sql.ErrNoRows:
		return s, fmt.Errorf("notify: escalation setting: %w", err)
	}
	return s, nil
}

func (m *Module) apiPutEscalation(w http.ResponseWriter, r *http.Request) {
	var s EscalationSetting
	if err := web.DecodeJSON(r, &s); err != nil {
		web.WriteError(w, r, err)
		return
	}
	s, err := m.setEscalation(r, s)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, s)
}

// setEscalation validates and saves the caller's organization's rule,
// audited; the API and the settings page share it.
func (m *Module) setEscalation(r *http.Request, s EscalationSetting) (EscalationSetting, error) {
	after := m.k.Config.EscalateAfter
	if s.After != "" {
		d, err := time.ParseDuration(s.After)
		if err != nil || d < time.Minute {
			return s, errs.E(errs.Invalid, "after: %q is not a duration of a minute or more, such as 30m.", s.After)
		}
		after = d
	}
	c := caller(r)
	err := m.k.DB.Tx(r.Context(), func(tx *sql.Tx) error {
		_, err := tx.ExecContext(r.Context(), `INSERT INTO notification_escalation (org_id, after_us, enabled, updated_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (org_id) DO UPDATE SET after_us = excluded.after_us, enabled = excluded.enabled, updated_at = excluded.updated_at`,
			c.User.OrgID, after.Microseconds(), boolInt(s.Enabled), db.Micros(time.Now()))
		if err != nil {
			return fmt.Errorf("notify: save escalation setting: %w", err)
		}
		a := actorOf(r)
		_, err = audit.Append(r.Context(), tx, m.k.DB.Engine(), audit.Entry{ActorUserID: a.UserID, ActorOrgID: a.OrgID, ActorLabel: a.Label,
			Action: "notification.escalation", TargetKind: "organization", TargetID: c.User.OrgID, OrgScope: c.User.OrgID,
			Detail: map[string]any{"after": after.String(), "enabled": s.Enabled}, RemoteAddr: a.RemoteAddr, RequestID: a.RequestID})
		return err
	})
	return EscalationSetting{After: after.String(), Enabled: s.Enabled}, err
}
