package pattern

import (
	"encoding/json"
	"os"
	"slices"
	"testing"
)

// matcherCorpus is test data ported from the OASIS reference matcher's
// test suite: patterns, observations and the verdicts that suite expects.
type matcherCorpus struct {
	Source  string `json:"source"`
	License string `json:"license"`
	Suites  []struct {
		Name         string          `json:"name"`
		Path         string          `json:"path"`
		Version      string          `json:"version"`
		Observations json.RawMessage `json:"observations"`
		Cases        []struct {
			Pattern string `json:"pattern"`
			Expect  string `json:"expect"` // match, nomatch, error
			// SDOs, when present, are the observed-data ids the first
			// match must bind (order ignored).
			SDOs []string `json:"sdos"`
		} `json:"cases"`
	} `json:"suites"`
	// Disagreements lists cases, as "suite|pattern", where this package
	// deliberately differs from the reference, with the reason.
	Disagreements map[string]string `json:"disagreements"`
}

func loadMatcherCorpus(t *testing.T) *matcherCorpus {
	t.Helper()
	data, err := os.ReadFile("testdata/oasis-matcher-corpus.json")
	if err != nil {
		t.Fatal(err)
	}
	var c matcherCorpus
	if err := json.Unmarshal(data, &c); err != nil {
		t.Fatal(err)
	}
	return &c
}

// verdict runs one corpus case and returns match, nomatch or error.
func verdict(pat string, version Version, obs []Observation) (string, []string, error) {
	p, err := Parse(pat, WithVersion(version), Lenient())
	if err != nil {
		return "error", nil, err
	}
	r, err := p.Match(obs)
	if err != nil {
		return "error", nil, err
	}
	if r.Matched {
		return "match", r.ObservedData(), nil
	}
	return "nomatch", nil, nil
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func TestOASISMatcherCorpus(t *testing.T) {
	c := loadMatcherCorpus(t)
	total, agree := 0, 0
	used := map[string]bool{}
	for _, s := range c.Suites {
		obs, err := ObservationsFromJSON(s.Observations)
		if err != nil {
			t.Fatalf("%s: observations: %v", s.Name, err)
		}
		version := V21
		if s.Version == "2.0" {
			version = V20
		}
		for _, tc := range s.Cases {
			total++
			got, ids, err := verdict(tc.Pattern, version, obs)
			if got == "match" && tc.SDOs != nil && !sameSet(ids, tc.SDOs) {
				t.Errorf("%s: %s: matched observed-data %v, reference reports %v", s.Name, tc.Pattern, ids, tc.SDOs)
			}
			key := s.Name + "|" + tc.Pattern
			reason, known := c.Disagreements[key]
			used[key] = true
			switch {
			case got == tc.Expect && !known:
				agree++
			case got == tc.Expect && known:
				t.Errorf("%s: %s: listed as a disagreement (%s) but now agrees", s.Name, tc.Pattern, reason)
			case !known:
				t.Errorf("%s: %s: got %s (err %v), reference expects %s", s.Name, tc.Pattern, got, err, tc.Expect)
			}
		}
	}
	for k := range c.Disagreements {
		if !used[k] {
			t.Errorf("disagreement %q names no corpus case", k)
		}
	}
	t.Logf("OASIS matcher corpus: %d cases, %d agree, %d known disagreements", total, agree, len(c.Disagreements))
}
