package access_test

import (
	"testing"

	"github.com/rampart-project/rampart/internal/platform/access"
)

func TestParseTLP(t *testing.T) {
	for in, want := range map[string]access.TLP{
		"TLP:CLEAR": access.Clear, "clear": access.Clear, "WHITE": access.Clear, "TLP:WHITE": access.Clear,
		"green": access.Green, "TLP:AMBER": access.Amber, "amber+strict": access.AmberStrict, " TLP:RED ": access.Red,
	} {
		got, err := access.ParseTLP(in)
		if err != nil || got != want {
			t.Errorf("ParseTLP(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "PURPLE", "TLP:", "AMBER STRICT"} {
		if _, err := access.ParseTLP(bad); err == nil {
			t.Errorf("ParseTLP(%q) accepted it", bad)
		}
	}
}

// Examples that name the rules people ask about most.
func TestDecisionExamples(t *testing.T) {
	state := access.Principal{UserID: "analyst-state", OrgID: "state", Communities: []string{"sltt"}}
	county := access.Principal{UserID: "analyst-county", OrgID: "county", Communities: []string{"sltt"}}
	coordinator := access.Principal{UserID: "watch", OrgID: "national", Coordinator: true}
	pol := access.Policy{}
	cases := []struct {
		name string
		p    access.Principal
		it   access.Item
		want bool
	}{
		{"owner sees own amber", state, access.Item{OwnerOrg: "state", TLP: access.Amber}, true},
		{"owner org does not see a colleague's red", state, access.Item{OwnerOrg: "state", CreatedBy: "someone-else", TLP: access.Red}, false},
		{"creator sees own red", state, access.Item{OwnerOrg: "state", CreatedBy: "analyst-state", TLP: access.Red}, true},
		{"named recipient sees red", county, access.Item{OwnerOrg: "state", TLP: access.Red, Audience: []access.Grant{{Kind: access.GrantUser, ID: "analyst-county"}}}, true},
		{"green defaults to all members", county, access.Item{OwnerOrg: "state", TLP: access.Green, Audience: []access.Grant{{Kind: access.GrantCommunity, ID: access.AllMembers}}}, true},
		{"green outside the community", coordinator, access.Item{OwnerOrg: "state", TLP: access.Green, Audience: []access.Grant{{Kind: access.GrantCommunity, ID: "sltt"}}}, false},
		{"green ignores org grants", county, access.Item{OwnerOrg: "state", TLP: access.Green, Audience: []access.Grant{{Kind: access.GrantOrg, ID: "county"}}}, false},
		{"amber extended to a client", county, access.Item{OwnerOrg: "national", TLP: access.Amber, Audience: []access.Grant{{Kind: access.GrantOrg, ID: "county", ExtendedBy: "state"}}}, true},
		{"amber+strict ignores extensions", county, access.Item{OwnerOrg: "national", TLP: access.AmberStrict, Audience: []access.Grant{{Kind: access.GrantOrg, ID: "county", ExtendedBy: "state"}}}, false},
		{"amber+strict ignores communities", county, access.Item{OwnerOrg: "national", TLP: access.AmberStrict, Audience: []access.Grant{{Kind: access.GrantCommunity, ID: "sltt"}}}, false},
		{"coordinator role does not bypass", coordinator, access.Item{OwnerOrg: "state", TLP: access.Amber}, false},
		{"anonymous never sees green", access.Principal{}, access.Item{TLP: access.Green, Audience: []access.Grant{{Kind: access.GrantCommunity, ID: access.AllMembers}}}, false},
		{"anonymous without a public feed", access.Principal{}, access.Item{TLP: access.Clear}, false},
	}
	for _, tc := range cases {
		if got := pol.CanSee(tc.p, tc.it); got != tc.want {
			t.Errorf("%s: got %v", tc.name, got)
		}
	}
	if !(access.Policy{PublicFeed: true}).CanSee(access.Principal{}, access.Item{TLP: access.Clear}) {
		t.Error("anonymous readers of a public feed should see TLP:CLEAR")
	}
	if access.ShowsCreator(state, true) || !access.ShowsCreator(coordinator, true) || !access.ShowsCreator(state, false) {
		t.Error("anonymous submissions show their creator to coordinators only")
	}
}
