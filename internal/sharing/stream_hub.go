package sharing

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/rampart-project/rampart/internal/platform/access"
	"github.com/rampart-project/rampart/internal/platform/events"
)

// streamHub fans the store's events out to the live streams of one
// process. Every replica runs its own hub on its own ordered consumer,
// because each must see every event for the subscribers connected to it;
// a shared durable consumer would hand each event to one replica only.
//
// The hub makes the access decision for every object and subscriber with
// Policy.CanSee on the event's owner, TLP and audience, reads the bodies
// of the objects someone may see once per event, and queues each
// subscriber's share. It never waits for a subscriber: one that falls
// more than maxPending bytes behind is closed, and resumes from its
// Last-Event-ID.
type streamHub struct {
	store      *Store
	bus        *events.Bus
	logger     *slog.Logger
	maxPending int

	mu       sync.RWMutex
	subs     map[*streamSub]struct{}
	closing  bool                  // the server is shutting down or the hub stopped
	watching map[*http.Server]bool // servers whose shutdown ends our streams

	ready     chan struct{} // closed once the consumer exists
	readyOnce sync.Once
}

// streamMaxPending bounds what one subscriber may have queued. Frames are
// shared between subscribers, so this bounds each one's backlog, not a
// copy per subscriber.
const streamMaxPending = 4 << 20

func newStreamHub(store *Store, bus *events.Bus, logger *slog.Logger) *streamHub {
	return &streamHub{
		store: store, bus: bus, logger: logger.With("component", "stream"), maxPending: streamMaxPending,
		subs: map[*streamSub]struct{}{}, watching: map[*http.Server]bool{}, ready: make(chan struct{}),
	}
}

// streamFrame is one object as one kind of subscriber receives it. Frames
// are built once per event and shared by every subscriber they suit.
type streamFrame struct {
	id     int64 // the version's seq, or its date_added in a collection stream
	tlp    access.TLP
	stixID string
	data   []byte // the version as JSON, masked as the subscriber must see it
}

// The reasons a subscription ends from the hub's side.
const (
	endOverflow = "overflow"
	endShutdown = "shutdown"
)

// streamSub is one connected stream.
type streamSub struct {
	p      access.Principal
	filter streamFilter

	mu      sync.Mutex
	queue   []*streamFrame
	pending int
	ended   string        // why the hub ended it, once it has
	notify  chan struct{} // a frame was queued
	done    chan struct{} // closed when ended
}

// take returns what is queued and, once the hub has ended the
// subscription, why. After an overflow nothing more is handed out.
func (s *streamSub) take() ([]*streamFrame, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.queue
	s.queue, s.pending = nil, 0
	if s.ended == endOverflow {
		q = nil
	}
	return q, s.ended
}

// offer queues frames without waiting; it reports false when they do not
// fit, and then the subscription has ended with an overflow.
func (s *streamSub) offer(frames []*streamFrame, limit int) bool {
	n := 0
	for _, f := range frames {
		n += len(f.data)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended != "" {
		return true
	}
	if s.pending+n > limit {
		s.endLocked(endOverflow)
		return false
	}
	s.queue = append(s.queue, frames...)
	s.pending += n
	select {
	case s.notify <- struct{}{}:
	default:
	}
	return true
}

func (s *streamSub) end(reason string) {
	s.mu.Lock()
	s.endLocked(reason)
	s.mu.Unlock()
}

func (s *streamSub) endLocked(reason string) {
	if s.ended == "" {
		s.ended = reason
		close(s.done)
	}
}

// waitReady waits until the hub receives events, so that a stream never
// starts before its events can reach it.
func (h *streamHub) waitReady(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-h.ready:
		return true
	case <-ctx.Done():
	case <-t.C:
	}
	return false
}

