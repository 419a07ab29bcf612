// Package identity holds who uses Rampart: organizations, users and their
// roles, communities (sharing groups), API tokens and sessions, and turns a
// signed-in user into the access.Principal every read path passes to the
// access decision.
package identity

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"
)

// OrgKind classifies an organization.
type OrgKind string

// The kinds of organization.
const (
	KindState       OrgKind = "state"
	KindLocal       OrgKind = "local"
	KindTribal      OrgKind = "tribal"
	KindTerritorial OrgKind = "territorial"
	KindFederal     OrgKind = "federal"
	KindPrivate     OrgKind = "private"
	KindISAC        OrgKind = "isac"
	KindCoordinator OrgKind = "coordinator"
)

// OrgKinds lists the kinds, for forms and validation.
var OrgKinds = []OrgKind{KindState, KindLocal, KindTribal, KindTerritorial, KindFederal, KindPrivate, KindISAC, KindCoordinator}

// Sectors are the 16 US critical-infrastructure sectors (PPD-21) and the
// election infrastructure subsector, by code.
var Sectors = []struct{ Code, Name string }{
	{"chemical", "Chemical"},
	{"commercial-facilities", "Commercial Facilities"},
	{"communications", "Communications"},
	{"critical-manufacturing", "Critical Manufacturing"},
	{"dams", "Dams"},
	{"defense-industrial-base", "Defense Industrial Base"},
	{"emergency-services", "Emergency Services"},
	{"energy", "Energy"},
	{"financial-services", "Financial Services"},
	{"food-agriculture", "Food and Agriculture"},
	{"government-facilities", "Government Facilities"},
	{"election-infrastructure", "Election Infrastructure (subsector of Government Facilities)"},
	{"healthcare-public-health", "Healthcare and Public Health"},
	{"information-technology", "Information Technology"},
	{"nuclear", "Nuclear Reactors, Materials, and Waste"},
	{"transportation", "Transportation Systems"},
	{"water", "Water and Wastewater Systems"},
}

// Organization is a member of the instance.
type Organization struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	Kind       OrgKind   `json:"kind"`
	ParentID   string    `json:"parent_id,omitempty"` // a county's state
	Sectors    []string  `json:"sectors"`
	Flags      []string  `json:"flags"` // election, water, ...
	StateFIPS  string    `json:"state_fips,omitempty"`
	CountyFIPS string    `json:"county_fips,omitempty"`
	Contacts   []Contact `json:"contacts,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
}

// Contact is a security contact; the escalation order is the slice order.
type Contact struct {
	Name  string `json:"name"`
	Email string `json:"email,omitempty"`
	Phone string `json:"phone,omitempty"`
	Role  string `json:"role,omitempty"`
}

// Role is what a user may do within their organization or the instance.
type Role string

// The roles. Coordinator administers the instance; it never bypasses TLP.
const (
	RoleViewer      Role = "viewer"
	RoleAnalyst     Role = "analyst"
	RoleOrgAdmin    Role = "org_admin"
	RoleCoordinator Role = "coordinator"
)

// Roles lists the roles.
var Roles = []Role{RoleViewer, RoleAnalyst, RoleOrgAdmin, RoleCoordinator}

// ParseRoles parses a comma- or space-separated list of roles.
func ParseRoles(s string) ([]Role, error) {
	var out []Role
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		r := Role(strings.ReplaceAll(strings.ToLower(f), "-", "_"))
		if r == "admin" {
			r = RoleOrgAdmin
		}
		if !slices.Contains(Roles, r) {
			return nil, fmt.Errorf("unknown role %q; use viewer, analyst, org_admin or coordinator", f)
		}
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no role given; use viewer, analyst, org_admin or coordinator")
	}
	slices.Sort(out)
	return out, nil
}

// User is a person who signs in.
type User struct {
	ID           string    `json:"id"`
	Email        string    `json:"email"`
	Name         string    `json:"name"`
	OrgID        string    `json:"org_id"`
	Roles        []Role    `json:"roles"`
	Disabled     bool      `json:"disabled"`
	HasPassword  bool      `json:"has_password"`
	CreatedAt    time.Time `json:"created_at"`
	LastSignInAt time.Time `json:"last_signin_at,omitzero"`
}

// HasRole reports whether u has r.
func (u User) HasRole(r Role) bool { return slices.Contains(u.Roles, r) }

// Community is a named set of organizations that items can be shared with.
type Community struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	OwnerOrgID  string    `json:"owner_org_id,omitempty"` // "" = managed by coordinators
	AllMembers  bool      `json:"all_members"`
	Members     []string  `json:"members,omitempty"` // organization ids; only shown to members
	CreatedAt   time.Time `json:"created_at"`
}

// newID returns a random UUID (version 4).
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// randomSecret returns n random bytes as hex.
func randomSecret(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
