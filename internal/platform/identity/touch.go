package identity

import (
	"sync"
	"time"
)

// touchGate lets one request per token or session and interval record its
// use. The stored time alone cannot decide it: every request that reads
// the row before the first write lands sees it stale, so the 64 clients of
// a benchmark sharing eight tokens queued dozens of writes, each with its
// fsync, behind the one writer once a minute, and their TAXII pages waited
// 0.2–0.7 s for it. Instances sharing a database each keep their own gate;
// that is a write per instance and interval at most.
type touchGate struct {
	mu      sync.Mutex
	last    map[string]time.Time // key → when this process last let a write through
	sweepAt int                  // the size at which claim next forgets passed entries
}

// touchGateSweep is the smallest size at which claim forgets entries whose
// interval has passed, so that a long-running server does not keep every
// session it ever saw. After a sweep the next waits until the map has
// doubled, so that many keys active at once cost a sweep now and then, not
// one per claim.
const touchGateSweep = 4096

// claim reports whether the caller should record a use of key at now: the
// later of stored (what the database holds) and this process's last write
// is at least every ago. A true answer is given to one caller only.
func (g *touchGate) claim(key string, stored, now time.Time, every time.Duration) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	last := g.last[key]
	if stored.After(last) {
		last = stored
	}
	if now.Sub(last) < every {
		return false
	}
	if g.last == nil {
		g.last = map[string]time.Time{}
	}
	if len(g.last) >= max(g.sweepAt, touchGateSweep) {
		for k, t := range g.last {
			if now.Sub(t) >= every {
				delete(g.last, k)
			}
		}
		g.sweepAt = 2 * len(g.last)
	}
	g.last[key] = now
	return true
}
