package audit_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rampart-project/rampart/internal/platform/audit"
	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/db/dbtest"
	"github.com/rampart-project/rampart/internal/platform/errs"
)

// sample returns the i-th entry of a varied, made-up history: three
// organizations and the instance, several actions, some anonymous actors.
func sample(i int) audit.Entry {
	orgs := []string{"org-a", "org-b", "org-c", ""}
	actions := []string{"user.signin", "user.signin_failed", "org.create", "token.used_for_write", "object.read_red"}
	e := audit.Entry{
		ActorLabel: fmt.Sprintf("user%d@example.org", i%7),
		Action:     actions[i%len(actions)],
		TargetKind: "object",
		TargetID:   fmt.Sprintf("indicator--%08d", i),
		OrgScope:   orgs[i%len(orgs)],
		Detail:     map[string]any{"i": i, "note": "<b>&\"quoted\"</b>", "nested": map[string]any{"z": 1, "a": []any{true, nil}}},
		RemoteAddr: "192.0.2.1",
		RequestID:  fmt.Sprintf("req-%d", i),
	}
	if i%3 != 0 {
		e.ActorUserID = fmt.Sprintf("user-%d", i%7)
		e.ActorOrgID = e.OrgScope
	}
	return e
}

// appendN appends n sample entries, first+0 .. first+n-1, in one
// transaction.
func appendN(t testing.TB, d *db.DB, first, n int) []audit.Entry {
	t.Helper()
	ctx := context.Background()
	var out []audit.Entry
	err := d.Tx(ctx, func(tx *sql.Tx) error {
		out = out[:0]
		for i := first; i < first+n; i++ {
			e, err := audit.Append(ctx, tx, d.Engine(), sample(i))
			if err != nil {
				return err
			}
			out = append(out, e)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func mustVerify(t testing.TB, d *db.DB) audit.Report {
	t.Helper()
	rep, err := audit.Verify(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func wantIntact(t testing.TB, rep audit.Report, n int) {
	t.Helper()
	if rep.FirstBroken != nil {
		t.Fatalf("broken at entry %d: %s", rep.FirstBroken.Seq, rep.FirstBroken.Reason)
	}
	if rep.Checked != n || rep.HeadSeq != int64(n) {
		t.Fatalf("checked %d entries, head %d; want %d", rep.Checked, rep.HeadSeq, n)
	}
}

func TestAppendAndVerify(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		wantIntact(t, mustVerify(t, d), 0)

		// More than one verification batch, appended in several
		// transactions.
		const n = 4500
		var all []audit.Entry
		for first := 0; first < n; first += 1500 {
			all = append(all, appendN(t, d, first, 1500)...)
		}
		if all[0].Seq != 1 || all[0].PrevHash != audit.GenesisHash {
			t.Fatalf("first entry: seq %d prev %s", all[0].Seq, all[0].PrevHash)
		}
		for i := 1; i < len(all); i++ {
			if all[i].Seq != all[i-1].Seq+1 || all[i].PrevHash != all[i-1].Hash {
				t.Fatalf("entry %d does not follow entry %d", all[i].Seq, all[i-1].Seq)
			}
		}
		rep := mustVerify(t, d)
		wantIntact(t, rep, n)
		if rep.HeadHash != all[n-1].Hash {
			t.Fatalf("head hash %s, want %s", rep.HeadHash, all[n-1].Hash)
		}
	})
}

// Appenders on many connections (PostgreSQL) or queued on one (SQLite)
// must still build one linear chain.
func TestConcurrentAppendsStayLinear(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		const writers, each = 8, 30
		var wg sync.WaitGroup
		errc := make(chan error, writers*each)
		for w := range writers {
			wg.Go(func() {
				for i := range each {
					errc <- d.Tx(ctx, func(tx *sql.Tx) error {
						// Some work of the caller's own before the append,
						// as a real module would have.
						if _, err := tx.ExecContext(ctx, `SELECT 1`); err != nil {
							return err
						}
						_, err := audit.Append(ctx, tx, d.Engine(), sample(w*each+i))
						return err
					})
				}
			})
		}
		wg.Wait()
		close(errc)
		for err := range errc {
			if err != nil {
				t.Fatal(err)
			}
		}
		wantIntact(t, mustVerify(t, d), writers*each)
	})
}

func TestRolledBackAppendLeavesNoTrace(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		appendN(t, d, 0, 3)
		boom := errors.New("the change failed")
		err := d.Tx(ctx, func(tx *sql.Tx) error {
			if _, err := audit.Append(ctx, tx, d.Engine(), sample(100)); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("Tx returned %v", err)
		}
		after := appendN(t, d, 3, 2)
		if after[0].Seq != 4 {
			t.Fatalf("the append after a rollback got seq %d, want 4", after[0].Seq)
		}
		wantIntact(t, mustVerify(t, d), 5)
		list, _, err := audit.List(ctx, d.Reader(), audit.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range list {
			if e.TargetID == sample(100).TargetID {
				t.Fatalf("the rolled-back entry is in the log: %+v", e)
			}
		}
	})
}

func TestAppendRejectsMalformedEntries(t *testing.T) {
	d := dbtest.Open(t, db.SQLite)
	ctx := context.Background()
	cases := map[string]func(e *audit.Entry){
		"no action":          func(e *audit.Entry) { e.Action = "" },
		"undotted action":    func(e *audit.Entry) { e.Action = "signin" },
		"upper-case action":  func(e *audit.Entry) { e.Action = "User.signin" },
		"empty action part":  func(e *audit.Entry) { e.Action = "user..signin" },
		"no actor label":     func(e *audit.Entry) { e.ActorLabel = "" },
		"huge target id":     func(e *audit.Entry) { e.TargetID = strings.Repeat("x", 5000) },
		"unencodable detail": func(e *audit.Entry) { e.Detail = map[string]any{"f": func() {}} },
	}
	for name, spoil := range cases {
		t.Run(name, func(t *testing.T) {
			e := sample(1)
			spoil(&e)
			err := d.Tx(ctx, func(tx *sql.Tx) error {
				_, err := audit.Append(ctx, tx, d.Engine(), e)
				return err
			})
			if !errs.Is(err, errs.Invalid) {
				t.Fatalf("Append returned %v, want an invalid error", err)
			}
		})
	}
	wantIntact(t, mustVerify(t, d), 0)
}

func TestEntriesReadBackAsAppended(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		when := time.Date(2026, 3, 1, 12, 30, 15, 123456789, time.FixedZone("X", 3600))
		in := sample(1)
		in.Time = when
		in.Detail = map[string]any{"big": int64(1) << 60, "pi": 3.25, "s": "é<>&"}
		var stored audit.Entry
		err := d.Tx(ctx, func(tx *sql.Tx) (err error) {
			stored, err = audit.NewRecorder(d.Engine()).Record(ctx, tx, in)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		list, next, err := audit.List(ctx, d.Reader(), audit.Filter{})
		if err != nil || len(list) != 1 || next != "" {
			t.Fatalf("List: %v %d %q", err, len(list), next)
		}
		got := list[0]
		if !got.Time.Equal(when.Truncate(time.Microsecond)) || !got.Time.Equal(stored.Time) {
			t.Errorf("time %v, stored %v, want %v", got.Time, stored.Time, when)
		}
		if got.Hash != stored.Hash || got.PrevHash != audit.GenesisHash {
			t.Errorf("hashes differ: %s %s", got.Hash, stored.Hash)
		}
		if got.Detail["big"] != json.Number("1152921504606846976") || got.Detail["s"] != "é<>&" {
			t.Errorf("detail %#v", got.Detail)
		}
		if got.ActorUserID != in.ActorUserID || got.ActorOrgID != in.ActorOrgID || got.OrgScope != in.OrgScope ||
			got.RequestID != in.RequestID || got.RemoteAddr != in.RemoteAddr || got.TargetID != in.TargetID {
			t.Errorf("read back %+v, appended %+v", got, in)
		}
	})
}

// allowTampering removes the append-only triggers inside tx, as someone with
// direct database access could.
func allowTampering(tx *sql.Tx, engine db.Engine) error {
	stmts := []string{
		`DROP TRIGGER audit_log_no_update`, `DROP TRIGGER audit_log_no_delete`, `DROP TRIGGER audit_head_no_delete`,
	}
	if engine == db.Postgres {
		stmts = []string{`ALTER TABLE audit_log DISABLE TRIGGER USER`, `ALTER TABLE audit_head DISABLE TRIGGER USER`}
	}
	for _, s := range stmts {
		if _, err := tx.Exec(s); err != nil {
			return err
		}
	}
	return nil
}

func TestTriggersRefuseChanges(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		appendN(t, d, 0, 2)
		for _, stmt := range []string{
			`UPDATE audit_log SET detail = '{}' WHERE seq = 1`,
			`DELETE FROM audit_log WHERE seq = 2`,
			`DELETE FROM audit_head`,
		} {
			err := d.Tx(ctx, func(tx *sql.Tx) error {
				_, err := tx.ExecContext(ctx, stmt)
				return err
			})
			if err == nil {
				t.Errorf("%s succeeded", stmt)
			}
		}
		wantIntact(t, mustVerify(t, d), 2)
	})
}

