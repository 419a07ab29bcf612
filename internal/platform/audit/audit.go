// Package audit is Rampart's audit log: an append-only table in which every
// entry carries the SHA-256 hash of its own contents and of the entry before
// it, so that changing, removing or reordering an entry breaks the chain and
// `rampart audit verify` finds where.
//
// Entries are appended inside the caller's write transaction (Append or
// Recorder.Record), so an entry exists if and only if the change it records
// was committed. Appenders are serialized — by SQLite's single writer
// connection, and on PostgreSQL by a transaction-scoped advisory lock — so the
// chain never forks.
//
// # What the chain proves, and what it does not
//
// Editing any field of an entry, deleting an entry from the middle or the
// start, or swapping entries is detected by Verify. Deleting the newest
// entries is not visible in the chain itself (what remains is a valid,
// shorter chain), so every append also records the newest (seq, hash) in the
// one-row table audit_head, and Verify compares the chain's end with it.
// Someone who can write the database freely can still rewrite the whole log
// and the head consistently; only a copy of the head kept elsewhere (Verify
// reports it, and `rampart audit verify` prints it) reveals that.
//
// # The hash
//
// hash = hex(SHA-256(encoding)), where the encoding is the ASCII tag
// "rampart-audit-v1" followed by these fields in this order:
//
//	seq, at (microseconds), actor_user_id, actor_org_id, actor_label, action,
//	target_kind, target_id, org_scope, detail, remote_addr, request_id, prev_hash
//
// An integer is 8 bytes, big-endian two's complement. A string is a byte
// 0x01, its length as 8 bytes big-endian, then its bytes; a NULL (only the
// actor ids and org_scope may be NULL) is the single byte 0x00. Every field
// therefore says where it ends, and the field list is fixed, so two different
// entries never share an encoding — in particular NULL and "" differ, and no
// text can spill from one field into the next. detail is hashed as the
// exact JSON text stored, which Append produces canonically (object keys
// sorted, no insignificant space), so Verify never re-encodes JSON.
package audit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/errs"
)

// Entry is one record of the audit log. Callers fill the fields that
// describe what happened; Append fills Seq, PrevHash and Hash, and Time if
// it is zero.
type Entry struct {
	Seq  int64     `json:"seq"`
	Time time.Time `json:"time"` // stored to the microsecond

	// Who did it. The ids are "" when there is no such principal (a
	// failed sign-in, the system itself); ActorLabel always says something
	// a person can read: an e-mail address, "system", "cli".
	ActorUserID string `json:"actor_user_id,omitempty"`
	ActorOrgID  string `json:"actor_org_id,omitempty"`
	ActorLabel  string `json:"actor_label"`

	// Action is dotted lower case, subject first: "user.signin",
	// "user.signin_failed", "token.used_for_write", "org.create",
	// "object.read_red".
	Action     string `json:"action"`
	TargetKind string `json:"target_kind,omitempty"`
	TargetID   string `json:"target_id,omitempty"`

	// OrgScope is the organization the entry concerns, so that the
	// organization's administrators can browse it; "" for entries that
	// concern the instance as a whole.
	OrgScope string `json:"org_scope,omitempty"`

	// Detail holds whatever else is worth keeping, as a JSON object. Never
	// put secrets or TLP:RED content in it. Read back, numbers are
	// json.Number so that none loses precision.
	Detail map[string]any `json:"detail,omitempty"`

	RemoteAddr string `json:"remote_addr,omitempty"`
	RequestID  string `json:"request_id,omitempty"`

	PrevHash string `json:"prev_hash"`
	Hash     string `json:"hash"`
}

// GenesisHash is the prev_hash of the first entry.
const GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000"

// lockKey is the PostgreSQL advisory lock that serializes appenders: the
// bytes of "rampAUDT". It is per database, not per schema, so instances
// sharing a database in different schemas merely take turns.
const lockKey int64 = 0x72616d7041554454

// Limits on what one entry may hold, so a careless caller cannot turn the
// audit log into a dump.
const (
	maxField  = 1024
	maxDetail = 64 << 10
)

// Recorder appends entries for a module that holds it instead of the
// engine. The zero value is not usable; use NewRecorder.
type Recorder struct {
	engine db.Engine
}

// NewRecorder returns a recorder for the given engine (db.DB.Engine()).
func NewRecorder(engine db.Engine) *Recorder { return &Recorder{engine: engine} }

