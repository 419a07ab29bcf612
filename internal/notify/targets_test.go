package notify

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/rampart-project/rampart/internal/platform/access"
	"github.com/rampart-project/rampart/internal/platform/identity"
)

// targetsWorld is a generated instance: n organizations spread over the
// states, each in its state's community and some in a sector community.
func targetsWorld(r *rand.Rand, n int) ([]identity.Organization, map[string]access.Principal) {
	var fips []string
	for fs := range stateNames(nil) {
		fips = append(fips, fs)
	}
	slices.Sort(fips)
	orgs := make([]identity.Organization, n)
	principals := make(map[string]access.Principal, n)
	for i := range orgs {
		st := fips[r.IntN(len(fips))]
		o := identity.Organization{ID: fmt.Sprintf("org-%06d", i), Name: fmt.Sprintf("Org %d", i), Kind: identity.KindLocal, StateFIPS: st,
			Sectors: []string{"government-facilities"}}
		if r.IntN(4) == 0 {
			o.Sectors = []string{identity.Sectors[r.IntN(len(identity.Sectors))].Code}
		}
		if r.IntN(10) == 0 {
			o.Flags = []string{"water"}
		}
		if r.IntN(20) == 0 {
			o.StateFIPS = "" // tribal, federal, private: no state
		}
		p := access.Principal{UserID: "notify:" + o.ID, OrgID: o.ID, Communities: []string{access.AllMembers, "sltt-" + st}}
		if r.IntN(8) == 0 {
			p.Communities = append(p.Communities, "sector-"+o.Sectors[0])
		}
		orgs[i], principals[o.ID] = o, p
	}
	return orgs, principals
}

func version(typ string, tlp access.TLP, owner string, f relFields, grants ...access.Grant) objVersion {
	return objVersion{Type: typ, Item: access.Item{ID: fmt.Sprint(rand.Int64()), OwnerOrg: owner, CreatedBy: "u-" + owner, TLP: tlp, Audience: grants}, Fields: f}
}

// naiveTargets is the definition matchTargets must agree with: every
// organization, its own latest visible versions, targetMatch.
func naiveTargets(orgs []identity.Organization, principals map[string]access.Principal, rel relFields, src, tgt []objVersion) []candidate {
	states := stateNames(orgs)
	var out []candidate
	first := func(p access.Principal, vs []objVersion) int {
		for i, v := range vs {
			if (access.Policy{}).CanSee(p, v.Item) {
				return i
			}
		}
		return -1
	}
	for _, o := range orgs {
		p := principals[o.ID]
		s, t := first(p, src), first(p, tgt)
		if s < 0 || t < 0 || src[s].Revoked || tgt[t].Revoked {
			continue
		}
		if c, ok := targetMatch(o, refType(rel.TargetRef), tgt[t].Fields, states); ok {
			out = append(out, c)
		}
	}
	return out
}

