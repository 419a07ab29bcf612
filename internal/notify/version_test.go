package notify

import (
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"

	xmodsemver "golang.org/x/mod/semver"
)

func TestCompareVersionsGeneric(t *testing.T) {
	t.Parallel()
	// Each row is in strictly increasing order; "=" joins equal versions.
	chains := [][]string{
		{"0.9", "1.0", "1.0.1", "1.1", "1.10", "2"},
		{"1.0-dev", "1.0-alpha", "1.0-alpha.2", "1.0-beta", "1.0-rc1", "1.0-rc2", "1.0", "1.0a", "1.0.1"},
		{"1.0.2", "1.0.2a", "1.0.2k", "1.0.2l", "1.0.3"},     // OpenSSL letters
		{"7.4", "7.4p1", "7.4p2", "7.5"},                     // OpenSSH
		{"2.0a1", "2.0b1", "2.0c1", "2.0"},                   // Python pre-releases
		{"8", "8u202", "8.1"},                                // a word sorts before a number
		{"1.2.3", "1.2.3-1", "1.2.3-2"},                      // a distribution revision comes after
		{"10.0.19041.3930", "10.0.19045.0", "10.0.22000.1"},  // Windows builds
		{"99999999999999999998", "99999999999999999999.0.1"}, // numbers of any length
	}
	for _, chain := range chains {
		for i := range chain {
			for j := range chain {
				got, ok := CompareVersions(VersionCustom, chain[i], chain[j])
				if want := cmpInt(i, j); !ok || got != want {
					t.Errorf("Compare(%q, %q) = %d, want %d", chain[i], chain[j], got, want)
				}
			}
		}
	}
	equal := [][2]string{
		{"1.2", "1.2.0"}, {"1.2", "1.02"}, {"1.2.0.0", "1.2"}, {"v1.2", "1.2"}, {"1.2+build.7", "1.2"},
		{"1.0-final", "1.0"}, {"1.0.GA", "1.0"}, {"1_2_3", "1.2.3"}, {"1.0-RC1", "1.0rc1"}, {"", "0"},
	}
	for _, p := range equal {
		if got, _ := CompareVersions(VersionCustom, p[0], p[1]); got != 0 {
			t.Errorf("Compare(%q, %q) = %d, want 0", p[0], p[1], got)
		}
	}
	if _, ok := CompareVersions(VersionGit, "a1b2c3", "d4e5f6"); ok {
		t.Error("two git commits were ordered")
	}
	if c, ok := CompareVersions(VersionGit, "A1B2C3", "a1b2c3"); !ok || c != 0 {
		t.Error("a git commit is not equal to itself")
	}
}

// TestCompareVersionsOrder checks on random versions that the generic
// order is a total preorder: antisymmetric and transitive.
func TestCompareVersionsOrder(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	vs := make([]string, 300)
	for i := range vs {
		vs[i] = randomVersion(r)
	}
	for _, a := range vs {
		for _, b := range vs {
			ab, _ := CompareVersions(VersionCustom, a, b)
			ba, _ := CompareVersions(VersionCustom, b, a)
			if ab != -ba {
				t.Fatalf("Compare(%q, %q) = %d but Compare(%q, %q) = %d", a, b, ab, b, a, ba)
			}
		}
	}
	for range 20000 {
		a, b, c := vs[r.IntN(len(vs))], vs[r.IntN(len(vs))], vs[r.IntN(len(vs))]
		ab, _ := CompareVersions(VersionCustom, a, b)
		bc, _ := CompareVersions(VersionCustom, b, c)
		ac, _ := CompareVersions(VersionCustom, a, c)
		if ab <= 0 && bc <= 0 && ac > 0 {
			t.Fatalf("not transitive: %q <= %q <= %q but %q > %q", a, b, c, a, c)
		}
	}
}

func randomVersion(r *rand.Rand) string {
	parts := []string{"0", "1", "2", "10", "007", "rc", "alpha", "beta", "a", "b", "p", "k", "final", "dev", "20240101"}
	seps := []string{".", "-", "_", "", "+"}
	var b strings.Builder
	for i := range 1 + r.IntN(5) {
		if i > 0 {
			b.WriteString(seps[r.IntN(len(seps))])
		}
		b.WriteString(parts[r.IntN(len(parts))])
	}
	return b.String()
}

