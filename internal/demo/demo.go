// Package demo creates the demo world that `rampart serve --demo` starts
// with: a national coordinator, a fictional state with four counties and
// their election offices, a city, a tribal nation, a territory, a federal
// agency, an electric utility and an internet provider, an analyst and an
// org admin in each, and three communities. It is idempotent: what exists
// is kept, what is missing is added.
package demo

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/rampart-project/rampart/internal/app"
	"github.com/rampart-project/rampart/internal/notify"
	"github.com/rampart-project/rampart/internal/platform/access"
	"github.com/rampart-project/rampart/internal/platform/audit"
	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/errs"
	"github.com/rampart-project/rampart/internal/platform/identity"
)

// Password is every demo user's password. The demo is fictional and local;
// it is printed at start.
const Password = "defend-together-2026"

type org struct {
	slug, name string
	kind       identity.OrgKind
	parent     string // slug
	sectors    []string
	flags      []string
	county     string // county FIPS
}

// The state is fictional; 52 is a FIPS state code no state uses.
const stateFIPS = "52"

var orgs = []org{
	{slug: "ncc", name: "National Cyber Coordination Center", kind: identity.KindCoordinator, sectors: []string{"government-facilities"}},
	{slug: "meridian", name: "State of Meridian", kind: identity.KindState, sectors: []string{"government-facilities"}},
	{slug: "ashford", name: "Ashford County", kind: identity.KindLocal, parent: "meridian", sectors: []string{"government-facilities"}, county: "001"},
	{slug: "birch", name: "Birch County", kind: identity.KindLocal, parent: "meridian", sectors: []string{"government-facilities"}, county: "003"},
	{slug: "cedar", name: "Cedar County", kind: identity.KindLocal, parent: "meridian", sectors: []string{"government-facilities"}, county: "005"},
	{slug: "dalton", name: "Dalton County", kind: identity.KindLocal, parent: "meridian", sectors: []string{"government-facilities"}, county: "007"},
	{slug: "ashford-elections", name: "Ashford County Elections Office", kind: identity.KindLocal, parent: "ashford", sectors: []string{"election-infrastructure"}, flags: []string{"election"}, county: "001"},
	{slug: "birch-elections", name: "Birch County Elections Office", kind: identity.KindLocal, parent: "birch", sectors: []string{"election-infrastructure"}, flags: []string{"election"}, county: "003"},
	{slug: "cedar-elections", name: "Cedar County Elections Office", kind: identity.KindLocal, parent: "cedar", sectors: []string{"election-infrastructure"}, flags: []string{"election"}, county: "005"},
	{slug: "dalton-elections", name: "Dalton County Elections Office", kind: identity.KindLocal, parent: "dalton", sectors: []string{"election-infrastructure"}, flags: []string{"election"}, county: "007"},
	{slug: "port-meridian", name: "City of Port Meridian", kind: identity.KindLocal, parent: "meridian", sectors: []string{"government-facilities", "water"}, flags: []string{"water"}, county: "001"},
	{slug: "red-hawk", name: "Red Hawk Nation", kind: identity.KindTribal, sectors: []string{"government-facilities"}},
	{slug: "isla-serena", name: "Territory of Isla Serena", kind: identity.KindTerritorial, sectors: []string{"government-facilities"}},
	{slug: "fipa", name: "Federal Infrastructure Protection Agency", kind: identity.KindFederal, sectors: []string{"government-facilities"}},
	{slug: "mpl", name: "Meridian Power & Light", kind: identity.KindPrivate, sectors: []string{"energy"}},
	{slug: "skyline", name: "Skyline Broadband", kind: identity.KindPrivate, sectors: []string{"communications"}},
}

var communities = []struct {
	name, description, owner string
	members                  []string
}{
	{"Meridian SLTT", "The state, local, tribal and territorial entities of the State of Meridian.", "meridian",
		[]string{"meridian", "ashford", "birch", "cedar", "dalton", "ashford-elections", "birch-elections", "cedar-elections", "dalton-elections", "port-meridian", "red-hawk"}},
	{"Meridian Election Officials", "Election offices of the State of Meridian and the state's election staff.", "meridian",
		[]string{"meridian", "ashford-elections", "birch-elections", "cedar-elections", "dalton-elections"}},
	{"Energy Sector Partners", "Utilities, their providers and the public agencies that work with them.", "ncc",
		[]string{"ncc", "fipa", "mpl", "skyline", "meridian"}},
}

// SignIn is one demo account.
type SignIn struct {
	Email, Password, Organization string
	Roles                         []identity.Role
}

