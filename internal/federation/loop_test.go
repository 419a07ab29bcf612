package federation_test

import (
	"slices"
	"testing"

	"github.com/rampart-project/rampart/internal/federation"
	"github.com/rampart-project/rampart/internal/platform/db/dbtest"
)

// TestTwoWayPairSettles has A pull from and push to B. What A creates
// reaches B once and comes back to A as unchanged; what B creates reaches
// A once and is never pushed back; after that the pair is quiet.
func TestTwoWayPairSettles(t *testing.T) {
	for _, engine := range dbtest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			t.Parallel()
			a, b := newInstance(t, dbtest.Open(t, engine)), newInstance(t, dbtest.Open(t, engine))
			bURL := serveInstance(t, b)
			p := a.addPeer("b", bURL, true, true)
			a.share(indicator(1, "green"))
			b.share(indicator(2, "green"))

			quiet := settle(t, 5, func() (federation.Result, bool) {
				res := a.sync(p)
				return res, res.Pulled == 0 && res.Pushed == 0
			})
			for _, id := range []string{indicatorID(1), indicatorID(2)} {
				if a.rows(id) != 1 || b.rows(id) != 1 {
					t.Errorf("%s is stored %d times on A and %d on B, want once each", id, a.rows(id), b.rows(id))
				}
			}
			if _, peer := a.sourcePeer(indicatorID(2)); peer != p.ID {
				t.Errorf("B's object on A has source_peer %q, want %q", peer, p.ID)
			}
			if src, _ := b.sourcePeer(indicatorID(2)); src != "api" {
				t.Errorf("B's own object was replaced by a copy from %q", src)
			}
			t.Logf("settled after %d runs", quiet)
		})
	}
}

// TestRingSettles has B pull from A, C from B and A from C. An object
// created on A goes round once: each instance stores it once, A sees it
// come back as unchanged, and the ring falls quiet.
func TestRingSettles(t *testing.T) {
	for _, engine := range dbtest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			t.Parallel()
			a, b, c := newInstance(t, dbtest.Open(t, engine)), newInstance(t, dbtest.Open(t, engine)), newInstance(t, dbtest.Open(t, engine))
			pb := b.addPeer("a", serveInstance(t, a), true, false)
			pc := c.addPeer("b", serveInstance(t, b), true, false)
			pa := a.addPeer("c", serveInstance(t, c), true, false)
			a.share(indicator(1, "green"), indicator(2, "clear"))
			c.share(indicator(3, "green"))

			rounds := settle(t, 6, func() (federation.Result, bool) {
				var total federation.Result
				for _, run := range []struct {
					in *instance
					p  federation.Peer
				}{{b, pb}, {c, pc}, {a, pa}} {
					res := run.in.sync(run.p)
					total.Pulled += res.Pulled
					total.Unchanged += res.Unchanged
					if res.Error != "" {
						total.Error = res.Error
					}
				}
				return total, total.Pulled == 0
			})
			for _, id := range []string{indicatorID(1), indicatorID(2), indicatorID(3)} {
				got := []int{a.rows(id), b.rows(id), c.rows(id)}
				if !slices.Equal(got, []int{1, 1, 1}) {
					t.Errorf("%s is stored %v times on A, B, C; want once each", id, got)
				}
			}
			t.Logf("settled after %d rounds", rounds)
		})
	}
}

// settle runs step until it reports quiet, at most limit times, and
// returns how many runs it took.
func settle(t *testing.T, limit int, step func() (federation.Result, bool)) int {
	t.Helper()
	for i := 1; i <= limit; i++ {
		res, quiet := step()
		if res.Error != "" {
			t.Fatalf("run %d: %s", i, res.Error)
		}
		if quiet {
			return i
		}
	}
	t.Fatalf("still moving objects after %d runs", limit)
	return limit
}
