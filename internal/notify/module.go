package notify

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/rampart-project/rampart/internal/app"
	"github.com/rampart-project/rampart/internal/platform/access"
	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/events"
	"github.com/rampart-project/rampart/internal/platform/identity"
	"github.com/rampart-project/rampart/internal/platform/web"
	"github.com/rampart-project/rampart/internal/sharing"
)

//go:embed templates
var templates embed.FS

// matchConsumer is the durable consumer of the triggers. Inventory changes
// and new objects share it, so an inventory change is applied to the
// matcher before the objects that follow it are matched.
const matchConsumer = "notify-match"

// Options are what tests and the command line may set besides the Config.
type Options struct {
	// Now is the clock; nil is time.Now. Escalation tests move it.
	Now func() time.Time
	// EscalationCheck is how often escalation is checked; 0 is a minute.
	EscalationCheck time.Duration
	// DeliveryPoll is how often due deliveries are looked for besides
	// being woken; 0 is 200 ms.
	DeliveryPoll time.Duration
	// FloodLimit is how many e-mails a user gets within FloodWindow before
	// the rest become one digest; 0 is 10 in 10 minutes.
	FloodLimit  int
	FloodWindow time.Duration
	// DigestEvery is how often digest-mode users get their digest; 0 is
	// an hour.
	DigestEvery time.Duration
}

// Module is the notifications module: it matches what is shared against
// each organization's inventory and profile and tells the organization.
type Module struct {
	opts    Options
	k       *app.Kernel
	logger  *slog.Logger
	store   *Store
	inbox   *Inbox
	sharing *sharing.Store
	matcher *Matcher
	wake    chan struct{}
	client  *http.Client // for webhooks
}

// New returns the notifications module.
func New(opts Options) *Module {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.EscalationCheck <= 0 {
		opts.EscalationCheck = time.Minute
	}
	if opts.DeliveryPoll <= 0 {
		opts.DeliveryPoll = 200 * time.Millisecond
	}
	if opts.FloodLimit <= 0 {
		opts.FloodLimit = 10
	}
	if opts.FloodWindow <= 0 {
		opts.FloodWindow = 10 * time.Minute
	}
	if opts.DigestEvery <= 0 {
		opts.DigestEvery = time.Hour
	}
	return &Module{opts: opts, wake: make(chan struct{}, 1), client: newWebhookClient()}
}

// Name implements app.Module.
func (m *Module) Name() string { return "notify" }

// Nav implements app.Navigator.
func (m *Module) Nav() web.NavItem {
	return web.NavItem{Label: "Notifications", Href: "/notifications", Purpose: "what affects my organization right now"}
}

// Mount implements app.Module.
func (m *Module) Mount(ctx context.Context, k *app.Kernel) error {
	if k.Events == nil {
		return errors.New("notify: the triggers need the event log")
	}
	m.k, m.logger = k, k.Logger.With("module", "notify")
	m.store = NewStore(k.DB)
	m.inbox = NewInbox(k.DB, k.Access)
	m.sharing = sharing.NewStore(k.DB, k.Outbox, k.Access)
	m.matcher = NewMatcher()
	if err := m.store.LoadMatcher(ctx, m.matcher); err != nil {
		return fmt.Errorf("notify: load matcher: %w", err)
	}
	sub, err := fs.Sub(templates, "templates")
	if err != nil {
		return err
	}
	if err := k.Renderer.AddPages(sub); err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	m.routes(k.Router)
	return nil
}

// Run implements app.Module: the triggers' consumer, deliveries and
// escalation, until ctx ends.
func (m *Module) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, w := range []func(context.Context){m.consume, m.deliverLoop, m.escalateLoop} {
		wg.Add(1)
		go func() { defer wg.Done(); w(ctx) }()
	}
	wg.Wait()
	return nil
}

func (m *Module) wakeUp() {
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// consume runs the durable consumer, retrying its start while the event
// log cannot be reached.
func (m *Module) consume(ctx context.Context) {
	wait := time.Second
	for {
		c, err := m.k.Events.ConsumeTx(ctx, m.k.DB, events.ConsumerConfig{Name: matchConsumer,
			Topics: []string{sharing.TopicObjectsAdded, TopicInventoryChanged}, MaxDeliver: 10}, m.onEvent)
		if err == nil {
			<-ctx.Done()
			c.Stop()
			return
		}
		if ctx.Err() != nil {
			return
		}
		m.logger.Warn("notify consumer cannot start; retrying", "err", err, "retry_in", wait.String())
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, 30*time.Second)
	}
}

func (m *Module) onEvent(ctx context.Context, tx *sql.Tx, e events.Event) error {
	switch e.Topic {
	case TopicInventoryChanged:
		var ev InventoryChanged
		if err := e.Decode(&ev); err != nil {
			return fmt.Errorf("notify: decode event %s: %w", e.ID, err)
		}
		if err := m.store.RefreshOrg(ctx, m.matcher, ev.OrgID); err != nil {
			return err
		}
		if ev.Added == 0 {
			return nil
		}
		return m.retro(ctx, tx, ev.OrgID)
	case sharing.TopicObjectsAdded:
		var ev sharing.AddedEvent
		if err := e.Decode(&ev); err != nil {
			return fmt.Errorf("notify: decode event %s: %w", e.ID, err)
		}
		return m.onAdded(ctx, tx, ev)
	}
	return nil
}

