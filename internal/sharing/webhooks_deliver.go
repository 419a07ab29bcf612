package sharing

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/rampart-project/rampart/internal/platform/access"
	"github.com/rampart-project/rampart/internal/platform/audit"
	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/events"
	"github.com/rampart-project/rampart/internal/platform/identity"
)

// webhookBackoff is the wait before each retry of a failed delivery: after
// the first failure, the second, ... ; the last step repeats. Eight
// attempts span about an hour and three quarters, long enough to ride out
// a receiver's restart or a maintenance window. Tests shorten it.
var webhookBackoff = []time.Duration{time.Second, 5 * time.Second, 30 * time.Second, 2 * time.Minute, 10 * time.Minute, 30 * time.Minute, time.Hour}

const (
	// webhookMaxAttempts is how many failed attempts make a delivery dead.
	webhookMaxAttempts = 8
	webhookTimeout     = 10 * time.Second
	// webhookLease is how long a claimed delivery is left alone by other
	// processes: well past the timeout, so only a process that died while
	// sending loses its claim.
	webhookLease    = time.Minute
	webhookPoll     = 200 * time.Millisecond
	webhookBatch    = 32
	webhookParallel = 8
	// webhookConsumer is the durable consumer shared by every replica, so
	// each event becomes deliveries once.
	webhookConsumer = "sharing-webhooks"
)

// webhookDeliverer turns the store's events into deliveries, in the same
// transaction as the event's receipt, and sends what is due.
type webhookDeliverer struct {
	store   *Store
	db      *db.DB
	bus     *events.Bus
	ids     *identity.Store
	logger  *slog.Logger
	client  *http.Client
	backoff []time.Duration
	wake    chan struct{}
}

func newWebhookDeliverer(store *Store, bus *events.Bus, ids *identity.Store, logger *slog.Logger) *webhookDeliverer {
	return &webhookDeliverer{
		store: store, db: store.DB(), bus: bus, ids: ids, logger: logger.With("component", "webhooks"),
		client: NewWebhookClient(), backoff: append([]time.Duration(nil), webhookBackoff...), wake: make(chan struct{}, 1),
	}
}

// errWebhookAddress is a connection refused because of where it goes.
var errWebhookAddress = errors.New("webhooks: the address is not one a webhook may call")

// NewWebhookClient is the HTTP client for webhook receivers, of this
// module and of notifications: a timeout for the whole exchange, redirects
// followed only within the same scheme and host, and no connections to
// link-local (cloud metadata services), multicast or unspecified
// addresses, checked when connecting so that a name that resolves there
// later is refused too.
func NewWebhookClient() *http.Client {
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second,
		Control: func(_, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return err
			}
			if a, err := netip.ParseAddr(host); err != nil || !webhookAddressAllowed(a) {
				return errWebhookAddress
			}
			return nil
		}}
	return &http.Client{
		Timeout: webhookTimeout,
		Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           dialer.DialContext,
			TLSHandshakeTimeout:   5 * time.Second,
			ResponseHeaderTimeout: webhookTimeout,
			MaxIdleConnsPerHost:   webhookParallel,
			IdleConnTimeout:       90 * time.Second,
			ForceAttemptHTTP2:     true,
		},
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			first := via[0].URL
			if len(via) >= 3 || req.URL.Scheme != first.Scheme || req.URL.Host != first.Host {
				return http.ErrUseLastResponse
			}
			return nil
		},
	}
}

func (d *webhookDeliverer) wakeUp() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// consume runs the durable consumer until ctx ends, retrying its start
// while the event log cannot be reached.
func (d *webhookDeliverer) consume(ctx context.Context) error {
	wait := time.Second
	for {
		c, err := d.bus.ConsumeTx(ctx, d.db, events.ConsumerConfig{Name: webhookConsumer, Topics: []string{TopicObjectsAdded}, MaxDeliver: 10}, d.onAdded)
		if err == nil {
			<-ctx.Done()
			c.Stop()
			return nil
		}
		if ctx.Err() != nil {
			return nil
		}
		d.logger.Warn("webhook consumer cannot start; retrying", "err", err, "retry_in", wait.String())
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		wait = min(2*wait, 30*time.Second)
	}
}

// webhookPrincipal is a webhook as the access decision sees it: its
// organization and the organization's communities, with a user id that
// no user has, so that nothing meant for a named person (TLP:RED, user
// grants) ever matches it. byOrg caches the organizations' principals for
// the event at hand, so many webhooks cost one look-up per organization.
func (d *webhookDeliverer) webhookPrincipal(ctx context.Context, h Webhook, byOrg map[string]access.Principal) (access.Principal, error) {
	p, ok := byOrg[h.OrgID]
	if !ok {
		var err error
		if p, err = d.ids.OrgPrincipal(ctx, h.OrgID, ""); err != nil {
			return p, err
		}
		byOrg[h.OrgID] = p
	}
	p.UserID = "webhook:" + h.ID
	return p, nil
}

