package identity_test

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rampart-project/rampart/internal/platform/access"
	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/db/dbtest"
	"github.com/rampart-project/rampart/internal/platform/errs"
	"github.com/rampart-project/rampart/internal/platform/identity"
)

type fixture struct {
	t     *testing.T
	d     *db.DB
	s     *identity.Store
	state *identity.Organization
	city  *identity.Organization
	pat   *identity.User
}

func newFixture(t *testing.T, d *db.DB) *fixture {
	f := &fixture{t: t, d: d, s: identity.NewStore(d)}
	f.state = &identity.Organization{Name: "State", Kind: identity.KindState, StateFIPS: "06", Sectors: []string{"government-facilities"}}
	f.city = &identity.Organization{Name: "City", Kind: identity.KindLocal}
	f.tx(func(tx *sql.Tx) error {
		if err := f.s.CreateOrg(context.Background(), tx, f.state); err != nil {
			return err
		}
		f.city.ParentID = f.state.ID
		return f.s.CreateOrg(context.Background(), tx, f.city)
	})
	f.pat = &identity.User{Email: "Pat@City.Example", Name: "Pat", OrgID: f.city.ID, Roles: []identity.Role{identity.RoleAnalyst}}
	f.tx(func(tx *sql.Tx) error {
		return f.s.CreateUser(context.Background(), tx, f.pat, "correct horse battery staple")
	})
	return f
}

func (f *fixture) tx(fn func(tx *sql.Tx) error) {
	f.t.Helper()
	if err := f.d.Tx(context.Background(), fn); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) txErr(fn func(tx *sql.Tx) error) error {
	return f.d.Tx(context.Background(), fn)
}

func TestOrganizationsAndUsers(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFixture(t, d)
		bad := []struct {
			o    identity.Organization
			code errs.Code
		}{
			{identity.Organization{Name: "", Kind: identity.KindLocal}, errs.Invalid},
			{identity.Organization{Name: "X", Kind: "planet"}, errs.Invalid},
			{identity.Organization{Name: "X", Kind: identity.KindLocal, Sectors: []string{"mining"}}, errs.Invalid},
			{identity.Organization{Name: "X", Kind: identity.KindLocal, StateFIPS: "6"}, errs.Invalid},
			{identity.Organization{Name: "X", Kind: identity.KindLocal, ParentID: "missing"}, errs.Invalid},
			{identity.Organization{Name: "State", Kind: identity.KindState}, errs.Conflict},
			{identity.Organization{Name: "X", Kind: identity.KindLocal, Contacts: []identity.Contact{{Name: "A", Email: "nope"}}}, errs.Invalid},
		}
		for _, b := range bad {
			o := b.o
			if err := f.txErr(func(tx *sql.Tx) error { return f.s.CreateOrg(ctx, tx, &o) }); errs.CodeOf(err) != b.code {
				t.Errorf("CreateOrg(%+v) = %v, want %s", b.o, err, b.code)
			}
		}
		orgs, _ := f.s.Orgs(ctx)
		if len(orgs) != 2 {
			t.Fatalf("rejected organizations were stored: %d", len(orgs))
		}
		if clients, _ := f.s.Clients(ctx, f.state.ID); !slices.Equal(clients, []string{f.city.ID}) {
			t.Errorf("clients of the state: %v", clients)
		}

		got, err := f.s.UserByEmail(ctx, "pat@city.example")
		if err != nil || got.Email != "pat@city.example" || !got.HasPassword || !got.HasRole(identity.RoleAnalyst) {
			t.Fatalf("user read back as %+v, %v", got, err)
		}
		hash, _ := f.s.PasswordHash(ctx, got.ID)
		if !identity.VerifyPassword(hash, "correct horse battery staple") || identity.VerifyPassword(hash, "correct horse battery stapler") {
			t.Error("password verification is wrong")
		}
		for _, u := range []struct {
			user     identity.User
			password string
			code     errs.Code
		}{
			{identity.User{Email: "PAT@city.example", Name: "P2", OrgID: f.city.ID, Roles: []identity.Role{identity.RoleViewer}}, "", errs.Conflict},
			{identity.User{Email: "x@city.example", Name: "X", OrgID: "missing", Roles: []identity.Role{identity.RoleViewer}}, "", errs.NotFound},
			{identity.User{Email: "x@city.example", Name: "X", OrgID: f.city.ID}, "", errs.Invalid},
			{identity.User{Email: "x@city.example", Name: "X", OrgID: f.city.ID, Roles: []identity.Role{identity.RoleViewer}}, "aaaaaaaaaaaaaaaa", errs.Invalid},
			{identity.User{Email: "x@city.example", Name: "X", OrgID: f.city.ID, Roles: []identity.Role{identity.RoleViewer}}, "password1234", errs.Invalid},
			{identity.User{Email: "Name <x@city.example>", Name: "X", OrgID: f.city.ID, Roles: []identity.Role{identity.RoleViewer}}, "", errs.Invalid},
		} {
			user := u.user
			if err := f.txErr(func(tx *sql.Tx) error { return f.s.CreateUser(ctx, tx, &user, u.password) }); errs.CodeOf(err) != u.code {
				t.Errorf("CreateUser(%+v) = %v, want %s", u.user, err, u.code)
			}
		}
	})
}