// watchShutdown ends the hub's streams when srv begins a graceful
// shutdown. http.Server.Shutdown waits for handlers to return and a
// stream's handler only returns when told, so without this every open
// stream would hold the server up to its shutdown timeout.
func (h *streamHub) watchShutdown(srv *http.Server) {
	if srv == nil {
		return
	}
	h.mu.Lock()
	seen := h.watching[srv]
	h.watching[srv] = true
	h.mu.Unlock()
	if !seen {
		srv.RegisterOnShutdown(func() { h.closeAll() })
	}
}

// subscribe registers a stream. It returns nil when the hub is closing.
func (h *streamHub) subscribe(p access.Principal, f streamFilter) *streamSub {
	s := &streamSub{p: p, filter: f, notify: make(chan struct{}, 1), done: make(chan struct{})}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closing {
		return nil
	}
	h.subs[s] = struct{}{}
	return s
}

func (h *streamHub) unsubscribe(s *streamSub) {
	h.mu.Lock()
	delete(h.subs, s)
	h.mu.Unlock()
}

// closeAll ends every stream and refuses new ones.
func (h *streamHub) closeAll() {
	h.mu.Lock()
	h.closing = true
	subs := make([]*streamSub, 0, len(h.subs))
	for s := range h.subs {
		subs = append(subs, s)
	}
	clear(h.subs)
	h.mu.Unlock()
	for _, s := range subs {
		s.end(endShutdown)
	}
}

// run receives the store's events until ctx ends, then ends every stream.
// It retries when the event log cannot be reached, rather than leaving
// the process without streams.
func (h *streamHub) run(ctx context.Context) error {
	defer h.closeAll()
	wait := time.Second
	for {
		err := h.consume(ctx)
		if ctx.Err() != nil {
			return nil
		}
		h.logger.Warn("live stream cannot receive events; retrying", "err", err, "retry_in", wait.String())
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		wait = min(2*wait, 30*time.Second)
	}
}

// consume reads events from an ordered consumer that starts after the
// stream's last message, so a reset of the consumer before its first
// message cannot skip what was published in between.
func (h *streamHub) consume(ctx context.Context) error {
	subject := h.bus.Subject(TopicObjectsAdded)
	js := h.bus.JetStream()
	name, err := js.StreamNameBySubject(ctx, subject)
	if err != nil {
		return fmt.Errorf("stream: find the event stream: %w", err)
	}
	_, last, err := h.bus.Stream(ctx)
	if err != nil {
		return fmt.Errorf("stream: event stream state: %w", err)
	}
	// One filter subject: NATS servers before 2.10 accept no more.
	cons, err := js.OrderedConsumer(ctx, name, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{subject},
		DeliverPolicy:  jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:    last + 1,
	})
	if err != nil {
		return fmt.Errorf("stream: consumer: %w", err)
	}
	cc, err := cons.Consume(func(msg jetstream.Msg) {
		var ev AddedEvent
		if err := json.Unmarshal(msg.Data(), &ev); err != nil {
			h.logger.Error("unreadable sharing event; skipped", "err", err)
			return
		}
		h.dispatch(ctx, ev)
	})
	if err != nil {
		return fmt.Errorf("stream: consume: %w", err)
	}
	h.readyOnce.Do(func() { close(h.ready) })
	<-ctx.Done()
	cc.Stop()
	<-cc.Closed()
	return nil
}

// streamDelivery is one object one subscriber may see.
type streamDelivery struct {
	sub *streamSub
	obj int // index in the event
}

