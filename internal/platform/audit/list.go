package audit

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/errs"
)

// Filter selects entries for List.
type Filter struct {
	// OrgScope keeps the entries that concern one organization; "" keeps
	// all. Callers that show one organization's log must set it: "" is
	// the coordinators' view of everything.
	OrgScope string
	// Action keeps the entries whose action starts with it, byte for byte:
	// "user." for everything about users, "user.signin" for sign-ins and
	// failed sign-ins.
	Action string
	// Before is the cursor a previous page returned as next; "" starts at
	// the newest entry.
	Before string
	// Limit is the page size: DefaultLimit if 0, at most MaxLimit.
	Limit int
}

// Page sizes for List.
const (
	DefaultLimit = 50
	MaxLimit     = 500
)

// List returns entries newest first, and the cursor of the next (older) page
// or "" if there is none. It pages by sequence number, never by offset, so a
// page is as fast at the millionth entry as at the first and entries
// appended meanwhile do not shift pages. It returns an errs.Invalid error
// for a malformed cursor, action prefix or limit.
func List(ctx context.Context, q db.Querier, f Filter) ([]Entry, string, error) {
	limit := f.Limit
	switch {
	case limit == 0:
		limit = DefaultLimit
	case limit < 0 || limit > MaxLimit:
		return nil, "", errs.E(errs.Invalid, "The limit must be between 1 and %d.", MaxLimit)
	}
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if f.Before != "" {
		before, err := strconv.ParseInt(f.Before, 10, 64)
		if err != nil || before < 1 {
			return nil, "", errs.E(errs.Invalid, "The cursor %q is not one this server returned.", f.Before)
		}
		where = append(where, "seq < "+arg(before))
	}
	if f.OrgScope != "" {
		where = append(where, "org_scope = "+arg(f.OrgScope))
	}
	if f.Action != "" {
		if len(f.Action) > maxField || !prefixChars(f.Action) {
			return nil, "", errs.E(errs.Invalid, "The action filter %q may hold only a-z, 0-9, _ and dots.", f.Action)
		}
		// A range rather than LIKE: it needs no escaping, compares bytes
		// on both engines (the column is COLLATE "C" on PostgreSQL) and
		// can use the (action, seq) index. The prefix's characters are
		// all below 0x7f, so incrementing the last byte cannot overflow.
		upper := f.Action[:len(f.Action)-1] + string(f.Action[len(f.Action)-1]+1)
		where = append(where, "action >= "+arg(f.Action)+" AND action < "+arg(upper))
	}
	query := `SELECT ` + columns + ` FROM audit_log`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	// One more than asked tells whether there is a next page.
	query += " ORDER BY seq DESC LIMIT " + arg(limit+1) + " + 0" // not a bare parameter: decision 27

	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, "", fmt.Errorf("audit: list: %w", err)
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		r, err := scanRow(rows)
		if err != nil {
			return nil, "", fmt.Errorf("audit: list: %w", err)
		}
		e, err := r.entry()
		if err != nil {
			return nil, "", err
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("audit: list: %w", err)
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = strconv.FormatInt(out[limit-1].Seq, 10)
	}
	return out, next, nil
}

func prefixChars(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}
