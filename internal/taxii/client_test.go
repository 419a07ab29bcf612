package taxiiserver_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/rampart-project/rampart/internal/config"
	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/db/dbtest"
	taxiiserver "github.com/rampart-project/rampart/internal/taxii"
	"github.com/rampart-project/rampart/stix"
	"github.com/rampart-project/rampart/taxii"
)

// TestClientEndToEnd drives the server with the public TAXII client, as a
// partner's tool would: discover, list collections, add more objects than
// are stored before the answer, page through them, read versions, delete.
func TestClientEndToEnd(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		const limit = 4 << 20
		e := newEnvWith(t, d, taxiiserver.Options{}, func(c *config.Config) { c.MaxBodyBytes = limit })
		ctx := t.Context()
		county := taxii.NewClient(taxii.ClientOptions{Username: e.county1.Email, Password: e.tokens[e.county1.ID]})
		state := taxii.NewClient(taxii.ClientOptions{BearerToken: e.tokens[e.stateAnalyst.ID]})
		outsider := taxii.NewClient(taxii.ClientOptions{Username: e.companyAdmin.Email, Password: e.tokens[e.companyAdmin.ID]})

		disc, err := county.Discovery(ctx, e.url+"/taxii2/")
		if err != nil {
			t.Fatal(err)
		}
		root := disc.Default
		if root != e.url+"/taxii2/api/" || !slices.Contains(disc.APIRoots, root) {
			t.Fatalf("discovery: %+v", disc)
		}
		info, err := county.APIRoot(ctx, root)
		if err != nil || info.MaxContentLength != limit || !slices.Contains(info.Versions, taxii.MediaTypeTAXII) {
			t.Fatalf("API root: %+v %v", info, err)
		}
		cols, err := county.Collections(ctx, root)
		if err != nil {
			t.Fatal(err)
		}
		var target taxii.Collection
		for _, c := range cols.Collections {
			if c.Alias == "election" {
				target = c
			}
		}
		if !target.CanRead || !target.CanWrite {
			t.Fatalf("collections: %+v", cols)
		}

		// More objects than are stored before the answer: the client gets a
		// pending status and waits for it.
		const n = taxiiserver.DefaultAsyncAbove + 50
		objs := make([]stix.Object, n)
		for i := range objs {
			o, err := stix.ParseObject([]byte(indicator(uuid(8, i), v1, "100.64.0.1")))
			if err != nil {
				t.Fatal(err)
			}
			objs[i] = o
		}
		st, err := county.AddObjects(ctx, root, target.ID, objs)
		if err != nil {
			t.Fatal(err)
		}
		if st.Status != taxii.StatusPending || st.TotalCount != n {
			t.Errorf("first answer to a large add: %s, total %d", st.Status, st.TotalCount)
		}
		st, err = county.WaitStatus(ctx, root, st.ID, 20*time.Millisecond)
		if err != nil || st.SuccessCount != n || st.FailureCount != 0 || st.PendingCount != 0 {
			t.Fatalf("final status: %+v %v", st, err)
		}
		if _, err := state.Status(ctx, root, st.ID); statusCode(err) != 404 {
			t.Errorf("another user's status: %v", err)
		}

		// A later version of one of them, from the state.
		changed, err := stix.ParseObject([]byte(indicator(uuid(8, 7), v2, "100.64.0.1")))
		if err != nil {
			t.Fatal(err)
		}
		if st, err := state.AddObjects(ctx, root, target.ID, []stix.Object{changed}); err != nil || st.SuccessCount != 1 {
			t.Fatalf("a later version: %+v %v", st, err)
		}

		var got []string
		for obj, err := range county.AllObjects(ctx, root, target.ID, taxii.Filter{Limit: 250}) {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, obj.ID())
		}
		checkComplete(t, "client paging", got, n)

		versions, err := county.Versions(ctx, root, target.ID, objs[7].ID(), taxii.Filter{})
		if err != nil || !slices.Equal(versions.Versions, []string{v1, v2}) {
			t.Errorf("versions: %+v %v", versions, err)
		}
		page, err := county.Object(ctx, root, target.ID, objs[7].ID(), taxii.Filter{Versions: []string{taxii.VersionFirst}})
		if err != nil || len(page.Objects) != 1 || page.Objects[0].ModifiedRaw() != v1 || page.DateAddedFirst.IsZero() {
			t.Errorf("first version: %+v %v", page, err)
		}
		man, err := county.Manifest(ctx, root, target.ID, taxii.Filter{Limit: 10})
		if err != nil || len(man.Objects) != 10 || !man.More {
			t.Errorf("manifest: %+v %v", man, err)
		}

		if err := state.DeleteObject(ctx, root, target.ID, objs[8].ID(), taxii.Filter{}); err != nil {
			t.Errorf("the collection's owner deletes: %v", err)
		}
		if err := county.DeleteObject(ctx, root, target.ID, objs[9].ID(), taxii.Filter{}); err != nil {
			t.Errorf("the submitter deletes: %v", err)
		}
		if _, err := county.Object(ctx, root, target.ID, objs[9].ID(), taxii.Filter{}); statusCode(err) != 404 {
			t.Errorf("deleted object: %v", err)
		}
		if err := outsider.DeleteObject(ctx, root, target.ID, objs[10].ID(), taxii.Filter{}); statusCode(err) != 404 {
			t.Errorf("an outsider deletes: %v", err)
		}
		if _, err := outsider.Collection(ctx, root, target.ID); statusCode(err) != 404 {
			t.Errorf("an outsider reads the collection: %v", err)
		}
	})
}

// statusCode is the HTTP status of a *taxii.Error, 0 for other errors and
// nil.
func statusCode(err error) int {
	var te *taxii.Error
	if errors.As(err, &te) {
		return te.StatusCode
	}
	return 0
}