// allColumns is every column but seq, to move an entry's contents.
const allColumns = `at, actor_user_id, actor_org_id, actor_label, action, target_kind, target_id,
	org_scope, detail, remote_addr, request_id, prev_hash, hash`

// swapSQL swaps the given columns of entries a and b, through a copy so
// that neither engine sees a half-done swap.
func swapSQL(columns string, a, b int) []string {
	var sets []string
	for _, c := range strings.Split(columns, ",") {
		c = strings.TrimSpace(c)
		sets = append(sets, fmt.Sprintf("%s = (SELECT %s FROM audit_swap o WHERE o.seq = %d + %d - audit_log.seq)", c, c, a, b))
	}
	return []string{
		fmt.Sprintf("CREATE TEMP TABLE audit_swap AS SELECT * FROM audit_log WHERE seq IN (%d, %d)", a, b),
		fmt.Sprintf("UPDATE audit_log SET %s WHERE seq IN (%d, %d)", strings.Join(sets, ", "), a, b),
		"DROP TABLE audit_swap",
	}
}

var errRollback = errors.New("roll back")

// tampered runs stmts in a transaction with the triggers out of the way,
// rechains from..to if from > 0, verifies what the transaction sees, and
// rolls it all back.
func tampered(d *db.DB, stmts []string, from, to int64) (audit.Report, error) {
	ctx := context.Background()
	var rep audit.Report
	err := d.Tx(ctx, func(tx *sql.Tx) error {
		if err := allowTampering(tx, d.Engine()); err != nil {
			return err
		}
		for _, s := range stmts {
			if _, err := tx.ExecContext(ctx, s); err != nil {
				return fmt.Errorf("%s: %w", s, err)
			}
		}
		if from > 0 {
			if err := audit.Rechain(ctx, tx, from, to); err != nil {
				return err
			}
		}
		var err error
		if rep, err = audit.VerifyWith(ctx, tx); err != nil {
			return err
		}
		return errRollback
	})
	if errors.Is(err, errRollback) {
		err = nil
	}
	return rep, err
}

