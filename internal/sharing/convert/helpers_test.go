package convert_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rampart-project/rampart/internal/sharing/convert"
	"github.com/rampart-project/rampart/stix"
)

// pymisp is the shared folder of real MISP events from PyMISP's test
// data, checked out beside the repository.
const pymisp = "../../../../shared/data/misp/events/pymisp"

// readShared reads a file of the shared MISP data, skipping the test when
// the folder is not there.
func readShared(tb testing.TB, name string) []byte {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join(pymisp, name))
	if os.IsNotExist(err) {
		tb.Skip("shared MISP data not present:", err)
	}
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

var fixed = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

func opts() convert.Options {
	return convert.Options{Now: func() time.Time { return fixed }}
}

func mustEvent(tb testing.TB, data []byte, o convert.Options) convert.Result {
	tb.Helper()
	res, err := convert.MISPEvent(data, o)
	if err != nil {
		tb.Fatalf("MISPEvent: %v", err)
	}
	checkResult(tb, res)
	return res
}

// checkResult asserts the package's promise: every object is valid STIX
// 2.1 (no finding of severity Error), and no version appears twice.
func checkResult(tb testing.TB, res convert.Result) {
	tb.Helper()
	seen := map[string]bool{}
	for _, o := range res.Objects {
		for _, f := range stix.Validate(o) {
			if f.Severity == stix.Error {
				tb.Errorf("invalid object: %v\n%s", f, o.Raw())
			}
		}
		key := o.ID() + "\x00" + o.ModifiedRaw()
		if seen[key] {
			tb.Errorf("object %s (modified %q) produced twice", o.ID(), o.ModifiedRaw())
		}
		seen[key] = true
	}
}

func counts(res convert.Result) map[string]int {
	m := map[string]int{}
	for _, o := range res.Objects {
		m[o.Type()]++
	}
	return m
}

func find(tb testing.TB, res convert.Result, id string) stix.Object {
	tb.Helper()
	for _, o := range res.Objects {
		if o.ID() == id {
			return o
		}
	}
	tb.Fatalf("no object %s among %d", id, len(res.Objects))
	return stix.Object{}
}

func str(o stix.Object, name string) string {
	s, _ := o.String(name)
	return s
}

// raw concatenates the bytes of every object, to compare conversions.
func raw(res convert.Result) string {
	var b strings.Builder
	for _, o := range res.Objects {
		b.Write(o.Raw())
		b.WriteByte('\n')
	}
	return b.String()
}

func hasRejection(rs []convert.Rejection, where, reason string) bool {
	for _, r := range rs {
		if r.Where == where && strings.Contains(r.Reason, reason) {
			return true
		}
	}
	return false
}

// event wraps attributes and objects in a minimal event for tests.
func event(tb testing.TB, extra map[string]any) []byte {
	tb.Helper()
	ev := map[string]any{
		"uuid": "5a3c2fcd-8328-42bb-a95e-4f4402de0b81", "info": "test event", "date": "2024-04-01",
		"timestamp": "1714000000", "Orgc": map[string]any{"name": "ACME CERT", "uuid": "55f6ea5e-2c60-40e5-964f-47a8950d210f"},
	}
	for k, v := range extra {
		ev[k] = v
	}
	data, err := json.Marshal(map[string]any{"Event": ev})
	if err != nil {
		tb.Fatal(err)
	}
	return data
}