// dispatch decides, fetches and queues one event.
func (h *streamHub) dispatch(ctx context.Context, ev AddedEvent) {
	h.mu.RLock()
	subs := make([]*streamSub, 0, len(h.subs))
	for s := range h.subs {
		subs = append(subs, s)
	}
	h.mu.RUnlock()
	if len(subs) == 0 {
		return
	}
	policy := h.store.Policy()
	var wanted []streamDelivery
	seqs := map[int64]bool{}
	collections := map[string]bool{}
	for i, obj := range ev.Objects {
		item := obj.Item()
		for _, s := range subs {
			if s.filter.matches(obj) && policy.CanSee(s.p, item) {
				wanted = append(wanted, streamDelivery{s, i})
				seqs[obj.Seq] = true
				if s.filter.collection != "" {
					collections[s.filter.collection] = true
				}
			}
		}
	}
	if len(wanted) == 0 {
		return
	}
	versions, err := h.store.versionsBySeq(ctx, seqs)
	if err != nil {
		h.logger.Error("live stream cannot read the objects of an event; its subscribers miss them until they reconnect", "err", err)
		// A subscriber that missed objects must not carry on as if it had
		// not: ending it makes it resume from its Last-Event-ID.
		for _, d := range wanted {
			d.sub.end(endOverflow)
		}
		h.dropEnded(subs)
		return
	}
	var added map[collectionSeq]int64
	if len(collections) > 0 {
		if added, err = h.store.dateAdded(ctx, collections, seqs); err != nil {
			h.logger.Error("live stream cannot read collection entries", "err", err)
			for _, d := range wanted {
				if d.sub.filter.collection != "" {
					d.sub.end(endOverflow)
				}
			}
		}
	}
	fb := frameBuilder{versions: versions, added: added, data: map[frameKey][]byte{}, frames: map[frameKey]*streamFrame{}}
	// Queue each subscriber's share of the event at once, in event order.
	perSub := map[*streamSub][]*streamFrame{}
	for _, d := range wanted {
		if f := fb.frame(ev.Objects[d.obj], d.sub); f != nil {
			perSub[d.sub] = append(perSub[d.sub], f)
		}
	}
	overflowed := false
	for s, frames := range perSub {
		if !s.offer(frames, h.maxPending) {
			overflowed = true
		}
	}
	if overflowed {
		h.dropEnded(subs)
	}
}

// dropEnded unregisters subscriptions the hub ended, so it stops deciding
// for them before their handlers notice.
func (h *streamHub) dropEnded(subs []*streamSub) {
	h.mu.Lock()
	for _, s := range subs {
		s.mu.Lock()
		if s.ended != "" {
			delete(h.subs, s)
		}
		s.mu.Unlock()
	}
	h.mu.Unlock()
}

type frameKey struct {
	seq        int64
	showsOwner bool
	collection string
}

// frameBuilder encodes each version at most once per way it can be shown
// (with or without the owner of an anonymous submission) and builds each
// frame once per kind of stream.
type frameBuilder struct {
	versions map[int64]Version
	added    map[collectionSeq]int64
	data     map[frameKey][]byte
	frames   map[frameKey]*streamFrame
}

func (fb *frameBuilder) frame(obj AddedObject, s *streamSub) *streamFrame {
	v, ok := fb.versions[obj.Seq]
	if !ok {
		return nil
	}
	key := frameKey{seq: obj.Seq, showsOwner: access.ShowsCreator(s.p, v.Anonymous), collection: s.filter.collection}
	if f, ok := fb.frames[key]; ok {
		return f
	}
	dataKey := frameKey{seq: key.seq, showsOwner: key.showsOwner}
	data, ok := fb.data[dataKey]
	if !ok {
		var err error
		if data, err = json.Marshal(v.Masked(s.p)); err != nil {
			return nil
		}
		fb.data[dataKey] = data
	}
	id := obj.Seq
	if key.collection != "" {
		if id, ok = fb.added[collectionSeq{key.collection, obj.Seq}]; !ok {
			return nil
		}
	}
	f := &streamFrame{id: id, tlp: v.TLP, stixID: v.StixID, data: data}
	fb.frames[key] = f
	return f
}

// streamFilter is what a subscriber asked for besides what it may see.
type streamFilter struct {
	types      []string
	tlps       []access.TLP
	collection string // a collection id: objects added to it, in date_added order
}

