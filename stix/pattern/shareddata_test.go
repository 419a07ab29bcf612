package pattern

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sharedData is the project's shared folder of real public STIX data, if
// it is checked out beside the repository.
const sharedData = "../../../shared/data"

// knownBadPatterns lists indicator patterns in the shared data that are
// expected not to parse, keyed by indicator id, with the reason.
var knownBadPatterns = map[string]string{}

// TestSharedDataPatterns parses every STIX indicator pattern in the shared
// example bundles and ATT&CK data.
func TestSharedDataPatterns(t *testing.T) {
	if _, err := os.Stat(sharedData); err != nil {
		t.Skip("shared data not present:", err)
	}
	var files []string
	for _, dir := range []string{"stix2-examples", "mitre-attack"} {
		root := filepath.Join(sharedData, dir)
		filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && (strings.HasSuffix(path, ".json") || strings.HasSuffix(path, ".json.gz")) {
				files = append(files, path)
			}
			return nil
		})
	}
	if len(files) == 0 {
		t.Skip("no STIX files in shared data")
	}
	total, parsed := 0, 0
	for _, path := range files {
		data, err := readMaybeGzip(path)
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		var objs []map[string]any
		collectObjects(data, &objs)
		for _, o := range objs {
			if o["type"] != "indicator" {
				continue
			}
			pat, _ := o["pattern"].(string)
			ptype, hasType := o["pattern_type"].(string)
			if pat == "" || (hasType && ptype != "stix") {
				continue
			}
			id, _ := o["id"].(string)
			v := V21
			if sv, _ := o["spec_version"].(string); sv != "2.1" && !hasType {
				v = V20 // STIX 2.0 indicators have neither spec_version nor pattern_type
			}
			total++
			p, err := Parse(pat, WithVersion(v))
			if err != nil {
				if _, known := knownBadPatterns[id]; !known {
					t.Errorf("%s: %s: %q: %v", filepath.Base(path), id, pat, err)
				}
				continue
			}
			parsed++
			q, err := Parse(p.String(), WithVersion(v))
			if err != nil || !p.Equal(q) {
				t.Errorf("%s: round trip of %q through %q failed: %v", id, pat, p.String(), err)
			}
			p.Observables()
		}
	}
	t.Logf("shared data: %d files, %d STIX indicator patterns, %d parse", len(files), total, parsed)
}

func readMaybeGzip(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil || !strings.HasSuffix(path, ".gz") {
		return data, err
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}

// collectObjects gathers STIX objects from a bundle, a list, or any JSON
// document that nests them (the TAXII fixture keeps them under several
// keys), by looking for maps with "type" and "id".
func collectObjects(data []byte, out *[]map[string]any) {
	var v any
	if json.Unmarshal(data, &v) != nil {
		return
	}
	var walk func(v any, depth int)
	walk = func(v any, depth int) {
		if depth > 20 {
			return
		}
		switch v := v.(type) {
		case map[string]any:
			if _, ok := v["type"].(string); ok {
				if _, ok := v["id"].(string); ok {
					*out = append(*out, v)
				}
			}
			for _, e := range v {
				walk(e, depth+1)
			}
		case []any:
			for _, e := range v {
				walk(e, depth+1)
			}
		}
	}
	walk(v, 0)
}
