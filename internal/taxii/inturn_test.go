package taxiiserver

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestInTurnBoundsAndOrders: no more listing handlers run at once than
// the gate admits, waiting ones run in the order they came, and one whose
// deadline passes while waiting never runs and is answered 503.
func TestInTurnBoundsAndOrders(t *testing.T) {
	m := &Module{pages: make(chan struct{}, 2)}
	release := make(chan struct{})
	var running, most atomic.Int32
	var mu sync.Mutex
	var order []string
	h := m.inTurn(func(w http.ResponseWriter, r *http.Request) {
		n := running.Add(1)
		for {
			if m := most.Load(); n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		mu.Lock()
		order = append(order, r.URL.Path)
		mu.Unlock()
		<-release
		running.Add(-1)
	})
	var wg sync.WaitGroup
	answers := map[string]*httptest.ResponseRecorder{}
	serve := func(ctx context.Context, path string) {
		rec := httptest.NewRecorder()
		answers[path] = rec
		wg.Add(1)
		go func() {
			defer wg.Done()
			h(rec, httptest.NewRequestWithContext(ctx, "GET", path, nil))
		}()
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(time.Millisecond)
		}
	}
	ran := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(order)
	}
	serve(context.Background(), "/a")
	serve(context.Background(), "/b")
	waitFor("two running", func() bool { return ran() == 2 })
	gone, cancel := context.WithCancel(context.Background())
	serve(gone, "/gone")
	time.Sleep(20 * time.Millisecond)
	serve(context.Background(), "/c")
	time.Sleep(20 * time.Millisecond)
	serve(context.Background(), "/d")
	time.Sleep(20 * time.Millisecond)
	cancel()
	time.Sleep(20 * time.Millisecond)
	// One finishes at a time, so each admission can be seen.
	release <- struct{}{}
	waitFor("a third", func() bool { return ran() == 3 })
	release <- struct{}{}
	waitFor("a fourth", func() bool { return ran() == 4 })
	release <- struct{}{}
	release <- struct{}{}
	wg.Wait()
	if most.Load() > 2 {
		t.Errorf("%d handlers ran at once, the gate admits 2", most.Load())
	}
	if len(order) != 4 || order[2] != "/c" || order[3] != "/d" {
		t.Errorf("handlers ran in the order %v, want /a and /b, then /c, /d, and never /gone", order)
	}
	if got := answers["/gone"]; got.Code != http.StatusServiceUnavailable || got.Header().Get("Retry-After") == "" {
		t.Errorf("a request whose deadline passed in the queue got %d (Retry-After %q), want 503 with Retry-After",
			got.Code, got.Header().Get("Retry-After"))
	}
}
