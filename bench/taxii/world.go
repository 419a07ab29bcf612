package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/rampart-project/rampart/internal/platform/access"
	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/identity"
	"github.com/rampart-project/rampart/internal/sharing"
)

// world is what the benchmark creates before any object: a state's SLTT
// community (the state, its counties, a tribal nation), a utility outside
// it that receives some TLP:AMBER directly, and one collection the
// community reads and writes. It is saved beside the data, with the
// readers' token secrets (the database keeps only their hashes), so a
// later run with -data can sign in again.
type world struct {
	Engine     db.Engine `json:"engine"`
	Collection string    `json:"collection"`
	APIRoot    string    `json:"api_root"`
	Community  string    `json:"community"`
	Outsider   string    `json:"outsider"` // an organization outside the community
	Members    []member  `json:"members"`
	// Filled in once the load is complete; a world without Loaded is
	// rebuilt rather than reused.
	Loaded     int     `json:"loaded"` // object versions stored
	LoadSecs   float64 `json:"load_seconds"`
	LoadedAt   string  `json:"loaded_at"`
	Generation string  `json:"generation"` // corpus parameters, so a reuse with other ones is refused
}

// member is an organization of the community with one analyst, who both
// submits objects and reads the collection.
type member struct {
	Org    string `json:"org"`
	Name   string `json:"name"`
	UserID string `json:"user_id"`
	Email  string `json:"email"`
	Token  string `json:"token"`
}

const worldFile = "world.json"

func loadWorld(dir string) (*world, error) {
	b, err := os.ReadFile(filepath.Join(dir, worldFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var w world
	if err := json.Unmarshal(b, &w); err != nil {
		return nil, fmt.Errorf("%s: %w", worldFile, err)
	}
	return &w, nil
}

func (w *world) save(dir string) error {
	b, err := json.MarshalIndent(w, "", "  ")
	if err != nil {
		return err
	}
	// The file holds bearer tokens of a throwaway database; 0600 all the
	// same, as for any credential.
	return os.WriteFile(filepath.Join(dir, worldFile), b, 0o600)
}

// buildWorld creates the organizations, users, tokens, community and
// collection, as the demo and the TAXII tests do.
func buildWorld(ctx context.Context, d *db.DB) (*world, error) {
	ids := identity.NewStore(d)
	store := sharing.NewStore(d, nil, access.Policy{})
	w := &world{Engine: d.Engine(), APIRoot: sharing.DefaultAPIRoot}
	err := d.Tx(ctx, func(tx *sql.Tx) error {
		org := func(name string, kind identity.OrgKind, parent string) (*identity.Organization, error) {
			o := &identity.Organization{Name: name, Kind: kind, ParentID: parent}
			return o, ids.CreateOrg(ctx, tx, o)
		}
		state, err := org("State of Examplia", identity.KindState, "")
		if err != nil {
			return err
		}
		orgs := []*identity.Organization{state}
		for _, county := range []string{"Sample", "Harbor", "Pine", "Granite", "Lake", "Mesa"} {
			o, err := org(county+" County", identity.KindLocal, state.ID)
			if err != nil {
				return err
			}
			orgs = append(orgs, o)
		}
		tribe, err := org("River Band Nation", identity.KindTribal, "")
		if err != nil {
			return err
		}
		orgs = append(orgs, tribe)
		outsider, err := org("Gridco Power", identity.KindPrivate, "")
		if err != nil {
			return err
		}
		w.Outsider = outsider.ID
		community := &identity.Community{Name: "Examplia SLTT", OwnerOrgID: state.ID}
		if err := ids.CreateCommunity(ctx, tx, community); err != nil {
			return err
		}
		w.Community = community.ID
		for i, o := range orgs {
			if o.ID != state.ID {
				if err := ids.AddMember(ctx, tx, community.ID, o.ID); err != nil {
					return err
				}
			}
			u := &identity.User{Email: fmt.Sprintf("analyst%d@examplia.example", i), Name: "Analyst, " + o.Name,
				OrgID: o.ID, Roles: []identity.Role{identity.RoleAnalyst}}
			if err := ids.CreateUser(ctx, tx, u, ""); err != nil {
				return err
			}
			_, secret, err := ids.CreateToken(ctx, tx, u.ID, "taxii bench", []identity.Scope{identity.ScopeRead, identity.ScopeWrite}, 0)
			if err != nil {
				return err
			}
			w.Members = append(w.Members, member{Org: o.ID, Name: o.Name, UserID: u.ID, Email: u.Email, Token: secret})
		}
		c := sharing.Collection{Title: "Examplia SLTT indicators", Alias: "sltt", OwnerOrg: state.ID,
			AudienceKind: string(access.GrantCommunity), AudienceID: community.ID,
			CanRead: true, CanWrite: true, DefaultTLP: access.Green}
		if err := store.CreateCollection(ctx, tx, &c); err != nil {
			return err
		}
		w.Collection = c.ID
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("world: %w", err)
	}
	return w, nil
}

// principals loads the access principal of each member, for submissions.
func (w *world) principals(ctx context.Context, d *db.DB) ([]access.Principal, error) {
	ids := identity.NewStore(d)
	out := make([]access.Principal, len(w.Members))
	for i, m := range w.Members {
		u, err := ids.User(ctx, m.UserID)
		if err != nil {
			return nil, err
		}
		if out[i], err = ids.Principal(ctx, u); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (w *world) collection(ctx context.Context, d *db.DB) (sharing.Collection, error) {
	return sharing.NewStore(d, nil, access.Policy{}).Collection(ctx, w.APIRoot, w.Collection)
}

// addedRange returns the first and last date_added of the collection, the
// span clients draw added_after from.
func (w *world) addedRange(ctx context.Context, d *db.DB) (first, last time.Time, n int, err error) {
	var lo, hi int64
	err = d.Reader().QueryRowContext(ctx, `SELECT COALESCE(MIN(date_added), 0), COALESCE(MAX(date_added), 0), COUNT(*) FROM collection_objects WHERE collection_id = $1`,
		w.Collection).Scan(&lo, &hi, &n)
	return db.FromMicros(lo), db.FromMicros(hi), n, err
}
