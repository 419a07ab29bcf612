package notify

// The live stream, GET /api/v1/notifications/stream: server-sent events of
// the caller's organization's notifications as they are created or
// updated, following sharing's conventions: each event has an id (the
// notification's updated_at in microseconds), "event: notification" and
// the notification as data; a client that reconnects with Last-Event-ID
// (or ?last_event_id=) gets what it missed; a comment line every 15
// seconds keeps proxies from closing a quiet connection; the server ends
// a stream after 15 minutes and the client reconnects. The stream reads
// the table rather than a hub of its own, so it works on every replica
// and needs no fan-out; it polls every 200 ms, well inside the one-second
// promise.

import (
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/errs"
	"github.com/rampart-project/rampart/internal/platform/web"
)

const (
	streamPoll      = 200 * time.Millisecond
	streamHeartbeat = 15 * time.Second
	streamLifetime  = 15 * time.Minute
	streamRetry     = 3 * time.Second
)

type streamHandler struct{ m *Module }

func (h streamHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c := caller(r)
	if !takesEventStream(r) {
		web.WriteError(w, r, errs.E(errs.NotAcceptable, "This is a text/event-stream; ask for it with Accept: text/event-stream."))
		return
	}
	last := r.Header.Get("Last-Event-ID")
	if last == "" {
		last = r.URL.Query().Get("last_event_id")
	}
	after := db.Micros(time.Now())
	if last != "" {
		n, err := strconv.ParseInt(last, 10, 64)
		if err != nil || n < 0 {
			web.WriteError(w, r, errs.E(errs.Invalid, "Last-Event-ID: %q is not an id this stream sent.", last))
			return
		}
		after = n
	}
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{})
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprintf(w, "retry: %d\nid: %d\n\n", streamRetry.Milliseconds(), after)
	if err := rc.Flush(); err != nil {
		return
	}
	ctx := r.Context()
	poll := time.NewTicker(streamPoll)
	defer poll.Stop()
	beat := time.NewTicker(streamHeartbeat)
	defer beat.Stop()
	end := time.NewTimer(streamLifetime)
	defer end.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-end.C:
			return
		case <-beat.C:
			_ = rc.SetWriteDeadline(time.Now().Add(30 * time.Second))
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil || rc.Flush() != nil {
				return
			}
		case <-poll.C:
			list, err := h.m.inbox.Changed(ctx, c.Principal, after, 200)
			if err != nil {
				web.Logger(ctx).Error("notify: stream", "err", err)
				return
			}
			if len(list) == 0 {
				continue
			}
			_ = rc.SetWriteDeadline(time.Now().Add(30 * time.Second))
			for _, n := range list {
				data, err := json.Marshal(n)
				if err != nil {
					return
				}
				after = db.Micros(n.UpdatedAt)
				if _, err := fmt.Fprintf(w, "id: %d\nevent: notification\ndata: %s\n\n", after, data); err != nil {
					return
				}
			}
			if rc.Flush() != nil {
				return
			}
		}
	}
}

// takesEventStream reports whether the request's Accept allows
// text/event-stream, so that a client asking for JSON gets 406 at once
// rather than a response that never ends.
func takesEventStream(r *http.Request) bool {
	accept := strings.Join(r.Header.Values("Accept"), ",")
	if strings.TrimSpace(accept) == "" {
		return true
	}
	for _, part := range strings.Split(accept, ",") {
		mt, _, err := mime.ParseMediaType(part)
		if err == nil && (mt == "text/event-stream" || mt == "text/*" || mt == "*/*") {
			return true
		}
	}
	return false
}
