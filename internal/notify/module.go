package notify

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

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
	// refreshMu makes each matcher refresh (read the inventory, then
	// publish it) one step, so that of two refreshes of one organization
	// the later one, which read the newer inventory, is the one that stays.
	refreshMu sync.Mutex
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
	return &Module{opts: opts, wake: make(chan struct{}, 1), client: sharing.NewWebhookClient()}
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
	for _, w := range []func(context.Context){m.consume, m.broadcastRefresh, m.deliverLoop, m.escalateLoop} {
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
		// No topic filter: two filters need a NATS server of 2.10 or later
		// (FilterSubjects), and the two topics share no wildcard; onEvent
		// skips the other topics.
		c, err := m.k.Events.ConsumeTx(ctx, m.k.DB, events.ConsumerConfig{Name: matchConsumer, MaxDeliver: 10}, m.onEvent)
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
		if err := m.refresh(ctx, ev.OrgID); err != nil {
			return err
		}
		if ev.Added == 0 {
			return nil
		}
		return m.retro(ctx, tx, ev.OrgID)
	case identity.TopicOrgProfileChanged:
		var ev identity.ProfileChanged
		if err := e.Decode(&ev); err != nil {
			return fmt.Errorf("notify: decode event %s: %w", e.ID, err)
		}
		return m.retroProfile(ctx, tx, ev.OrgID)
	case sharing.TopicObjectsAdded:
		var ev sharing.AddedEvent
		if err := e.Decode(&ev); err != nil {
			return fmt.Errorf("notify: decode event %s: %w", e.ID, err)
		}
		return m.onAdded(ctx, tx, ev)
	}
	// The consumer sees every topic; the others are not its business.
	return events.ErrNoEffect
}

func (m *Module) refresh(ctx context.Context, orgID string) error {
	m.refreshMu.Lock()
	defer m.refreshMu.Unlock()
	return m.store.RefreshOrg(ctx, m.matcher, orgID)
}

// broadcastRefresh keeps this process's matcher current on every replica.
// The durable consumer hands each inventory event to one replica only; a
// core NATS subscription to the same subject reaches every process, so
// each refreshes its own matcher. It needs no acknowledgement: a refresh
// reads the inventory as it is now, so a missed message is made good by
// the next one, and a process that starts later loads every inventory in
// Mount. The replica whose durable consumer handles the event refreshes
// twice, which is harmless.
func (m *Module) broadcastRefresh(ctx context.Context) {
	nc := m.k.Events.JetStream().Conn()
	sub, err := nc.Subscribe(m.k.Events.Subject(TopicInventoryChanged), func(msg *nats.Msg) {
		var ev InventoryChanged
		if err := json.Unmarshal(msg.Data, &ev); err != nil || ev.OrgID == "" {
			m.logger.Warn("notify: undecodable inventory event", "err", err)
			return
		}
		if err := m.refresh(ctx, ev.OrgID); err != nil && ctx.Err() == nil {
			m.logger.Warn("notify: refresh matcher", "org_id", ev.OrgID, "err", err)
		}
	})
	if err != nil {
		m.logger.Warn("notify: no broadcast refresh of the matcher; other replicas' inventory changes reach this one only by its own consumer", "err", err)
		return
	}
	<-ctx.Done()
	_ = sub.Unsubscribe()
}

// orgPrincipals caches, for one event, each organization as the access
// decision sees an organization-wide notice: its id and communities, and a
// user id no user has, so TLP:RED and user grants never match it. It also
// holds the event's targetIndex.
type orgPrincipals struct {
	ids     *identity.Store
	only    string // when set, only this organization is told (retroProfile)
	by      map[string]access.Principal
	loaded  bool // by holds every organization of the event
	targets *targetIndex
}

