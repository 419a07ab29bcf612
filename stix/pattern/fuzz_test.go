package pattern

import (
	"encoding/json"
	"os"
	"testing"
)

// corpusPatterns returns the patterns of the spec examples and the ported
// OASIS corpora, as fuzzing seeds.
func corpusPatterns(tb testing.TB) []string {
	pats := append([]string(nil), specExamples...)
	if data, err := os.ReadFile("testdata/oasis-matcher-corpus.json"); err == nil {
		var c matcherCorpus
		if json.Unmarshal(data, &c) == nil {
			for _, s := range c.Suites {
				for _, tc := range s.Cases {
					pats = append(pats, tc.Pattern)
				}
			}
		}
	}
	if data, err := os.ReadFile("testdata/oasis-validator-corpus.json"); err == nil {
		var c struct {
			Suites []struct{ Valid, Invalid []string } `json:"suites"`
		}
		if json.Unmarshal(data, &c) == nil {
			for _, s := range c.Suites {
				pats = append(pats, s.Valid...)
				pats = append(pats, s.Invalid...)
			}
		}
	}
	return pats
}

func FuzzParse(f *testing.F) {
	for _, p := range corpusPatterns(f) {
		f.Add(p, false)
	}
	f.Add("[a:b = 1] /* c */ // d", true)
	f.Add("(((([x:y = 1]))))", true)
	f.Fuzz(func(t *testing.T, s string, v20 bool) {
		opts := []Option{Lenient()}
		if v20 {
			opts = append(opts, WithVersion(V20))
		}
		p, err := Parse(s, opts...)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		text := p.String()
		q, err := Parse(text, opts...)
		if err != nil {
			t.Fatalf("canonical form %q of %q does not parse: %v", text, s, err)
		}
		if !p.Equal(q) {
			t.Fatalf("round trip of %q through %q changed the pattern", s, text)
		}
		if q.String() != text {
			t.Fatalf("canonical form not stable: %q then %q", text, q.String())
		}
		p.Observables()
	})
}

func FuzzMatch(f *testing.F) {
	obs20 := `[{"type": "observed-data", "first_observed": "2020-01-01T00:00:00Z", "last_observed": "2020-01-01T00:00:05Z", "number_observed": 3,
	  "objects": {"0": {"type": "person", "name": "alice", "age": 10, "knows_refs": ["1"], "tags": [["a"], ["b", 1.5]]}, "1": {"type": "person", "name": "bob", "blob_bin": "AQID", "ip": "10.1.2.3"}}}]`
	seeds := corpusPatterns(f)
	for i, p := range seeds {
		switch i % 3 {
		case 0:
			f.Add(p, hardBundle)
		case 1:
			f.Add(p, obs20)
		default:
			f.Add(p, `{"type": "bundle", "id": "bundle--1", "objects": []}`)
		}
	}
	f.Fuzz(func(t *testing.T, pat, obsJSON string) {
		p, err := Parse(pat, Lenient())
		if err != nil {
			return
		}
		obs, err := ObservationsFromJSON([]byte(obsJSON))
		if err != nil {
			return
		}
		r, err := p.Match(obs)
		if err != nil {
			return
		}
		for _, b := range r.Bindings {
			if b.Observation < 0 || b.Observation >= len(obs) {
				t.Fatalf("binding to observation %d of %d", b.Observation, len(obs))
			}
		}
		if r.Matched && len(r.Bindings) == 0 {
			t.Fatalf("match without bindings")
		}
	})
}
