package audit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/rampart-project/rampart/internal/platform/db"
)

// Report is the outcome of Verify.
type Report struct {
	// Checked counts the entries found intact, in order, before the first
	// broken one (all of them if none is broken).
	Checked int
	// HeadSeq and HeadHash are the newest entry as audit_head records it
	// when Verify started. Keeping a copy elsewhere lets a later Verify
	// reveal a rewrite of the whole log, which the chain alone cannot.
	HeadSeq  int64
	HeadHash string
	// FirstBroken is the first entry that fails a check, or nil.
	FirstBroken *Broken
}

// Intact reports whether Verify found nothing wrong.
func (r Report) Intact() bool { return r.FirstBroken == nil }

// Broken says which entry is the first that fails, and why.
type Broken struct {
	Seq    int64
	Reason string
}

// verifyBatch is how many entries Verify reads per query: enough to keep
// round trips cheap, few enough that memory stays flat however long the log.
const verifyBatch = 2000

// Verify walks the whole log in sequence order, a batch at a time, and
// checks that the entries are numbered 1, 2, 3, ... without gaps, that each
// entry's hash matches its contents, that each prev_hash is the hash of the
// entry before (the first's is GenesisHash), and that the last entry is the
// one audit_head records. It stops at the first failure. An error means
// Verify could not read the log, not that the log is broken.
//
// Entries appended while Verify runs are not checked: it verifies the log
// up to the head it read first.
func Verify(ctx context.Context, d *db.DB) (Report, error) {
	return verify(ctx, d.Reader())
}

func verify(ctx context.Context, q db.Querier) (Report, error) {
	var rep Report
	headSeq, headHash, err := Head(ctx, q)
	if errors.Is(err, errNoHead) {
		rep.FirstBroken = &Broken{Seq: 1, Reason: "the audit_head record is missing"}
		return rep, nil
	}
	if err != nil {
		return rep, err
	}
	rep.HeadSeq, rep.HeadHash = headSeq, headHash

	prevSeq, prevHash := int64(0), GenesisHash
	for {
		n, broken, err := verifyBatchFrom(ctx, q, &rep, &prevSeq, &prevHash, headSeq)
		if err != nil {
			return rep, err
		}
		if broken != nil {
			rep.FirstBroken = broken
			return rep, nil
		}
		if n < verifyBatch {
			break
		}
	}

	switch {
	case prevSeq < headSeq:
		rep.FirstBroken = &Broken{Seq: prevSeq + 1, Reason: fmt.Sprintf(
			"%s missing from the end: the head records entry %d", entries(prevSeq+1, headSeq), headSeq)}
		return rep, nil
	case prevHash != headHash && headSeq == 0:
		rep.FirstBroken = &Broken{Seq: 1, Reason: "the head records no entries but not the genesis hash"}
		return rep, nil
	case prevHash != headHash:
		rep.Checked-- // the last entry is not the one the head records
		rep.FirstBroken = &Broken{Seq: headSeq, Reason: "hash does not match the hash the head records for this entry"}
		return rep, nil
	}

	// An entry beyond the head was not written by Append, which moves the
	// head in the same transaction. The maximum is read before the head is
	// read again, so an append that commits in between cannot look forged.
	var maxSeq int64
	if err := q.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM audit_log`).Scan(&maxSeq); err != nil {
		return rep, fmt.Errorf("audit: verify: %w", err)
	}
	nowSeq, _, err := Head(ctx, q)
	if err != nil && !errors.Is(err, errNoHead) {
		return rep, err
	}
	if maxSeq > nowSeq {
		rep.FirstBroken = &Broken{Seq: nowSeq + 1, Reason: fmt.Sprintf(
			"entries after the head (entry %d) exist up to entry %d: they were not appended through the log", nowSeq, maxSeq)}
	}
	return rep, nil
}

// verifyBatchFrom checks the next batch after *prevSeq and advances it.
func verifyBatchFrom(ctx context.Context, q db.Querier, rep *Report, prevSeq *int64, prevHash *string, headSeq int64) (int, *Broken, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+columns+` FROM audit_log
		WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT $3 + 0`, *prevSeq, headSeq, verifyBatch)
	if err != nil {
		return 0, nil, fmt.Errorf("audit: verify: %w", err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		n++
		r, err := scanRow(rows)
		if err != nil {
			return n, nil, fmt.Errorf("audit: verify: after entry %d: %w", *prevSeq, err)
		}
		if b := check(r, *prevSeq, *prevHash); b != nil {
			return n, b, nil
		}
		rep.Checked++
		*prevSeq, *prevHash = r.seq, r.hash
	}
	if err := rows.Err(); err != nil {
		return n, nil, fmt.Errorf("audit: verify: after entry %d: %w", *prevSeq, err)
	}
	return n, nil, nil
}

// check tests one entry against its predecessor. The link is tested before
// the contents: when both are wrong (an entry moved from elsewhere), that it
// does not belong here is the more telling reason.
func check(r row, prevSeq int64, prevHash string) *Broken {
	if r.seq != prevSeq+1 {
		return &Broken{Seq: prevSeq + 1, Reason: fmt.Sprintf(
			"sequence gap after entry %d: %s missing", prevSeq, entries(prevSeq+1, r.seq-1))}
	}
	if r.prevHash != prevHash {
		if prevSeq == 0 {
			return &Broken{Seq: r.seq, Reason: "prev_hash of the first entry is not the genesis hash"}
		}
		return &Broken{Seq: r.seq, Reason: fmt.Sprintf("prev_hash does not match entry %d's hash", prevSeq)}
	}
	if r.computeHash() != r.hash {
		return &Broken{Seq: r.seq, Reason: "hash does not match its contents"}
	}
	return nil
}

// entries names a range of entries in a sentence: "entry 4 is",
// "entries 4 to 9 are".
func entries(from, to int64) string {
	if from == to {
		return fmt.Sprintf("entry %d is", from)
	}
	return fmt.Sprintf("entries %d to %d are", from, to)
}

var errNoHead = errors.New("audit: the audit_head row is missing; the log has been tampered with")

// Head returns the sequence number and hash of the newest entry as
// audit_head records it: 0 and GenesisHash for an empty log.
func Head(ctx context.Context, q db.Querier) (seq int64, hash string, err error) {
	err = q.QueryRowContext(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&seq, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", errNoHead
	}
	if err != nil {
		return 0, "", fmt.Errorf("audit: read head: %w", err)
	}
	return seq, hash, nil
}
