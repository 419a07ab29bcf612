package sharing

// The live stream, GET /api/v1/stream: server-sent events of the objects
// stored from now on that the caller may see.
//
//	GET /api/v1/stream?type=indicator,malware&tlp=GREEN,AMBER&collection=ID
//	Accept: text/event-stream
//	Last-Event-ID: 1234            (or ?last_event_id=1234)
//
// Each object is one event:
//
//	id: 1235
//	event: object
//	data: {"item_id":"...","id":"indicator--...","type":"indicator",...,"object":{...}}
//
// data is the stored version as GET /api/v1/objects/{id} shows it. The id
// is the version's position in the store (with collection=, its position
// in the collection); a client that reconnects with the last id it saw
// gets exactly what it missed, then the live events. The stream opens
// with a block that carries only the current position (id) and the
// reconnection delay (retry), so even a client that has received nothing
// yet resumes without a gap. A comment line every 15 seconds keeps
// proxies from closing a quiet connection.
//
// The server ends a stream after 15 minutes, when it shuts down, and when
// the client reads too slowly to keep up; in the last case it first sends
// "event: overflow". EventSource reconnects by itself with Last-Event-ID;
// other clients should do the same. Reconnecting also applies a changed
// membership or a revoked token.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rampart-project/rampart/internal/platform/access"
	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/errs"
	"github.com/rampart-project/rampart/internal/platform/identity"
	"github.com/rampart-project/rampart/internal/platform/web"
)

const (
	streamHeartbeat    = 15 * time.Second
	streamRetry        = 3 * time.Second
	streamLifetime     = 15 * time.Minute
	streamWriteTimeout = 30 * time.Second // a client that accepts nothing for this long is gone
	streamReadyWait    = 5 * time.Second
	streamReplayPage   = 500
	// auditChunk is how many object ids one audit entry lists at most:
	// well inside the audit log's 64 KiB of detail.
	auditChunk = 500
)

// mountStream checks what the live stream needs; the hub itself is built
// with its route (streamHandler), which keeps it next to the handler that
// uses it.
func (m *Module) mountStream(ctx context.Context) error {
	if m.k.Events == nil {
		return errors.New("the live stream needs the event log")
	}
	return nil
}

// streamHandler builds the process's stream hub, adds it to the module's
// workers and returns the handler of GET /api/v1/stream. routes calls it
// once.
func (m *Module) streamHandler() http.Handler {
	h := newStreamHub(m.store, m.k.Events, m.k.Logger)
	m.workers = append(m.workers, h.run)
	return &streamAPI{m: m, hub: h}
}

type streamAPI struct {
	m   *Module
	hub *streamHub
}

func (a *streamAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c := caller(r)
	ctx := r.Context()
	if !acceptsEventStream(r.Header.Values("Accept")) {
		web.WriteError(w, r, errs.E(errs.NotAcceptable, "This is a text/event-stream; ask for it with Accept: text/event-stream."))
		return
	}
	f, err := a.filter(r, c)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	after, resume, err := lastEventID(r)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	if !a.hub.waitReady(ctx, streamReadyWait) {
		web.WriteError(w, r, errs.E(errs.Unavailable, "The live stream is starting; try again in a few seconds."))
		return
	}
	srv, _ := ctx.Value(http.ServerContextKey).(*http.Server)
	a.hub.watchShutdown(srv)
	// Subscribe before reading the position or replaying, so that nothing
	// committed in between is lost; what arrives twice is dropped by id.
	sub := a.hub.subscribe(c.Principal, f)
	if sub == nil {
		web.WriteError(w, r, errs.E(errs.Unavailable, "The server is shutting down; reconnect in a moment."))
		return
	}
	defer a.hub.unsubscribe(sub)
	if !resume {
		if after, err = a.m.store.streamPosition(ctx, f.collection); err != nil {
			web.WriteError(w, r, err)
			return
		}
	}

	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx would otherwise hold events back
	w.WriteHeader(http.StatusOK)
	sw := newSSEWriter(w)
	if err := sw.open(after); err != nil {
		return
	}
	sent := after
	logger := web.Logger(ctx)
	if resume {
		if sent, err = a.replay(r, c, sw, sub, f, after); err != nil {
			switch {
			case errors.Is(err, errStreamEnded):
				a.ended(sw, sub)
			case ctx.Err() == nil:
				logger.Warn("stream replay failed; the client will reconnect", "err", err)
			}
			return
		}
	}

	heartbeat := time.NewTicker(streamHeartbeat)
	defer heartbeat.Stop()
	lifetime := time.NewTimer(streamLifetime)
	defer lifetime.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-lifetime.C:
			return
		case <-heartbeat.C:
			if sw.comment("keepalive") != nil {
				return
			}
			continue
		case <-sub.notify:
		case <-sub.done:
		}
		frames, ended := sub.take()
		if err := a.send(r, c, sw, frames, &sent); err != nil {
			if ctx.Err() == nil {
				logger.Debug("stream write failed", "err", err)
			}
			return
		}
		if ended != "" {
			a.ended(sw, sub)
			return
		}
	}
}

