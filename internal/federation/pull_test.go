package federation_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rampart-project/rampart/internal/federation"
	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/db/dbtest"
	"github.com/rampart-project/rampart/stix"
	"github.com/rampart-project/rampart/taxii"
)

// TestPullPagesAndAdvancesTheCursor pulls 2,500 objects in pages of 1,000
// by added_after, keeps the peer's provenance on every version, drops
// TLP:RED, and on the next runs asks only for what is new.
func TestPullPagesAndAdvancesTheCursor(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		in := newInstance(t, d)
		remote := newFakeTAXII(t)
		var objs []string
		for i := 1; i <= 2500; i++ {
			objs = append(objs, indicator(i, "green"))
		}
		remote.offer(parse(t, objs...)...)
		remote.offer(parse(t, indicator(9001, "red"))...)
		p := in.addPeer("state-b", remote.root(), true, false, func(i *federation.Input) {
			i.Username, i.Secret = strp("svc@b.example"), strp("s3cret-token")
		})

		res := in.sync(p)
		if res.Error != "" || res.Pulled != 2500 || res.Dropped != 1 {
			t.Fatalf("first run: %+v", res)
		}
		queries, auth, added := remote.seen()
		if len(queries) != 3 {
			t.Fatalf("%d requests, want 3 pages", len(queries))
		}
		for i, q := range queries {
			if q.Get("limit") != "1000" || q.Get("match[version]") != "all" {
				t.Errorf("request %d: %v", i, q)
			}
			if (i == 0) != (q.Get("added_after") == "") {
				t.Errorf("request %d: added_after %q", i, q.Get("added_after"))
			}
		}
		if !strings.HasPrefix(auth[0], "Basic ") {
			t.Errorf("authorization: %q", auth[0])
		}
		last := taxii.FormatTimestamp(added[len(added)-1])
		got := in.peer(p.ID)
		if got.Cursor != last || got.Pulled != 2500 || got.LastError != "" || got.LastRunAt.IsZero() {
			t.Fatalf("peer after the run: cursor %q (want %q), pulled %d, error %q", got.Cursor, last, got.Pulled, got.LastError)
		}
		if src, peer := in.sourcePeer(indicatorID(7)); src != "federation" || peer != p.ID {
			t.Fatalf("provenance: %q %q", src, peer)
		}
		if n := in.rows(indicatorID(9001)); n != 0 {
			t.Fatalf("a TLP:RED object was stored: %d", n)
		}

		// Nothing new: one request from the cursor, nothing stored.
		res = in.sync(p)
		if queries, _, _ = remote.seen(); res.Pulled != 0 || len(queries) != 4 || queries[3].Get("added_after") != last {
			t.Fatalf("second run: %+v, queries %v", res, queries)
		}
		remote.offer(parse(t, indicator(3000, "clear"))...)
		if res = in.sync(p); res.Pulled != 1 {
			t.Fatalf("third run: %+v", res)
		}
	})
}

// TestPullFailureKeepsWhatWasStored fails the second page: the first
// page's objects stay and the cursor stands after them, the error and the
// backoff are recorded on the peer, and the next run resumes.
func TestPullFailureKeepsWhatWasStored(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		in := newInstance(t, d)
		remote := newFakeTAXII(t)
		var objs []string
		for i := 1; i <= 1500; i++ {
			objs = append(objs, indicator(i, "green"))
		}
		remote.offer(parse(t, objs...)...)
		remote.set(func(f *fakeTAXII) { f.failGET[2] = 500 })
		p := in.addPeer("flaky", remote.root(), true, false)

		before := time.Now()
		res := in.sync(p)
		if res.Pulled != 1000 || !strings.Contains(res.Error, "broken on purpose") {
			t.Fatalf("failed run: %+v", res)
		}
		got := in.peer(p.ID)
		_, _, added := remote.seen()
		if got.Cursor != taxii.FormatTimestamp(added[999]) || got.Failures != 1 ||
			!strings.Contains(got.LastError, "pull: ") || !got.NextRunAt.After(before) {
			t.Fatalf("peer after the failure: %+v", got)
		}
		res = in.sync(p)
		if res.Error != "" || res.Pulled != 500 {
			t.Fatalf("resumed run: %+v", res)
		}
		queries, _, _ := remote.seen()
		if q := queries[len(queries)-1]; q.Get("added_after") != got.Cursor {
			t.Fatalf("resumed from %q, want %q", q.Get("added_after"), got.Cursor)
		}
		if got = in.peer(p.ID); got.Failures != 0 || got.LastError != "" || got.Pulled != 1500 {
			t.Fatalf("peer after recovering: %+v", got)
		}
	})
}

// TestPullFollowsNextTokens pulls from a server that pages with next
// tokens and sends no date headers.
func TestPullFollowsNextTokens(t *testing.T) {
	in := newInstance(t, dbtest.Open(t, db.SQLite))
	remote := newFakeTAXII(t)
	remote.set(func(f *fakeTAXII) { f.nextTokens = true })
	var objs []stix.Object
	for i := 1; i <= 1200; i++ {
		objs = append(objs, parse(t, indicator(i, ""))...)
	}
	remote.offer(objs...)
	res := in.sync(in.addPeer("tokens", remote.root(), true, false))
	queries, _, _ := remote.seen()
	if res.Error != "" || res.Pulled != 1200 || queries[1].Get("next") != "1000" {
		t.Fatalf("%+v %v", res, queries)
	}
}

// TestPullPagesStopsAServerThatDoesNotMoveOn ends in an error, not a
// loop, when a server keeps saying "more" with the same next token.
func TestPullPagesStopsAServerThatDoesNotMoveOn(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeTAXII(w, http.StatusOK, taxii.Envelope{More: true, Next: "again"})
	}))
	defer srv.Close()
	pages := 0
	c := taxii.NewClient(taxii.ClientOptions{Retry: taxii.RetryPolicy{MaxAttempts: 1}})
	err := federation.PullPages(testContext(t), c, srv.URL+"/api/", "shared", time.Time{}, func(context.Context, []stix.Object, time.Time) error {
		pages++
		return nil
	})
	if !errors.Is(err, taxii.ErrNoProgress) || pages != 2 {
		t.Fatalf("pages %d, err %v", pages, err)
	}
}
