package federation_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/rampart-project/rampart/internal/federation"
	"github.com/rampart-project/rampart/internal/platform/access"
	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/events"
	"github.com/rampart-project/rampart/internal/platform/identity"
	"github.com/rampart-project/rampart/internal/sharing"
	"github.com/rampart-project/rampart/stix"
	"github.com/rampart-project/rampart/taxii"
)

// instance is one Rampart's database as federation sees it: a state that
// owns a collection every member reads and writes, an analyst of it, and
// the federation service.
type instance struct {
	t       *testing.T
	d       *db.DB
	ids     *identity.Store
	store   *sharing.Store
	svc     *federation.Service
	org     string
	analyst access.Principal
	coll    sharing.Collection
	actor   federation.Actor
}

func newInstance(t *testing.T, d *db.DB) *instance {
	t.Helper()
	ctx := context.Background()
	in := &instance{t: t, d: d, ids: identity.NewStore(d), store: sharing.NewStore(d, events.NewOutbox(d, nil), access.Policy{})}
	org := identity.Organization{Name: "State of Meridian", Kind: identity.KindState}
	err := d.Tx(ctx, func(tx *sql.Tx) error {
		if err := in.ids.CreateOrg(ctx, tx, &org); err != nil {
			return err
		}
		in.coll = sharing.Collection{Alias: "shared", Title: "Shared", OwnerOrg: org.ID, AudienceKind: "community",
			AudienceID: access.AllMembers, CanRead: true, CanWrite: true, DefaultTLP: access.Green}
		return in.store.CreateCollection(ctx, tx, &in.coll)
	})
	if err != nil {
		t.Fatal(err)
	}
	in.org = org.ID
	in.analyst = access.Principal{UserID: "analyst-" + org.ID, OrgID: org.ID, Communities: []string{access.AllMembers}}
	in.actor = federation.Actor{Label: "test", OrgID: org.ID}
	in.svc = federation.New(federation.Options{
		DB: d, Sharing: in.store, Identity: in.ids,
		Retry: taxii.RetryPolicy{MaxAttempts: 1}, LeaseTTL: time.Minute,
	})
	return in
}

// share stores objects as the analyst, in the collection.
func (in *instance) share(objs ...string) sharing.Report {
	in.t.Helper()
	rep, err := in.store.Ingest(context.Background(), sharing.Submission{
		Principal: in.analyst, Actor: "analyst", Source: sharing.SourceAPI, Collection: &in.coll,
	}, parse(in.t, objs...))
	if err != nil {
		in.t.Fatal(err)
	}
	if rep.Rejected > 0 {
		in.t.Fatalf("rejected: %+v", rep.Outcomes)
	}
	return rep
}

// addPeer creates a peer of the collection with the instance's org.
func (in *instance) addPeer(name, rootURL string, pull, push bool, more ...func(*federation.Input)) federation.Peer {
	in.t.Helper()
	coll, remote, interval := in.coll.ID, "shared", "1s"
	input := federation.Input{Name: &name, APIRootURL: &rootURL, RemoteCollection: &remote, Pull: &pull, Push: &push,
		LocalCollection: &coll, Interval: &interval}
	for _, f := range more {
		f(&input)
	}
	p, err := in.svc.Create(context.Background(), in.actor, input)
	if err != nil {
		in.t.Fatal(err)
	}
	return p
}

func (in *instance) sync(p federation.Peer) federation.Result {
	in.t.Helper()
	res, err := in.svc.Sync(context.Background(), in.actor, p.ID)
	if err != nil {
		in.t.Fatal(err)
	}
	return res
}

func (in *instance) peer(id string) federation.Peer {
	in.t.Helper()
	p, err := in.svc.Get(context.Background(), id)
	if err != nil {
		in.t.Fatal(err)
	}
	return p
}

// rows counts the stored versions of a STIX id, whoever may see them.
func (in *instance) rows(stixID string) int {
	in.t.Helper()
	var n int
	if err := in.d.Reader().QueryRowContext(context.Background(), `SELECT COUNT(*) FROM stix_versions WHERE stix_id = $1`, stixID).Scan(&n); err != nil {
		in.t.Fatal(err)
	}
	return n
}

// sourcePeer is the provenance of the single stored version of stixID.
func (in *instance) sourcePeer(stixID string) (source, peer string) {
	in.t.Helper()
	err := in.d.Reader().QueryRowContext(context.Background(), `SELECT source, source_peer FROM stix_versions WHERE stix_id = $1`, stixID).Scan(&source, &peer)
	if err != nil {
		in.t.Fatal(err)
	}
	return source, peer
}

func parse(t *testing.T, objs ...string) []stix.Object {
	t.Helper()
	out := make([]stix.Object, len(objs))
	for i, o := range objs {
		obj, err := stix.ParseObject([]byte(o))
		if err != nil {
			t.Fatalf("parse %s: %v", o, err)
		}
		out[i] = obj
	}
	return out
}

// indicator is an indicator with the given number in its id and address,
// marked with tlp ("" for none).
func indicator(n int, tlp string) string {
	marking := ""
	if id, ok := stix.TLPMarkingID(tlp); ok {
		marking = `,"object_marking_refs":["` + id + `"]`
	}
	return fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"%s","created":"2026-01-01T00:00:00.000Z",`+
		`"modified":"2026-01-01T00:00:00.000Z","pattern":"[ipv4-addr:value = '198.51.%d.%d']","pattern_type":"stix",`+
		`"valid_from":"2026-01-01T00:00:00Z"%s}`, indicatorID(n), n/256%256, n%256, marking)
}

func indicatorID(n int) string {
	return fmt.Sprintf("indicator--00000000-0000-4000-8000-%012d", n)
}

func strp(s string) *string { return &s }
func boolp(b bool) *bool    { return &b }
