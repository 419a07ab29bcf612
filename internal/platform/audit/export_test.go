package audit

import (
	"context"
	"fmt"

	"github.com/rampart-project/rampart/internal/platform/db"
)

// VerifyWith runs Verify's walk through q, so a test can tamper inside a
// transaction, verify what it sees, and roll back.
func VerifyWith(ctx context.Context, q db.Querier) (Report, error) { return verify(ctx, q) }

// Rechain does what an attacker who knows the hash function would: it
// relinks entries from..to to their predecessors and recomputes their
// hashes, in order, so that they are consistent with whatever their
// contents now are. The append-only
// triggers must be out of the way.
func Rechain(ctx context.Context, q db.Querier, from, to int64) error {
	for seq := from; seq <= to; seq++ {
		rows, err := q.QueryContext(ctx, `SELECT `+columns+` FROM audit_log WHERE seq = $1`, seq)
		if err != nil {
			return err
		}
		if !rows.Next() {
			rows.Close()
			return fmt.Errorf("no entry %d", seq)
		}
		r, err := scanRow(rows)
		rows.Close()
		if err != nil {
			return err
		}
		r.prevHash = GenesisHash
		if seq > 1 {
			if err := q.QueryRowContext(ctx, `SELECT hash FROM audit_log WHERE seq = $1`, seq-1).Scan(&r.prevHash); err != nil {
				return err
			}
		}
		if _, err := q.ExecContext(ctx, `UPDATE audit_log SET prev_hash = $1, hash = $2 WHERE seq = $3`,
			r.prevHash, r.computeHash(), seq); err != nil {
			return err
		}
	}
	return nil
}
