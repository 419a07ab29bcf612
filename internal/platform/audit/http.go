package audit

import (
	"embed"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"

	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/errs"
	"github.com/rampart-project/rampart/internal/platform/web"
)

//go:embed templates
var templates embed.FS

// ScopeFunc says whose entries the requester may see: every entry (all,
// for the instance's coordinators) or those of one organization (orgScope,
// for its administrators). It returns an error — errs.Forbidden,
// errs.Unauthenticated — for anyone else. The caller that mounts the
// handlers decides; the handlers only obey.
type ScopeFunc func(r *http.Request) (orgScope string, all bool, err error)

// RegisterPages adds the audit log's page template to rd; call it once
// before serving Page.
func RegisterPages(rd *web.Renderer) error {
	sub, err := fs.Sub(templates, "templates")
	if err != nil {
		return err
	}
	return rd.AddPages(sub)
}

// filterOf builds the List filter of a request from its query (action,
// before, limit and, for those who see everything, org) within what scope
// allows.
func filterOf(r *http.Request, scope ScopeFunc) (f Filter, all bool, err error) {
	org, all, err := scope(r)
	if err != nil {
		return Filter{}, false, err
	}
	q := r.URL.Query()
	f = Filter{Action: q.Get("action"), Before: q.Get("before")}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return Filter{}, false, errs.E(errs.Invalid, "The limit must be a whole number between 1 and %d.", MaxLimit)
		}
		f.Limit = n
	}
	asked := q.Get("org")
	switch {
	case all:
		f.OrgScope = asked
	case org == "":
		// An empty scope would mean "everything" to List; a scope function
		// that grants neither everything nor an organization grants
		// nothing.
		return Filter{}, false, errs.E(errs.Forbidden, "You may not see the audit log.")
	case asked != "" && asked != org:
		return Filter{}, false, errs.E(errs.Forbidden, "You may see the audit log of your own organization only.")
	default:
		f.OrgScope = org
	}
	return f, all, nil
}

// API serves GET /api/v1/audit: {"entries": [...], "next": "cursor"},
// newest first, filtered by the query parameters action, org (for those who
// see everything), before and limit.
func API(d *db.DB, scope ScopeFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, _, err := filterOf(r, scope)
		if err != nil {
			web.WriteError(w, r, err)
			return
		}
		list, next, err := List(r.Context(), d.Reader(), f)
		if err != nil {
			web.WriteError(w, r, err)
			return
		}
		if list == nil {
			list = []Entry{}
		}
		web.WriteJSON(w, http.StatusOK, struct {
			Entries []Entry `json:"entries"`
			Next    string  `json:"next"`
		}{list, next})
	})
}

// pageData is what templates/audit.html shows.
type pageData struct {
	Entries  []entryView
	Action   string
	Org      string
	All      bool  // the viewer sees every organization's entries
	HeadSeq  int64 // newest entry; only for those who see everything
	Next     string
	Filtered bool
}

type entryView struct {
	Entry
	DetailJSON string
}

// Page serves the audit log as a page: newest first, a form to filter by
// action prefix (and organization, for those who see everything), and an
// "Older entries" link. It does not verify the chain — that reads the whole
// log — but tells coordinators the newest entry and how to verify.
func Page(d *db.DB, rd *web.Renderer, scope ScopeFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, all, err := filterOf(r, scope)
		if err != nil {
			web.WriteError(w, r, err)
			return
		}
		ctx := r.Context()
		list, next, err := List(ctx, d.Reader(), f)
		if err != nil {
			web.WriteError(w, r, err)
			return
		}
		data := pageData{All: all, Action: f.Action, Filtered: f.Action != "" || f.Before != ""}
		if all {
			data.Org = f.OrgScope
			data.Filtered = data.Filtered || f.OrgScope != ""
			// Organization administrators do not get the head: the
			// instance-wide count of entries is not theirs to know.
			if data.HeadSeq, _, err = Head(ctx, d.Reader()); err != nil {
				web.WriteError(w, r, err)
				return
			}
		}
		for _, e := range list {
			detail, _ := canonicalJSON(e.Detail)
			if detail == "{}" {
				detail = ""
			}
			data.Entries = append(data.Entries, entryView{Entry: e, DetailJSON: detail})
		}
		if next != "" {
			q := url.Values{"before": {next}}
			if f.Action != "" {
				q.Set("action", f.Action)
			}
			if data.Org != "" {
				q.Set("org", data.Org)
			}
			if f.Limit != 0 {
				q.Set("limit", strconv.Itoa(f.Limit))
			}
			data.Next = r.URL.Path + "?" + q.Encode()
		}
		// An organization's audit log is for that organization only.
		rd.Render(w, r, http.StatusOK, "audit.html", web.Page{Title: "Audit log", TLP: "AMBER+STRICT", Data: data})
	})
}