// Ensure creates what is missing of the demo world and returns its sign-ins.
func Ensure(ctx context.Context, d *db.DB) ([]SignIn, error) {
	s := identity.NewStore(d)
	ids := map[string]string{}
	hash := "" // made once, on the first user created: argon2id is slow on purpose
	var signIns []SignIn
	for _, o := range orgs {
		existing, err := s.OrgByName(ctx, o.name)
		switch {
		case err == nil:
			ids[o.slug] = existing.ID
		case errs.Is(err, errs.NotFound):
			org := identity.Organization{Name: o.name, Kind: o.kind, ParentID: ids[o.parent], Sectors: o.sectors, Flags: o.flags,
				StateFIPS: stateFIPS, CountyFIPS: o.county,
				Contacts: []identity.Contact{
					{Name: "Security Lead", Email: "admin@" + o.slug + ".example", Phone: "+1 555 0100", Role: "CISO"},
					{Name: "Duty Analyst", Email: "analyst@" + o.slug + ".example", Phone: "+1 555 0101", Role: "on call"},
				}}
			if o.kind == identity.KindTribal || o.kind == identity.KindTerritorial || o.kind == identity.KindFederal ||
				o.kind == identity.KindPrivate || o.kind == identity.KindCoordinator {
				org.StateFIPS = ""
			}
			if err := write(ctx, d, "org.create", "organization", func(tx *sql.Tx) (string, error) {
				return org.ID, s.CreateOrg(ctx, tx, &org)
			}); err != nil {
				return nil, fmt.Errorf("demo: %s: %w", o.name, err)
			}
			ids[o.slug] = org.ID
		default:
			return nil, err
		}
		for _, u := range []struct {
			local string
			roles []identity.Role
		}{
			{"analyst", []identity.Role{identity.RoleAnalyst}},
			{"admin", adminRoles(o.kind)},
		} {
			email := u.local + "@" + o.slug + ".example"
			signIns = append(signIns, SignIn{Email: email, Password: Password, Organization: o.name, Roles: u.roles})
			if _, err := s.UserByEmail(ctx, email); err == nil {
				continue
			} else if !errs.Is(err, errs.NotFound) {
				return nil, err
			}
			user := identity.User{Email: email, Name: titleCase(u.local) + ", " + o.name, OrgID: ids[o.slug], Roles: u.roles}
			if hash == "" {
				hash = identity.HashPassword(Password)
			}
			if err := write(ctx, d, "user.create", "user", func(tx *sql.Tx) (string, error) {
				return user.ID, s.CreateUserHashed(ctx, tx, &user, hash)
			}); err != nil {
				return nil, fmt.Errorf("demo: %s: %w", email, err)
			}
		}
	}
	for _, c := range communities {
		existing, err := s.Community(ctx, c.name, access.Principal{Coordinator: true})
		id := ""
		switch {
		case err == nil:
			id = existing.ID
		case errs.Is(err, errs.NotFound):
			cm := identity.Community{Name: c.name, Description: c.description, OwnerOrgID: ids[c.owner]}
			if err := write(ctx, d, "community.create", "community", func(tx *sql.Tx) (string, error) {
				return cm.ID, s.CreateCommunity(ctx, tx, &cm)
			}); err != nil {
				return nil, fmt.Errorf("demo: %s: %w", c.name, err)
			}
			id = cm.ID
		default:
			return nil, err
		}
		existingMembers := map[string]bool{}
		if existing != nil {
			for _, m := range existing.Members {
				existingMembers[m] = true
			}
		}
		for _, slug := range c.members {
			if existingMembers[ids[slug]] {
				continue
			}
			if err := write(ctx, d, "community.member_add", "community", func(tx *sql.Tx) (string, error) {
				return id, s.AddMember(ctx, tx, id, ids[slug])
			}); err != nil {
				return nil, fmt.Errorf("demo: %s: %w", c.name, err)
			}
		}
	}
	if err := ensureSharing(ctx, d, s, ids); err != nil {
		return nil, err
	}
	if err := ensureInventory(ctx, notify.NewStore(d), ids); err != nil {
		return nil, err
	}
	return signIns, nil
}

func adminRoles(kind identity.OrgKind) []identity.Role {
	if kind == identity.KindCoordinator {
		return []identity.Role{identity.RoleCoordinator, identity.RoleOrgAdmin}
	}
	return []identity.Role{identity.RoleOrgAdmin}
}

func titleCase(s string) string { return strings.ToUpper(s[:1]) + s[1:] }

// write runs one change with its audit entry, actor "demo".
func write(ctx context.Context, d *db.DB, action, kind string, fn func(tx *sql.Tx) (string, error)) error {
	return d.Tx(ctx, func(tx *sql.Tx) error {
		id, err := fn(tx)
		if err != nil {
			return err
		}
		_, err = audit.Append(ctx, tx, d.Engine(), audit.Entry{ActorLabel: "demo", Action: action, TargetKind: kind, TargetID: id})
		return err
	})
}

// PrintSignIns writes the demo sign-ins as a table.
func PrintSignIns(w io.Writer, signIns []SignIn) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "E-MAIL\tPASSWORD\tORGANIZATION\tROLES")
	for _, s := range signIns {
		roles := make([]string, len(s.Roles))
		for i, r := range s.Roles {
			roles[i] = string(r)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.Email, s.Password, s.Organization, strings.Join(roles, ","))
	}
	return tw.Flush()
}

// Module creates the demo world when the server mounts it and prints the
// sign-ins.
type Module struct {
	Out io.Writer
}

// Name implements app.Module.
func (*Module) Name() string { return "demo" }

// Mount implements app.Module.
func (m *Module) Mount(ctx context.Context, k *app.Kernel) error {
	signIns, err := Ensure(ctx, k.DB)
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Out, "Demo sign-ins (every password is %q):\n", Password)
	return PrintSignIns(m.Out, signIns)
}

// Run implements app.Module.
func (*Module) Run(context.Context) error { return nil }