// preload reads every organization's principal in one query, as
// OrgPrincipal makes it, for a targets relationship that may concern tens
// of thousands of them.
func (o *orgPrincipals) preload(ctx context.Context, q db.Querier, orgs []identity.Organization) error {
	if o.loaded {
		return nil
	}
	rows, err := q.QueryContext(ctx, `SELECT org_id, community_id FROM community_members ORDER BY org_id, community_id`)
	if err != nil {
		return fmt.Errorf("notify: principals: %w", err)
	}
	defer rows.Close()
	communities := map[string][]string{}
	for rows.Next() {
		var org, c string
		if err := rows.Scan(&org, &c); err != nil {
			return fmt.Errorf("notify: principals: %w", err)
		}
		communities[org] = append(communities[org], c)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("notify: principals: %w", err)
	}
	for _, org := range orgs {
		if _, ok := o.by[org.ID]; !ok {
			o.by[org.ID] = access.Principal{UserID: "notify:" + org.ID, OrgID: org.ID, Communities: append([]string{access.AllMembers}, communities[org.ID]...)}
		}
	}
	o.loaded = true
	return nil
}

// index returns the event's targetIndex of orgs, built on first use.
func (o *orgPrincipals) index(orgs []identity.Organization) *targetIndex {
	if o.targets == nil {
		o.targets = newTargetIndex(orgs)
	}
	return o.targets
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

// onAdded notifies the organizations the objects concern. When they concern
// none and withdraw nothing it returns events.ErrNoEffect, which keeps the
// common case from committing: handling the event again later is what
// retroactive matching does anyway (notifications are unique per
// organization, object and reason).
func (m *Module) onAdded(ctx context.Context, tx *sql.Tx, ev sharing.AddedEvent) error {
	acted := false
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
		err := tx.QueryRowContext(ctx, `SELECT body, valid_until, revoked FROM stix_versions WHERE seq = $1`, obj.Seq).Scan(sharing.StoredJSON(&s.Body), &s.ValidUntil, &revoked)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return fmt.Errorf("notify: read object: %w", err)
		}
		s.Revoked = revoked != 0
		rerun := slices.Contains(targetSources, obj.Type) || obj.Type == "identity" || obj.Type == "location"
		if orgs == nil && (isTargeting(obj.Type) || obj.Type == "relationship" || rerun) {
			if orgs, err = m.k.Identity.Orgs(ctx); err != nil {
				return err
			}
		}
		did, err := m.notify(ctx, tx, s, m.matcher, orgs, principals, now, true)
		if err != nil {
			return err
		}
		acted = acted || did
		if rerun {
			// A targets relationship may have arrived before its source or
			// target: now that this one is here, evaluate it again.
			rels, err := targetingRelationships(ctx, tx, obj.StixID)
			if err != nil {
				return err
			}
			for _, rel := range rels {
				did, err := m.notify(ctx, tx, rel, m.matcher, orgs, principals, now, false)
				if err != nil {
					return err
				}
				acted = acted || did
			}
		}
	}
	if !acted {
		return events.ErrNoEffect
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
// each organization it concerns that may see it. With withdrawOld (a new
// version arriving, not retroactive matching), the notifications of older
// versions that this one no longer supports are withdrawn.
//
// acted is false when it wrote nothing: no organization is concerned and
// nothing was withdrawn (every write here is for one of those).
func (m *Module) notify(ctx context.Context, tx *sql.Tx, s subject, mt *Matcher, orgs []identity.Organization, principals *orgPrincipals, now time.Time, withdrawOld bool) (acted bool, err error) {
	var cands []candidate
	var title string
	var sev Severity
	if s.Type == "relationship" {
		cands, title, sev, err = m.targets(ctx, tx, s, orgs, principals, now)
	} else {
		cands, title, sev, err = evaluate(ctx, tx, s, mt, orgs, now)
	}
	if err != nil {
		return false, err
	}
	keep := map[[2]string]bool{}
	for _, c := range cands {
		if principals.only != "" && c.OrgID != principals.only {
			continue
		}
		p, err := principals.get(ctx, c.OrgID)
		if err != nil {
			return false, err
		}
		if !m.k.Access.CanSee(p, s.Item) {
			continue
		}
		acted = true
		keep[[2]string{c.OrgID, c.Key}] = true
		n := Notification{OrgID: c.OrgID, ItemID: s.ItemID, StixID: s.StixID, VersionSeq: s.Seq, ObjectType: s.Type,
			ReasonKind: c.Kind, ReasonKey: c.Key, Reason: c.Reason, Uncertain: c.Uncertain, Severity: sev, TLP: string(s.TLP), Title: title,
			CVE: c.CVE, RequiredAction: c.Action, DueDate: c.Due}
		created, err := upsert(ctx, tx, &n, now)
		if err != nil {
			return true, err
		}
		if created {
			if err := m.enqueue(ctx, tx, n, now); err != nil {
				return true, err
			}
		}
	}
	if !withdrawOld {
		return acted, nil
	}
	withdrawn, err := withdraw(ctx, tx, s.StixID, s.Seq, keep, withdrawnWhy(s, now), now)
	return acted || withdrawn > 0, err
}

// withdrawnWhy says, for the inbox, why a new version withdraws a
// notification.
func withdrawnWhy(s subject, now time.Time) string {
	switch {
	case s.Revoked:
		return "Withdrawn: the " + s.Type + " was revoked."
	case s.ValidUntil != 0 && s.ValidUntil <= db.Micros(now):
		return "Withdrawn: the " + s.Type + "'s valid_until (" + db.FromMicros(s.ValidUntil).UTC().Format(time.RFC3339) + ") has passed."
	}
	return "Withdrawn: the new version of the " + s.Type + " no longer concerns your organization (it no longer matches its inventory or profile, or is no longer shared with it)."
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
	return m.eachVisible(ctx, p, retroTypes, func(s subject) error {
		_, err := m.notify(ctx, tx, s, mt, nil, principals, now, false)
		return err
	})
}

// retroProfile is retro for a changed organization profile: the latest
// version of every targeting object and relationship the organization may
// see is evaluated against its new sectors, flags and region. Only it is
// told; the state organizations of its state come along only so that a
// location may name the state as the instance calls it ("Meridian").
// Notifications it no longer concerns are left as they are: they were
// true when sent.
func (m *Module) retroProfile(ctx context.Context, tx *sql.Tx, orgID string) error {
	all, err := m.k.Identity.Orgs(ctx)
	if err != nil {
		return err
	}
	var org *identity.Organization
	for i := range all {
		if all[i].ID == orgID {
			org = &all[i]
		}
	}
	if org == nil {
		return nil // deleted since; nothing to tell
	}
	orgs := []identity.Organization{*org}
	for _, o := range all {
		if o.ID != orgID && o.Kind == identity.KindState && o.StateFIPS != "" && o.StateFIPS == org.StateFIPS {
			orgs = append(orgs, o)
		}
	}
	principals := &orgPrincipals{ids: m.k.Identity, by: map[string]access.Principal{}, only: orgID}
	p, err := principals.get(ctx, orgID)
	if err != nil {
		return err
	}
	now := m.opts.Now()
	types := append(slices.Clone(targetingTypes), "relationship")
	return m.eachVisible(ctx, p, types, func(s subject) error {
		_, err := m.notify(ctx, tx, s, m.matcher, orgs, principals, now, false)
		return err
	})
}

// eachVisible calls fn with the latest version of every object of the
// types that p may see, except TLP:RED (never an organization-wide
// notice), page by page.
func (m *Module) eachVisible(ctx context.Context, p access.Principal, types []string, fn func(subject) error) error {
	var after int64
	for {
		page, err := m.sharing.Find(ctx, p, sharing.Query{Types: types, After: after, Limit: 1000})
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
			if err := fn(s); err != nil {
				return err
			}
		}
		if !page.More {
			return nil
		}
		after = page.Next
	}
}