// TestCompareDottedAgainstReference checks purely numeric dotted versions
// against an independent reference: big integers, zero-padded.
func TestCompareDottedAgainstReference(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(3, 4))
	ref := func(a, b string) int {
		pa, pb := strings.Split(a, "."), strings.Split(b, ".")
		for i := 0; i < len(pa) || i < len(pb); i++ {
			x, y := new(big.Int), new(big.Int)
			if i < len(pa) {
				x.SetString(pa[i], 10)
			}
			if i < len(pb) {
				y.SetString(pb[i], 10)
			}
			if c := x.Cmp(y); c != 0 {
				return c
			}
		}
		return 0
	}
	gen := func() string {
		n := 1 + r.IntN(5)
		p := make([]string, n)
		for i := range p {
			switch r.IntN(4) {
			case 0:
				p[i] = "0"
			case 1:
				p[i] = strings.Repeat("0", r.IntN(3)) + string(rune('0'+r.IntN(10)))
			case 2:
				p[i] = big.NewInt(r.Int64()).String() + big.NewInt(r.Int64N(1000)).String()
			default:
				p[i] = string(rune('0' + r.IntN(10)))
			}
		}
		return strings.Join(p, ".")
	}
	for range 20000 {
		a, b := gen(), gen()
		if got, _ := CompareVersions(VersionCustom, a, b); got != ref(a, b) {
			t.Fatalf("Compare(%q, %q) = %d, reference %d", a, b, got, ref(a, b))
		}
	}
}

// TestCompareSemverAgainstXMod checks the semver rules against
// golang.org/x/mod/semver, an implementation written elsewhere.
func TestCompareSemverAgainstXMod(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(5, 6))
	nums := []string{"0", "1", "2", "9", "10", "11", "01", "123456789012345678901"}
	ids := []string{"alpha", "beta", "rc", "1", "2", "11", "0", "01", "x-y", "A", "a", "-"}
	gen := func() string {
		var b strings.Builder
		b.WriteString(nums[r.IntN(len(nums))])
		for range r.IntN(3) {
			b.WriteString("." + nums[r.IntN(len(nums))])
		}
		if r.IntN(2) == 0 {
			b.WriteString("-")
			for i := range 1 + r.IntN(3) {
				if i > 0 {
					b.WriteString(".")
				}
				b.WriteString(ids[r.IntN(len(ids))])
			}
		}
		if r.IntN(4) == 0 {
			b.WriteString("+build." + nums[r.IntN(len(nums))])
		}
		return b.String()
	}
	checked := 0
	for range 50000 {
		a, b := gen(), gen()
		va, vb := xmodsemver.IsValid("v"+a), xmodsemver.IsValid("v"+b)
		if _, ok := parseSemver(a); ok != va {
			t.Fatalf("parseSemver(%q) ok = %v, x/mod says %v", a, ok, va)
		}
		if !va || !vb {
			continue
		}
		checked++
		got, _ := CompareVersions(VersionSemver, a, b)
		if want := xmodsemver.Compare("v"+a, "v"+b); got != want {
			t.Fatalf("Compare(semver, %q, %q) = %d, x/mod says %d", a, b, got, want)
		}
	}
	if checked < 5000 {
		t.Fatalf("only %d valid pairs checked", checked)
	}
	// Where generic and semver differ: a numeric pre-release.
	if c, _ := CompareVersions(VersionSemver, "1.0.0-1", "1.0.0"); c != -1 {
		t.Errorf("semver 1.0.0-1 should precede 1.0.0")
	}
	if c, _ := CompareVersions(VersionCustom, "1.0.0-1", "1.0.0"); c != 1 {
		t.Errorf("generic 1.0.0-1 should follow 1.0.0")
	}
}

func TestVersionRange(t *testing.T) {
	t.Parallel()
	r := versionRange{typ: VersionCustom, start: "2.4.0", startIncl: true, end: "2.4.58"}
	for v, want := range map[string]bool{"2.3.9": false, "2.4.0": true, "2.4": true, "2.4.57": true, "2.4.58": false, "2.4.58-rc1": true, "3.0": false} {
		if got, ok := r.contains(v); !ok || got != want {
			t.Errorf("%s contains %s = %v, want %v", r, v, got, want)
		}
	}
	branch := versionRange{typ: VersionCustom, start: "1.0", startIncl: true, end: "1.*"}
	for v, want := range map[string]bool{"0.9": false, "1.0": true, "1.9.9": true, "1.99": true, "2.0": false, "2": false} {
		if got, _ := branch.contains(v); got != want {
			t.Errorf("[1.0, 1.*) contains %s = %v, want %v", v, got, want)
		}
	}
}

