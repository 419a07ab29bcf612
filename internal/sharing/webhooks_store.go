package sharing

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/rampart-project/rampart/internal/platform/access"
	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/errs"
)

func (f WebhookFilter) matches(obj AddedObject) bool {
	if len(f.Collections) > 0 {
		if !slices.ContainsFunc(obj.Collections, func(c string) bool { return slices.Contains(f.Collections, c) }) {
			return false
		}
	} else if !obj.Stored {
		return false
	}
	if len(f.Types) > 0 && !slices.Contains(f.Types, obj.Type) {
		return false
	}
	return len(f.TLP) == 0 || slices.Contains(f.TLP, obj.TLP)
}

// normalize checks the filter and puts it in its stored form.
func (f *WebhookFilter) normalize() error {
	types := []string{}
	for _, t := range f.Types {
		t = strings.ToLower(strings.TrimSpace(t))
		if !webhookTypeName(t) {
			return errs.E(errs.Invalid, "filter.types: %q is not a STIX type name such as indicator.", t)
		}
		if !slices.Contains(types, t) {
			types = append(types, t)
		}
	}
	tlps := []access.TLP{}
	for _, t := range f.TLP {
		level, err := access.ParseTLP(string(t))
		if err != nil {
			return errs.E(errs.Invalid, "filter.tlp: %v", err)
		}
		if level == access.Red {
			return errs.E(errs.Invalid, "filter.tlp: TLP:RED is for named people only and never goes to a webhook.")
		}
		if !slices.Contains(tlps, level) {
			tlps = append(tlps, level)
		}
	}
	colls := []string{}
	for _, c := range f.Collections {
		if c = strings.TrimSpace(c); c == "" {
			return errs.E(errs.Invalid, "filter.collections: a collection id is empty.")
		}
		if !slices.Contains(colls, c) {
			colls = append(colls, c)
		}
	}
	f.Types, f.TLP, f.Collections = types, tlps, colls
	return nil
}

