package federation_test

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"testing"

	"github.com/rampart-project/rampart/internal/federation"
	"github.com/rampart-project/rampart/internal/platform/access"
	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/db/dbtest"
	"github.com/rampart-project/rampart/internal/platform/identity"
	"github.com/rampart-project/rampart/internal/sharing"
	"github.com/rampart-project/rampart/stix"
)

// TestPushSendsOnlyWhatMayLeave pushes a collection holding every TLP
// level, an object pulled from the peer itself and another organization's
// object the owner may not see: only what is at most max_tlp, never RED,
// visible to the owner and not from that peer is sent, and only once.
func TestPushSendsOnlyWhatMayLeave(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		in := newInstance(t, d)
		in.share(indicator(1, "clear"), indicator(2, "green"), indicator(3, "amber"), indicator(4, "amber+strict"), indicator(5, "red"))

		remote := newFakeTAXII(t)
		green := in.addPeer("green-peer", remote.root(), false, true)
		wide := in.addPeer("red-peer", remote.root(), false, true, func(i *federation.Input) { i.MaxTLP = strp("red") })

		// An object that came from green-peer, and one of another
		// organization that only it may see.
		_, err := in.store.Ingest(ctx, sharing.Submission{Principal: access.Principal{UserID: "peer:" + green.ID, OrgID: in.org},
			Source: sharing.SourceFederation, SourcePeer: green.ID, SkipKnown: true, Collection: &in.coll}, parse(t, indicator(6, "green")))
		if err != nil {
			t.Fatal(err)
		}
		other := identity.Organization{Name: "Other County", Kind: identity.KindLocal}
		if err := d.Tx(ctx, func(tx *sql.Tx) error { return in.ids.CreateOrg(ctx, tx, &other) }); err != nil {
			t.Fatal(err)
		}
		_, err = in.store.Ingest(ctx, sharing.Submission{Principal: access.Principal{UserID: "u", OrgID: other.ID}, Source: sharing.SourceAPI,
			Collection: &in.coll}, parse(t, indicator(7, "amber+strict")))
		if err != nil {
			t.Fatal(err)
		}

		res := in.sync(green)
		if got, want := sortedIDs(remote.postedIDs()), []string{indicatorID(1), indicatorID(2)}; !slices.Equal(got, want) || res.Pushed != 2 {
			t.Fatalf("green peer got %v (%+v), want %v", got, res, want)
		}
		remote.set(func(f *fakeTAXII) { f.posted = nil })
		res = in.sync(wide)
		if got, want := sortedIDs(remote.postedIDs()), []string{indicatorID(1), indicatorID(2), indicatorID(3), indicatorID(4), indicatorID(6)}; !slices.Equal(got, want) {
			t.Fatalf("a peer with max_tlp RED got %v (%+v), want %v", got, res, want)
		}
		if p := in.peer(wide.ID); p.PushCursor == 0 || p.Pushed != 5 {
			t.Fatalf("push cursor %d, pushed %d", p.PushCursor, p.Pushed)
		}

		// Nothing new: nothing sent. Something new: only it.
		remote.set(func(f *fakeTAXII) { f.posted = nil })
		if res = in.sync(wide); res.Pushed != 0 || len(remote.postedIDs()) != 0 {
			t.Fatalf("second run sent %v", remote.postedIDs())
		}
		in.share(indicator(8, "green"))
		if in.sync(wide); !slices.Equal(remote.postedIDs(), []string{indicatorID(8)}) {
			t.Fatalf("third run sent %v", remote.postedIDs())
		}
	})
}

// TestPushBatchesAndCatchesUp sends a large collection in envelopes of at
// most 500, keeps the cursor when the peer is down so that it catches up
// later, splits envelopes the peer finds too large, and notes refusals
// without sending them again.
func TestPushBatchesAndCatchesUp(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		in := newInstance(t, d)
		var objs []string
		for i := 1; i <= 1200; i++ {
			objs = append(objs, indicator(i, "green"))
		}
		in.share(objs...)
		remote := newFakeTAXII(t)
		p := in.addPeer("down", remote.root(), false, true)

		remote.set(func(f *fakeTAXII) { f.failPOST = 503 })
		res := in.sync(p)
		if !strings.Contains(res.Error, "push: ") || in.peer(p.ID).PushCursor != 0 || in.peer(p.ID).Failures != 1 {
			t.Fatalf("while down: %+v", res)
		}

		remote.set(func(f *fakeTAXII) { f.failPOST, f.refuse[indicatorID(42)] = 0, "not today" })
		res = in.sync(p)
		if res.Error != "" || res.Pushed != 1199 || res.Refused != 1 {
			t.Fatalf("catching up: %+v", res)
		}
		remote.set(func(f *fakeTAXII) {
			for i, env := range f.posted {
				if len(env) > federation.PushBatch {
					t.Errorf("envelope %d has %d objects", i, len(env))
				}
			}
		})
		if got := in.peer(p.ID); got.Failures != 0 || !strings.Contains(got.LastError, "refused 1 of") || got.Pushed != 1199 {
			t.Fatalf("after catching up: %+v", got)
		}

		// A peer that takes at most 100 objects an envelope gets them all.
		remote.set(func(f *fakeTAXII) { f.posted, f.tooLarge = nil, 100 })
		q := in.addPeer("small", remote.root(), false, true)
		if res := in.sync(q); res.Error != "" || res.Pushed != 1199 || len(remote.postedIDs()) != 1200 {
			t.Fatalf("split envelopes: %+v, %d posted", res, len(remote.postedIDs()))
		}
	})
}

func sortedIDs(ids []string) []string {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	return ids
}

// TestPushMarksTheTLP sends an object whose TLP was set by the submission,
// not marked in the object: it leaves with its marking, so the peer cannot
// mistake it for an unmarked one.
func TestPushMarksTheTLP(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		in := newInstance(t, d)
		_, err := in.store.Ingest(ctx, sharing.Submission{Principal: in.analyst, Source: sharing.SourceAPI, Collection: &in.coll,
			DefaultTLP: access.Amber}, parse(t, indicator(9, "none")))
		if err != nil {
			t.Fatal(err)
		}
		remote := newFakeTAXII(t)
		p := in.addPeer("amber-peer", remote.root(), false, true, func(i *federation.Input) { i.MaxTLP = strp("amber") })
		in.sync(p)
		var got []string
		remote.set(func(f *fakeTAXII) {
			for _, env := range f.posted {
				for _, o := range env {
					got = append(got, o.ObjectMarkingRefs()...)
				}
			}
		})
		amber, _ := stix.TLPMarkingID("amber")
		if !slices.Equal(got, []string{amber}) {
			t.Fatalf("pushed with markings %v, want TLP:AMBER", got)
		}
	})
}
