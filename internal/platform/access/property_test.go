package access_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/rampart-project/rampart/internal/platform/access"
	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/db/dbtest"
)

// world is a random instance: organizations, community memberships, users
// and items with audiences.
type world struct {
	orgs        []string
	communities []string            // besides all-members
	members     map[string][]string // community -> orgs
	users       []user
	items       []access.Item
}

type user struct{ id, org string }

func randomWorld(r *rand.Rand, nOrgs, nItems int) world {
	w := world{members: map[string][]string{}}
	for i := range nOrgs {
		w.orgs = append(w.orgs, fmt.Sprintf("org-%d", i))
		for j := range 2 {
			w.users = append(w.users, user{id: fmt.Sprintf("user-%d-%d", i, j), org: fmt.Sprintf("org-%d", i)})
		}
	}
	for i := range 5 {
		c := fmt.Sprintf("community-%d", i)
		w.communities = append(w.communities, c)
		for _, o := range w.orgs {
			if r.IntN(3) == 0 {
				w.members[c] = append(w.members[c], o)
			}
		}
	}
	for i := range nItems {
		owner := w.orgs[r.IntN(len(w.orgs))]
		creator := w.users[r.IntN(len(w.users))]
		if r.IntN(4) > 0 { // usually a user of the owner organization
			creator = user{id: owner + "-creator", org: owner}
			for _, u := range w.users {
				if u.org == owner {
					creator = u
					break
				}
			}
		}
		it := access.Item{
			ID:        fmt.Sprintf("item-%d", i),
			OwnerOrg:  owner,
			CreatedBy: creator.id,
			TLP:       access.Levels[r.IntN(len(access.Levels))],
		}
		seen := map[string]bool{}
		for range r.IntN(4) {
			var g access.Grant
			switch r.IntN(4) {
			case 0:
				g = access.Grant{Kind: access.GrantOrg, ID: w.orgs[r.IntN(len(w.orgs))]}
			case 1:
				g = access.Grant{Kind: access.GrantOrg, ID: w.orgs[r.IntN(len(w.orgs))], ExtendedBy: w.orgs[r.IntN(len(w.orgs))]}
			case 2:
				all := append([]string{access.AllMembers}, w.communities...)
				g = access.Grant{Kind: access.GrantCommunity, ID: all[r.IntN(len(all))]}
			case 3:
				g = access.Grant{Kind: access.GrantUser, ID: w.users[r.IntN(len(w.users))].id}
			}
			key := string(g.Kind) + "/" + g.ID
			if !seen[key] {
				seen[key] = true
				it.Audience = append(it.Audience, g)
			}
		}
		w.items = append(w.items, it)
	}
	return w
}

func (w world) principal(u user) access.Principal {
	p := access.Principal{UserID: u.id, OrgID: u.org}
	for c, orgs := range w.members {
		if slices.Contains(orgs, u.org) {
			p.Communities = append(p.Communities, c)
		}
	}
	return p
}

// oracle is the table of ARCHITECTURE.md, written out independently of
// CanSee.
func (w world) oracle(publicFeed bool, u *user, it access.Item) bool {
	if u == nil {
		return publicFeed && it.TLP == access.Clear
	}
	member := func(community string) bool {
		return community == access.AllMembers || slices.Contains(w.members[community], u.org)
	}
	has := func(ok func(g access.Grant) bool) bool { return slices.ContainsFunc(it.Audience, ok) }
	switch it.TLP {
	case access.Clear:
		return true
	case access.Red:
		return it.CreatedBy == u.id || has(func(g access.Grant) bool { return g.Kind == access.GrantUser && g.ID == u.id })
	}
	if it.OwnerOrg == u.org {
		return true
	}
	switch it.TLP {
	case access.Green:
		return has(func(g access.Grant) bool { return g.Kind == access.GrantCommunity && member(g.ID) })
	case access.Amber:
		return has(func(g access.Grant) bool {
			return g.Kind == access.GrantOrg && g.ID == u.org || g.Kind == access.GrantCommunity && member(g.ID)
		})
	case access.AmberStrict:
		return has(func(g access.Grant) bool { return g.Kind == access.GrantOrg && g.ID == u.org && g.ExtendedBy == "" })
	}
	return false
}

