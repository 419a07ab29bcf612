package sharing_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/rampart-project/rampart/internal/platform/access"
	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/db/dbtest"
	"github.com/rampart-project/rampart/internal/sharing"
	"github.com/rampart-project/rampart/stix"
)

// Versions arriving in any order, in batches with repeats, from two owners
// at several TLPs: after every batch exactly the greatest (modified, seq)
// version of each object is not superseded, and the latest version each
// reader gets from Find is the latest of those it may see — which is what
// Find computed before the flag, by search alone.
func TestSupersededKeepsLatestAmongVisible(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		w := newWorld(t, d)
		ctx := context.Background()
		rng := rand.New(rand.NewPCG(7, 11))
		ids := []string{id1, id2, "0d6c5d1e-4a4b-4d7e-9a2c-6a0f3e1b2c3d"}
		amberStrict, _ := stix.TLPMarkingID("amber+strict")
		red, _ := stix.TLPMarkingID("red")
		for round := 0; round < 25; round++ {
			var batch []string
			for range 1 + rng.IntN(5) {
				id := ids[rng.IntN(len(ids))]
				modified := fmt.Sprintf("2026-0%d-01T00:00:00.000Z", 1+rng.IntN(6))
				var marks []string
				switch rng.IntN(4) {
				case 0:
					marks = []string{amberStrict}
				case 1:
					marks = []string{red}
				}
				batch = append(batch, indicator(id, modified, fmt.Sprintf("192.0.2.%d", rng.IntN(3)), marks...))
				if rng.IntN(4) == 0 {
					batch = append(batch, batch[len(batch)-1]) // the same version twice in one batch
				}
			}
			who := w.a
			if rng.IntN(2) == 0 {
				who = w.b
			}
			sub := sharing.Submission{Principal: who, Source: sharing.SourceAPI, DefaultTLP: access.Green}
			if rng.IntN(2) == 0 {
				sub.Collection = &w.coll
			}
			w.ingest(sub, batch...)
			checkSupersededInvariant(t, d)
			for _, p := range []access.Principal{w.a, w.b, w.outsid} {
				for _, coll := range []string{"", w.coll.ID} {
					all, err := w.store.Find(ctx, p, sharing.Query{Collection: coll, Versions: []string{string(sharing.AllVersions)}, Limit: 1000})
					if err != nil {
						t.Fatal(err)
					}
					want := map[string]sharing.Version{}
					for _, v := range all.Versions {
						cur, ok := want[v.StixID]
						if !ok || v.Modified.After(cur.Modified) || (v.Modified.Equal(cur.Modified) && v.Seq > cur.Seq) {
							want[v.StixID] = v
						}
					}
					last, err := w.store.Find(ctx, p, sharing.Query{Collection: coll, Limit: 1000})
					if err != nil {
						t.Fatal(err)
					}
					got := map[string]int64{}
					for _, v := range last.Versions {
						if _, dup := got[v.StixID]; dup {
							t.Fatalf("round %d: %s listed twice among the latest", round, v.StixID)
						}
						got[v.StixID] = v.Seq
					}
					if len(got) != len(want) {
						t.Fatalf("round %d, %s, collection %q: %d latest versions, want %d", round, p.UserID, coll, len(got), len(want))
					}
					for id, v := range want {
						if got[id] != v.Seq {
							t.Fatalf("round %d, %s, collection %q: latest of %s is seq %d, want %d", round, p.UserID, coll, id, got[id], v.Seq)
						}
					}
				}
			}
		}
	})
}

func checkSupersededInvariant(t *testing.T, d *db.DB) {
	t.Helper()
	rows, err := d.Reader().QueryContext(context.Background(), `SELECT v.seq, v.superseded,
		CASE WHEN EXISTS (SELECT 1 FROM stix_versions v2 WHERE v2.stix_id = v.stix_id
			AND (v2.modified > v.modified OR (v2.modified = v.modified AND v2.seq > v.seq))) THEN 1 ELSE 0 END
		FROM stix_versions v`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var seq, flag, want int64
		if err := rows.Scan(&seq, &flag, &want); err != nil {
			t.Fatal(err)
		}
		if flag != want {
			t.Fatalf("version %d: superseded = %d, want %d", seq, flag, want)
		}
	}
}