func TestTamperingIsDetected(t *testing.T) {
	const n = 20
	cases := []struct {
		name    string
		stmts   []string
		rechain [2]int64 // recompute hashes of these entries afterwards
		seq     int64
		reason  string
	}{
		{name: "detail changed", stmts: []string{`UPDATE audit_log SET detail = '{"i":6}' WHERE seq = 7`},
			seq: 7, reason: "hash does not match its contents"},
		{name: "hash changed", stmts: []string{`UPDATE audit_log SET hash = '` + strings.Repeat("ab", 32) + `' WHERE seq = 7`},
			seq: 7, reason: "hash does not match its contents"},
		{name: "time moved by a microsecond", stmts: []string{`UPDATE audit_log SET at = at + 1 WHERE seq = 7`},
			seq: 7, reason: "hash does not match its contents"},
		{name: "absent actor made empty", stmts: []string{`UPDATE audit_log SET actor_user_id = '' WHERE seq = 7`},
			seq: 7, reason: "hash does not match its contents"},
		{name: "text moved between fields", stmts: []string{
			`UPDATE audit_log SET target_kind = target_kind || substr(target_id, 1, 3), target_id = substr(target_id, 4) WHERE seq = 7`},
			seq: 7, reason: "hash does not match its contents"},
		{name: "entry rewritten with a valid hash", stmts: []string{`UPDATE audit_log SET action = 'org.delete' WHERE seq = 7`},
			rechain: [2]int64{7, 7}, seq: 8, reason: "prev_hash does not match entry 7's hash"},
		{name: "entry rewritten and the rest relinked", stmts: []string{`UPDATE audit_log SET action = 'org.delete' WHERE seq = 7`},
			rechain: [2]int64{7, n}, seq: n, reason: "hash does not match the hash the head records"},
		{name: "middle entry deleted", stmts: []string{`DELETE FROM audit_log WHERE seq = 7`},
			seq: 7, reason: "sequence gap after entry 6: entry 7 is missing"},
		{name: "middle entries deleted", stmts: []string{`DELETE FROM audit_log WHERE seq BETWEEN 7 AND 9`},
			seq: 7, reason: "sequence gap after entry 6: entries 7 to 9 are missing"},
		{name: "middle entry deleted and the rest renumbered and relinked", stmts: []string{
			`DELETE FROM audit_log WHERE seq = 7`,
			`UPDATE audit_log SET seq = -seq WHERE seq > 7`, `UPDATE audit_log SET seq = -seq - 1 WHERE seq < 0`},
			rechain: [2]int64{7, n - 1}, seq: n, reason: "entry 20 is missing from the end: the head records entry 20"},
		{name: "first entry deleted", stmts: []string{`DELETE FROM audit_log WHERE seq = 1`},
			seq: 1, reason: "sequence gap after entry 0: entry 1 is missing"},
		{name: "last entry deleted", stmts: []string{`DELETE FROM audit_log WHERE seq = 20`},
			seq: 20, reason: "entry 20 is missing from the end: the head records entry 20"},
		{name: "last entries deleted", stmts: []string{`DELETE FROM audit_log WHERE seq > 17`},
			seq: 18, reason: "entries 18 to 20 are missing from the end"},
		{name: "all entries deleted", stmts: []string{`DELETE FROM audit_log`},
			seq: 1, reason: "entries 1 to 20 are missing from the end"},
		{name: "two entries swapped", stmts: swapSQL(allColumns, 5, 12),
			seq: 5, reason: "prev_hash does not match entry 4's hash"},
		{name: "two details swapped", stmts: swapSQL("detail", 5, 12),
			seq: 5, reason: "hash does not match its contents"},
		{name: "first entry's link changed", stmts: []string{`UPDATE audit_log SET prev_hash = '` + strings.Repeat("1", 64) + `' WHERE seq = 1`},
			seq: 1, reason: "prev_hash of the first entry is not the genesis hash"},
		{name: "entry forged after the head", stmts: []string{
			`INSERT INTO audit_log SELECT seq + 1, at, actor_user_id, actor_org_id, actor_label, action, target_kind, target_id,
				org_scope, detail, remote_addr, request_id, hash, hash FROM audit_log WHERE seq = 20`},
			rechain: [2]int64{21, 21}, seq: 21, reason: "entries after the head (entry 20) exist up to entry 21"},
		{name: "head moved back", stmts: []string{`UPDATE audit_head SET seq = 19, hash = (SELECT hash FROM audit_log WHERE seq = 19)`},
			seq: 20, reason: "entries after the head (entry 19) exist up to entry 20"},
		{name: "head's hash changed", stmts: []string{`UPDATE audit_head SET hash = '` + strings.Repeat("2", 64) + `'`},
			seq: 20, reason: "hash does not match the hash the head records"},
		{name: "head deleted", stmts: []string{`DELETE FROM audit_head`},
			seq: 1, reason: "the audit_head record is missing"},
	}
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		appendN(t, d, 0, n)
		wantIntact(t, mustVerify(t, d), n)
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				// Tamper, verify and roll back, so every case starts from
				// the same intact log.
				rep, err := tampered(d, tc.stmts, tc.rechain[0], tc.rechain[1])
				if err != nil {
					t.Fatal(err)
				}
				b := rep.FirstBroken
				if b == nil {
					t.Fatalf("Verify found nothing wrong (checked %d)", rep.Checked)
				}
				if b.Seq != tc.seq || !strings.Contains(b.Reason, tc.reason) {
					t.Fatalf("broken at entry %d: %q; want entry %d: %q", b.Seq, b.Reason, tc.seq, tc.reason)
				}
				if want := int(tc.seq - 1); rep.Checked != want {
					t.Errorf("checked %d entries before the break, want %d", rep.Checked, want)
				}
			})
		}
		wantIntact(t, mustVerify(t, d), n)
	})
}

