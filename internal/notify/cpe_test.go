package notify_test

import (
	"strings"
	"testing"

	"github.com/rampart-project/rampart/internal/notify"
)

func TestParseCPE(t *testing.T) {
	t.Parallel()
	good := []struct{ in, canonical string }{
		{"cpe:2.3:a:microsoft:internet_explorer:8.0.6001:beta:*:*:*:*:*:*", ""},
		{"CPE:2.3:A:Microsoft:Internet_Explorer:8.*:SP?:*:*:*:*:*:*", "cpe:2.3:a:microsoft:internet_explorer:8.*:sp?:*:*:*:*:*:*"},
		{`cpe:2.3:a:foo\\bar:big\$money_2010:*:*:*:*:special:ipod_touch:80gb:*`, ""},
		{`cpe:2.3:a:hp:insight:7.4.0.1570:-:*:*:online:win2003:x64:*`, ""},
		{`cpe:2.3:a:vendor:product:1.0\:beta:*:*:*:*:*:*:*`, ""},
		{`cpe:2.3:a:vendor:product:\-:*:*:*:*:*:*:*`, ""},                                           // the literal hyphen, not NA
		{`cpe:2.3:a:vendor:product:\.5:*:*:*:*:*:*:*`, `cpe:2.3:a:vendor:product:.5:*:*:*:*:*:*:*`}, // needless escape dropped
		{`cpe:2.3:a:vendor:pro\*duct:*:*:*:*:*:*:*:*`, ""},
		{`cpe:2.3:a:vendor:*product*:??:*:*:*:*:*:*:*`, ""},
		{`cpe:2.3:*:vendor:product:*:*:*:*:*:*:*:*`, ""},
		{`cpe:2.3:o:vendor:product:-:-:-:-:-:-:-:-`, ""},
	}
	for _, tc := range good {
		c, err := notify.ParseCPE(tc.in)
		if err != nil {
			t.Errorf("ParseCPE(%q): %v", tc.in, err)
			continue
		}
		want := tc.canonical
		if want == "" {
			want = tc.in
		}
		if got := c.String(); got != want {
			t.Errorf("ParseCPE(%q).String() = %q, want %q", tc.in, got, want)
		}
		again, err := notify.ParseCPE(c.String())
		if err != nil || again != c {
			t.Errorf("round trip of %q: %v %v", tc.in, again, err)
		}
	}
	bad := []struct{ in, reason string }{
		{"", "not a CPE 2.3"},
		{"cpe:2.3:", "part is empty"},
		{"cpe:2.3:a:v:p:1:*:*:*:*:*:*", "10 attributes"},
		{"cpe:2.3:a:v:p:1:*:*:*:*:*:*:*:*", "more than 11"},
		{"cpe:2.3:a:v::1:*:*:*:*:*:*:*", "product is empty"},
		{"cpe:2.3:a:v:p:1*2:*:*:*:*:*:*:*", "start or end"},
		{"cpe:2.3:a:v:p:**:*:*:*:*:*:*:*", "wildcards alone"},
		{"cpe:2.3:a:v:p:*?:*:*:*:*:*:*:*", "wildcards alone"},
		{"cpe:2.3:a:v:p:1 0:*:*:*:*:*:*:*", "space"},
		{"cpe:2.3:a:v:p:1/0:*:*:*:*:*:*:*", "escaped"},
		{`cpe:2.3:a:v:p:1\a:*:*:*:*:*:*:*`, "not an escape"},
		{`cpe:2.3:a:v:p:*:*:*:*:*:*:*:\`, "lone backslash"},
		{"cpe:2.3:a:v:p:1:*:*:*:*:*:*:*\u00e9", "non-ASCII"},
		{"cpe:2.3:-:v:p:*:*:*:*:*:*:*:*", "part"},
		{"cpe:2.3:ax:v:p:*:*:*:*:*:*:*:*", "part"},
	}
	for _, tc := range bad {
		_, err := notify.ParseCPE(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.reason) {
			t.Errorf("ParseCPE(%q) = %v, want an error with %q", tc.in, err, tc.reason)
		}
	}
}

func TestCPEMatch(t *testing.T) {
	t.Parallel()
	const name = "cpe:2.3:a:microsoft:internet_explorer:8.0.6001:beta:*:*:*:*:x64:*"
	cases := []struct {
		criterion, name  string
		match, uncertain bool
	}{
		{"cpe:2.3:a:microsoft:internet_explorer:*:*:*:*:*:*:*:*", name, true, false},
		{"cpe:2.3:*:microsoft:*:*:*:*:*:*:*:*:*", name, true, false},
		{"cpe:2.3:a:microsoft:internet_explorer:8.0.6001:beta:*:*:*:*:*:*", name, true, false},
		{"cpe:2.3:a:microsoft:internet_explorer:8.0.6001:rc:*:*:*:*:*:*", name, false, false},
		{"cpe:2.3:a:microsoft:internet_explorer:8.*:*:*:*:*:*:*:*", name, true, false},
		{"cpe:2.3:a:microsoft:internet_explorer:*.6001:*:*:*:*:*:*:*", name, true, false},
		{"cpe:2.3:a:microsoft:internet_explorer:9.*:*:*:*:*:*:*:*", name, false, false},
		{"cpe:2.3:a:microsoft:internet_*:*:*:*:*:*:*:*:*", name, true, false},
		{"cpe:2.3:a:micro?:internet_explorer:*:*:*:*:*:*:*:*", name, false, false},    // ? is at most one character
		{"cpe:2.3:a:microsof?:internet_explorer:*:*:*:*:*:*:*:*", name, true, false},  // one
		{"cpe:2.3:a:microsoft?:internet_explorer:*:*:*:*:*:*:*:*", name, true, false}, // or none
		{"cpe:2.3:a:?icrosoft:internet_explorer:*:*:*:*:*:*:*:*", name, true, false},  // at the start too
		{"cpe:2.3:a:??crosoft:internet_explorer:*:*:*:*:*:*:*:*", name, true, false},  // a run of two
		{"cpe:2.3:a:?crosoft:internet_explorer:*:*:*:*:*:*:*:*", name, false, false},  // but one is not two
		{"cpe:2.3:a:microsoft:internet_explorer:*:*:*:*:*:*:x86:*", name, false, false},
		{"cpe:2.3:a:microsoft:internet_explorer:*:*:*:*:*:*:-:*", name, false, false},
		{"cpe:2.3:a:microsoft:internet_explorer:*:*:*:*:*:windows:*:*", name, true, true}, // name leaves target_sw open
		{"cpe:2.3:a:microsoft:internet_explorer:*:*:*:*:*:-:*:*", name, true, true},
		{"cpe:2.3:o:microsoft:internet_explorer:*:*:*:*:*:*:*:*", name, false, false},
		{"cpe:2.3:a:microsoft:internet_explorer:*:*:-:*:*:*:*:*",
			"cpe:2.3:a:microsoft:internet_explorer:8:*:-:*:*:*:*:*", true, false},
		{`cpe:2.3:a:foo\\bar:big\$money:*:*:*:*:*:*:*:*`, `cpe:2.3:a:FOO\\BAR:big\$money:2010:*:*:*:*:*:*:*`, true, false},
	}
	for _, tc := range cases {
		c, err := notify.ParseCPE(tc.criterion)
		if err != nil {
			t.Fatalf("criterion %q: %v", tc.criterion, err)
		}
		n, err := notify.ParseCPE(tc.name)
		if err != nil {
			t.Fatalf("name %q: %v", tc.name, err)
		}
		m, u := c.Match(n)
		if m != tc.match || m && u != tc.uncertain {
			t.Errorf("%s matching %s = %v, uncertain %v; want %v, %v", tc.criterion, tc.name, m, u, tc.match, tc.uncertain)
		}
	}
}