var errStreamEnded = errors.New("stream: ended by the hub")

// ended tells a client that fell behind to reconnect; a shutdown needs no
// word, since every client reconnects when its stream ends.
func (a *streamAPI) ended(sw *sseWriter, sub *streamSub) {
	if _, why := sub.take(); why == endOverflow {
		_ = sw.event("overflow", `{"message":"The stream fell behind; reconnect with Last-Event-ID to resume where it stopped."}`)
	}
}

// replay sends what was stored after the client's last id, through the
// store's access predicate, and returns the last id sent. Meanwhile the
// hub queues live events, which the caller sends next, skipping those
// replayed already.
func (a *streamAPI) replay(r *http.Request, c *identity.Caller, sw *sseWriter, sub *streamSub, f streamFilter, after int64) (int64, error) {
	q := Query{Versions: []string{string(AllVersions)}, Types: f.types, TLPs: f.tlps, Collection: f.collection, After: after, Limit: streamReplayPage}
	sent := after
	for {
		select {
		case <-sub.done:
			return sent, errStreamEnded
		default:
		}
		page, err := a.m.store.Find(r.Context(), c.Principal, q)
		if err != nil {
			return sent, err
		}
		frames := make([]*streamFrame, 0, len(page.Versions))
		for _, v := range page.Versions {
			data, err := json.Marshal(v)
			if err != nil {
				return sent, err
			}
			id := v.Seq
			if f.collection != "" {
				id = db.Micros(v.DateAdded)
			}
			frames = append(frames, &streamFrame{id: id, tlp: v.TLP, stixID: v.StixID, data: data})
		}
		if err := a.send(r, c, sw, frames, &sent); err != nil {
			return sent, err
		}
		if !page.More {
			return sent, nil
		}
		q.After = page.Next
	}
}

// send writes the frames the client has not had yet, recording reads of
// restricted content in the audit log first, as every other read does.
func (a *streamAPI) send(r *http.Request, c *identity.Caller, sw *sseWriter, frames []*streamFrame, sent *int64) error {
	fresh := frames[:0:0]
	for _, f := range frames {
		if f.id > *sent {
			fresh = append(fresh, f)
		}
	}
	if len(fresh) == 0 {
		return nil
	}
	restricted := make([]Version, 0)
	for _, f := range fresh {
		if f.tlp == access.Red || f.tlp == access.AmberStrict {
			restricted = append(restricted, Version{StixID: f.stixID, TLP: f.tlp})
		}
	}
	// In pieces, so that no entry outgrows the audit log's limit on detail.
	// Without the record nothing is sent: the stream ends instead.
	for start := 0; start < len(restricted); start += auditChunk {
		if err := a.m.auditRead(r, c, restricted[start:min(start+auditChunk, len(restricted))]...); err != nil {
			web.Logger(r.Context()).Error("recording a restricted read failed; ending the stream", "err", err)
			return fmt.Errorf("stream: audit: %w", err)
		}
	}
	for _, f := range fresh {
		if err := sw.object(f); err != nil {
			return err
		}
		*sent = f.id
	}
	return nil
}

