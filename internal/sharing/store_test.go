package sharing_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rampart-project/rampart/internal/platform/access"
	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/db/dbtest"
	"github.com/rampart-project/rampart/internal/platform/events"
	"github.com/rampart-project/rampart/internal/platform/identity"
	"github.com/rampart-project/rampart/internal/sharing"
	"github.com/rampart-project/rampart/stix"
)

// world is two organizations with a user each, and a store.
type world struct {
	t      *testing.T
	d      *db.DB
	store  *sharing.Store
	a, b   access.Principal
	orgA   string
	orgB   string
	sltt   string // a community with A and B
	coll   sharing.Collection
	outsid access.Principal // an org in neither community
}

func newWorld(t *testing.T, d *db.DB) *world {
	t.Helper()
	ctx := context.Background()
	ids := identity.NewStore(d)
	w := &world{t: t, d: d, store: sharing.NewStore(d, events.NewOutbox(d, nil), access.Policy{})}
	var orgs [3]identity.Organization
	var comm identity.Community
	err := d.Tx(ctx, func(tx *sql.Tx) error {
		for i, name := range []string{"Ashford County", "State of Meridian", "Skyline Broadband"} {
			orgs[i] = identity.Organization{Name: name, Kind: identity.KindLocal}
			if err := ids.CreateOrg(ctx, tx, &orgs[i]); err != nil {
				return err
			}
		}
		comm = identity.Community{Name: "Meridian SLTT", OwnerOrgID: orgs[1].ID}
		if err := ids.CreateCommunity(ctx, tx, &comm); err != nil {
			return err
		}
		for _, o := range orgs[:2] {
			if err := ids.AddMember(ctx, tx, comm.ID, o.ID); err != nil {
				return err
			}
		}
		w.coll = sharing.Collection{Title: "Meridian SLTT", OwnerOrg: orgs[1].ID, AudienceKind: "community", AudienceID: comm.ID,
			CanRead: true, CanWrite: true, DefaultTLP: access.Green}
		return w.store.CreateCollection(ctx, tx, &w.coll)
	})
	if err != nil {
		t.Fatal(err)
	}
	w.orgA, w.orgB, w.sltt = orgs[0].ID, orgs[1].ID, comm.ID
	w.a = access.Principal{UserID: "user-a", OrgID: orgs[0].ID, Communities: []string{access.AllMembers, comm.ID}}
	w.b = access.Principal{UserID: "user-b", OrgID: orgs[1].ID, Communities: []string{access.AllMembers, comm.ID}}
	w.outsid = access.Principal{UserID: "user-c", OrgID: orgs[2].ID, Communities: []string{access.AllMembers}}
	return w
}

func (w *world) orgC() string { return w.outsid.OrgID }

func (w *world) ingest(sub sharing.Submission, objs ...string) sharing.Report {
	w.t.Helper()
	var parsed []stix.Object
	for _, o := range objs {
		obj, err := stix.ParseObject([]byte(o))
		if err != nil {
			w.t.Fatalf("parse %s: %v", o, err)
		}
		parsed = append(parsed, obj)
	}
	rep, err := w.store.Ingest(context.Background(), sub, parsed)
	if err != nil {
		w.t.Fatalf("ingest: %v", err)
	}
	return rep
}

