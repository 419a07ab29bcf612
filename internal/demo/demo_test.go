package demo_test

import (
	"context"
	"testing"

	"github.com/rampart-project/rampart/internal/demo"
	"github.com/rampart-project/rampart/internal/platform/access"
	"github.com/rampart-project/rampart/internal/platform/audit"
	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/db/dbtest"
	"github.com/rampart-project/rampart/internal/platform/identity"
)

func TestEnsureBuildsTheWorldOnceAndKeepsIt(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		signIns, err := demo.Ensure(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		s := identity.NewStore(d)
		orgs, _ := s.Orgs(ctx)
		users, _ := s.Users(ctx, "")
		if len(orgs) != 16 || len(users) != 32 || len(signIns) != 32 {
			t.Fatalf("%d organizations, %d users, %d sign-ins; want 16, 32, 32", len(orgs), len(users), len(signIns))
		}
		kinds := map[identity.OrgKind]int{}
		for _, o := range orgs {
			kinds[o.Kind]++
		}
		for kind, want := range map[identity.OrgKind]int{identity.KindCoordinator: 1, identity.KindState: 1, identity.KindLocal: 9,
			identity.KindTribal: 1, identity.KindTerritorial: 1, identity.KindFederal: 1, identity.KindPrivate: 2} {
			if kinds[kind] != want {
				t.Errorf("%d organizations of kind %s, want %d", kinds[kind], kind, want)
			}
		}
		county, err := s.OrgByName(ctx, "Ashford County Elections Office")
		if err != nil || county.ParentID == "" || len(county.Contacts) != 2 {
			t.Fatalf("election office: %+v %v", county, err)
		}
		coordinator, err := s.UserByEmail(ctx, "admin@ncc.example")
		if err != nil || !coordinator.HasRole(identity.RoleCoordinator) {
			t.Fatalf("national admin is not a coordinator: %+v %v", coordinator, err)
		}
		cs, _ := s.Communities(ctx, access.Principal{Coordinator: true})
		if len(cs) != 4 {
			t.Fatalf("%d communities, want all-members and three demo ones", len(cs))
		}
		if u, _ := s.UserByEmail(ctx, "analyst@ashford-elections.example"); u == nil {
			t.Fatal("no analyst in the Ashford election office")
		} else if hash, _ := s.PasswordHash(ctx, u.ID); !identity.VerifyPassword(hash, demo.Password) {
			t.Fatal("the demo password does not sign in")
		}

		// The coordinator's notice to the state's local governments.
		var notices, recipients int
		if err := d.Reader().QueryRowContext(ctx, `SELECT COUNT(*), (SELECT COUNT(*) FROM notice_recipients r JOIN notices n ON n.id = r.notice_id WHERE n.stix_id = $1)
			FROM notices WHERE stix_id = $1`, demo.NoticeID).Scan(&notices, &recipients); err != nil || notices != 1 || recipients != 5 {
			t.Fatalf("demo notice: %d notices, %d recipients, %v; want 1 to 5", notices, recipients, err)
		}
		var targets int
		if err := d.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM stix_versions WHERE stix_id IN ($1, $2, $3)`,
			demo.TargetsRelationshipID, demo.IntrusionSetID, demo.StateLocationID).Scan(&targets); err != nil || targets != 3 {
			t.Fatalf("targets example: %d objects, %v", targets, err)
		}

		headBefore, _, _ := audit.Head(ctx, d.Reader())
		if _, err := demo.Ensure(ctx, d); err != nil {
			t.Fatal(err)
		}
		headAfter, _, _ := audit.Head(ctx, d.Reader())
		users2, _ := s.Users(ctx, "")
		if err := d.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM notices`).Scan(&notices); err != nil || notices != 1 {
			t.Fatalf("after a second Ensure: %d notices, %v", notices, err)
		}
		if headAfter != headBefore || len(users2) != 32 {
			t.Fatalf("second Ensure wrote: audit head %d -> %d, %d users", headBefore, headAfter, len(users2))
		}
		if r, err := audit.Verify(ctx, d); err != nil || !r.Intact() {
			t.Fatalf("audit chain after the demo: %+v %v", r, err)
		}
	})
}
