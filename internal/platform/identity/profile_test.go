package identity_test

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"testing"

	"github.com/rampart-project/rampart/internal/platform/audit"
	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/db/dbtest"
	"github.com/rampart-project/rampart/internal/platform/errs"
	"github.com/rampart-project/rampart/internal/platform/identity"
)

func TestSetProfile(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFixture(t, d)
		by := audit.Entry{ActorLabel: "pat@city.example", ActorUserID: f.pat.ID, ActorOrgID: f.city.ID}
		set := func(p identity.Profile) error {
			return f.txErr(func(tx *sql.Tx) error { _, err := f.s.SetProfile(ctx, tx, f.city.ID, p, by); return err })
		}
		bad := []struct {
			name string
			p    identity.Profile
			want string // the field and value the message names
		}{
			{"unknown sector", identity.Profile{Sectors: []string{"water", "mining"}}, `sectors: "mining"`},
			{"unknown flag", identity.Profile{Flags: []string{"casino"}}, `flags: "casino"`},
			{"short state", identity.Profile{StateFIPS: "6"}, `state_fips: "6"`},
			{"letters", identity.Profile{StateFIPS: "CA"}, `state_fips: "CA"`},
			{"long county", identity.Profile{StateFIPS: "06", CountyFIPS: "0370"}, `county_fips: "0370"`},
			{"county without state", identity.Profile{CountyFIPS: "037"}, `state_fips`},
		}
		for _, tc := range bad {
			err := set(tc.p)
			if errs.CodeOf(err) != errs.Invalid || !strings.Contains(errs.MessageOf(err), tc.want) {
				t.Errorf("%s: %v, want Invalid naming %s", tc.name, err, tc.want)
			}
		}
		if err := f.txErr(func(tx *sql.Tx) error {
			_, err := f.s.SetProfile(ctx, tx, "nope", identity.Profile{}, by)
			return err
		}); errs.CodeOf(err) != errs.NotFound {
			t.Errorf("unknown organization: %v", err)
		}

		p := identity.Profile{Sectors: []string{" Water ", "energy", "water"}, Flags: []string{"election"}, StateFIPS: "06", CountyFIPS: "037"}
		if err := set(p); err != nil {
			t.Fatal(err)
		}
		o, err := f.s.Org(ctx, f.city.ID)
		if err != nil || !slices.Equal(o.Sectors, []string{"energy", "water"}) || !slices.Equal(o.Flags, []string{"election"}) || o.StateFIPS != "06" || o.CountyFIPS != "037" {
			t.Fatalf("stored profile: %+v %v", o, err)
		}
		// The same profile again changes nothing and records nothing.
		if err := set(identity.Profile{Sectors: []string{"water", "energy"}, Flags: []string{"election"}, StateFIPS: "06", CountyFIPS: "037"}); err != nil {
			t.Fatal(err)
		}

		entries, _, err := audit.List(ctx, d.Reader(), audit.Filter{Limit: audit.MaxLimit})
		if err != nil {
			t.Fatal(err)
		}
		var changes []audit.Entry
		for _, e := range entries {
			if e.Action == "org.profile_changed" {
				changes = append(changes, e)
			}
		}
		if len(changes) != 1 || changes[0].TargetID != f.city.ID || changes[0].OrgScope != f.city.ID || changes[0].ActorLabel != "pat@city.example" {
			t.Fatalf("audit: %+v", changes)
		}
		var topics []string
		rows, err := d.Reader().QueryContext(ctx, `SELECT topic, payload FROM outbox ORDER BY created_at`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var topic, payload string
			if err := rows.Scan(&topic, &payload); err != nil {
				t.Fatal(err)
			}
			if topic == identity.TopicOrgProfileChanged && strings.Contains(payload, f.city.ID) {
				topics = append(topics, topic)
			}
		}
		if len(topics) != 1 {
			t.Errorf("%d %s events of the city, want 1", len(topics), identity.TopicOrgProfileChanged)
		}
	})
}
