package sharing

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/rampart-project/rampart/internal/platform/access"
	"github.com/rampart-project/rampart/internal/platform/audit"
	"github.com/rampart-project/rampart/internal/platform/errs"
	"github.com/rampart-project/rampart/internal/platform/web"
)

// Webhook is an organization's subscription to the objects it may see:
// its administrators register a URL to which the instance POSTs each new
// object that passes the access decision for the organization and the
// filter, signed with Secret.
//
//	GET    /api/v1/webhooks                    the caller's organization's webhooks
//	POST   /api/v1/webhooks                    {"url": "https://...", "filter": {"types": [...], "collections": [...], "tlp": [...]}}
//	                                           (org_admin, coordinator); the answer holds the secret, shown this once
//	DELETE /api/v1/webhooks/{id}               (org_admin, coordinator)
//	GET    /api/v1/webhooks/{id}/deliveries    the newest deliveries (?limit=, at most 500): status, attempts, last error
//	POST   /api/v1/webhooks/{id}/test          sends a ping (org_admin, coordinator)
//
// What a webhook receives is decided for its organization — the
// organization and its communities, not any one person — so TLP:RED, which
// names people, is never sent, and TLP:AMBER+STRICT only when the
// organization is in the audience (each such delivery is in the audit
// log). Another organization's webhook is reported as absent (404).
//
// Each delivery is a POST with a JSON body:
//
//	{"event": "object.added", "delivery": "<id>", "object": {<the STIX object>}, "tlp": "AMBER", "seq": 1234}
//	{"event": "ping", "delivery": "<id>", "webhook": "<webhook id>"}
//
// and these headers:
//
//	X-Rampart-Event: object.added            (or ping)
//	X-Rampart-Delivery: <id>                 the same on every retry: use it to drop duplicates
//	X-Rampart-Timestamp: 1767225600          Unix seconds when this attempt was signed
//	X-Rampart-Signature: sha256=<hex>        HMAC-SHA256(secret, timestamp + "." + body)
//
// To verify, compute HMAC-SHA256 keyed with the secret (the whole
// "whsec_..." string as shown at creation) over the X-Rampart-Timestamp
// value, a full stop, and the raw request body exactly as received;
// compare its lower-case hex with the signature in constant time; and
// refuse timestamps more than five minutes from your clock. In Go,
// VerifySignature does the first two steps.
//
// Any 2xx answer within 10 seconds counts as delivered. Anything else is
// retried after 1 s, 5 s, 30 s, 2 min, 10 min, 30 min and 1 h; after the
// eighth failure the delivery is dead, with its last error kept. 410 Gone
// disables the webhook. Deliveries are at least once and not ordered: seq
// gives the store's order. Redirects are followed only to the same scheme
// and host; link-local, multicast and unspecified addresses are refused.
type Webhook struct {
	ID        string        `json:"id"`
	OrgID     string        `json:"org_id"`
	CreatedBy string        `json:"created_by"`
	URL       string        `json:"url"`
	Filter    WebhookFilter `json:"filter"`
	// Active is false once the receiver answered 410 Gone.
	Active    bool      `json:"active"`
	CreatedAt time.Time `json:"created_at"`
	// Secret signs the deliveries. It is shown once, in the answer to the
	// creation, and never again.
	Secret string `json:"secret,omitempty"`
}

// WebhookFilter narrows what a webhook receives; an empty list admits
// everything. With Collections, the webhook receives objects as they are
// added to those collections (including versions stored before);
// otherwise it receives each new version once.
type WebhookFilter struct {
	Types       []string     `json:"types"`
	Collections []string     `json:"collections"`
	TLP         []access.TLP `json:"tlp"`
}

// mountWebhooks checks what webhooks need; the deliverer is built with
// the routes that wake it (webhookAPI).
func (m *Module) mountWebhooks(ctx context.Context) error {
	if m.k.Events == nil || m.k.Identity == nil {
		return errors.New("webhooks need the event log and the identity store")
	}
	return nil
}

// webhookAPI builds the webhook deliverer, adds its consumer and its
// sender to the module's workers, and returns the API handlers. routes
// calls it once.
func (m *Module) webhookAPI() *webhookAPI {
	d := newWebhookDeliverer(m.store, m.k.Events, m.k.Identity, m.k.Logger)
	m.workers = append(m.workers, d.consume, d.deliver)
	return &webhookAPI{m: m, d: d}
}

type webhookAPI struct {
	m *Module
	d *webhookDeliverer
}