func indicator(id, modified, value string, markings ...string) string {
	refs := ""
	if len(markings) > 0 {
		refs = `,"object_marking_refs":["` + strings.Join(markings, `","`) + `"]`
	}
	return fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"indicator--%s","created":"2026-01-01T00:00:00.000Z","modified":"%s",
"name":"C2 %s","pattern":"[ipv4-addr:value = '%s']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00.000Z"%s}`, id, modified, value, value, refs)
}

const (
	id1 = "8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
	id2 = "5f0a3c37-77b5-4b11-9d73-2c1f3a8e9d10"
)

func TestIngestKeepsValidObjectsAndReportsBadOnes(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		w := newWorld(t, d)
		sub := sharing.Submission{Principal: w.a, Source: sharing.SourceAPI, DefaultTLP: access.Green}
		rep := w.ingest(sub,
			indicator(id1, "2026-01-01T00:00:00.000Z", "198.51.100.7"),
			`{"type":"indicator","spec_version":"2.1","id":"indicator--`+id2+`","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","pattern":"[ipv4-addr:value = ","pattern_type":"stix","valid_from":"2026-01-01T00:00:00.000Z"}`,
			`{"type":"malware","id":"not-an-id"}`,
		)
		if rep.Added != 1 || rep.Rejected != 2 {
			t.Fatalf("report: %+v", rep)
		}
		if o := rep.Outcomes[1]; o.Status != sharing.StatusRejected || !strings.Contains(strings.Join(o.Errors, " "), "pattern") {
			t.Errorf("bad pattern outcome: %+v", o)
		}
		if o := rep.Outcomes[2]; o.Status != sharing.StatusRejected || len(o.Errors) == 0 {
			t.Errorf("bad id outcome: %+v", o)
		}
		// The same again: nothing new, nothing lost.
		rep = w.ingest(sub, indicator(id1, "2026-01-01T00:00:00.000Z", "198.51.100.7"))
		if rep.Unchanged != 1 || rep.Added != 0 {
			t.Fatalf("second ingest: %+v", rep)
		}
		// The same version with other content is a conflict, and the stored
		// one stays.
		rep = w.ingest(sub, indicator(id1, "2026-01-01T00:00:00.000Z", "203.0.113.9"))
		if rep.Rejected != 1 || !strings.Contains(rep.Outcomes[0].Errors[0], "later modified") {
			t.Fatalf("conflicting version: %+v", rep)
		}
		v, err := w.store.Latest(context.Background(), w.b, "indicator--"+id1)
		if err != nil || !strings.Contains(string(v.Body), "198.51.100.7") || v.TLP != access.Green {
			t.Fatalf("latest: %+v %v", v, err)
		}
		// A new version is added; latest and history follow.
		w.ingest(sub, indicator(id1, "2026-02-01T00:00:00.000Z", "198.51.100.8"))
		v, _ = w.store.Latest(context.Background(), w.b, "indicator--"+id1)
		hist, err := w.store.History(context.Background(), w.b, "indicator--"+id1)
		if !strings.Contains(string(v.Body), "198.51.100.8") || err != nil || len(hist) != 2 || hist[0].VersionRaw != "2026-01-01T00:00:00.000Z" {
			t.Fatalf("after new version: latest %s, history %d %v", v.Body, len(hist), err)
		}
	})
}

func TestTLPDecidesWhoSees(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		w := newWorld(t, d)
		ctx := context.Background()
		amberStrict, _ := stix.TLPMarkingID("amber+strict")
		red, _ := stix.TLPMarkingID("red")
		clear, _ := stix.TLPMarkingID("clear")
		w.ingest(sharing.Submission{Principal: w.a, Source: sharing.SourceAPI},
			indicator("00000000-0000-4000-8000-000000000001", "2026-01-01T00:00:00.000Z", "192.0.2.1"),              // unmarked: AMBER, no audience
			indicator("00000000-0000-4000-8000-000000000002", "2026-01-01T00:00:00.000Z", "192.0.2.2", amberStrict), // own org only
			indicator("00000000-0000-4000-8000-000000000003", "2026-01-01T00:00:00.000Z", "192.0.2.3", red),         // the submitter only
			indicator("00000000-0000-4000-8000-000000000004", "2026-01-01T00:00:00.000Z", "192.0.2.4", clear),       // everyone
			indicator("00000000-0000-4000-8000-000000000005", "2026-01-01T00:00:00.000Z", "192.0.2.5", stix.TLP1WhiteID),
		)
		// Into the community collection: its default TLP (GREEN) and audience.
		w.ingest(sharing.Submission{Principal: w.a, Source: sharing.SourceTAXII, Collection: &w.coll},
			indicator("00000000-0000-4000-8000-000000000006", "2026-01-01T00:00:00.000Z", "192.0.2.6"))
		seen := func(p access.Principal) string {
			page, err := w.store.Find(ctx, p, sharing.Query{})
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, v := range page.Versions {
				out = append(out, v.StixID[len(v.StixID)-1:]+":"+string(v.TLP))
			}
			return strings.Join(out, " ")
		}
		if got, want := seen(w.a), "1:AMBER 2:AMBER+STRICT 3:RED 4:CLEAR 5:CLEAR 6:GREEN"; got != want {
			t.Errorf("submitter sees %q, want %q", got, want)
		}
		if got, want := seen(access.Principal{UserID: "other-in-a", OrgID: w.orgA, Communities: w.a.Communities}), "1:AMBER 2:AMBER+STRICT 4:CLEAR 5:CLEAR 6:GREEN"; got != want {
			t.Errorf("submitter's colleague sees %q, want %q", got, want)
		}
		if got, want := seen(w.b), "4:CLEAR 5:CLEAR 6:GREEN"; got != want {
			t.Errorf("community member sees %q, want %q", got, want)
		}
		if got, want := seen(w.outsid), "4:CLEAR 5:CLEAR"; got != want {
			t.Errorf("outsider sees %q, want %q", got, want)
		}
		if got := seen(access.Principal{}); got != "" {
			t.Errorf("anonymous reader without a public feed sees %q", got)
		}
	})
}

func TestLatestIsAmongVisibleVersions(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		w := newWorld(t, d)
		ctx := context.Background()
		amberStrict, _ := stix.TLPMarkingID("amber+strict")
		w.ingest(sharing.Submission{Principal: w.a, Source: sharing.SourceAPI, DefaultTLP: access.Clear},
			indicator(id1, "2026-01-01T00:00:00.000Z", "192.0.2.1"),
			indicator(id1, "2026-03-01T00:00:00.000Z", "192.0.2.1", amberStrict))
		v, err := w.store.Latest(ctx, w.b, "indicator--"+id1)
		if err != nil || v.VersionRaw != "2026-01-01T00:00:00.000Z" {
			t.Fatalf("outsider's latest: %+v %v", v.VersionRaw, err)
		}
		v, _ = w.store.Latest(ctx, w.a, "indicator--"+id1)
		if v.VersionRaw != "2026-03-01T00:00:00.000Z" {
			t.Fatalf("owner's latest: %s", v.VersionRaw)
		}
		if _, err := w.store.Latest(ctx, w.b, "indicator--"+id2); err == nil {
			t.Fatal("an object that does not exist was found")
		}
	})
}

func TestCollectionPagesInDateAddedOrder(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		w := newWorld(t, d)
		ctx := context.Background()
		var objs []string
		for i := range 250 {
			objs = append(objs, indicator(fmt.Sprintf("00000000-0000-4000-8000-%012d", i), "2026-01-01T00:00:00.000Z", fmt.Sprintf("10.0.%d.%d", i/256, i%256)))
		}
		sub := sharing.Submission{Principal: w.a, Source: sharing.SourceTAXII, Collection: &w.coll}
		if rep := w.ingest(sub, objs[:100]...); rep.Added != 100 {
			t.Fatalf("first batch: %+v", rep.Added)
		}
		if rep := w.ingest(sub, objs[100:]...); rep.Added != 150 {
			t.Fatalf("second batch: %+v", rep.Added)
		}
		seen := map[string]bool{}
		var after int64
		var last time.Time
		pages := 0
		for {
			page, err := w.store.Find(ctx, w.b, sharing.Query{Collection: w.coll.ID, After: after, Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			pages++
			for _, v := range page.Versions {
				if seen[v.StixID] || !v.DateAdded.After(last) {
					t.Fatalf("page %d: %s repeated or out of order", pages, v.StixID)
				}
				seen[v.StixID], last = true, v.DateAdded
			}
			if !page.More {
				break
			}
			after = page.Next
		}
		if len(seen) != 250 || pages != 3 {
			t.Fatalf("saw %d objects in %d pages", len(seen), pages)
		}
		// added_after one third of the way in.
		page, _ := w.store.Find(ctx, w.b, sharing.Query{Collection: w.coll.ID, Limit: 100})
		rest, _ := w.store.Find(ctx, w.b, sharing.Query{Collection: w.coll.ID, AddedAfter: page.Versions[99].DateAdded, Limit: 1000})
		if len(rest.Versions) != 150 || rest.More {
			t.Fatalf("added_after: %d more=%v", len(rest.Versions), rest.More)
		}
		// Someone outside the community sees none of it.
		if page, _ := w.store.Find(ctx, w.outsid, sharing.Query{Collection: w.coll.ID}); len(page.Versions) != 0 {
			t.Fatalf("outsider sees %d", len(page.Versions))
		}
	})
}

func TestRelationshipsAndSightings(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		w := newWorld(t, d)
		ctx := context.Background()
		green := sharing.Submission{Principal: w.a, Source: sharing.SourceAPI, DefaultTLP: access.Green}
		w.ingest(green, indicator(id1, "2026-01-01T00:00:00.000Z", "192.0.2.1"),
			`{"type":"malware","spec_version":"2.1","id":"malware--`+id2+`","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","name":"Xorist","is_family":true}`,
			`{"type":"relationship","spec_version":"2.1","id":"relationship--00000000-0000-4000-8000-000000000009","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","relationship_type":"indicates","source_ref":"indicator--`+id1+`","target_ref":"malware--`+id2+`"}`,
			`{"type":"sighting","spec_version":"2.1","id":"sighting--00000000-0000-4000-8000-00000000000a","created":"2026-01-02T00:00:00.000Z","modified":"2026-01-02T00:00:00.000Z","sighting_of_ref":"indicator--`+id1+`","count":3,"first_seen":"2026-01-02T00:00:00.000Z","last_seen":"2026-01-03T00:00:00.000Z"}`,
		)
		// B's sighting is its own (AMBER, B only): A must not count it.
		w.ingest(sharing.Submission{Principal: w.b, Source: sharing.SourceAPI},
			`{"type":"sighting","spec_version":"2.1","id":"sighting--00000000-0000-4000-8000-00000000000b","created":"2026-01-02T00:00:00.000Z","modified":"2026-01-02T00:00:00.000Z","sighting_of_ref":"indicator--`+id1+`","count":10}`)
		rels, err := w.store.Referencing(ctx, w.b, "malware--"+id2, []string{"target_ref"}, 10)
		if err != nil || len(rels) != 1 || rels[0].Name != "indicates" {
			t.Fatalf("relationships: %+v %v", rels, err)
		}
		// A key shared by chance with another (property, id): the sighting's
		// version row under the malware's target_ref key. The body decides.
		if err := d.Tx(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO stix_refs (ref_key, version_seq) SELECT $1, seq FROM stix_versions WHERE type = 'sighting'`,
				db.Key64("target_ref", "malware--"+id2))
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if rels, err := w.store.Referencing(ctx, w.b, "malware--"+id2, []string{"target_ref"}, 10); err != nil || len(rels) != 1 || rels[0].Type != "relationship" {
			t.Fatalf("a colliding key let through: %+v %v", rels, err)
		}
		sa, _ := w.store.Sightings(ctx, w.a, "indicator--"+id1)
		sb, _ := w.store.Sightings(ctx, w.b, "indicator--"+id1)
		if sa.Reports != 1 || sa.Count != 3 || sb.Reports != 2 || sb.Count != 13 {
			t.Fatalf("sightings: a %+v, b %+v", sa, sb)
		}
		found, _ := w.store.Find(ctx, w.b, sharing.Query{Text: "xorist"})
		if len(found.Versions) != 1 || found.Versions[0].Type != "malware" {
			t.Fatalf("text search: %+v", found.Versions)
		}
		// An id, whole or in part, in any case, finds its object.
		for _, q := range []string{"malware--" + id2, strings.ToUpper("MALWARE--" + id2[:8])} {
			found, _ = w.store.Find(ctx, w.b, sharing.Query{Text: q})
			if len(found.Versions) != 1 || found.Versions[0].StixID != "malware--"+id2 {
				t.Fatalf("search for %q: %+v", q, found.Versions)
			}
		}
	})
}