// A rewrite of the whole log, head included, is a valid chain; only a head
// kept elsewhere reveals it. This test documents that limit.
func TestConsistentRewriteIsOnlyVisibleAgainstAKeptHead(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		appendN(t, d, 0, 10)
		kept := mustVerify(t, d)
		err := d.Tx(ctx, func(tx *sql.Tx) error {
			if err := allowTampering(tx, d.Engine()); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM audit_log WHERE seq > 8`); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `UPDATE audit_head SET seq = 8, hash = (SELECT hash FROM audit_log WHERE seq = 8)`)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		now := mustVerify(t, d)
		wantIntact(t, now, 8)
		if now.HeadSeq >= kept.HeadSeq {
			t.Fatalf("head went from %d to %d", kept.HeadSeq, now.HeadSeq)
		}
	})
}

// Whatever single entry is changed or removed, and whatever two entries are
// swapped, Verify names the lowest entry touched.
func TestRandomTamperingFindsTheFirstTouchedEntry(t *testing.T) {
	const n = 40
	textColumns := []string{"actor_user_id", "actor_org_id", "actor_label", "action", "target_kind", "target_id",
		"org_scope", "detail", "remote_addr", "request_id", "prev_hash", "hash"}
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		appendN(t, d, 0, n)
		seed := uint64(time.Now().UnixNano())
		t.Logf("seed %d", seed)
		rng := rand.New(rand.NewPCG(seed, 1))
		rounds := 150
		if testing.Short() {
			rounds = 30
		}
		for round := range rounds {
			var stmts []string
			swapped := false
			k := int64(1 + rng.IntN(n))
			switch kind := rng.IntN(5); kind {
			case 0, 1: // change one field of one entry
				if rng.IntN(len(textColumns)+1) == 0 {
					stmts = append(stmts, fmt.Sprintf(`UPDATE audit_log SET at = at + %d WHERE seq = %d`, 1+rng.IntN(1000), k))
				} else {
					c := textColumns[rng.IntN(len(textColumns))]
					stmts = append(stmts, fmt.Sprintf(`UPDATE audit_log SET %s = COALESCE(%s, '') || 'x' WHERE seq = %d`, c, c, k))
				}
			case 2: // delete a run of entries
				to := min(int64(n), k+int64(rng.IntN(3)))
				stmts = append(stmts, fmt.Sprintf(`DELETE FROM audit_log WHERE seq BETWEEN %d AND %d`, k, to))
			case 3, 4: // swap two entries, or just one column of them
				other := int64(1 + rng.IntN(n))
				for other == k {
					other = int64(1 + rng.IntN(n))
				}
				cols := allColumns
				if kind == 4 {
					cols = textColumns[rng.IntN(len(textColumns))]
				}
				stmts, swapped = swapSQL(cols, int(k), int(other)), true
				k = min(k, other)
			}
			rep, err := tampered(d, stmts, 0, 0)
			if err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
			// Swapping a column whose values are equal (two entries with
			// the same actor) changes nothing; that is not tampering.
			if rep.FirstBroken == nil && swapped {
				continue
			}
			if rep.FirstBroken == nil || rep.FirstBroken.Seq != k {
				t.Fatalf("round %d: %v: got %+v, want a break at entry %d", round, stmts, rep.FirstBroken, k)
			}
		}
		wantIntact(t, mustVerify(t, d), n)
	})
}