func (a *webhookAPI) list(w http.ResponseWriter, r *http.Request) {
	c := caller(r)
	hooks, err := a.m.store.Webhooks(r.Context(), c.Principal.OrgID)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	if hooks == nil {
		hooks = []Webhook{}
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"webhooks": hooks})
}

// webhookRequest is the body of POST /api/v1/webhooks.
type webhookRequest struct {
	URL    string        `json:"url"`
	Filter WebhookFilter `json:"filter"`
}

func (a *webhookAPI) create(w http.ResponseWriter, r *http.Request) {
	c := caller(r)
	ctx := r.Context()
	var req webhookRequest
	if err := web.DecodeJSON(r, &req); err != nil {
		web.WriteError(w, r, err)
		return
	}
	// A filter may only name collections the creator may read: the
	// webhook would otherwise confirm that they exist.
	for i, name := range req.Filter.Collections {
		coll, err := a.m.store.Collection(ctx, DefaultAPIRoot, name)
		if err != nil && errs.CodeOf(err) != errs.NotFound {
			web.WriteError(w, r, err)
			return
		}
		if err != nil || !coll.Readable(c.Principal) {
			web.WriteError(w, r, errs.E(errs.Invalid, "filter.collections: there is no collection %q you may read.", name))
			return
		}
		req.Filter.Collections[i] = coll.ID
	}
	h := Webhook{OrgID: c.Principal.OrgID, CreatedBy: c.User.ID, URL: req.URL, Filter: req.Filter}
	err := a.m.k.DB.Tx(ctx, func(tx *sql.Tx) error {
		if err := a.m.store.CreateWebhook(ctx, tx, &h); err != nil {
			return err
		}
		// The URL's path and query may hold the receiver's own tokens, so
		// the log keeps only its host.
		e := c.AuditEntry(r, "webhook.create", "webhook", h.ID, h.OrgID, map[string]any{"host": webhookHost(h.URL), "filter": h.Filter})
		_, err := audit.Append(ctx, tx, a.m.k.DB.Engine(), e)
		return err
	})
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/webhooks/"+h.ID)
	web.WriteJSON(w, http.StatusCreated, h)
}

func webhookHost(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Host
	}
	return ""
}

func (a *webhookAPI) remove(w http.ResponseWriter, r *http.Request) {
	c := caller(r)
	ctx := r.Context()
	err := a.m.k.DB.Tx(ctx, func(tx *sql.Tx) error {
		h, err := a.m.store.deleteWebhook(ctx, tx, c.Principal.OrgID, r.PathValue("id"))
		if err != nil {
			return err
		}
		e := c.AuditEntry(r, "webhook.delete", "webhook", h.ID, h.OrgID, map[string]any{"host": webhookHost(h.URL)})
		_, err = audit.Append(ctx, tx, a.m.k.DB.Engine(), e)
		return err
	})
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *webhookAPI) deliveries(w http.ResponseWriter, r *http.Request) {
	c := caller(r)
	limit := 50
	if s := r.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxDeliveriesListed {
			web.WriteError(w, r, errs.E(errs.Invalid, "limit: %q should be a number from 1 to %d.", s, MaxDeliveriesListed))
			return
		}
		limit = n
	}
	ds, err := a.m.store.Deliveries(r.Context(), c.Principal.OrgID, r.PathValue("id"), limit)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"deliveries": ds})
}

// ping queues a ping to the webhook and answers with its delivery, whose
// outcome GET .../deliveries shows within moments.
func (a *webhookAPI) ping(w http.ResponseWriter, r *http.Request) {
	c := caller(r)
	ctx := r.Context()
	var d Delivery
	err := a.m.k.DB.Tx(ctx, func(tx *sql.Tx) error {
		h, err := a.m.store.orgWebhook(ctx, tx, c.Principal.OrgID, r.PathValue("id"))
		if err != nil {
			return err
		}
		if !h.Active {
			return errs.E(errs.Conflict, "This webhook was disabled after its receiver answered 410 Gone; create a new one.")
		}
		if d, _, err = enqueueDelivery(ctx, tx, h.ID, WebhookPing, newID(), webhookPayload{Webhook: h.ID}, time.Now()); err != nil {
			return err
		}
		e := c.AuditEntry(r, "webhook.test", "webhook", h.ID, h.OrgID, map[string]any{"delivery": d.ID})
		_, err = audit.Append(ctx, tx, a.m.k.DB.Engine(), e)
		return err
	})
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	a.d.wakeUp()
	web.WriteJSON(w, http.StatusAccepted, d)
}
