package access_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/rampart-project/rampart/internal/platform/access"
	"github.com/rampart-project/rampart/internal/platform/audit"
	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/db/dbtest"
	"github.com/rampart-project/rampart/internal/platform/errs"
)

func TestExtendAmberToClients(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		pol := access.Policy{}
		exec := func(q string, args ...any) {
			t.Helper()
			if err := d.Tx(ctx, func(tx *sql.Tx) error { _, err := tx.ExecContext(ctx, q, args...); return err }); err != nil {
				t.Fatal(err)
			}
		}
		exec(`CREATE TABLE probe_items (id TEXT PRIMARY KEY, owner_org TEXT NOT NULL, created_by TEXT NOT NULL, tlp TEXT NOT NULL)`)
		for _, o := range []string{"national", "state", "county", "other-county"} {
			exec(`INSERT INTO organizations (id, name, kind, created_at) VALUES ($1, $1, 'local', 0)`, o)
		}
		state := access.Principal{UserID: "u-state", OrgID: "state"}
		county := access.Principal{UserID: "u-county", OrgID: "county"}
		amber := access.Item{ID: "amber-1", OwnerOrg: "national", CreatedBy: "u-national", TLP: access.Amber,
			Audience: []access.Grant{{Kind: access.GrantOrg, ID: "state"}}}
		strict := access.Item{ID: "strict-1", OwnerOrg: "national", CreatedBy: "u-national", TLP: access.AmberStrict,
			Audience: []access.Grant{{Kind: access.GrantOrg, ID: "state"}}}
		for _, it := range []access.Item{amber, strict} {
			exec(`INSERT INTO probe_items (id, owner_org, created_by, tlp) VALUES ($1, $2, $3, $4)`, it.ID, it.OwnerOrg, it.CreatedBy, string(it.TLP))
			if err := d.Tx(ctx, func(tx *sql.Tx) error { return access.AddGrants(ctx, tx, it.ID, it.Audience) }); err != nil {
				t.Fatal(err)
			}
		}
		extend := func(by access.Principal, it access.Item, to ...string) error {
			return d.Tx(ctx, func(tx *sql.Tx) error {
				return pol.Extend(ctx, tx, d.Engine(), by, it, to, []string{"county", "other-county"})
			})
		}
		visible := func(p access.Principal, id string) bool {
			var args access.Args
			var n int
			q := `SELECT count(*) FROM probe_items i WHERE i.id = ` + args.Add(id) + ` AND ` + pol.Predicate(p, access.On("i"), &args)
			if err := d.Reader().QueryRowContext(ctx, q, args.Values...).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n == 1
		}

		if visible(county, "amber-1") {
			t.Fatal("the county sees the state's AMBER item before any extension")
		}
		cases := []struct {
			name string
			err  error
			code errs.Code
		}{
			{"to a non-client", extend(state, amber, "national"), errs.Forbidden},
			{"amber+strict", extend(state, strict, "county"), errs.Forbidden},
			{"by a non-recipient", extend(county, amber, "other-county"), errs.NotFound},
			{"to nobody", extend(state, amber), errs.Invalid},
		}
		for _, tc := range cases {
			if errs.CodeOf(tc.err) != tc.code {
				t.Errorf("%s: %v, want %s", tc.name, tc.err, tc.code)
			}
		}
		if visible(county, "amber-1") {
			t.Fatal("a refused extension changed the audience")
		}

		if err := extend(state, amber, "county"); err != nil {
			t.Fatal(err)
		}
		if !visible(county, "amber-1") || visible(access.Principal{UserID: "u-o", OrgID: "other-county"}, "amber-1") {
			t.Fatal("after extending to the county, exactly the county should see it")
		}
		grants, err := access.Audience(ctx, d.Reader(), "amber-1")
		if err != nil || len(grants) != 2 || grants[0].ExtendedBy != "state" && grants[1].ExtendedBy != "state" {
			t.Fatalf("audience %+v, %v", grants, err)
		}
		entries, _, err := audit.List(ctx, d.Reader(), audit.Filter{Action: "item.tlp_extended"})
		if err != nil || len(entries) != 1 || entries[0].OrgScope != "state" {
			t.Fatalf("extension not audited: %+v %v", entries, err)
		}
	})
}