// TestMatchTargetsAgreesWithEveryOrganizationJudgedAlone: the index and
// the principal classes change the cost, never the answer, for targets
// of every kind under every TLP, with owners and organization grants that
// single organizations out.
func TestMatchTargetsAgreesWithEveryOrganizationJudgedAlone(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	orgs, principals := targetsWorld(r, 3000)
	tlps := []access.TLP{access.Clear, access.Green, access.Amber, access.AmberStrict}
	grant := func() []access.Grant {
		switch r.IntN(4) {
		case 0:
			return []access.Grant{{Kind: access.GrantCommunity, ID: access.AllMembers}}
		case 1:
			return []access.Grant{{Kind: access.GrantCommunity, ID: "sltt-51"}, {Kind: access.GrantOrg, ID: orgs[r.IntN(len(orgs))].ID}}
		case 2:
			return []access.Grant{{Kind: access.GrantCommunity, ID: "sector-water"}}
		}
		return []access.Grant{{Kind: access.GrantOrg, ID: orgs[r.IntN(len(orgs))].ID}}
	}
	targets := []relFields{
		{Name: "Water", IdentityClass: "class", Sectors: []string{"water"}},
		{Name: "Local government", IdentityClass: "class", Sectors: []string{"government-local", "energy"}},
		{Name: "Virginia", Country: "US", AdministrativeArea: "Virginia"},
		{Name: "US", Country: "US"},
		{Name: "North America", Region: "northern-america"},
	}
	for i := range 200 {
		rel := relFields{RelationshipType: "targets", SourceRef: "intrusion-set--x", TargetRef: "identity--y"}
		tf := targets[r.IntN(len(targets))]
		if tf.IdentityClass == "" {
			rel.TargetRef = "location--y"
		}
		var src, tgt []objVersion
		for range 1 + r.IntN(3) {
			src = append(src, version("intrusion-set", tlps[r.IntN(len(tlps))], orgs[r.IntN(len(orgs))].ID, relFields{Name: "Quarry Lantern"}, grant()...))
		}
		for range 1 + r.IntN(3) {
			f := targets[r.IntN(len(targets))]
			if (f.IdentityClass == "") != (tf.IdentityClass == "") {
				f = tf
			}
			v := version(refType(rel.TargetRef), tlps[r.IntN(len(tlps))], orgs[r.IntN(len(orgs))].ID, f, grant()...)
			v.Revoked = r.IntN(10) == 0
			tgt = append(tgt, v)
		}
		got, _ := matchTargets(newTargetIndex(orgs), access.Policy{}, principals, rel, src, tgt, "")
		want := naiveTargets(orgs, principals, rel, src, tgt)
		key := func(cs []candidate) []string {
			var out []string
			for _, c := range cs {
				out = append(out, c.OrgID+" "+c.Key)
			}
			return out
		}
		if !slices.Equal(key(got), key(want)) {
			t.Fatalf("case %d: matchTargets told %d organizations, judged alone %d", i, len(got), len(want))
		}
	}
}

// BenchmarkTargetsRelationship90k is the cost of one targets relationship
// in a national world of 90,000 organizations, once the event's index and
// principals are built (the event's one-off cost is
// BenchmarkTargetsIndex90k).
func BenchmarkTargetsRelationship90k(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 4))
	orgs, principals := targetsWorld(r, 90000)
	x := newTargetIndex(orgs)
	src := []objVersion{version("intrusion-set", access.Clear, orgs[0].ID, relFields{Name: "Quarry Lantern"})}
	for _, tc := range []struct {
		name string
		ref  string
		tgt  objVersion
	}{
		{"sector-water", "identity--y", version("identity", access.Green, orgs[1].ID, relFields{IdentityClass: "class", Sectors: []string{"water"}},
			access.Grant{Kind: access.GrantCommunity, ID: access.AllMembers})},
		{"sector-government-local", "identity--y", version("identity", access.Green, orgs[1].ID, relFields{IdentityClass: "class", Sectors: []string{"government-local"}},
			access.Grant{Kind: access.GrantCommunity, ID: access.AllMembers})},
		{"state-amber", "location--y", version("location", access.Amber, orgs[1].ID, relFields{Country: "US", AdministrativeArea: "Virginia"},
			access.Grant{Kind: access.GrantCommunity, ID: "sltt-51"})},
		{"country-us", "location--y", version("location", access.Clear, orgs[1].ID, relFields{Country: "US"})},
	} {
		rel := relFields{RelationshipType: "targets", SourceRef: "intrusion-set--x", TargetRef: tc.ref}
		tgt := []objVersion{tc.tgt}
		b.Run(tc.name, func(b *testing.B) {
			var n int
			for b.Loop() {
				out, _ := matchTargets(x, access.Policy{}, principals, rel, src, tgt, "")
				n = len(out)
			}
			b.ReportMetric(float64(n), "notified/op")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(max(n, 1)), "ns/notified")
		})
	}
}

// BenchmarkTargetsIndex90k is the once-per-event cost of indexing 90,000
// organizations by sector and state.
func BenchmarkTargetsIndex90k(b *testing.B) {
	orgs, _ := targetsWorld(rand.New(rand.NewPCG(3, 4)), 90000)
	for b.Loop() {
		newTargetIndex(orgs)
	}
}