// orgPrincipals caches, for one event, each organization as the access
// decision sees an organization-wide notice: its id and communities, and a
// user id no user has, so TLP:RED and user grants never match it.
type orgPrincipals struct {
	ids *identity.Store
	by  map[string]access.Principal
}

func (o *orgPrincipals) get(ctx context.Context, orgID string) (access.Principal, error) {
	if p, ok := o.by[orgID]; ok {
		return p, nil
	}
	p, err := o.ids.OrgPrincipal(ctx, orgID, "notify:"+orgID)
	if err != nil {
		return p, fmt.Errorf("notify: principal of %s: %w", orgID, err)
	}
	o.by[orgID] = p
	return p, nil
}

func (m *Module) onAdded(ctx context.Context, tx *sql.Tx, ev sharing.AddedEvent) error {
	var orgs []identity.Organization
	principals := &orgPrincipals{ids: m.k.Identity, by: map[string]access.Principal{}}
	now := m.opts.Now()
	for _, obj := range ev.Objects {
		// Org-wide notices never carry TLP:RED: it is for named people.
		if !obj.Stored || obj.TLP == access.Red {
			continue
		}
		s := subject{Seq: obj.Seq, ItemID: obj.ItemID, StixID: obj.StixID, Type: obj.Type, TLP: obj.TLP, Item: obj.Item()}
		var revoked int
		err := tx.QueryRowContext(ctx, `SELECT body, valid_until, revoked FROM stix_versions WHERE seq = $1`, obj.Seq).Scan(&s.Body, &s.ValidUntil, &revoked)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return fmt.Errorf("notify: read object: %w", err)
		}
		s.Revoked = revoked != 0
		if orgs == nil && isTargeting(obj.Type) {
			if orgs, err = m.k.Identity.Orgs(ctx); err != nil {
				return err
			}
		}
		if err := m.notify(ctx, tx, s, m.matcher, orgs, principals, now); err != nil {
			return err
		}
	}
	return nil
}

func isTargeting(typ string) bool {
	for _, t := range targetingTypes {
		if t == typ {
			return true
		}
	}
	return false
}

// notify evaluates one version and creates or updates the notification of
// each organization it concerns that may see it.
func (m *Module) notify(ctx context.Context, tx *sql.Tx, s subject, mt *Matcher, orgs []identity.Organization, principals *orgPrincipals, now time.Time) error {
	cands, title, sev, err := evaluate(ctx, tx, s, mt, orgs, now)
	if err != nil || len(cands) == 0 {
		return err
	}
	for _, c := range cands {
		p, err := principals.get(ctx, c.OrgID)
		if err != nil {
			return err
		}
		if !m.k.Access.CanSee(p, s.Item) {
			continue
		}
		n := Notification{OrgID: c.OrgID, ItemID: s.ItemID, StixID: s.StixID, VersionSeq: s.Seq, ObjectType: s.Type,
			ReasonKind: c.Kind, ReasonKey: c.Key, Reason: c.Reason, Uncertain: c.Uncertain, Severity: sev, TLP: string(s.TLP), Title: title}
		created, err := upsert(ctx, tx, &n, now)
		if err != nil {
			return err
		}
		if created {
			if err := m.enqueue(ctx, tx, n, now); err != nil {
				return err
			}
		}
	}
	return nil
}

// retroTypes are the object types retroactive matching reads.
var retroTypes = []string{"indicator", "vulnerability", "sighting", "ipv4-addr", "ipv6-addr", "domain-name", "url", "email-addr", "autonomous-system"}

// retro matches the organization's whole inventory, in a matcher of its
// own, against the latest version of every object of the matched types it
// may see: new inventory learns what is already known. Notifications are
// unique per (organization, object, reason) and an older or equal version
// changes nothing, so running it again notifies nothing twice. It reads
// the store through sharing's Find (the access predicate in SQL) page by
// page; its cost grows with the store, which is acceptable for an event
// as rare as an inventory change.
func (m *Module) retro(ctx context.Context, tx *sql.Tx, orgID string) error {
	entries, _, err := m.store.List(ctx, access.Principal{UserID: "notify", OrgID: orgID}, orgID, ListQuery{})
	if err != nil {
		return err
	}
	items := make([]Item, len(entries))
	for i, e := range entries {
		items[i] = e.Item
	}
	mt := NewMatcher()
	if err := mt.SetOrg(orgID, items); err != nil {
		return err
	}
	principals := &orgPrincipals{ids: m.k.Identity, by: map[string]access.Principal{}}
	p, err := principals.get(ctx, orgID)
	if err != nil {
		return err
	}
	now := m.opts.Now()
	var after int64
	for {
		page, err := m.sharing.Find(ctx, p, sharing.Query{Types: retroTypes, After: after, Limit: 1000})
		if err != nil {
			return err
		}
		for _, v := range page.Versions {
			if v.TLP == access.Red {
				continue
			}
			aud, err := m.sharing.Audience(ctx, v.ItemID)
			if err != nil {
				return err
			}
			s := subject{Seq: v.Seq, ItemID: v.ItemID, StixID: v.StixID, Type: v.Type, TLP: v.TLP, Item: v.Item(aud), Body: v.Body, Revoked: v.Revoked}
			if !v.ValidUntil.IsZero() {
				s.ValidUntil = db.Micros(v.ValidUntil)
			}
			if err := m.notify(ctx, tx, s, mt, nil, principals, now); err != nil {
				return err
			}
		}
		if !page.More {
			return nil
		}
		after = page.Next
	}
}
