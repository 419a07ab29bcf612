package stix

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
)

// sharedData is the project's shared folder of real public STIX data, if
// it is checked out beside the repository.
const sharedData = "../../shared/data"

func needSharedData(tb testing.TB) {
	tb.Helper()
	if _, err := os.Stat(sharedData); err != nil {
		tb.Skip("shared data not present:", err)
	}
}

func readMaybeGzip(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, err
		}
		defer zr.Close()
		return io.ReadAll(zr)
	}
	return data, nil
}

// sharedFiles lists the JSON files under dir of the shared data.
func sharedFiles(tb testing.TB, dir string) []string {
	var files []string
	root := filepath.Join(sharedData, dir)
	_ = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.HasSuffix(path, ".json") || strings.HasSuffix(path, ".json.gz")) {
			files = append(files, path)
		}
		return nil
	})
	sort.Strings(files)
	return files
}

// sample is one STIX object found in the shared data.
type sample struct {
	file string
	raw  json.RawMessage
}

// collectObjects finds the STIX objects in data: the members of every
// "objects" list whose elements have a type, at any depth (bundles, TAXII
// envelopes and the medallion fixture alike).
func collectObjects(file string, data []byte) []sample {
	var out []sample
	var walk func(raw json.RawMessage)
	walk = func(raw json.RawMessage) {
		raw = bytes.TrimSpace(raw)
		if len(raw) == 0 {
			return
		}
		switch raw[0] {
		case '{':
			var m map[string]json.RawMessage
			if json.Unmarshal(raw, &m) != nil {
				return
			}
			for k, v := range m {
				if k == "objects" {
					var l []json.RawMessage
					if json.Unmarshal(v, &l) == nil {
						for _, e := range l {
							var probe struct {
								Type string `json:"type"`
							}
							if json.Unmarshal(e, &probe) == nil && probe.Type != "" {
								out = append(out, sample{file, e})
							}
						}
						continue
					}
				}
				walk(v)
			}
		case '[':
			var l []json.RawMessage
			if json.Unmarshal(raw, &l) == nil {
				for _, e := range l {
					walk(e)
				}
			}
		}
	}
	walk(data)
	return out
}

// examples returns every object of the STIX example files.
func exampleObjects(t *testing.T) []sample {
	var out []sample
	for _, f := range sharedFiles(t, "stix2-examples") {
		data, err := readMaybeGzip(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, collectObjects(f, data)...)
	}
	return out
}

var (
	attackOnce  sync.Once
	attackCache []sample
	attackErr   error
)

// attackObjects returns every object of the ATT&CK bundles, loaded once
// per test binary (decoding 46 MB is most of the cost under -race).
func attackObjects(t testing.TB) []sample {
	attackOnce.Do(func() {
		for _, f := range sharedFiles(t, "mitre-attack") {
			if strings.HasSuffix(f, "index.json") || strings.HasSuffix(f, "schema-2.0.0.json") {
				continue
			}
			data, err := readMaybeGzip(f)
			if err != nil {
				attackErr = err
				return
			}
			var objs []sample
			_, err = DecodeBundle(bytes.NewReader(data), func(_ int, o Object, err error) error {
				if err == nil {
					objs = append(objs, sample{f, o.Raw()})
				}
				return nil
			})
			if err != nil {
				// Not a bundle (the extension definition file): search it.
				objs = collectObjects(f, data)
			}
			attackCache = append(attackCache, objs...)
		}
	})
	if attackErr != nil {
		t.Fatal(attackErr)
	}
	return attackCache
}
