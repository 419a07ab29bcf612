package identity

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/rampart-project/rampart/internal/platform/audit"
	"github.com/rampart-project/rampart/internal/platform/errs"
	"github.com/rampart-project/rampart/internal/platform/events"
)

// Flags are the profile flags an organization may carry, by code. They
// name what a sector code is too coarse for: targeting matches an
// object's labels and x_rampart_sectors against sectors and flags alike,
// and coordinators address notices to a flag ("all election offices").
var Flags = []struct{ Code, Name string }{
	{"election", "Election office: runs or supports election systems"},
	{"water", "Water or wastewater utility"},
	{"psap", "911 call centre (public-safety answering point)"},
	{"k12", "K-12 school district"},
}

// TopicOrgProfileChanged is emitted, in the writer's transaction, when an
// organization's profile changes: notifications match on it, so objects
// that target the new sectors or region must be looked at again.
const TopicOrgProfileChanged = "identity.org.profile_changed"

// ProfileChanged is the payload of TopicOrgProfileChanged.
type ProfileChanged struct {
	OrgID string `json:"org_id"`
}

// Profile is the part of an organization that notifications match on and
// its administrators edit.
type Profile struct {
	Sectors    []string `json:"sectors"`
	Flags      []string `json:"flags"`
	StateFIPS  string   `json:"state_fips"`
	CountyFIPS string   `json:"county_fips"`
}

// ProfileOf returns o's profile.
func ProfileOf(o *Organization) Profile {
	return Profile{Sectors: nonNil(o.Sectors), Flags: nonNil(o.Flags), StateFIPS: o.StateFIPS, CountyFIPS: o.CountyFIPS}
}

// Normalize trims, lower-cases, de-duplicates and sorts the codes and
// validates every value. Returns Invalid naming the field and the value.
func (p *Profile) Normalize() error {
	var err error
	if p.Sectors, err = codes("sectors", p.Sectors, validSector); err != nil {
		return err
	}
	if p.Flags, err = codes("flags", p.Flags, validFlag); err != nil {
		return err
	}
	p.StateFIPS, p.CountyFIPS = strings.TrimSpace(p.StateFIPS), strings.TrimSpace(p.CountyFIPS)
	if p.StateFIPS == "" && p.CountyFIPS != "" {
		return errs.E(errs.Invalid, "state_fips: a county code (%q) needs its state's code.", p.CountyFIPS)
	}
	if !digits(p.StateFIPS, 2) {
		return errs.E(errs.Invalid, "state_fips: %q is not a state FIPS code of 2 digits (e.g. 06).", p.StateFIPS)
	}
	if !digits(p.CountyFIPS, 3) {
		return errs.E(errs.Invalid, "county_fips: %q is not a county FIPS code of 3 digits (e.g. 037), or empty.", p.CountyFIPS)
	}
	return nil
}

func codes(field string, in []string, valid func(string) bool) ([]string, error) {
	out := []string{}
	for _, v := range in {
		v = strings.ToLower(strings.TrimSpace(v))
		if v == "" || slices.Contains(out, v) {
			continue
		}
		if !valid(v) {
			return nil, errs.E(errs.Invalid, "%s: %q is unknown; use one of %s.", field, v, strings.Join(codeList(field), ", "))
		}
		out = append(out, v)
	}
	slices.Sort(out)
	return out, nil
}

func codeList(field string) []string {
	var out []string
	if field == "flags" {
		for _, f := range Flags {
			out = append(out, f.Code)
		}
		return out
	}
	for _, s := range Sectors {
		out = append(out, s.Code)
	}
	return out
}

func validFlag(code string) bool {
	return slices.ContainsFunc(Flags, func(f struct{ Code, Name string }) bool { return f.Code == code })
}

// SetProfile validates and stores an organization's profile in tx, with
// its audit entry and a TopicOrgProfileChanged event, so that the change,
// its record and its consequences commit together. by says who did it
// (as Caller.AuditEntry makes it); SetProfile fills in what was done.
// Returns Invalid for a bad value and NotFound for an unknown
// organization; an unchanged profile writes nothing.
func (s *Store) SetProfile(ctx context.Context, tx *sql.Tx, orgID string, p Profile, by audit.Entry) (*Organization, error) {
	if err := p.Normalize(); err != nil {
		return nil, err
	}
	o, err := s.org(ctx, tx, orgID)
	if err != nil {
		return nil, err
	}
	before := ProfileOf(o)
	slices.Sort(before.Sectors)
	slices.Sort(before.Flags)
	if slices.Equal(before.Sectors, p.Sectors) && slices.Equal(before.Flags, p.Flags) &&
		before.StateFIPS == p.StateFIPS && before.CountyFIPS == p.CountyFIPS {
		return o, nil
	}
	sectors, _ := json.Marshal(p.Sectors)
	flags, _ := json.Marshal(p.Flags)
	if _, err := tx.ExecContext(ctx, `UPDATE organizations SET sectors = $1, flags = $2, state_fips = $3, county_fips = $4 WHERE id = $5`,
		string(sectors), string(flags), p.StateFIPS, p.CountyFIPS, orgID); err != nil {
		return nil, fmt.Errorf("identity: update profile: %w", err)
	}
	by.Action, by.TargetKind, by.TargetID, by.OrgScope = "org.profile_changed", "organization", orgID, orgID
	by.Detail = map[string]any{"name": o.Name, "from": before, "to": p}
	if by.ActorLabel == "" {
		by.ActorLabel = "system"
	}
	if _, err := audit.Append(ctx, tx, s.db.Engine(), by); err != nil {
		return nil, err
	}
	if _, err := events.Emit(ctx, tx, TopicOrgProfileChanged, ProfileChanged{OrgID: orgID}); err != nil {
		return nil, err
	}
	o.Sectors, o.Flags, o.StateFIPS, o.CountyFIPS = p.Sectors, p.Flags, p.StateFIPS, p.CountyFIPS
	return o, nil
}
