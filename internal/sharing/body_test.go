package sharing_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/rampart-project/rampart/internal/platform/access"
	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/db/dbtest"
	"github.com/rampart-project/rampart/internal/sharing"
)

// A large body is stored compressed and read back byte for byte; a small
// one, which would not shrink enough, is stored as it came; bodies stored
// before compression (plain JSON) read as they are.
func TestBodiesAreStoredCompressedAndReadBackByteForByte(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		w := newWorld(t, d)
		ctx := context.Background()
		large := `{"type":"malware","spec_version":"2.1","id":"malware--` + id2 + `","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z",
  "name":"Xorist", "is_family":true, "description":"` + strings.Repeat("Encrypts files and demands a ransom. ", 80) + `", "x_custom":{"kept": [1, 2.50, "three"]}}`
		small := `{"type":"identity","spec_version":"2.1","id":"identity--` + id1 + `","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","name":"A"}`
		w.ingest(sharing.Submission{Principal: w.a, Source: sharing.SourceAPI, DefaultTLP: access.Green}, large, small)

		for _, c := range []struct {
			id, want   string
			compressed bool
		}{{"malware--" + id2, large, true}, {"identity--" + id1, small, false}} {
			var stored []byte
			if err := d.Reader().QueryRowContext(ctx, `SELECT body FROM stix_versions WHERE stix_id = $1`, c.id).Scan(&stored); err != nil {
				t.Fatal(err)
			}
			if got := len(stored) > 0 && stored[0] == 0; got != c.compressed {
				t.Errorf("%s: compressed %v, want %v (%d bytes stored for %d)", c.id, got, c.compressed, len(stored), len(c.want))
			}
			if c.compressed && len(stored) > len(c.want)/2 {
				t.Errorf("%s: %d bytes stored for %d", c.id, len(stored), len(c.want))
			}
			v, err := w.store.Latest(ctx, w.a, c.id)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(v.Body, []byte(c.want)) {
				t.Errorf("%s: read back\n%s\nwant\n%s", c.id, v.Body, c.want)
			}
		}
	})
}

func TestOpenBody(t *testing.T) {
	plain := []byte(`{"type":"x"}`)
	if got, err := sharing.OpenBody(plain); err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("plain JSON: %q %v", got, err)
	}
	if _, err := sharing.OpenBody([]byte{0, 0xff, 0xff, 0xff}); err == nil || !strings.Contains(err.Error(), "does not decompress") {
		t.Fatalf("a corrupt body: %v", err)
	}
}

// Stored bodies come from the store itself, but a damaged file must not
// bring a reader down.
func FuzzOpenBody(f *testing.F) {
	f.Add([]byte(`{"type":"x"}`))
	f.Add([]byte{0, 12, 44, 123, 34, 116, 121, 112, 101, 34, 58, 34, 120, 34, 125})
	f.Add([]byte{0})
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = sharing.OpenBody(b)
	})
}