func TestTokens(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFixture(t, d)
		var long, short *identity.Token
		var longSecret, shortSecret string
		f.tx(func(tx *sql.Tx) (err error) {
			if long, longSecret, err = f.s.CreateToken(ctx, tx, f.pat.ID, "SIEM", []identity.Scope{identity.ScopeRead}, 0); err != nil {
				return err
			}
			short, shortSecret, err = f.s.CreateToken(ctx, tx, f.pat.ID, "short", []identity.Scope{identity.ScopeRead, identity.ScopeWrite}, time.Millisecond)
			return err
		})
		tok, user, err := f.s.AuthenticateToken(ctx, longSecret)
		if err != nil || tok.ID != long.ID || user.ID != f.pat.ID {
			t.Fatalf("AuthenticateToken: %+v %+v %v", tok, user, err)
		}
		time.Sleep(5 * time.Millisecond)
		for secret, want := range map[string]string{
			shortSecret:                      "expired",
			"rmp_" + strings.Repeat("0", 48): "not known",
			"Bearer " + longSecret:           "malformed",
			"":                               "malformed",
			longSecret[:len(longSecret)-1]:   "malformed",
		} {
			_, _, err := f.s.AuthenticateToken(ctx, secret)
			if errs.CodeOf(err) != errs.Unauthenticated || !strings.Contains(err.Error(), want) {
				t.Errorf("AuthenticateToken(%q) = %v, want unauthenticated, %q", secret, err, want)
			}
		}
		f.tx(func(tx *sql.Tx) error { return f.s.RevokeToken(ctx, tx, f.pat.ID, long.ID) })
		if _, _, err := f.s.AuthenticateToken(ctx, longSecret); err == nil || !strings.Contains(err.Error(), "revoked") {
			t.Errorf("revoked token: %v", err)
		}
		if err := f.txErr(func(tx *sql.Tx) error { return f.s.RevokeToken(ctx, tx, "someone-else", short.ID) }); errs.CodeOf(err) != errs.NotFound {
			t.Errorf("revoking another user's token: %v", err)
		}
		tokens, _ := f.s.Tokens(ctx, f.pat.ID)
		if len(tokens) != 2 || tokens[0].Active(time.Now()) || tokens[1].Active(time.Now()) {
			t.Errorf("tokens: %+v", tokens)
		}
		if _, err := identity.ParseScopes("read,admin"); err != nil {
			t.Error(err)
		}
		if _, err := identity.ParseScopes("root"); err == nil {
			t.Error("ParseScopes accepted root")
		}
	})
}

func TestCommunityMembershipIsVisibleToMembersOnly(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFixture(t, d)
		outsider := &identity.Organization{Name: "Outsider", Kind: identity.KindPrivate}
		sltt := &identity.Community{Name: "SLTT", OwnerOrgID: f.state.ID}
		f.tx(func(tx *sql.Tx) error {
			if err := f.s.CreateOrg(ctx, tx, outsider); err != nil {
				return err
			}
			if err := f.s.CreateCommunity(ctx, tx, sltt); err != nil {
				return err
			}
			return f.s.AddMember(ctx, tx, sltt.ID, f.city.ID)
		})
		member, _ := f.s.Principal(ctx, f.pat)
		if !slices.Contains(member.Communities, sltt.ID) || !slices.Contains(member.Communities, access.AllMembers) {
			t.Fatalf("principal communities %v", member.Communities)
		}
		c, err := f.s.Community(ctx, "SLTT", member)
		if err != nil || len(c.Members) != 2 {
			t.Fatalf("a member sees %+v, %v", c, err)
		}
		stranger := access.Principal{UserID: "u", OrgID: outsider.ID}
		if c, _ := f.s.Community(ctx, sltt.ID, stranger); c == nil || c.Members != nil {
			t.Fatalf("a non-member sees the members: %+v", c)
		}
		list, _ := f.s.Communities(ctx, stranger)
		if len(list) != 1 || !list[0].AllMembers {
			t.Fatalf("a non-member's list shows %+v", list)
		}
		if coord, _ := f.s.Communities(ctx, access.Principal{Coordinator: true}); len(coord) != 2 || coord[1].Members == nil {
			t.Fatalf("a coordinator's list: %+v", coord)
		}
		if !identity.CanManageCommunity(access.Principal{OrgID: f.state.ID}, true, c) || identity.CanManageCommunity(member, true, c) {
			t.Error("only the owner's org admins and coordinators manage a community")
		}
		if err := f.txErr(func(tx *sql.Tx) error { return f.s.AddMember(ctx, tx, "missing", f.city.ID) }); errs.CodeOf(err) != errs.NotFound {
			t.Errorf("joining a missing community: %v", err)
		}
	})
}