func webhookTypeName(s string) bool {
	if s == "" || len(s) > 250 || s[0] == '-' {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

// maxWebhooksPerOrg keeps one organization from making the instance post
// the same object to many places.
const maxWebhooksPerOrg = 25

// checkWebhookURL returns the URL in the form it is stored and called, or
// an Invalid error that says what is wrong.
func checkWebhookURL(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.Opaque != "" {
		return "", errs.E(errs.Invalid, "url: %q is not an absolute http:// or https:// URL.", raw)
	}
	if len(raw) > 2000 {
		return "", errs.E(errs.Invalid, "url: a webhook URL has at most 2,000 characters.")
	}
	if u.User != nil {
		return "", errs.E(errs.Invalid, "url: put no user name or password in the URL; receivers check the %s header instead.", HeaderWebhookSignature)
	}
	if u.Fragment != "" {
		return "", errs.E(errs.Invalid, "url: a fragment (#...) is never sent; leave it out.")
	}
	if a, err := netip.ParseAddr(strings.Trim(u.Hostname(), "[]")); err == nil && !webhookAddressAllowed(a) {
		return "", errs.E(errs.Invalid, "url: %s is a link-local, multicast or unspecified address, which webhooks may not call.", a)
	}
	return u.String(), nil
}

// webhookAddressAllowed refuses addresses no receiver legitimately has.
// Link-local covers the metadata services of cloud hosts (169.254.169.254),
// which would hand out the server's own credentials.
func webhookAddressAllowed(a netip.Addr) bool {
	a = a.Unmap()
	return !(a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() || a.IsInterfaceLocalMulticast() || a.IsMulticast() ||
		a.IsUnspecified() || a == netip.AddrFrom4([4]byte{255, 255, 255, 255}))
}

func newWebhookSecret() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return "whsec_" + hex.EncodeToString(b[:])
}

// CreateWebhook adds a webhook inside tx, with a new id and secret (set on
// h). It checks the URL and the filter; that the filter's collections
// exist and the creator may read them is the caller's to check. Returns
// Invalid or Conflict.
func (s *Store) CreateWebhook(ctx context.Context, tx *sql.Tx, h *Webhook) error {
	u, err := checkWebhookURL(h.URL)
	if err != nil {
		return err
	}
	if err := h.Filter.normalize(); err != nil {
		return err
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM webhooks WHERE org_id = $1`, h.OrgID).Scan(&n); err != nil {
		return fmt.Errorf("sharing: count webhooks: %w", err)
	}
	if n >= maxWebhooksPerOrg {
		return errs.E(errs.Conflict, "An organization may have at most %d webhooks; delete one first.", maxWebhooksPerOrg)
	}
	filter, err := json.Marshal(h.Filter)
	if err != nil {
		return fmt.Errorf("sharing: webhook filter: %w", err)
	}
	h.ID, h.URL, h.Secret, h.Active = newID(), u, newWebhookSecret(), true
	h.CreatedAt = time.Now().UTC().Truncate(time.Microsecond)
	_, err = tx.ExecContext(ctx, `INSERT INTO webhooks (id, org_id, created_by, url, secret, filter, active, created_at) VALUES ($1, $2, $3, $4, $5, $6, 1, $7)`,
		h.ID, h.OrgID, h.CreatedBy, h.URL, h.Secret, string(filter), db.Micros(h.CreatedAt))
	if err != nil {
		return fmt.Errorf("sharing: create webhook: %w", err)
	}
	return nil
}

const webhookColumns = `id, org_id, created_by, url, secret, filter, active, created_at`

func scanWebhook(sc scanner) (Webhook, error) {
	var h Webhook
	var filter string
	var active int
	var created int64
	if err := sc.Scan(&h.ID, &h.OrgID, &h.CreatedBy, &h.URL, &h.Secret, &filter, &active, &created); err != nil {
		return h, err
	}
	if err := json.Unmarshal([]byte(filter), &h.Filter); err != nil {
		return h, fmt.Errorf("sharing: webhook %s filter: %w", h.ID, err)
	}
	h.Active, h.CreatedAt = active != 0, db.FromMicros(created)
	return h, nil
}

func queryWebhooks(ctx context.Context, q db.Querier, where string, args ...any) ([]Webhook, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+webhookColumns+` FROM webhooks WHERE `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("sharing: webhooks: %w", err)
	}
	defer rows.Close()
	var out []Webhook
	for rows.Next() {
		h, err := scanWebhook(rows)
		if err != nil {
			return nil, fmt.Errorf("sharing: webhooks: %w", err)
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// Webhooks lists an organization's webhooks, oldest first, without their
// secrets.
func (s *Store) Webhooks(ctx context.Context, orgID string) ([]Webhook, error) {
	hooks, err := queryWebhooks(ctx, s.db.Reader(), `org_id = $1 ORDER BY created_at, id`, orgID)
	for i := range hooks {
		hooks[i].Secret = ""
	}
	return hooks, err
}

// orgWebhook returns one of an organization's webhooks, with its secret.
// Returns NotFound when it does not exist or belongs to another
// organization, which is not to learn that it exists.
func (s *Store) orgWebhook(ctx context.Context, q db.Querier, orgID, id string) (Webhook, error) {
	h, err := scanWebhook(q.QueryRowContext(ctx, `SELECT `+webhookColumns+` FROM webhooks WHERE id = $1 AND org_id = $2`, id, orgID))
	if errors.Is(err, sql.ErrNoRows) {
		return h, errs.E(errs.NotFound, "There is no webhook %q.", id)
	}
	if err != nil {
		return h, fmt.Errorf("sharing: webhook: %w", err)
	}
	return h, nil
}

// deleteWebhook removes an organization's webhook and, by cascade, its
// deliveries. Returns NotFound.
func (s *Store) deleteWebhook(ctx context.Context, tx *sql.Tx, orgID, id string) (Webhook, error) {
	h, err := s.orgWebhook(ctx, tx, orgID, id)
	if err != nil {
		return h, err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM webhook_deliveries WHERE webhook_id = $1`, id); err != nil {
		return h, fmt.Errorf("sharing: delete webhook deliveries: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM webhooks WHERE id = $1 AND org_id = $2`, id, orgID); err != nil {
		return h, fmt.Errorf("sharing: delete webhook: %w", err)
	}
	return h, nil
}

// The statuses of a delivery.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryDead      = "dead"
)

// The events a webhook receives.
const (
	WebhookObjectAdded = "object.added"
	WebhookPing        = "ping"
)

// Delivery is one message to a webhook and what became of it.
type Delivery struct {
	ID        string `json:"id"`
	WebhookID string `json:"webhook_id"`
	Event     string `json:"event"`      // object.added or ping
	SubjectID string `json:"subject_id"` // the version's item id, for object.added
	Status    string `json:"status"`     // pending, delivered or dead
	Attempts  int    `json:"attempts"`
	// NextAttemptAt is when a pending delivery is (re)tried.
	NextAttemptAt time.Time `json:"next_attempt_at,omitzero"`
	LastError     string    `json:"last_error,omitempty"`
	LastStatus    int       `json:"last_status,omitempty"` // the receiver's last HTTP status
	CreatedAt     time.Time `json:"created_at"`
	DeliveredAt   time.Time `json:"delivered_at,omitzero"`
}

const deliveryColumns = `id, webhook_id, topic, subject_id, status, attempts, next_attempt_at, last_error, last_status, created_at, delivered_at`

// MaxDeliveriesListed bounds a list of deliveries.
const MaxDeliveriesListed = 500

// Deliveries lists the newest deliveries of an organization's webhook.
// Returns NotFound for another organization's.
func (s *Store) Deliveries(ctx context.Context, orgID, webhookID string, limit int) ([]Delivery, error) {
	if _, err := s.orgWebhook(ctx, s.db.Reader(), orgID, webhookID); err != nil {
		return nil, err
	}
	if limit <= 0 || limit > MaxDeliveriesListed {
		limit = 50
	}
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries WHERE webhook_id = $1
		ORDER BY created_at DESC, id DESC LIMIT $2 + 0`, webhookID, limit)
	if err != nil {
		return nil, fmt.Errorf("sharing: deliveries: %w", err)
	}
	defer rows.Close()
	out := []Delivery{}
	for rows.Next() {
		var d Delivery
		var next, created, delivered int64
		if err := rows.Scan(&d.ID, &d.WebhookID, &d.Event, &d.SubjectID, &d.Status, &d.Attempts, &next, &d.LastError, &d.LastStatus,
			&created, &delivered); err != nil {
			return nil, fmt.Errorf("sharing: deliveries: %w", err)
		}
		d.CreatedAt = db.FromMicros(created)
		if d.Status == DeliveryPending {
			d.NextAttemptAt = db.FromMicros(next)
		}
		if delivered != 0 {
			d.DeliveredAt = db.FromMicros(delivered)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// webhookPayload is the body of a delivery.
type webhookPayload struct {
	Event    string          `json:"event"`
	Delivery string          `json:"delivery"`
	Webhook  string          `json:"webhook,omitempty"` // pings name the webhook they test
	Object   json.RawMessage `json:"object,omitempty"`
	TLP      access.TLP      `json:"tlp,omitempty"`
	Seq      int64           `json:"seq,omitempty"`
}

// enqueueDelivery inserts a pending delivery unless the webhook has one for
// the same event and subject already, and reports whether it did. The body
// is built with the delivery's id, which receivers use to recognise a
// retry.
func enqueueDelivery(ctx context.Context, tx *sql.Tx, webhookID, event, subjectID string, p webhookPayload, now time.Time) (Delivery, bool, error) {
	d := Delivery{ID: newID(), WebhookID: webhookID, Event: event, SubjectID: subjectID, Status: DeliveryPending,
		NextAttemptAt: now, CreatedAt: now.UTC().Truncate(time.Microsecond)}
	p.Event, p.Delivery = event, d.ID
	body, err := json.Marshal(p)
	if err != nil {
		return d, false, fmt.Errorf("sharing: delivery payload: %w", err)
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO webhook_deliveries (id, webhook_id, topic, subject_id, payload, status, attempts, next_attempt_at, created_at)
		VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, $7) ON CONFLICT (webhook_id, topic, subject_id) DO NOTHING`,
		d.ID, webhookID, event, subjectID, body, db.Micros(now), db.Micros(d.CreatedAt))
	if err != nil {
		return d, false, fmt.Errorf("sharing: enqueue delivery: %w", err)
	}
	n, err := res.RowsAffected()
	return d, n == 1, err
}