// filter reads type, tlp and collection. A collection the caller may not
// read is reported as absent.
func (a *streamAPI) filter(r *http.Request, c *identity.Caller) (streamFilter, error) {
	q := r.URL.Query()
	var f streamFilter
	f.types = streamList(q["type"])
	for _, t := range streamList(q["tlp"]) {
		level, err := access.ParseTLP(t)
		if err != nil {
			return f, errs.E(errs.Invalid, "tlp: %v", err)
		}
		f.tlps = append(f.tlps, level)
	}
	if name := strings.TrimSpace(q.Get("collection")); name != "" {
		coll, err := a.m.store.Collection(r.Context(), DefaultAPIRoot, name)
		if err != nil && errs.CodeOf(err) != errs.NotFound {
			return f, err
		}
		if err != nil || !coll.Readable(c.Principal) {
			return f, errs.E(errs.NotFound, "There is no collection %q you may read.", name)
		}
		f.collection = coll.ID
	}
	return f, nil
}

func streamList(values []string) []string {
	var out []string
	for _, v := range values {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// lastEventID reads where to resume. The header wins over the query
// parameter: EventSource keeps the URL it was opened with and sends the
// newest id in the header when it reconnects.
func lastEventID(r *http.Request) (int64, bool, error) {
	s := strings.TrimSpace(r.Header.Get("Last-Event-ID"))
	if s == "" {
		s = strings.TrimSpace(r.URL.Query().Get("last_event_id"))
	}
	if s == "" {
		return 0, false, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, false, errs.E(errs.Invalid, "Last-Event-ID: %q is not an id this stream sent.", s)
	}
	return n, true, nil
}

// acceptsEventStream reports whether the client takes text/event-stream;
// a client that asks for JSON only gets 406 rather than a response that
// never ends.
func acceptsEventStream(values []string) bool {
	if len(values) == 0 {
		return true
	}
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			mt, _, _ := strings.Cut(part, ";")
			switch strings.ToLower(strings.TrimSpace(mt)) {
			case "text/event-stream", "text/*", "*/*", "":
				return true
			}
		}
	}
	return false
}

// sseWriter writes server-sent events, flushing each, with a deadline per
// write so that a client that stopped reading frees its handler.
type sseWriter struct {
	w   http.ResponseWriter
	rc  *http.ResponseController
	buf []byte
}

func newSSEWriter(w http.ResponseWriter) *sseWriter {
	return &sseWriter{w: w, rc: http.NewResponseController(w)}
}

func (s *sseWriter) flush(b []byte) error {
	if err := s.rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout)); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	if _, err := s.w.Write(b); err != nil {
		return err
	}
	return s.rc.Flush()
}

// open sends the reconnection delay and the starting position.
func (s *sseWriter) open(pos int64) error {
	s.buf = append(s.buf[:0], "retry: "...)
	s.buf = strconv.AppendInt(s.buf, streamRetry.Milliseconds(), 10)
	s.buf = append(s.buf, "\nid: "...)
	s.buf = strconv.AppendInt(s.buf, pos, 10)
	s.buf = append(s.buf, "\n\n"...)
	return s.flush(s.buf)
}

func (s *sseWriter) object(f *streamFrame) error {
	s.buf = append(s.buf[:0], "id: "...)
	s.buf = strconv.AppendInt(s.buf, f.id, 10)
	s.buf = append(s.buf, "\nevent: object\ndata: "...)
	// encoding/json writes no newlines, so one data line holds it all.
	s.buf = append(s.buf, f.data...)
	s.buf = append(s.buf, "\n\n"...)
	return s.flush(s.buf)
}

func (s *sseWriter) event(name, data string) error {
	return s.flush([]byte("event: " + name + "\ndata: " + data + "\n\n"))
}

func (s *sseWriter) comment(text string) error {
	return s.flush([]byte(": " + text + "\n\n"))
}