func TestInboxGoesToItsOwnerOnly(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		w := newWorld(t, d)
		ctx := context.Background()
		inbox := sharing.Collection{Title: "Inbox", OwnerOrg: w.orgB, AudienceKind: "community", AudienceID: access.AllMembers,
			CanWrite: true, Anonymous: true, DefaultTLP: access.Amber}
		if err := d.Tx(ctx, func(tx *sql.Tx) error { return w.store.CreateCollection(ctx, tx, &inbox) }); err != nil {
			t.Fatal(err)
		}
		if !inbox.Writable(w.outsid) || inbox.Readable(w.outsid) || !inbox.Readable(w.b) {
			t.Fatal("an inbox is writable by members and readable by its owner only")
		}
		w.ingest(sharing.Submission{Principal: w.outsid, Source: sharing.SourceTAXII, Collection: &inbox, Anonymous: inbox.Anonymous},
			indicator(id1, "2026-01-01T00:00:00.000Z", "192.0.2.50"))
		analyst, coordinator := w.b, w.b
		coordinator.Coordinator = true
		v, err := w.store.Latest(ctx, analyst, "indicator--"+id1)
		if err != nil || v.OwnerOrg != "" || !v.Anonymous {
			t.Fatalf("the owner's analyst: %+v %v", v, err)
		}
		if v, _ := w.store.Latest(ctx, coordinator, "indicator--"+id1); v.OwnerOrg != w.orgC() {
			t.Fatalf("a coordinator sees the submitter: %q", v.OwnerOrg)
		}
		if _, err := w.store.Latest(ctx, w.a, "indicator--"+id1); err == nil {
			t.Fatal("another member saw an inbox submission")
		}
		if page, _ := w.store.Find(ctx, analyst, sharing.Query{OwnerOrg: w.orgC()}); len(page.Versions) != 0 {
			t.Fatal("filtering by owner revealed an anonymous submitter")
		}
	})
}
