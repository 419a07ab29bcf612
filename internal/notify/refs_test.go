package notify

import (
	"context"
	"database/sql"
	"testing"

	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/db/dbtest"
)

// A relationship is found by the keys of its source and target, and kept
// only if its body names the object: a row under the same key for
// another (property, id) — one pair in 2^64 — is left out.
func TestTargetingRelationshipsCheckWhatTheKeysFind(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		const (
			malware = "malware--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061"
			other   = "identity--5e3f9a2b-1c4d-4e8f-9a0b-1c2d3e4f5a6b"
			rel     = "relationship--7a8b9c0d-1e2f-4a3b-8c5d-6e7f8a9b0c1d"
			stray   = "relationship--2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e"
		)
		var got []subject
		err := d.Tx(ctx, func(tx *sql.Tx) error {
			for seq, r := range map[int64][2]string{1: {rel, malware}, 2: {stray, other}} {
				body := `{"type":"relationship","id":"` + r[0] + `","relationship_type":"targets","source_ref":"` + r[1] + `","target_ref":"` + other + `"}`
				if _, err := tx.ExecContext(ctx, `INSERT INTO stix_versions (seq, id, stix_id, type, owner_org, created_by, tlp, content_hash, body, added_at)
					VALUES ($1, $2, $3, 'relationship', 'org', 'user', 'CLEAR', 'h', $4, 0)`, seq, r[0], r[0], []byte(body)); err != nil {
					return err
				}
			}
			// The real reference, and the stray relationship's row under
			// the malware's key.
			for _, seq := range []int64{1, 2} {
				if _, err := tx.ExecContext(ctx, `INSERT INTO stix_refs (ref_key, version_seq) VALUES ($1, $2)`, db.Key64("source_ref", malware), seq); err != nil {
					return err
				}
			}
			var err error
			got, err = targetingRelationships(ctx, tx, malware)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].StixID != rel {
			t.Fatalf("targeting relationships of %s: %+v", malware, got)
		}
	})
}