// Record appends e inside tx; see Append.
func (r *Recorder) Record(ctx context.Context, tx *sql.Tx, e Entry) (Entry, error) {
	return Append(ctx, tx, r.engine, e)
}

// Append adds e to the log inside tx, the caller's write transaction, so the
// entry is committed if and only if the caller's change is. It returns the
// entry as stored. It returns an errs.Invalid error if the entry is
// malformed (no action or actor label, an action that is not dotted lower
// case, fields over their limits, a detail that is not JSON-encodable).
//
// The sequence number is the head's plus one, assigned here while appenders
// are serialized, rather than by the database: the hash covers seq, so it
// must be known before the row is written (no insert-then-update, which the
// append-only triggers forbid anyway), and a PostgreSQL sequence would leave
// a permanent gap whenever a transaction rolled back.
func Append(ctx context.Context, tx *sql.Tx, engine db.Engine, e Entry) (Entry, error) {
	detail, err := prepare(&e)
	if err != nil {
		return Entry{}, err
	}
	switch engine {
	case db.Postgres:
		// Waiting here, before reading the head, is what keeps two
		// appenders from both extending the same entry. Locking the newest
		// row would not: each would lock it and then add its own successor.
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, lockKey); err != nil {
			return Entry{}, fmt.Errorf("audit: lock: %w", err)
		}
	case db.SQLite:
		// The single writer connection runs one transaction at a time,
		// begun with BEGIN IMMEDIATE: appenders are already serialized.
	default:
		return Entry{}, fmt.Errorf("audit: unknown engine %q", engine)
	}

	headSeq, headHash, err := Head(ctx, tx)
	if err != nil {
		return Entry{}, err
	}
	e.Seq = headSeq + 1
	e.PrevHash = headHash
	r := rowOf(e, detail)
	e.Hash = r.computeHash()

	_, err = tx.ExecContext(ctx, `INSERT INTO audit_log
		(seq, at, actor_user_id, actor_org_id, actor_label, action, target_kind, target_id,
		 org_scope, detail, remote_addr, request_id, prev_hash, hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
		r.seq, r.at, r.actorUserID, r.actorOrgID, r.actorLabel, r.action, r.targetKind, r.targetID,
		r.orgScope, r.detail, r.remoteAddr, r.requestID, r.prevHash, e.Hash)
	if err != nil {
		return Entry{}, fmt.Errorf("audit: insert entry %d: %w", e.Seq, err)
	}
	res, err := tx.ExecContext(ctx, `UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1 AND seq = $3`,
		e.Seq, e.Hash, headSeq)
	if err != nil {
		return Entry{}, fmt.Errorf("audit: update head: %w", err)
	}
	// The head cannot have moved under the lock; if it did, something
	// bypasses the lock and the chain would fork, so refuse.
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return Entry{}, fmt.Errorf("audit: the head moved during append of entry %d (rows %d, %v)", e.Seq, n, err)
	}
	return e, nil
}

// prepare validates e, normalises its time and returns the canonical JSON
// of its detail.
func prepare(e *Entry) (string, error) {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	// What is stored is microseconds; hash and return exactly that.
	e.Time = db.FromMicros(db.Micros(e.Time))
	if e.ActorLabel == "" {
		return "", errs.E(errs.Invalid, "An audit entry needs an actor label.")
	}
	if !validAction(e.Action) {
		return "", errs.E(errs.Invalid, "The audit action %q is not dotted lower case (like user.signin).", e.Action)
	}
	for name, v := range map[string]string{
		"actor_user_id": e.ActorUserID, "actor_org_id": e.ActorOrgID, "actor_label": e.ActorLabel,
		"action": e.Action, "target_kind": e.TargetKind, "target_id": e.TargetID, "org_scope": e.OrgScope,
		"remote_addr": e.RemoteAddr, "request_id": e.RequestID,
	} {
		if len(v) > maxField {
			return "", errs.E(errs.Invalid, "The audit field %s is longer than %d bytes.", name, maxField)
		}
	}
	detail, err := canonicalJSON(e.Detail)
	if err != nil {
		return "", errs.Wrap(errs.Invalid, err, "The audit detail cannot be encoded as JSON.")
	}
	if len(detail) > maxDetail {
		return "", errs.E(errs.Invalid, "The audit detail is longer than %d bytes.", maxDetail)
	}
	return detail, nil
}

// validAction accepts dotted lower-case names: at least two parts of
// [a-z0-9_], the first starting with a letter.
func validAction(a string) bool {
	parts := strings.Split(a, ".")
	if len(parts) < 2 {
		return false
	}
	for i, p := range parts {
		if p == "" || !actionChars(p) {
			return false
		}
		if i == 0 && (p[0] < 'a' || p[0] > 'z') {
			return false
		}
	}
	return true
}

func actionChars(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// canonicalJSON encodes the detail with sorted object keys (encoding/json
// sorts map keys), without HTML escaping and without a trailing newline. A
// nil detail is "{}".
func canonicalJSON(detail map[string]any) (string, error) {
	if detail == nil {
		return "{}", nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(detail); err != nil {
		return "", err
	}
	return strings.TrimSuffix(buf.String(), "\n"), nil
}

// row is an entry as stored: what is hashed and what Verify reads back.
type row struct {
	seq, at                       int64
	actorUserID, actorOrgID       sql.NullString
	actorLabel, action            string
	targetKind, targetID          string
	orgScope                      sql.NullString
	detail, remoteAddr, requestID string
	prevHash, hash                string
}

// nullable stores "" as NULL, so that an absent actor or scope is
// unmistakably absent.
func nullable(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

func rowOf(e Entry, detail string) row {
	return row{
		seq: e.Seq, at: db.Micros(e.Time),
		actorUserID: nullable(e.ActorUserID), actorOrgID: nullable(e.ActorOrgID),
		actorLabel: e.ActorLabel, action: e.Action,
		targetKind: e.TargetKind, targetID: e.TargetID,
		orgScope: nullable(e.OrgScope),
		detail:   detail, remoteAddr: e.RemoteAddr, requestID: e.RequestID,
		prevHash: e.PrevHash,
	}
}

// entry converts a stored row back to an Entry.
func (r row) entry() (Entry, error) {
	e := Entry{
		Seq: r.seq, Time: db.FromMicros(r.at),
		ActorUserID: r.actorUserID.String, ActorOrgID: r.actorOrgID.String,
		ActorLabel: r.actorLabel, Action: r.action,
		TargetKind: r.targetKind, TargetID: r.targetID, OrgScope: r.orgScope.String,
		RemoteAddr: r.remoteAddr, RequestID: r.requestID,
		PrevHash: r.prevHash, Hash: r.hash,
	}
	dec := json.NewDecoder(strings.NewReader(r.detail))
	dec.UseNumber()
	if err := dec.Decode(&e.Detail); err != nil {
		return Entry{}, fmt.Errorf("audit: entry %d: detail: %w", r.seq, err)
	}
	if len(e.Detail) == 0 {
		e.Detail = nil
	}
	return e, nil
}

const hashTag = "rampart-audit-v1"

// computeHash returns the hex SHA-256 of the row's encoding (see the package
// comment). r.hash is not part of it.
func (r row) computeHash() string {
	h := sha256.New()
	var buf [9]byte
	putInt := func(v int64) {
		binary.BigEndian.PutUint64(buf[:8], uint64(v))
		h.Write(buf[:8])
	}
	putString := func(s string) {
		buf[0] = 1
		binary.BigEndian.PutUint64(buf[1:9], uint64(len(s)))
		h.Write(buf[:9])
		h.Write([]byte(s))
	}
	putNullable := func(s sql.NullString) {
		if !s.Valid {
			h.Write([]byte{0})
			return
		}
		putString(s.String)
	}
	h.Write([]byte(hashTag))
	putInt(r.seq)
	putInt(r.at)
	putNullable(r.actorUserID)
	putNullable(r.actorOrgID)
	putString(r.actorLabel)
	putString(r.action)
	putString(r.targetKind)
	putString(r.targetID)
	putNullable(r.orgScope)
	putString(r.detail)
	putString(r.remoteAddr)
	putString(r.requestID)
	putString(r.prevHash)
	return hex.EncodeToString(h.Sum(nil))
}

// columns lists audit_log's columns in the order scan reads them.
const columns = `seq, at, actor_user_id, actor_org_id, actor_label, action, target_kind, target_id,
	org_scope, detail, remote_addr, request_id, prev_hash, hash`

func scanRow(rows *sql.Rows) (row, error) {
	var r row
	err := rows.Scan(&r.seq, &r.at, &r.actorUserID, &r.actorOrgID, &r.actorLabel, &r.action,
		&r.targetKind, &r.targetID, &r.orgScope, &r.detail, &r.remoteAddr, &r.requestID,
		&r.prevHash, &r.hash)
	return r, err
}