// onAdded creates the deliveries of one event, inside the transaction that
// records its receipt, so an event becomes deliveries exactly once.
func (d *webhookDeliverer) onAdded(ctx context.Context, tx *sql.Tx, e events.Event) error {
	var ev AddedEvent
	if err := e.Decode(&ev); err != nil {
		return fmt.Errorf("webhooks: decode event %s: %w", e.ID, err)
	}
	hooks, err := queryWebhooks(ctx, tx, `active = 1`)
	if err != nil {
		return err
	}
	if len(hooks) == 0 {
		// Safe to see again: an event older than a webhook is never its news.
		return events.ErrNoEffect
	}
	policy := d.store.Policy()
	type match struct {
		hook *Webhook
		obj  *AddedObject
	}
	var matches []match
	seqs := map[int64]bool{}
	byOrg := map[string]access.Principal{}
	for i := range hooks {
		h := &hooks[i]
		// An event committed before the webhook existed is not its news,
		// even when the consumer reaches it afterwards.
		if !e.Time.IsZero() && e.Time.Before(h.CreatedAt) {
			continue
		}
		p, err := d.webhookPrincipal(ctx, *h, byOrg)
		if err != nil {
			return fmt.Errorf("webhooks: principal of %s: %w", h.ID, err)
		}
		for j := range ev.Objects {
			obj := &ev.Objects[j]
			// CanSee already refuses TLP:RED to this principal; the
			// explicit test keeps it so whatever the principal becomes.
			if obj.TLP == access.Red || !h.Filter.matches(*obj) || !policy.CanSee(p, obj.Item()) {
				continue
			}
			matches = append(matches, match{h, obj})
			seqs[obj.Seq] = true
		}
	}
	if len(matches) == 0 {
		return events.ErrNoEffect
	}
	bodies, err := webhookBodies(ctx, tx, seqs)
	if err != nil {
		return err
	}
	now := time.Now()
	restricted := map[*Webhook][]string{}
	for _, m := range matches {
		body, ok := bodies[m.obj.Seq]
		if !ok {
			continue
		}
		_, added, err := enqueueDelivery(ctx, tx, m.hook.ID, WebhookObjectAdded, m.obj.ItemID,
			webhookPayload{Object: body, TLP: m.obj.TLP, Seq: m.obj.Seq}, now)
		if err != nil {
			return err
		}
		if added && m.obj.TLP == access.AmberStrict {
			restricted[m.hook] = append(restricted[m.hook], m.obj.StixID)
		}
	}
	// Restricted content leaving the instance is a read like any other.
	for h, ids := range restricted {
		for start := 0; start < len(ids); start += auditChunk {
			chunk := ids[start:min(start+auditChunk, len(ids))]
			if _, err := audit.Append(ctx, tx, d.db.Engine(), audit.Entry{
				ActorOrgID: h.OrgID, ActorLabel: "webhook:" + h.ID, Action: "object.read_restricted",
				TargetKind: "stix", TargetID: chunk[0], OrgScope: h.OrgID,
				Detail: map[string]any{"objects": chunk, "webhook": h.ID},
			}); err != nil {
				return err
			}
		}
	}
	// On SQLite the claim waits for this transaction's single writer
	// connection, so it sees these rows; elsewhere the next poll does.
	d.wakeUp()
	return nil
}

// webhookBodies reads the bytes of versions as they may leave the
// instance: with their TLP marking (see Version.Egress).
func webhookBodies(ctx context.Context, q db.Querier, seqs map[int64]bool) (map[int64][]byte, error) {
	var a access.Args
	ph := make([]string, 0, len(seqs))
	for seq := range seqs {
		ph = append(ph, a.Add(seq))
	}
	rows, err := q.QueryContext(ctx, `SELECT seq, stix_id, tlp, tlp_marked, body FROM stix_versions WHERE seq IN (`+strings.Join(ph, ", ")+`)`, a.Values...)
	if err != nil {
		return nil, fmt.Errorf("webhooks: read objects: %w", err)
	}
	defer rows.Close()
	out := make(map[int64][]byte, len(seqs))
	for rows.Next() {
		var v Version
		var tlp string
		var marked int
		if err := rows.Scan(&v.Seq, &v.StixID, &tlp, &marked, StoredJSON((*[]byte)(&v.Body))); err != nil {
			return nil, fmt.Errorf("webhooks: read objects: %w", err)
		}
		v.TLP, v.TLPMarked = access.TLP(tlp), marked != 0
		body, err := v.Egress()
		if err != nil {
			return nil, err
		}
		out[v.Seq] = body
	}
	return out, rows.Err()
}