// matches reports whether obj is of interest. Without a collection only
// new versions count; an object merely added to a collection was
// streamed already when it was stored.
func (f streamFilter) matches(obj AddedObject) bool {
	if f.collection != "" {
		if !slices.Contains(obj.Collections, f.collection) {
			return false
		}
	} else if !obj.Stored {
		return false
	}
	if len(f.types) > 0 && !slices.Contains(f.types, obj.Type) {
		return false
	}
	return len(f.tlps) == 0 || slices.Contains(f.tlps, obj.TLP)
}

// versionsBySeq reads stored versions by seq, whoever may see them: the
// caller has made the access decision already.
func (s *Store) versionsBySeq(ctx context.Context, seqs map[int64]bool) (map[int64]Version, error) {
	keys := make([]int64, 0, len(seqs))
	for seq := range seqs {
		keys = append(keys, seq)
	}
	slices.Sort(keys)
	out := make(map[int64]Version, len(keys))
	for start := 0; start < len(keys); start += 500 {
		chunk := keys[start:min(start+500, len(keys))]
		var a access.Args
		ph := make([]string, len(chunk))
		for i, seq := range chunk {
			ph[i] = a.Add(seq)
		}
		rows, err := s.db.Reader().QueryContext(ctx, "SELECT "+versionColumns+", v.body FROM stix_versions v WHERE v.seq IN ("+
			strings.Join(ph, ", ")+")", a.Values...)
		if err != nil {
			return nil, fmt.Errorf("sharing: versions by seq: %w", err)
		}
		for rows.Next() {
			var body []byte
			v, err := scanVersion(rows, StoredJSON(&body))
			if err != nil {
				rows.Close()
				return nil, fmt.Errorf("sharing: versions by seq: %w", err)
			}
			v.Body, v.DateAdded = body, v.AddedAt
			out[v.Seq] = v
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("sharing: versions by seq: %w", err)
		}
	}
	return out, nil
}

// collectionSeq names a version's entry in a collection.
type collectionSeq struct {
	collection string
	seq        int64
}

// dateAdded reads when versions were added to collections: a collection
// stream's position.
func (s *Store) dateAdded(ctx context.Context, collections map[string]bool, seqs map[int64]bool) (map[collectionSeq]int64, error) {
	var a access.Args
	cs := make([]string, 0, len(collections))
	for c := range collections {
		cs = append(cs, a.Add(c))
	}
	ss := make([]string, 0, len(seqs))
	for seq := range seqs {
		ss = append(ss, a.Add(seq))
	}
	rows, err := s.db.Reader().QueryContext(ctx, "SELECT collection_id, version_seq, date_added FROM collection_objects WHERE collection_id IN ("+
		strings.Join(cs, ", ")+") AND version_seq IN ("+strings.Join(ss, ", ")+")", a.Values...)
	if err != nil {
		return nil, fmt.Errorf("sharing: date added: %w", err)
	}
	defer rows.Close()
	out := map[collectionSeq]int64{}
	for rows.Next() {
		var k collectionSeq
		var at int64
		if err := rows.Scan(&k.collection, &k.seq, &at); err != nil {
			return nil, fmt.Errorf("sharing: date added: %w", err)
		}
		out[k] = at
	}
	return out, rows.Err()
}

// streamPosition is where a stream that names no Last-Event-ID starts:
// after everything stored so far (or added to the collection so far).
func (s *Store) streamPosition(ctx context.Context, collection string) (int64, error) {
	var pos *int64
	var err error
	if collection == "" {
		err = s.db.Reader().QueryRowContext(ctx, `SELECT MAX(seq) FROM stix_versions`).Scan(&pos)
	} else {
		err = s.db.Reader().QueryRowContext(ctx, `SELECT MAX(date_added) FROM collection_objects WHERE collection_id = $1`, collection).Scan(&pos)
	}
	if err != nil {
		return 0, fmt.Errorf("sharing: stream position: %w", err)
	}
	if pos == nil {
		return 0, nil
	}
	return *pos, nil
}
