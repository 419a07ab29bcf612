package sharing_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rampart-project/rampart/internal/platform/access"
	"github.com/rampart-project/rampart/internal/platform/identity"
	"github.com/rampart-project/rampart/internal/sharing"
)

// TestStreamAgreesWithTheStore is the stream's property: for random
// objects (TLP, submitter, audience, anonymity) and random subscribers
// (who, which filters), each subscriber receives exactly what Store.Find
// lists for it — the same versions, in the same order, shown the same
// way. The hub decides in Go with CanSee; Find in SQL with the predicate.
func TestStreamAgreesWithTheStore(t *testing.T) {
	runLive(t, func(t *testing.T, e *liveEnv) {
		seed := uint64(time.Now().UnixNano())
		t.Logf("seed %d", seed)
		rng := rand.New(rand.NewPCG(seed, seed>>1))
		users := []*identity.User{e.analystA, e.colleagueA, e.adminA, e.analystB, e.adminB, e.analystX, e.coordin}
		pick := func(n int) int { return rng.IntN(n) }

		type subscriber struct {
			u *identity.User
			q sharing.Query
			c *sseClient
		}
		var subs []subscriber
		for range 10 {
			s := subscriber{u: users[pick(len(users))], q: sharing.Query{Versions: []string{"all"}, Limit: sharing.MaxLimit}}
			params := url.Values{}
			if pick(3) == 0 {
				s.q.Types = []string{[]string{"indicator", "malware"}[pick(2)]}
				params.Set("type", s.q.Types[0])
			}
			if pick(3) == 0 {
				for _, l := range access.Levels {
					if pick(2) == 0 {
						s.q.TLPs = append(s.q.TLPs, l)
					}
				}
				if len(s.q.TLPs) > 0 {
					levels := make([]string, len(s.q.TLPs))
					for i, l := range s.q.TLPs {
						levels[i] = string(l)
					}
					params.Set("tlp", strings.Join(levels, ","))
				}
			}
			query := ""
			if len(params) > 0 {
				query = "?" + params.Encode()
			}
			s.c = e.stream(s.u, streamOpts{query: query})
			s.q.After = s.c.opened.id
			subs = append(subs, s)
		}

		grantees := []access.Grant{
			{Kind: access.GrantCommunity, ID: e.community.ID}, {Kind: access.GrantCommunity, ID: access.AllMembers},
			{Kind: access.GrantOrg, ID: e.orgA.ID}, {Kind: access.GrantOrg, ID: e.orgB.ID}, {Kind: access.GrantOrg, ID: e.orgX.ID},
		}
		for _, u := range users {
			grantees = append(grantees, access.Grant{Kind: access.GrantUser, ID: u.ID})
		}
		for i := range 40 {
			how := share{tlp: access.Levels[pick(len(access.Levels))], anonymous: pick(4) == 0}
			for _, g := range grantees {
				if pick(4) == 0 {
					how.grants = append(how.grants, g)
				}
			}
			var objs []string
			for j := range 1 + pick(3) {
				name := fmt.Sprintf("p-%02d-%d", i, j)
				if pick(2) == 0 {
					objs = append(objs, liveMalware(name))
				} else {
					objs = append(objs, liveIndicator(name))
				}
			}
			e.share(users[pick(len(users))], how, objs...)
		}

		for i, s := range subs {
			page, err := e.store.Find(context.Background(), e.principal(s.u), s.q)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, v := range page.Versions {
				b, _ := json.Marshal(v)
				want = append(want, fmt.Sprintf("%d %s", v.Seq, b))
			}
			var got []string
			deadline := time.After(10 * time.Second)
		collect:
			for len(got) < len(want) {
				select {
				case ev := <-s.c.events:
					got = append(got, fmt.Sprintf("%d %s", ev.id, ev.data))
				case <-deadline:
					break collect
				}
			}
			// Then nothing more.
			select {
			case ev := <-s.c.events:
				got = append(got, fmt.Sprintf("%d %s", ev.id, ev.data))
			case <-time.After(300 * time.Millisecond):
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("subscriber %d (%s, types %v, tlp %v): the stream and the store disagree\nstream (%d):\n%s\nstore (%d):\n%s",
					i, s.u.Email, s.q.Types, s.q.TLPs, len(got), short(got), len(want), short(want))
			}
		}
	})
}

func short(lines []string) string {
	out := make([]string, len(lines))
	for i, l := range lines {
		if len(l) > 120 {
			l = l[:120] + "..."
		}
		out[i] = l
	}
	return strings.Join(out, "\n")
}