func TestVers(t *testing.T) {
	t.Parallel()
	cases := []struct {
		vers string
		in   []string
		out  []string
	}{
		{"vers:npm/>=1.2.0|<1.4.3", []string{"1.2.0", "1.3.9", "1.4.3-beta"}, []string{"1.1.9", "1.4.3", "2.0.0", "1.2.0-rc.1"}},
		{">=1.2.0, <1.4.3", []string{"1.2.0", "1.4.2"}, []string{"1.4.3"}},
		{"vers:pypi/<1.0|>=2.0|<2.5", []string{"0.9", "2.0", "2.4"}, []string{"1.0", "1.5", "2.5", "3.0"}},
		{"vers:maven/1.0|1.1|2.0", []string{"1.0", "1.1.0", "2.0"}, []string{"1.2", "0.9"}},
		{"vers:npm/!=1.0.0", []string{"0.9.0", "1.0.1"}, []string{"1.0.0"}},
		{">=2.0|!=2.1|<3.0", []string{"2.0", "2.9"}, []string{"2.1", "3.0"}},
		{"*", []string{"0", "99"}, nil},
		{">=1.0", []string{"1.0", "5"}, []string{"0.9"}},
		{"<=1.0", []string{"1.0", "0.1"}, []string{"1.0.1"}},
	}
	for _, tc := range cases {
		v, err := parseVers(tc.vers, VersionCustom)
		if err != nil {
			t.Fatalf("parseVers(%q): %v", tc.vers, err)
		}
		for _, x := range tc.in {
			if got, _ := v.contains(x); !got {
				t.Errorf("%q should contain %s", tc.vers, x)
			}
		}
		for _, x := range tc.out {
			if got, _ := v.contains(x); got {
				t.Errorf("%q should not contain %s", tc.vers, x)
			}
		}
	}
	for _, bad := range []string{"", "vers:npm", ">=", "<1.0 >2.0", "|"} {
		if v, err := parseVers(bad, VersionCustom); err == nil {
			t.Errorf("parseVers(%q) = %v, want an error", bad, v)
		}
	}
}

func TestProductStatus(t *testing.T) {
	t.Parallel()
	p := Product{
		DefaultStatus: "unaffected",
		Versions: []ProductVersion{
			{Version: "2.4.55", Status: "unaffected"},
			{Version: "2.4.0", LessThan: "2.4.58", Status: "affected", VersionType: "custom",
				Changes: []VersionChange{{At: "2.4.56", Status: "unaffected"}, {At: "2.4.50", Status: "affected"}, {At: "2.4.30", Status: "unaffected"}}},
			{Version: "0", LessThanOrEqual: "1.9", Status: "affected"},
			{Version: "3.0", LessThan: "3.*", Status: "affected"},
		},
	}
	for v, want := range map[string]string{
		"2.4.55": "unaffected", // the single version comes first
		"2.4.10": "affected", "2.4.30": "unaffected", "2.4.49": "unaffected", "2.4.50": "affected",
		"2.4.56": "unaffected", "2.4.58": "unaffected",
		"1.0": "affected", "1.9": "affected", "1.9.1": "unaffected",
		"3.0": "affected", "3.99.1": "affected", "4.0": "unaffected",
	} {
		if got, _ := productStatus(p, v, VersionCustom); got != want {
			t.Errorf("status of %s = %s, want %s", v, got, want)
		}
	}
	sv := Product{Versions: []ProductVersion{{Version: "1.0.0", LessThan: "1.0.0-rc.2", Status: "affected", VersionType: "semver"}}}
	if got, _ := productStatus(sv, "1.0.0-rc.1", VersionCustom); got != "unknown" {
		t.Errorf("1.0.0-rc.1 precedes 1.0.0 in semver, so it is outside [1.0.0, 1.0.0-rc.2): got %s", got)
	}
}
