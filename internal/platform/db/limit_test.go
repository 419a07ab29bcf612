package db_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// A bare "LIMIT $N" makes SQLite read the parameter while planning, which
// marks the statement to be compiled again each time it is bound: every
// query is parsed twice, and a cached reader statement is parsed on every
// use (a sixth of the CPU of a TAXII page). Queries write "LIMIT $N + 0".
func TestNoBareLimitParameters(t *testing.T) {
	root := filepath.Join("..", "..", "..")
	bare := regexp.MustCompile(`(?i)\bLIMIT \$[0-9]+\b(?: *\+ *0)?`)
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range bare.FindAllString(string(src), -1) {
			if !strings.HasSuffix(strings.ReplaceAll(m, " ", ""), "+0") {
				t.Errorf("%s: %q: write the LIMIT parameter as \"$N + 0\"", path, m)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
