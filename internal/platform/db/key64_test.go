package db_test

import (
	"context"
	"database/sql"
	"slices"
	"testing"

	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/db/dbtest"
)

// Keys are stored, so they are pinned: these were computed apart from Go
// (Python's hashlib: the first 8 bytes of SHA-256 of "a b", big-endian,
// signed).
var pinnedKeys = []struct {
	a, b string
	key  int64
}{
	{"target_ref", "attack-pattern--0042a9f5-f053-4769-b3ef-9ad018dfa298", 5556584789089516920},
	{"source_ref", "x", -6839860986098276346},
	{"object_refs", "indicator--é", -4709833646620566088},
}

func TestKey64IsTheSameInGoAndInEachEnginesSQL(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		for _, k := range pinnedKeys {
			if got := db.Key64(k.a, k.b); got != k.key {
				t.Errorf("Key64(%q, %q) = %d, want %d", k.a, k.b, got, k.key)
			}
			var got int64
			if err := d.Reader().QueryRowContext(context.Background(), "SELECT key64($1, $2)", k.a, k.b).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != k.key {
				t.Errorf("SQL key64(%q, %q) = %d, want %d", k.a, k.b, got, k.key)
			}
		}
	})
}

// Migration 14 turns stored references into keys, and its Down reads
// them back from the bodies.
func TestReferencesSurviveTheMoveToKeysAndBack(t *testing.T) {
	for _, engine := range dbtest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			d, err := db.Open(ctx, dbtest.Options(t, engine))
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			if err := d.MigrateTo(ctx, 13); err != nil {
				t.Fatal(err)
			}
			const (
				rel    = "relationship--11111111-1111-4111-8111-111111111111"
				report = "report--22222222-2222-4222-8222-222222222222"
				src    = "malware--33333333-3333-4333-8333-333333333333"
				dst    = "identity--44444444-4444-4444-8444-444444444444"
			)
			bodies := map[int64][2]string{
				1: {rel, `{"type":"relationship","id":"` + rel + `","relationship_type":"targets","source_ref":"` + src + `","target_ref":"` + dst + `"}`},
				2: {report, `{"type":"report","id":"` + report + `","object_refs":["` + src + `","` + dst + `"]}`},
				3: {"report--55555555-5555-4555-8555-555555555555", "\x00 a compressed body, which Down leaves out"},
			}
			if err := d.Tx(ctx, func(tx *sql.Tx) error {
				for seq, b := range bodies {
					typ := "relationship"
					if seq >= 2 {
						typ = "report"
					}
					if _, err := tx.ExecContext(ctx, `INSERT INTO stix_versions (seq, id, stix_id, type, owner_org, created_by, tlp, content_hash, body, added_at)
						VALUES ($1, $2, $3, $4, 'org', 'user', 'CLEAR', 'h', $5, 0)`, seq, b[0], b[0], typ, []byte(b[1])); err != nil {
						return err
					}
				}
				for _, r := range [][3]any{{src, "source_ref", 1}, {dst, "target_ref", 1}, {src, "object_refs", 2}, {dst, "object_refs", 2}} {
					if _, err := tx.ExecContext(ctx, `INSERT INTO stix_refs (ref_id, property, version_seq) VALUES ($1, $2, $3)`, r[0], r[1], r[2]); err != nil {
						return err
					}
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}

			if err := d.MigrateTo(ctx, 14); err != nil {
				t.Fatal(err)
			}
			seqsOf := func(property, id string) []int64 {
				t.Helper()
				rows, err := d.Reader().QueryContext(ctx, `SELECT version_seq FROM stix_refs WHERE ref_key = $1 ORDER BY 1`, db.Key64(property, id))
				if err != nil {
					t.Fatal(err)
				}
				defer rows.Close()
				var out []int64
				for rows.Next() {
					var s int64
					if err := rows.Scan(&s); err != nil {
						t.Fatal(err)
					}
					out = append(out, s)
				}
				return out
			}
			for _, c := range []struct {
				property, id string
				want         []int64
			}{
				{"source_ref", src, []int64{1}}, {"target_ref", dst, []int64{1}}, {"object_refs", dst, []int64{2}},
				{"target_ref", src, nil}, {"source_ref", dst, nil},
			} {
				if got := seqsOf(c.property, c.id); !slices.Equal(got, c.want) {
					t.Errorf("after Up: %s -> %s is referenced by %v, want %v", c.property, c.id, got, c.want)
				}
			}

			if err := d.MigrateTo(ctx, 13); err != nil {
				t.Fatal(err)
			}
			var n int
			if err := d.Reader().QueryRowContext(ctx, `SELECT count(*) FROM stix_refs WHERE
				(ref_id = $1 AND property = 'source_ref' AND version_seq = 1) OR (ref_id = $2 AND property = 'target_ref' AND version_seq = 1) OR
				(ref_id IN ($1, $2) AND property = 'object_refs' AND version_seq = 2)`, src, dst).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != 4 {
				t.Errorf("after Down: %d of the 4 references are back", n)
			}
		})
	}
}
