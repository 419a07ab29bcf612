package sharing_test

import (
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/rampart-project/rampart/internal/platform/access"
	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/db/dbtest"
	"github.com/rampart-project/rampart/internal/platform/events/eventstest"
)

// After a shutdown, nothing of the module keeps running: not the hub, the
// stream handlers, the webhook consumer, the sender, nor a delivery. The
// test is not parallel, so no other test's goroutines are about.
func TestStreamAndWebhooksLeaveNoGoroutines(t *testing.T) {
	e := newLiveEnv(t, dbtest.Open(t, db.SQLite), eventstest.Open(t, eventstest.Options(t, "embedded")))
	slow := newHookReceiver(t, func(int) int { time.Sleep(300 * time.Millisecond); return 200 })
	e.createHook(e.adminA, `{"url":"`+slow.srv.URL+`"}`)
	reading := e.stream(e.analystA, streamOpts{})
	stalled := e.stream(e.analystA, streamOpts{paused: true})
	resuming := e.stream(e.analystA, streamOpts{lastEventID: "0"})
	e.share(e.analystA, share{tlp: access.Green}, liveIndicator("one"), liveIndicator("two"))
	reading.until("two", 5*time.Second)
	resuming.until("two", 5*time.Second)
	e.shutdown() // with a delivery in flight and a stream that reads nothing
	for _, c := range []*sseClient{reading, stalled, resuming} {
		c.close()
	}
	var left string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		buf := make([]byte, 4<<20)
		stacks := string(buf[:runtime.Stack(buf, true)])
		left = ""
		for _, g := range strings.Split(stacks, "\n\n") {
			if strings.Contains(g, "rampart/internal/sharing.") {
				left += g + "\n\n"
			}
		}
		if left == "" {
			return
		}
	}
	t.Fatalf("still running after shutdown:\n%s", left)
}