// deliver sends due deliveries until ctx ends: at once when woken, else
// every webhookPoll, which also picks up what other replicas enqueued.
func (d *webhookDeliverer) deliver(ctx context.Context) error {
	tick := time.NewTicker(webhookPoll)
	defer tick.Stop()
	for {
		n, err := d.deliverDue(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			d.logger.Warn("webhook deliveries failed; will retry", "err", err)
		}
		if n == webhookBatch && err == nil {
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-d.wake:
		case <-tick.C:
		}
	}
}

// claimed is a delivery this process holds the lease on.
type claimed struct {
	id, webhookID, event string
	payload              []byte
	attempts             int
	lease                int64 // next_attempt_at while held; also the fence for recording the outcome
}

// claim takes up to webhookBatch due deliveries of active webhooks. The
// UPDATE re-checks status and time on each row it changes, so when two
// processes pick the same rows only one gets each; the lease keeps the
// others off until it expires.
func (d *webhookDeliverer) claim(ctx context.Context) ([]claimed, error) {
	now := time.Now()
	lease := db.Micros(now.Add(webhookLease))
	lock := ""
	if d.db.Engine() == db.Postgres {
		lock = " FOR UPDATE OF d SKIP LOCKED" // no waiting on, or deadlocking with, another replica's claim
	}
	var out []claimed
	err := d.db.Tx(ctx, func(tx *sql.Tx) error {
		out = out[:0]
		rows, err := tx.QueryContext(ctx, `UPDATE webhook_deliveries SET next_attempt_at = $1
			WHERE status = 'pending' AND next_attempt_at <= $2 AND id IN (
				SELECT d.id FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
				WHERE d.status = 'pending' AND d.next_attempt_at <= $2 AND w.active = 1
				ORDER BY d.next_attempt_at, d.id LIMIT $3 + 0`+lock+`)
			RETURNING id, webhook_id, topic, payload, attempts`, lease, db.Micros(now), webhookBatch)
		if err != nil {
			return fmt.Errorf("webhooks: claim: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			c := claimed{lease: lease}
			if err := rows.Scan(&c.id, &c.webhookID, &c.event, &c.payload, &c.attempts); err != nil {
				return fmt.Errorf("webhooks: claim: %w", err)
			}
			out = append(out, c)
		}
		return rows.Err()
	})
	return out, err
}

// deliverDue sends one batch of due deliveries, several at a time, and
// returns how many it claimed.
func (d *webhookDeliverer) deliverDue(ctx context.Context) (int, error) {
	batch, err := d.claim(ctx)
	if err != nil || len(batch) == 0 {
		return 0, err
	}
	ids := make([]string, 0, len(batch))
	for _, c := range batch {
		ids = append(ids, c.webhookID)
	}
	var a access.Args
	hooks, err := queryWebhooks(ctx, d.db.Reader(), `id IN (`+list(&a, ids)+`)`, a.Values...)
	if err != nil {
		d.releaseAll(batch)
		return 0, err
	}
	byID := map[string]Webhook{}
	for _, h := range hooks {
		byID[h.ID] = h
	}
	sem := make(chan struct{}, webhookParallel)
	var wg sync.WaitGroup
	for _, c := range batch {
		h, ok := byID[c.webhookID]
		if !ok {
			continue // deleted meanwhile, with its deliveries
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			d.attempt(ctx, h, c)
		}()
	}
	wg.Wait()
	return len(batch), nil
}

// sendResult is what one attempt came to.
type sendResult struct {
	status int    // the receiver's HTTP status, 0 if there was none
	err    string // why it failed, in words safe to show the webhook's owners
}

func (r sendResult) ok() bool { return r.err == "" && r.status >= 200 && r.status < 300 }

// attempt sends one delivery and records the outcome. One interrupted by
// shutdown is handed back without counting as an attempt.
func (d *webhookDeliverer) attempt(ctx context.Context, h Webhook, c claimed) {
	res := d.send(ctx, h, c)
	if ctx.Err() != nil && !res.ok() {
		d.releaseAll([]claimed{c})
		return
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := d.record(rctx, h, c, res); err != nil {
		d.logger.Error("recording a webhook delivery failed; it will be sent again after its lease", "delivery", c.id, "err", err)
	}
}

func (d *webhookDeliverer) send(ctx context.Context, h Webhook, c claimed) sendResult {
	ctx, cancel := context.WithTimeout(ctx, webhookTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.URL, bytes.NewReader(c.payload))
	if err != nil {
		return sendResult{err: "the URL cannot be called"}
	}
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Rampart-Webhooks/1")
	req.Header.Set(HeaderWebhookEvent, c.event)
	req.Header.Set(HeaderWebhookDelivery, c.id)
	req.Header.Set(HeaderWebhookTimestamp, ts)
	req.Header.Set(HeaderWebhookSignature, SignWebhook(h.Secret, ts, c.payload))
	resp, err := d.client.Do(req)
	if err != nil {
		return sendResult{err: describeSendError(err)}
	}
	// Read a little of the answer so the connection can be reused; none
	// of it is kept, so a webhook cannot be used to read other servers'
	// pages through the delivery log.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	res := sendResult{status: resp.StatusCode}
	switch {
	case res.ok():
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		res.err = fmt.Sprintf("HTTP %d: redirects to another host or scheme are not followed", resp.StatusCode)
	default:
		res.err = fmt.Sprintf("HTTP %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	return res
}

// describeSendError says why a request failed in a few coarse words:
// enough for the receiver's owners to act on, too little to map the
// instance's network with.
func describeSendError(err error) string {
	var netErr net.Error
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var unknownAuthority x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	switch {
	case errors.Is(err, errWebhookAddress):
		return "refused: the address is link-local, multicast or unspecified"
	case errors.As(err, &dnsErr):
		return "the host name does not resolve"
	case errors.As(err, &certErr), errors.As(err, &unknownAuthority), errors.As(err, &hostErr):
		return "the TLS certificate was not accepted"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return fmt.Sprintf("no answer within %s", webhookTimeout)
	default:
		return "the connection failed"
	}
}

// record stores the outcome of an attempt, if this process still holds
// the delivery: a process that lost its lease (it took longer than the
// lease) leaves the row to the one that took it over.
func (d *webhookDeliverer) record(ctx context.Context, h Webhook, c claimed, res sendResult) error {
	now := time.Now()
	attempts := c.attempts + 1
	return d.db.Tx(ctx, func(tx *sql.Tx) error {
		status, next, delivered := DeliveryPending, int64(0), int64(0)
		switch {
		case res.ok():
			status, delivered = DeliveryDelivered, db.Micros(now)
		case res.status == http.StatusGone:
			status = DeliveryDead
		case attempts >= webhookMaxAttempts:
			status = DeliveryDead
		default:
			next = db.Micros(now.Add(d.backoff[min(attempts-1, len(d.backoff)-1)]))
		}
		if next == 0 {
			next = db.Micros(now)
		}
		r, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET status = $1, attempts = $2, next_attempt_at = $3, last_error = $4,
			last_status = $5, delivered_at = $6 WHERE id = $7 AND status = 'pending' AND next_attempt_at = $8`,
			status, attempts, next, webhookClip(res.err, 500), res.status, delivered, c.id, c.lease)
		if err != nil {
			return fmt.Errorf("webhooks: record delivery: %w", err)
		}
		if n, _ := r.RowsAffected(); n == 0 || res.status != http.StatusGone {
			return nil
		}
		return d.disable(ctx, tx, h, c.id)
	})
}

// disable turns a webhook off after its receiver answered 410 Gone, which
// says the endpoint is gone for good, and gives up its other pending
// deliveries.
func (d *webhookDeliverer) disable(ctx context.Context, tx *sql.Tx, h Webhook, deliveryID string) error {
	if _, err := tx.ExecContext(ctx, `UPDATE webhooks SET active = 0 WHERE id = $1`, h.ID); err != nil {
		return fmt.Errorf("webhooks: disable: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET status = 'dead', last_error = $1
		WHERE webhook_id = $2 AND status = 'pending'`, "not sent: the webhook was disabled after its receiver answered 410 Gone", h.ID); err != nil {
		return fmt.Errorf("webhooks: disable: %w", err)
	}
	_, err := audit.Append(ctx, tx, d.db.Engine(), audit.Entry{
		ActorLabel: "system", Action: "webhook.disable", TargetKind: "webhook", TargetID: h.ID, OrgScope: h.OrgID,
		Detail: map[string]any{"reason": "410 Gone", "delivery": deliveryID},
	})
	return err
}

// releaseAll hands claimed deliveries back at once, without counting an
// attempt.
func (d *webhookDeliverer) releaseAll(batch []claimed) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := d.db.Tx(ctx, func(tx *sql.Tx) error {
		now := db.Micros(time.Now())
		for _, c := range batch {
			if _, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET next_attempt_at = $1 WHERE id = $2 AND status = 'pending' AND next_attempt_at = $3`,
				now, c.id, c.lease); err != nil {
				return fmt.Errorf("webhooks: release: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		d.logger.Warn("releasing webhook deliveries failed; they wait for their lease", "err", err)
	}
}

func webhookClip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
