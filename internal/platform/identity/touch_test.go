package identity

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestTouchGateLetsOneCallerThroughPerInterval(t *testing.T) {
	var g touchGate
	t0 := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	stale := t0.Add(-2 * time.Minute)
	for round, now := range []time.Time{t0, t0.Add(time.Minute), t0.Add(2*time.Minute + time.Second)} {
		var granted atomic.Int32
		var wg sync.WaitGroup
		for range 64 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				// Every caller read the row before any write landed.
				if g.claim("token:a", stale, now, time.Minute) {
					granted.Add(1)
				}
			}()
		}
		wg.Wait()
		if n := granted.Load(); n != 1 {
			t.Fatalf("round %d: %d of 64 concurrent callers may write, want 1", round, n)
		}
	}
	if g.claim("token:a", stale, t0.Add(2*time.Minute+30*time.Second), time.Minute) {
		t.Error("a write within the interval of the last one was let through")
	}
	if !g.claim("token:b", stale, t0, time.Minute) {
		t.Error("another key waits for the first one's interval")
	}
}

func TestTouchGateHonoursTheStoredTime(t *testing.T) {
	var g touchGate
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	if g.claim("session:x", now.Add(-30*time.Second), now, time.Minute) {
		t.Error("a use recorded 30 s ago (by another instance) is written again")
	}
	if !g.claim("session:x", now.Add(-61*time.Second), now, time.Minute) {
		t.Error("a use recorded 61 s ago is not written again")
	}
}

func TestTouchGateForgetsOldEntries(t *testing.T) {
	var g touchGate
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	for i := range touchGateSweep {
		g.claim(fmt.Sprint("session:", i), time.Time{}, now, time.Minute)
	}
	later := now.Add(2 * time.Minute)
	if !g.claim("session:new", time.Time{}, later, time.Minute) {
		t.Fatal("a new key was refused")
	}
	if len(g.last) != 1 {
		t.Errorf("the gate keeps %d entries after a sweep, want 1", len(g.last))
	}
	if !g.claim("session:0", time.Time{}, later, time.Minute) {
		t.Error("a forgotten key whose interval passed is refused")
	}
}

func TestTouchGateSweepsOnlyWhenItHasGrown(t *testing.T) {
	var g touchGate
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	// More keys active within one interval than a sweep would forget.
	for i := range touchGateSweep + 10 {
		g.claim(fmt.Sprint("token:", i), time.Time{}, now, time.Minute)
	}
	if len(g.last) != touchGateSweep+10 {
		t.Fatalf("the gate lost keys still within their interval: %d", len(g.last))
	}
	if want := 2 * touchGateSweep; g.sweepAt != want {
		t.Errorf("after a sweep that forgot nothing, the next is at %d entries, want %d", g.sweepAt, want)
	}
}
