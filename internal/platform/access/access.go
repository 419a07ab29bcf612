// Package access is Rampart's one access decision: who may see a shared
// item, by TLP 2.0 level, owner and audience. CanSee decides for one item in
// Go; Predicate is the same rule as SQL, for lists, counts and searches. A
// property test checks that the two agree with each other and with the table
// in ARCHITECTURE.md on both engines. No role bypasses it.
//
//	TLP:CLEAR         every member; anonymous readers only if the instance publishes a public feed
//	TLP:GREEN         members of the communities in the audience
//	TLP:AMBER         members of the audience organizations (including those a recipient
//	                  extended it to) and of the organizations in the audience communities
//	TLP:AMBER+STRICT  members of the audience organizations only; extensions do not count
//	TLP:RED           the submitting user and the named recipient users only
//
// The submitter's organization always sees its own items, except TLP:RED.
package access

import (
	"fmt"
	"strings"
)

// TLP is a Traffic Light Protocol 2.0 level.
type TLP string

// The TLP 2.0 levels.
const (
	Clear       TLP = "CLEAR"
	Green       TLP = "GREEN"
	Amber       TLP = "AMBER"
	AmberStrict TLP = "AMBER+STRICT"
	Red         TLP = "RED"
)

// Levels lists the levels from least to most restricted.
var Levels = []TLP{Clear, Green, Amber, AmberStrict, Red}

// ParseTLP accepts "TLP:AMBER+STRICT", "amber+strict", "WHITE" (TLP 1.0's
// name for CLEAR) and the like.
func ParseTLP(s string) (TLP, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	t = strings.TrimPrefix(t, "TLP:")
	switch TLP(t) {
	case Clear, Green, Amber, AmberStrict, Red:
		return TLP(t), nil
	case "WHITE":
		return Clear, nil
	}
	return "", fmt.Errorf("%q is not a TLP level; use CLEAR, GREEN, AMBER, AMBER+STRICT or RED", s)
}

// Rank orders levels: a higher rank is more restricted.
func (t TLP) Rank() int {
	for i, l := range Levels {
		if l == t {
			return i
		}
	}
	return len(Levels) // unknown: most restricted
}

// AllMembers is the id of the built-in community every organization belongs
// to; it is the default audience of TLP:GREEN.
const AllMembers = "all-members"

// GrantKind says what a grant names.
type GrantKind string

// The kinds of grantee.
const (
	GrantOrg       GrantKind = "org"
	GrantCommunity GrantKind = "community"
	GrantUser      GrantKind = "user"
)

// Grant puts an organization, community or user in an item's audience.
type Grant struct {
	Kind GrantKind
	ID   string
	// ExtendedBy is set when a recipient organization extended a TLP:AMBER
	// item to this client organization; such grants never count for
	// TLP:AMBER+STRICT.
	ExtendedBy string
}

// Item is what the decision needs to know about a shared item.
type Item struct {
	ID        string
	OwnerOrg  string // the submitter's organization
	CreatedBy string // the submitting user
	TLP       TLP
	Audience  []Grant
}

// Principal is who is asking. The zero Principal is an anonymous reader.
type Principal struct {
	UserID string
	OrgID  string
	// Communities are the communities the principal's organization belongs
	// to. Every organization belongs to AllMembers whether listed or not.
	Communities []string
	Coordinator bool // instance administration; never widens what CanSee allows
}

// Anonymous reports whether the principal is not signed in.
func (p Principal) Anonymous() bool { return p.UserID == "" || p.OrgID == "" }

// Policy is what the instance decides about readers outside its membership.
type Policy struct {
	// PublicFeed lets anonymous readers see TLP:CLEAR items.
	PublicFeed bool
}

// CanSee reports whether p may see it.
func (pol Policy) CanSee(p Principal, it Item) bool {
	if p.Anonymous() {
		return it.TLP == Clear && pol.PublicFeed
	}
	if it.TLP == Red {
		if it.CreatedBy == p.UserID {
			return true
		}
		for _, g := range it.Audience {
			if g.Kind == GrantUser && g.ID == p.UserID {
				return true
			}
		}
		return false
	}
	if it.TLP == Clear || it.OwnerOrg == p.OrgID {
		return true
	}
	for _, g := range it.Audience {
		switch it.TLP {
		case Green:
			if g.Kind == GrantCommunity && p.inCommunity(g.ID) {
				return true
			}
		case Amber:
			if g.Kind == GrantOrg && g.ID == p.OrgID || g.Kind == GrantCommunity && p.inCommunity(g.ID) {
				return true
			}
		case AmberStrict:
			if g.Kind == GrantOrg && g.ID == p.OrgID && g.ExtendedBy == "" {
				return true
			}
		}
	}
	return false
}

func (p Principal) inCommunity(id string) bool {
	if id == AllMembers {
		return true
	}
	for _, c := range p.Communities {
		if c == id {
			return true
		}
	}
	return false
}

// ShowsCreator reports whether p may see who submitted an anonymous
// submission; everyone else sees the instance as its creator.
func ShowsCreator(p Principal, anonymous bool) bool { return !anonymous || p.Coordinator }
