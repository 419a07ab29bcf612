package convert_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampart-project/rampart/internal/platform/errs"
	"github.com/rampart-project/rampart/internal/sharing/convert"
	"github.com/rampart-project/rampart/stix"
)

// fuzzCheck asserts what holds for any input: no object invalid, the same
// bytes twice, every rejection placed, and any error a domain error.
func fuzzCheck(t *testing.T, conv func() (convert.Result, error)) {
	res, err := conv()
	if err != nil {
		if errs.CodeOf(err) != errs.Invalid {
			t.Fatalf("error %v is not an invalid-input error", err)
		}
		return
	}
	for _, o := range res.Objects {
		for _, f := range stix.Validate(o) {
			if f.Severity == stix.Error {
				t.Fatalf("invalid object: %v\n%s", f, o.Raw())
			}
		}
	}
	for _, r := range append(res.Rejected, res.Warnings...) {
		if r.Where == "" || r.Reason == "" {
			t.Fatalf("rejection without place or reason: %+v", r)
		}
	}
	again, _ := conv()
	if len(again.Objects) != len(res.Objects) {
		t.Fatalf("second conversion made %d objects, first %d", len(again.Objects), len(res.Objects))
	}
	for i := range res.Objects {
		if !bytes.Equal(res.Objects[i].Raw(), again.Objects[i].Raw()) {
			t.Fatalf("conversions differ:\n%s\n%s", res.Objects[i].Raw(), again.Objects[i].Raw())
		}
	}
}

func FuzzMISPEvent(f *testing.F) {
	_ = filepath.WalkDir(pymisp, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".json") {
			if data, err := os.ReadFile(path); err == nil {
				f.Add(data)
			}
		}
		return nil
	})
	for _, s := range []string{
		`{"Event": {"uuid": "5a3c2fcd-8328-42bb-a95e-4f4402de0b81", "info": "x", "timestamp": "1714000000", "Tag": [{"name": "tlp:amber"}],
		  "Attribute": [{"type": "ip-dst|port", "value": "198.51.100.7|80", "to_ids": true, "first_seen": "2024-01-01T00:00:00Z", "last_seen": "2023-01-01",
		    "Sighting": [{"type": "0", "date_sighting": "1714000001", "Organisation": {"name": "o"}}, {"type": "2", "date_sighting": "1"}]},
		   {"type": "domain|ip", "value": "a.example|::1", "to_ids": false, "Tag": [{"name": "tlp:red"}]},
		   {"type": "filename|sha256", "value": "a|b", "to_ids": 1},
		   {"type": "yara", "value": "rule a {condition: true}", "to_ids": "1"}],
		  "Object": [{"name": "file", "uuid": "x", "Attribute": [{"type": "md5", "value": "0749bae92ca336a02c83d126e04ec628", "to_ids": true}],
		    "ObjectReference": [{"referenced_uuid": "x", "relationship_type": "Related To"}]}],
		  "Galaxy": [{"type": "mitre-attack-pattern", "GalaxyCluster": [{"value": "X - T1234", "uuid": "", "meta": {"kill_chain": "a:b"}}]}]}}`,
		`{"response": [{"Event": {"info": "a"}}, {"info": "b", "Attribute": null}, 3]}`,
		`[{"info": "a", "Orgc": {"name": "o", "uuid": "not"}}]`,
		`{"info": "x", "Attribute": {"type": "md5"}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzCheck(t, func() (convert.Result, error) { return convert.MISPEvent(data, opts()) })
	})
}

func FuzzCSV(f *testing.F) {
	f.Add([]byte(csvFile))
	for _, s := range []string{
		"type,value\nipv4-addr,198.51.100.7\n",
		"type\tvalue\tvalid_from\tvalid_until\nurl\thttp://x/'\\\t2024-01-01\t2024-01-02\n",
		"type,value,confidence,tlp,labels,indicator_types\nsha256," + strings.Repeat("a", 64) + ",50,amber+strict,a;b,benign\n",
		"type,value\nyara,\"rule a {\ncondition: true }\"\n",
		"type,value\nregkey|value,HKLM\\x|\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzCheck(t, func() (convert.Result, error) { return convert.CSV(bytes.NewReader(data), opts()) })
	})
}
