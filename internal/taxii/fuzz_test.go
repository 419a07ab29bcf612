package taxiiserver

import (
	"strings"
	"testing"

	"github.com/rampart-project/rampart/internal/platform/errs"
	"github.com/rampart-project/rampart/taxii"
)

// FuzzDecodeEnvelope feeds arbitrary bodies to the add-objects decoder,
// the one parser of request input here that ./taxii's fuzzers do not
// cover (filters and media types are theirs). It must never panic, and
// must account for every element it read.
func FuzzDecodeEnvelope(f *testing.F) {
	for _, s := range []string{
		`{"objects": []}`,
		`{"objects": [{"type": "indicator", "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"}, 1, "x", null, []]}`,
		`{"more": true, "next": "abc", "objects": [{}], "x": {"objects": 1}}`,
		`{"objects": [{"a": "\u0000"}]} `,
		`{"objects": {}}`, `[]`, `{`, ``, `{"objects": [], "objects": []}`, `{"objects": [1,]}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		p, err := decodeEnvelope(strings.NewReader(body))
		if err != nil {
			if errs.CodeOf(err) != errs.Unprocessable {
				t.Fatalf("error of another kind: %v", err)
			}
			return
		}
		if p.total != len(p.objs)+len(p.rejects) {
			t.Fatalf("%d elements, %d objects, %d rejects", p.total, len(p.objs), len(p.rejects))
		}
	})
}

// FuzzDecodeToken checks that no next parameter panics or yields a cursor
// that is not positive, and that tokens the server makes read back.
func FuzzDecodeToken(f *testing.F) {
	q := query{kind: listObjects, collection: "c", filter: taxii.Filter{Types: []string{"indicator"}}}
	f.Add(encodeToken(q, 1), int64(1))
	f.Add("AAAAAAAAAAAAAAAAAA", int64(1767225600000000))
	f.Add("", int64(-1))
	f.Fuzz(func(t *testing.T, token string, cursor int64) {
		if got, err := decodeToken(q, token); err == nil && got <= 0 {
			t.Fatalf("%q gave cursor %d", token, got)
		}
		if cursor > 0 {
			if got, err := decodeToken(q, encodeToken(q, cursor)); err != nil || got != cursor {
				t.Fatalf("round trip of %d: %d %v", cursor, got, err)
			}
		}
	})
}
