package notify

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/wneessen/go-mail"

	"github.com/rampart-project/rampart/internal/platform/access"
	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/errs"
	"github.com/rampart-project/rampart/internal/sharing"
)

// The delivery channels and statuses.
const (
	ChannelEmail   = "email"
	ChannelWebhook = "webhook"

	deliveryPending   = "pending"
	deliveryDelivered = "delivered"
	deliveryDigest    = "digest" // sent as part of a digest e-mail
	deliveryDead      = "dead"
	deliveryMax       = 8
)

// deliveryBackoff is the wait before each retry; the last step repeats.
var deliveryBackoff = []time.Duration{time.Second, 5 * time.Second, 30 * time.Second, 2 * time.Minute, 10 * time.Minute, time.Hour}

// Preference is what one user wants to be told.
type Preference struct {
	Channels    []string `json:"channels"`     // email; the inbox and stream are always on
	MinSeverity Severity `json:"min_severity"` // nothing below it is e-mailed
	Mode        string   `json:"mode"`         // immediate or digest
}

func defaultPreference() Preference {
	return Preference{Channels: []string{ChannelEmail}, MinSeverity: SeverityLow, Mode: "immediate"}
}

// enqueue creates the deliveries of a new notification in the transaction
// that created it: an e-mail for each of the organization's users who want
// one at this severity, and a call of each of the organization's webhooks.
func (m *Module) enqueue(ctx context.Context, tx *sql.Tx, n Notification, now time.Time) error {
	us := db.Micros(now)
	rows, err := tx.QueryContext(ctx, `SELECT u.id, u.email, COALESCE(p.channels, 'email'), COALESCE(p.min_severity, 'low')
		FROM users u LEFT JOIN notification_preferences p ON p.user_id = u.id WHERE u.org_id = $1 AND NOT u.disabled`, n.OrgID)
	if err != nil {
		return fmt.Errorf("notify: recipients: %w", err)
	}
	type rcpt struct{ id, email string }
	var rcpts []rcpt
	for rows.Next() {
		var r rcpt
		var channels, minSev string
		if err := rows.Scan(&r.id, &r.email, &channels, &minSev); err != nil {
			rows.Close()
			return fmt.Errorf("notify: recipients: %w", err)
		}
		if strings.Contains(channels, ChannelEmail) && n.Severity.Rank() >= Severity(minSev).Rank() {
			rcpts = append(rcpts, r)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("notify: recipients: %w", err)
	}
	if m.k.Config.SMTPURL != "" {
		for _, r := range rcpts {
			if err := insertDelivery(ctx, tx, n.ID, r.id, ChannelEmail, r.email, us); err != nil {
				return err
			}
		}
	}
	hooks, err := tx.QueryContext(ctx, `SELECT id FROM notification_webhooks WHERE org_id = $1 AND active = 1`, n.OrgID)
	if err != nil {
		return fmt.Errorf("notify: webhooks: %w", err)
	}
	var ids []string
	for hooks.Next() {
		var id string
		if err := hooks.Scan(&id); err != nil {
			hooks.Close()
			return fmt.Errorf("notify: webhooks: %w", err)
		}
		ids = append(ids, id)
	}
	hooks.Close()
	for _, id := range ids {
		if err := insertDelivery(ctx, tx, n.ID, "", ChannelWebhook, id, us); err != nil {
			return err
		}
	}
	m.wakeUp()
	return nil
}

func insertDelivery(ctx context.Context, tx *sql.Tx, notificationID, userID, channel, target string, us int64) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO notification_deliveries (id, notification_id, user_id, channel, target, created_at, next_at)
		VALUES ($1, $2, $3, $4, $5, $6, $6)`, newID(), notificationID, userID, channel, target, us)
	if err != nil {
		return fmt.Errorf("notify: insert delivery: %w", err)
	}
	return nil
}

// deliverLoop sends what is due until ctx ends: woken by new deliveries,
// and polling for retries and for rows other replicas wrote.
func (m *Module) deliverLoop(ctx context.Context) {
	t := time.NewTicker(m.opts.DeliveryPoll)
	defer t.Stop()
	for {
		if err := m.deliverDue(ctx); err != nil && ctx.Err() == nil {
			m.logger.Error("notify: deliveries", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-m.wake:
		case <-t.C:
		}
	}
}

type delivery struct {
	id, notificationID, userID, channel, target string
	attempts                                    int
	created                                     int64
}

// deliverDue sends the pending deliveries whose time has come. E-mail to a
// user who prefers digests, or who has had FloodLimit e-mails within
// FloodWindow, waits and goes out as one digest: a flood of indicators is
// one message, not ten thousand.
func (m *Module) deliverDue(ctx context.Context) error {
	now := m.opts.Now()
	rows, err := m.k.DB.Reader().QueryContext(ctx, `SELECT id, notification_id, user_id, channel, target, attempts, created_at
		FROM notification_deliveries WHERE status = 'pending' AND next_at <= $1 ORDER BY created_at LIMIT 500`, db.Micros(now))
	if err != nil {
		return fmt.Errorf("notify: due deliveries: %w", err)
	}
	var due []delivery
	for rows.Next() {
		var d delivery
		if err := rows.Scan(&d.id, &d.notificationID, &d.userID, &d.channel, &d.target, &d.attempts, &d.created); err != nil {
			rows.Close()
			return fmt.Errorf("notify: due deliveries: %w", err)
		}
		due = append(due, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	emails := map[string][]delivery{}
	var order []string
	for _, d := range due {
		if d.channel == ChannelWebhook {
			m.finishAs(ctx, d, m.sendWebhook(ctx, d), deliveryDelivered, m.opts.Now())
			continue
		}
		if _, ok := emails[d.target]; !ok {
			order = append(order, d.target)
		}
		emails[d.target] = append(emails[d.target], d)
	}
	for _, to := range order {
		list := emails[to]
		pref, err := m.preference(ctx, list[0].userID)
		if err != nil {
			return err
		}
		sent, err := m.sentSince(ctx, to, now.Add(-m.opts.FloodWindow))
		if err != nil {
			return err
		}
		oldest := now.Sub(db.FromMicros(list[0].created))
		switch {
		case pref.Mode == "digest":
			// A digest user gets one message per period.
			if oldest < m.opts.DigestEvery {
				continue
			}
		case sent+len(list) <= m.opts.FloodLimit:
			for _, d := range list {
				m.finishAs(ctx, d, m.sendEmail(ctx, d), deliveryDelivered, m.opts.Now())
			}
			continue
		case sent >= m.opts.FloodLimit && oldest < m.opts.FloodWindow:
			// Flooded already: collect until the window has passed.
			continue
		}
		err = m.sendDigest(ctx, to, list)
		at := m.opts.Now()
		for _, d := range list {
			m.finishAs(ctx, d, err, deliveryDigest, at)
		}
	}
	return nil
}

func (m *Module) preference(ctx context.Context, userID string) (Preference, error) {
	p := defaultPreference()
	if userID == "" {
		return p, nil
	}
	var channels, minSev, mode string
	err := m.k.DB.Reader().QueryRowContext(ctx, `SELECT channels, min_severity, mode FROM notification_preferences WHERE user_id = $1`, userID).
		Scan(&channels, &minSev, &mode)
	if err == sql.ErrNoRows {
		return p, nil
	}
	if err != nil {
		return p, fmt.Errorf("notify: preference: %w", err)
	}
	chans := []string{}
	if channels != "" {
		chans = strings.Split(channels, ",")
	}
	return Preference{Channels: chans, MinSeverity: Severity(minSev), Mode: mode}, nil
}

// sentSince counts the e-mail messages sent to an address since t: each
// immediate one, and each digest once (its rows share delivered_at).
func (m *Module) sentSince(ctx context.Context, to string, t time.Time) (int, error) {
	var n int
	err := m.k.DB.Reader().QueryRowContext(ctx, `SELECT COUNT(DISTINCT CASE WHEN status = 'digest' THEN delivered_at END)
		+ COUNT(CASE WHEN status = 'delivered' THEN 1 END) FROM notification_deliveries WHERE channel = 'email' AND target = $1
		AND status IN ('delivered', 'digest') AND delivered_at >= $2`, to, db.Micros(t)).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("notify: sent count: %w", err)
	}
	return n, nil
}

// finishAs records an attempt: delivered (as status), or failed with the
// next try scheduled, or dead after deliveryMax attempts.
func (m *Module) finishAs(ctx context.Context, d delivery, sendErr error, status string, now time.Time) {
	attempts := d.attempts + 1
	var err error
	if sendErr == nil {
		err = m.exec(ctx, `UPDATE notification_deliveries SET status = $1, attempts = $2, error = '', delivered_at = $3 WHERE id = $4`,
			status, attempts, db.Micros(now), d.id)
	} else {
		next, st := now.Add(deliveryBackoff[min(attempts-1, len(deliveryBackoff)-1)]), deliveryPending
		if attempts >= deliveryMax {
			st = deliveryDead
		}
		msg := sendErr.Error()
		if len(msg) > 500 {
			msg = msg[:500]
		}
		err = m.exec(ctx, `UPDATE notification_deliveries SET status = $1, attempts = $2, error = $3, next_at = $4 WHERE id = $5`,
			st, attempts, msg, db.Micros(next), d.id)
		m.logger.Warn("notify: delivery failed", "delivery", d.id, "channel", d.channel, "attempts", attempts, "err", sendErr)
	}
	if err != nil && ctx.Err() == nil {
		m.logger.Error("notify: record delivery", "delivery", d.id, "err", err)
	}
}

func (m *Module) exec(ctx context.Context, query string, args ...any) error {
	return m.k.DB.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, query, args...)
		return err
	})
}

// link is the address of a page of the instance.
func (m *Module) link(path string) string {
	base := strings.TrimSuffix(m.k.Config.PublicURL, "/")
	if base == "" {
		base = "http://" + m.k.Config.Addr
	}
	return base + path
}

// mailClient builds the SMTP client from --smtp-url: smtp://user:pass@host:port
// uses STARTTLS when the server offers it (add ?starttls=required to refuse
// a server that does not), smtps:// TLS from the first byte.
func mailClient(raw string) (*mail.Client, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("notify: --smtp-url: %w", err)
	}
	port := 587
	opts := []mail.Option{mail.WithTimeout(15 * time.Second)}
	switch u.Scheme {
	case "smtp":
		policy := mail.TLSOpportunistic
		if u.Query().Get("starttls") == "required" {
			policy = mail.TLSMandatory
		}
		opts = append(opts, mail.WithTLSPolicy(policy))
	case "smtps":
		port = 465
		opts = append(opts, mail.WithSSL())
	default:
		return nil, fmt.Errorf("notify: --smtp-url: scheme %q: use smtp or smtps", u.Scheme)
	}
	if p := u.Port(); p != "" {
		if port, err = strconv.Atoi(p); err != nil {
			return nil, fmt.Errorf("notify: --smtp-url: port: %w", err)
		}
	}
	opts = append(opts, mail.WithPort(port))
	if u.User != nil {
		pw, _ := u.User.Password()
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthPlain), mail.WithUsername(u.User.Username()), mail.WithPassword(pw))
	}
	c, err := mail.NewClient(u.Hostname(), opts...)
	if err != nil {
		return nil, fmt.Errorf("notify: smtp client: %w", err)
	}
	return c, nil
}

var mailHTML = template.Must(template.New("mail").Parse(`<!doctype html><html><body>
<p><strong>{{.TLP}}</strong></p>
{{range .Items}}<h2>{{.Title}}</h2>
<p>Severity: {{.Severity}}{{if .Uncertain}} (possible match){{end}}</p>
{{if .Reason}}<p>Why it concerns your organization: {{.Reason}}</p>{{end}}
<p><a href="{{.Link}}">{{.Link}}</a></p>{{end}}
<p><strong>{{.TLP}}</strong></p></body></html>`))

type mailItem struct {
	Title, Severity, Reason, Link string
	Uncertain                     bool
}

// mailContent is what an e-mail may say about a notification. TLP:RED
// never goes by e-mail (org-wide notices never carry it; the rule is
// repeated here so that it holds whatever reaches this function): only a
// link.
func (m *Module) mailContent(n Notification) mailItem {
	it := mailItem{Title: n.Title, Severity: severityLabel(n.Severity), Reason: n.Reason, Link: m.link("/notifications/" + n.ID), Uncertain: n.Uncertain}
	if n.TLP == string(access.Red) {
		it.Title, it.Reason = "A TLP:RED notification", ""
	}
	return it
}

func (m *Module) sendEmail(ctx context.Context, d delivery) error {
	n, err := getNotification(ctx, m.k.DB.Reader(), d.notificationID)
	if err != nil {
		return err
	}
	item := m.mailContent(n)
	return m.mail(ctx, d.target, "[TLP:"+n.TLP+"] "+item.Severity+": "+item.Title, "TLP:"+n.TLP, []mailItem{item})
}

func (m *Module) sendDigest(ctx context.Context, to string, list []delivery) error {
	top := access.Clear
	var items []mailItem
	for _, d := range list {
		n, err := getNotification(ctx, m.k.DB.Reader(), d.notificationID)
		if err != nil {
			return err
		}
		if access.TLP(n.TLP).Rank() > top.Rank() {
			top = access.TLP(n.TLP)
		}
		items = append(items, m.mailContent(n))
	}
	return m.mail(ctx, to, fmt.Sprintf("[TLP:%s] Digest: %d notifications", top, len(items)), "TLP:"+string(top), items)
}

func (m *Module) mail(ctx context.Context, to, subject, tlp string, items []mailItem) error {
	if m.k.Config.SMTPURL == "" {
		return errs.E(errs.Unavailable, "No SMTP server is configured.")
	}
	msg := mail.NewMsg()
	if err := msg.From(m.k.Config.SMTPFrom); err != nil {
		return fmt.Errorf("notify: from: %w", err)
	}
	if err := msg.To(to); err != nil {
		return fmt.Errorf("notify: to: %w", err)
	}
	msg.Subject(subject)
	msg.SetDate()
	msg.SetMessageID()
	var text strings.Builder
	fmt.Fprintf(&text, "%s\n\n", tlp)
	for _, it := range items {
		fmt.Fprintf(&text, "%s\nSeverity: %s\n", it.Title, it.Severity)
		if it.Reason != "" {
			fmt.Fprintf(&text, "Why it concerns your organization: %s\n", it.Reason)
		}
		fmt.Fprintf(&text, "%s\n\n", it.Link)
	}
	fmt.Fprintf(&text, "%s\n", tlp)
	var html bytes.Buffer
	if err := mailHTML.Execute(&html, map[string]any{"TLP": tlp, "Items": items}); err != nil {
		return fmt.Errorf("notify: mail body: %w", err)
	}
	msg.SetBodyString(mail.TypeTextPlain, text.String())
	msg.AddAlternativeString(mail.TypeTextHTML, html.String())
	c, err := mailClient(m.k.Config.SMTPURL)
	if err != nil {
		return err
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("notify: send mail: %w", err)
	}
	return nil
}

// WebhookEvent is the X-Rampart-Event of a notification delivery.
const WebhookEvent = "notification.created"

// webhookBody is what a notification webhook receives. TLP:RED is never
// sent (org-wide notices never carry it).
type webhookBody struct {
	Notification Notification `json:"notification"`
	Link         string       `json:"link"`
}

func (m *Module) sendWebhook(ctx context.Context, d delivery) error {
	var target, secret string
	if err := m.k.DB.Reader().QueryRowContext(ctx, `SELECT url, secret FROM notification_webhooks WHERE id = $1 AND active = 1`, d.target).
		Scan(&target, &secret); err != nil {
		return fmt.Errorf("notify: webhook %s: %w", d.target, err)
	}
	n, err := getNotification(ctx, m.k.DB.Reader(), d.notificationID)
	if err != nil {
		return err
	}
	if n.TLP == string(access.Red) {
		return nil
	}
	body, err := json.Marshal(webhookBody{Notification: n, Link: m.link("/notifications/" + n.ID)})
	if err != nil {
		return fmt.Errorf("notify: webhook body: %w", err)
	}
	ts := strconv.FormatInt(m.opts.Now().Unix(), 10)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("notify: webhook request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(sharing.HeaderWebhookEvent, WebhookEvent)
	req.Header.Set(sharing.HeaderWebhookDelivery, d.id)
	req.Header.Set(sharing.HeaderWebhookTimestamp, ts)
	req.Header.Set(sharing.HeaderWebhookSignature, sharing.SignWebhook(secret, ts, body))
	resp, err := m.client.Do(req)
	if err != nil {
		return fmt.Errorf("notify: webhook: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("notify: webhook answered %s", resp.Status)
	}
	return nil
}
