package notify_test

import (
	"context"
	"database/sql"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/rampart-project/rampart/internal/notify"
	"github.com/rampart-project/rampart/internal/platform/access"
	"github.com/rampart-project/rampart/internal/platform/audit"
	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/db/dbtest"
	"github.com/rampart-project/rampart/internal/platform/errs"
	"github.com/rampart-project/rampart/internal/platform/identity"
)

// orgs creates organizations by name and returns their ids.
func orgs(t *testing.T, d *db.DB, names ...string) map[string]string {
	t.Helper()
	ids := map[string]string{}
	s := identity.NewStore(d)
	err := d.Tx(context.Background(), func(tx *sql.Tx) error {
		for _, n := range names {
			o := identity.Organization{Name: n, Kind: identity.KindLocal}
			if err := s.CreateOrg(context.Background(), tx, &o); err != nil {
				return err
			}
			ids[n] = o.ID
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func TestCanView(t *testing.T) {
	t.Parallel()
	cases := []struct {
		p    access.Principal
		org  string
		want bool
	}{
		{access.Principal{UserID: "u", OrgID: "county"}, "county", true},
		{access.Principal{UserID: "u", OrgID: "state"}, "county", false},
		{access.Principal{UserID: "u", OrgID: "state", Coordinator: true}, "county", true},
		{access.Principal{}, "county", false},
		{access.Principal{OrgID: "county"}, "county", false}, // no user: anonymous
		{access.Principal{Coordinator: true}, "county", false},
		{access.Principal{UserID: "u", OrgID: "county"}, "", false},
	}
	for _, tc := range cases {
		if got := notify.CanView(tc.p, tc.org); got != tc.want {
			t.Errorf("CanView(%+v, %q) = %v, want %v", tc.p, tc.org, got, tc.want)
		}
	}
}

func TestStore(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		ids := orgs(t, d, "County", "State")
		county, state := ids["County"], ids["State"]
		s := notify.NewStore(d)
		member := access.Principal{UserID: "pat", OrgID: county}
		other := access.Principal{UserID: "sam", OrgID: state}
		coordinator := access.Principal{UserID: "cc", OrgID: state, Coordinator: true}
		actor := notify.Actor{UserID: "pat", OrgID: county, Label: "pat@county.example", RequestID: "req-1"}

		p, err := notify.ParseCSV(strings.NewReader(mixedCSV))
		if err != nil {
			t.Fatal(err)
		}
		res, err := s.Import(ctx, county, p.Items, actor)
		if err != nil || res.Added != 4 || res.Kept != 0 {
			t.Fatalf("import: %+v %v", res, err)
		}
		// Again, with one new item and one duplicate in the input.
		more := append(slices.Clone(p.Items), item("asn", "64500", ""), item("asn", "AS64500", ""))
		res, err = s.Import(ctx, county, more, actor)
		if err != nil || res.Added != 1 || res.Kept != 5 {
			t.Fatalf("second import: %+v %v", res, err)
		}
		if _, err := s.Import(ctx, "no-such-org", p.Items, actor); errs.CodeOf(err) != errs.NotFound {
			t.Errorf("import into an unknown organization: %v", err)
		}
		if _, err := s.Import(ctx, county, []notify.Item{item("cidr", "x", "")}, actor); errs.CodeOf(err) != errs.Invalid {
			t.Errorf("import of an invalid item: %v", err)
		}

		// Only the organization and coordinators read it.
		all, next, err := s.List(ctx, member, county, notify.ListQuery{})
		if err != nil || len(all) != 5 || next != "" {
			t.Fatalf("list: %d %q %v", len(all), next, err)
		}
		if _, _, err := s.List(ctx, other, county, notify.ListQuery{}); errs.CodeOf(err) != errs.NotFound {
			t.Errorf("another organization listed the inventory: %v", err)
		}
		if _, err := s.Counts(ctx, other, county); errs.CodeOf(err) != errs.NotFound {
			t.Errorf("another organization counted the inventory: %v", err)
		}
		if got, _, err := s.List(ctx, coordinator, county, notify.ListQuery{}); err != nil || len(got) != 5 {
			t.Errorf("coordinator: %d %v", len(got), err)
		}
		counts, err := s.Counts(ctx, member, county)
		if err != nil || counts[notify.KindCIDR] != 1 || counts[notify.KindASN] != 1 || len(counts) != 5 {
			t.Errorf("counts %v %v", counts, err)
		}
		// Listed in (kind, value) order, the same on both engines.
		var order []string
		for _, e := range all {
			order = append(order, string(e.Kind)+" "+e.Value)
			if e.OrgID != county || e.AddedBy != "pat@county.example" || e.AddedAt.IsZero() || e.ID == "" {
				t.Errorf("entry %+v", e)
			}
		}
		want := []string{"asn AS64500", "cidr 203.0.113.0/24", "cpe cpe:2.3:a:apache:http_server:2.4.57:*:*:*:*:*:*:*",
			"domain county.example", "url https://portal.county.example/a,b"}
		if !slices.Equal(order, want) {
			t.Errorf("order %v, want %v", order, want)
		}
		// Pages.
		var paged []string
		q := notify.ListQuery{Limit: 2}
		for {
			page, next, err := s.List(ctx, member, county, q)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range page {
				paged = append(paged, string(e.Kind)+" "+e.Value)
			}
			if next == "" {
				break
			}
			q.After = next
		}
		if !slices.Equal(paged, want) {
			t.Errorf("paged %v", paged)
		}
		if page, _, err := s.List(ctx, member, county, notify.ListQuery{Kind: "domain"}); err != nil || len(page) != 1 {
			t.Errorf("by kind: %v %v", page, err)
		}

		// Single adds and removals.
		e, err := s.Add(ctx, county, item("email-domain", "County.Example", ""), actor)
		if err != nil || e.Value != "county.example" {
			t.Fatalf("add: %+v %v", e, err)
		}
		if _, err := s.Add(ctx, county, item("email-domain", "county.example", ""), actor); errs.CodeOf(err) != errs.Conflict {
			t.Errorf("adding twice: %v", err)
		}
		if err := s.RemoveByID(ctx, state, e.ID, actor); errs.CodeOf(err) != errs.NotFound {
			t.Errorf("another organization's entry removed: %v", err)
		}
		if err := s.RemoveByID(ctx, county, e.ID, actor); err != nil {
			t.Errorf("remove: %v", err)
		}
		if n, err := s.Remove(ctx, county, []notify.Item{item("asn", "64500", ""), item("asn", "AS1", "")}, actor); err != nil || n != 1 {
			t.Errorf("remove by value: %d %v", n, err)
		}

		// Replace keeps what stays, adds what is new, removes the rest.
		res, err = s.Replace(ctx, county, []notify.Item{item("cidr", "203.0.113.0/24", ""), item("cidr", "2001:db8::/32", "")}, actor)
		if err != nil || res.Added != 1 || res.Kept != 1 || res.Removed != 3 {
			t.Errorf("replace: %+v %v", res, err)
		}

		// Every write is audited, scoped to the organization, and the log
		// still verifies.
		entries, _, err := audit.List(ctx, d.Reader(), audit.Filter{OrgScope: county, Action: "inventory.", Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, a := range entries {
			actions = append(actions, a.Action)
			if a.ActorLabel != "pat@county.example" || a.ActorUserID != "pat" || a.RequestID != "req-1" {
				t.Errorf("audit entry %+v", a)
			}
		}
		wantActions := []string{"inventory.replace", "inventory.remove", "inventory.remove", "inventory.add", "inventory.import", "inventory.import"}
		if !slices.Equal(actions, wantActions) {
			t.Errorf("audit %v, want %v", actions, wantActions)
		}
		if rep, err := audit.Verify(ctx, d); err != nil || !rep.Intact() {
			t.Errorf("audit verify: %+v %v", rep, err)
		}
		// One change event per write that changed something: the imports
		// (2), add, remove by id, remove by value, replace.
		var events int
		if err := d.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM outbox WHERE topic = $1`, notify.TopicInventoryChanged).Scan(&events); err != nil || events != 6 {
			t.Errorf("events: %d %v", events, err)
		}
	})
}

// TestStoreFeedsMatcher is the matcher's property test through the store,
// on both engines: random inventories imported, loaded into a matcher from
// the database and refreshed organization by organization answer as the
// brute-force oracle does.
func TestStoreFeedsMatcher(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		r := rand.New(rand.NewPCG(13, 14))
		g := netGen{r}
		names := []string{"A", "B", "C"}
		ids := orgs(t, d, names...)
		s := notify.NewStore(d)
		w := world{}
		for _, n := range names {
			nw := randomNetWorld(r, g, 1, 40)
			w[ids[n]] = nw["org0"]
			if _, err := s.Import(ctx, ids[n], nw["org0"], notify.Actor{Label: "cli"}); err != nil {
				t.Fatal(err)
			}
		}
		m := notify.NewMatcher()
		if err := s.LoadMatcher(ctx, m); err != nil {
			t.Fatal(err)
		}
		check := func(label string) {
			t.Helper()
			oracle := newNetOracle(w)
			for range 300 {
				q := g.prefix()
				got := hitKeys(m.Match(notify.Observable{Type: "ipv4-addr", Value: q.String(), Op: "ISSUBSET"}))
				if want := oracle.hits(q, q.Bits() == q.Addr().BitLen()); !slices.Equal(got, want) {
					t.Fatalf("%s, %s:\n got  %v\n want %v", label, q, got, want)
				}
			}
		}
		check("loaded")
		// Change B in the store, refresh it in the matcher.
		nw := randomNetWorld(r, g, 1, 30)
		w[ids["B"]] = nw["org0"]
		if _, err := s.Replace(ctx, ids["B"], nw["org0"], notify.Actor{Label: "cli"}); err != nil {
			t.Fatal(err)
		}
		if err := s.RefreshOrg(ctx, m, ids["B"]); err != nil {
			t.Fatal(err)
		}
		check("refreshed")
		// Hits carry the stored entry verbatim.
		first := w[ids["A"]][0]
		p := netip.MustParsePrefix(first.Value)
		found := false
		for _, h := range m.Match(notify.Observable{Type: "ipv6-addr", Value: p.Addr().String()}) {
			found = found || h.OrgID == ids["A"] && h.Item == first
		}
		if !found {
			t.Errorf("%v not hit by its own first address", first)
		}
	})
}