func (w world) store(t *testing.T, d *db.DB) {
	t.Helper()
	ctx := context.Background()
	err := d.Tx(ctx, func(tx *sql.Tx) error {
		exec := func(q string, args ...any) {
			if _, err := tx.ExecContext(ctx, q, args...); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		exec(`CREATE TABLE probe_items (id TEXT PRIMARY KEY, owner_org TEXT NOT NULL, created_by TEXT NOT NULL, tlp TEXT NOT NULL)`)
		for _, o := range w.orgs {
			exec(`INSERT INTO organizations (id, name, kind, created_at) VALUES ($1, $1, 'local', 0)`, o)
		}
		for _, c := range w.communities {
			exec(`INSERT INTO communities (id, name, created_at) VALUES ($1, $1, 0)`, c)
			for _, o := range w.members[c] {
				exec(`INSERT INTO community_members (community_id, org_id, added_at) VALUES ($1, $2, 0)`, c, o)
			}
		}
		for _, it := range w.items {
			exec(`INSERT INTO probe_items (id, owner_org, created_by, tlp) VALUES ($1, $2, $3, $4)`, it.ID, it.OwnerOrg, it.CreatedBy, string(it.TLP))
			for _, g := range it.Audience {
				var ext any
				if g.ExtendedBy != "" {
					ext = g.ExtendedBy
				}
				exec(`INSERT INTO item_audience (item_id, grantee_kind, grantee_id, extended_by) VALUES ($1, $2, $3, $4)`, it.ID, string(g.Kind), g.ID, ext)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func visibleBySQL(t *testing.T, d *db.DB, pol access.Policy, p access.Principal) map[string]bool {
	t.Helper()
	var args access.Args
	q := `SELECT i.id FROM probe_items i WHERE ` + pol.Predicate(p, access.On("i"), &args)
	rows, err := d.Reader().QueryContext(context.Background(), q, args.Values...)
	if err != nil {
		t.Fatalf("%v\n%s", err, q)
	}
	defer rows.Close()
	seen := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		seen[id] = true
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return seen
}

// TestDecisionAgreesWithPredicateAndTable generates random worlds and checks,
// for every (principal, item) pair, that CanSee, the SQL predicate and the
// table agree: at least 10,000 cases a run on each engine.
func TestDecisionAgreesWithPredicateAndTable(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		seed := rand.Uint64()
		t.Logf("seed %d", seed)
		r := rand.New(rand.NewPCG(seed, 42))
		w := randomWorld(r, 12, 450)
		w.store(t, d)
		cases := 0
		for _, publicFeed := range []bool{false, true} {
			pol := access.Policy{PublicFeed: publicFeed}
			principals := append([]*user{nil}, func() []*user {
				var ps []*user
				for i := range w.users {
					ps = append(ps, &w.users[i])
				}
				return ps
			}()...)
			for _, u := range principals {
				var p access.Principal
				if u != nil {
					p = w.principal(*u)
					p.Coordinator = r.IntN(5) == 0 // never changes the answer
				}
				bySQL := visibleBySQL(t, d, pol, p)
				for _, it := range w.items {
					cases++
					want := w.oracle(publicFeed, u, it)
					if got := pol.CanSee(p, it); got != want {
						t.Fatalf("CanSee(%+v, %+v) = %v; the table says %v", p, it, got, want)
					}
					if got := bySQL[it.ID]; got != want {
						t.Fatalf("predicate for %+v on %+v = %v; the table says %v", p, it, got, want)
					}
				}
			}
		}
		if cases < 10000 {
			t.Fatalf("only %d cases", cases)
		}
		t.Logf("%d cases agree", cases)
	})
}
