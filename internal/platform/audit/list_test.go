package audit_test

import (
	"context"
	"strings"
	"testing"

	"github.com/rampart-project/rampart/internal/platform/audit"
	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/db/dbtest"
	"github.com/rampart-project/rampart/internal/platform/errs"
)

// listAll follows the cursor from the newest entry to the oldest.
func listAll(t *testing.T, d *db.DB, f audit.Filter) []audit.Entry {
	t.Helper()
	var all []audit.Entry
	for pages := 0; ; pages++ {
		if pages > 100 {
			t.Fatal("paging does not end")
		}
		list, next, err := audit.List(context.Background(), d.Reader(), f)
		if err != nil {
			t.Fatal(err)
		}
		if f.Limit != 0 && len(list) > f.Limit {
			t.Fatalf("page of %d entries, limit %d", len(list), f.Limit)
		}
		all = append(all, list...)
		if next == "" {
			return all
		}
		f.Before = next
	}
}

func TestListPagesNewestFirstWithinScope(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		const n = 30
		appendN(t, d, 0, n)
		cases := []struct {
			name   string
			filter audit.Filter
			keep   func(e audit.Entry) bool
		}{
			{"everything", audit.Filter{Limit: 7}, func(audit.Entry) bool { return true }},
			{"everything, one page", audit.Filter{}, func(audit.Entry) bool { return true }},
			{"page size equal to the count", audit.Filter{Limit: n}, func(audit.Entry) bool { return true }},
			{"one organization", audit.Filter{OrgScope: "org-a", Limit: 3},
				func(e audit.Entry) bool { return e.OrgScope == "org-a" }},
			{"action subject", audit.Filter{Action: "user.", Limit: 4},
				func(e audit.Entry) bool { return strings.HasPrefix(e.Action, "user.") }},
			{"action and its longer relatives", audit.Filter{Action: "user.signin"},
				func(e audit.Entry) bool { return strings.HasPrefix(e.Action, "user.signin") }},
			{"exact longer action", audit.Filter{Action: "user.signin_"},
				func(e audit.Entry) bool { return e.Action == "user.signin_failed" }},
			{"organization and action", audit.Filter{OrgScope: "org-b", Action: "org.", Limit: 1},
				func(e audit.Entry) bool { return e.OrgScope == "org-b" && e.Action == "org.create" }},
			{"no match", audit.Filter{Action: "zzz"}, func(audit.Entry) bool { return false }},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				got := listAll(t, d, tc.filter)
				var want []int64
				for i := n - 1; i >= 0; i-- {
					e := sample(i)
					if tc.keep(e) {
						want = append(want, int64(i+1))
					}
				}
				if len(got) != len(want) {
					t.Fatalf("%d entries, want %d", len(got), len(want))
				}
				for i := range got {
					if got[i].Seq != want[i] || !tc.keep(got[i]) {
						t.Fatalf("entry %d is %d (%s, %q), want %d", i, got[i].Seq, got[i].Action, got[i].OrgScope, want[i])
					}
				}
			})
		}
	})
}

func TestListRejectsBadFilters(t *testing.T) {
	d := dbtest.Open(t, db.SQLite)
	for _, f := range []audit.Filter{
		{Before: "abc"}, {Before: "0"}, {Before: "-5"},
		{Action: "User."}, {Action: "user%"}, {Action: "user'--"},
		{Limit: -1}, {Limit: audit.MaxLimit + 1},
	} {
		if _, _, err := audit.List(context.Background(), d.Reader(), f); !errs.Is(err, errs.Invalid) {
			t.Errorf("List(%+v) returned %v, want an invalid error", f, err)
		}
	}
}
