package sharing

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/rampart-project/rampart/internal/platform/access"
	"github.com/rampart-project/rampart/internal/platform/errs"
	"github.com/rampart-project/rampart/internal/platform/identity"
	"github.com/rampart-project/rampart/internal/platform/web"
)

// The pages of the module answer one question each:
//
//	/sharing                 what has been shared that I may see?
//	/sharing/live            what is being shared right now?
//	/sharing/objects/{id}    what is this object, and what surrounds it?
//	/sharing/new/...         how do I share an indicator, a defensive
//	                         measure, risk information or an incident?
//
// Every page is marked with the highest TLP of what it shows, and every
// read goes through the store, so through the access decision.

// coordinators is the rule of the coordinators' pages.
var coordinators = web.RequireRole(string(identity.RoleCoordinator))

// browsePageSize is a page of the browse list: enough to scan at a glance,
// few enough that the TLP label stays meaningful.
const browsePageSize = 50

// commonTypes are the types offered by the browse filter, most used first.
var commonTypes = []string{
	"indicator", "malware", "vulnerability", "course-of-action", "incident", "report", "note", "grouping",
	"sighting", "relationship", "threat-actor", "intrusion-set", "campaign", "attack-pattern", "tool",
	"infrastructure", "identity", "observed-data", "ipv4-addr", "ipv6-addr", "domain-name", "url", "file",
}

// sources are the ways objects arrive, for the browse filter.
var sources = []struct{ Value, Label string }{
	{SourceAPI, "API"}, {SourceTAXII, "TAXII"}, {SourceImport, "import"}, {SourceForm, "form"}, {SourceFederation, "federation"},
}

// choice is one option of a select, a radio group or a checkbox list.
type choice struct {
	Value, Label, Hint string
	Selected           bool
}

// row is an object as a list shows it.
type row struct {
	Seq       int64
	ID        string
	Type      string
	Name      string
	TLP       string
	Owner     string // the organization's name; empty when hidden
	Anonymous bool
	Source    string
	AddedAt   time.Time
	Revoked   bool
	Expired   bool
}

// highest returns the most restricted of the levels; CLEAR when none.
func highest(levels ...access.TLP) access.TLP {
	out := access.Clear
	for _, l := range levels {
		if l != "" && l.Rank() > out.Rank() {
			out = l
		}
	}
	return out
}

// orgNames resolves organization ids to names once per page.
type orgNames struct {
	ids   *identity.Store
	ctx   context.Context
	names map[string]string
}

func (m *Module) orgNames(ctx context.Context) *orgNames {
	return &orgNames{ids: m.k.Identity, ctx: ctx, names: map[string]string{}}
}

// name returns the organization's name, or "" for an empty id. An id the
// directory no longer knows is shown as such, never as the raw id.
func (n *orgNames) name(id string) string {
	if id == "" {
		return ""
	}
	if s, ok := n.names[id]; ok {
		return s
	}
	s := "an organization no longer registered"
	if o, err := n.ids.Org(n.ctx, id); err == nil {
		s = o.Name
	}
	n.names[id] = s
	return s
}

// rows turns versions into list rows; the versions come from the store,
// so an anonymous submission's owner is blank already.
func rows(names *orgNames, vs []Version, now time.Time) ([]row, access.TLP) {
	out := make([]row, 0, len(vs))
	top := access.Clear
	for _, v := range vs {
		out = append(out, row{
			Seq: v.Seq, ID: v.StixID, Type: v.Type, Name: v.Name, TLP: string(v.TLP), Owner: names.name(v.OwnerOrg),
			Anonymous: v.Anonymous, Source: v.Source, AddedAt: v.AddedAt, Revoked: v.Revoked, Expired: v.Expired(now),
		})
		top = highest(top, v.TLP)
	}
	return out, top
}

// listData is the browse page and the live page: the same rows, one with
// filters and cursor paging, the other with the stream.
type listData struct {
	Live    bool
	Rows    []row
	Error   string
	Older   string // link to the next page, when there is one
	Newest  string // link back to the first page, when paging
	Filters filterView
	// LastSeq is the newest seq on the live page, where the script picks
	// up; Limit is how many the page shows without it.
	LastSeq int64
	Limit   int
	At      time.Time
}

type filterView struct {
	Types       []choice
	Text        string
	TLPs        []choice
	Sources     []choice
	Collections []choice
	Active      bool
}

func (m *Module) browsePage(w http.ResponseWriter, r *http.Request) {
	c := caller(r)
	vals := r.URL.Query()
	d := listData{Filters: m.filterView(r, c, vals)}
	q, err := QueryFromValues(vals)
	if err == nil && vals.Get("collection") != "" {
		col, cerr := m.store.Collection(r.Context(), DefaultAPIRoot, vals.Get("collection"))
		if cerr != nil || !col.Readable(c.Principal) {
			err = errs.E(errs.NotFound, "There is no collection %q you may read.", vals.Get("collection"))
		}
		q.Collection = col.ID
	}
	if err != nil {
		if web.StatusOf(err) >= 500 {
			web.WriteError(w, r, err)
			return
		}
		d.Error = errs.MessageOf(err)
		m.rd.Render(w, r, web.StatusOf(err), "sharing.html", web.Page{Title: "Shared with me", TLP: string(access.Clear), Data: d})
		return
	}
	if q.Limit == 0 || q.Limit > 200 {
		q.Limit = browsePageSize
	}
	page, err := m.store.Find(r.Context(), c.Principal, q)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	if err := m.auditRead(r, c, page.Versions...); err != nil {
		web.WriteError(w, r, err)
		return
	}
	var top access.TLP
	d.Rows, top = rows(m.orgNames(r.Context()), page.Versions, time.Now())
	if page.More {
		next := cloneValues(vals)
		next.Set("cursor", strconv.FormatInt(page.Next, 10))
		d.Older = "/sharing?" + next.Encode()
	}
	if vals.Get("cursor") != "" {
		first := cloneValues(vals)
		first.Del("cursor")
		d.Newest = "/sharing?" + first.Encode()
	}
	m.rd.Render(w, r, http.StatusOK, "sharing.html", web.Page{Title: "Shared with me", TLP: string(top), Data: d})
}

// filterView echoes the filters, so the form shows what the list is.
func (m *Module) filterView(r *http.Request, c *identity.Caller, vals url.Values) filterView {
	f := filterView{Text: vals.Get("q")}
	picked := func(key, v string) bool {
		for _, x := range vals[key] {
			if x == v {
				return true
			}
		}
		return false
	}
	for _, t := range commonTypes {
		f.Types = append(f.Types, choice{Value: t, Label: t, Selected: picked("type", t)})
	}
	for _, l := range access.Levels {
		f.TLPs = append(f.TLPs, choice{Value: string(l), Label: "TLP:" + string(l), Selected: picked("tlp", string(l))})
	}
	for _, s := range sources {
		f.Sources = append(f.Sources, choice{Value: s.Value, Label: s.Label, Selected: picked("source", s.Value)})
	}
	if cols, err := m.store.Collections(r.Context(), c.Principal, DefaultAPIRoot); err == nil {
		for _, col := range cols {
			if col.Readable(c.Principal) {
				f.Collections = append(f.Collections, choice{Value: col.ID, Label: col.Title, Selected: picked("collection", col.ID) || picked("collection", col.Alias) && col.Alias != ""})
			}
		}
	}
	for _, k := range []string{"type", "q", "tlp", "source", "collection", "owner"} {
		if vals.Get(k) != "" {
			f.Active = true
		}
	}
	return f
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// liveLimit is what the live page shows without JavaScript; the script
// keeps at most liveKeep rows, so a long watch does not grow the page
// without bound.
const (
	liveLimit = 50
	liveKeep  = 200
)

// livePage lists the newest versions, every version as it arrived (a
// revocation is news too). With ?after=SEQ it lists only those added
// since, which is how the script fetches rows as the stream announces
// them: rendering them here keeps one place that decides what a row
// shows (the owner's name, masking, the TLP label).
func (m *Module) livePage(w http.ResponseWriter, r *http.Request) {
	c := caller(r)
	q := Query{Versions: []string{string(AllVersions)}, Newest: true, Limit: liveLimit}
	if s := r.URL.Query().Get("after"); s != "" {
		after, err := strconv.ParseInt(s, 10, 64)
		if err != nil || after < 0 {
			web.WriteError(w, r, errs.E(errs.Invalid, "after: %q is not a position in the feed.", s))
			return
		}
		// Oldest first from the position, so a burst larger than a page
		// is picked up in order over several fetches.
		q.After, q.Newest, q.Limit = after, false, liveKeep
	}
	page, err := m.store.Find(r.Context(), c.Principal, q)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	vs := page.Versions
	if !q.Newest {
		for i, j := 0, len(vs)-1; i < j; i, j = i+1, j-1 {
			vs[i], vs[j] = vs[j], vs[i]
		}
	}
	if err := m.auditRead(r, c, vs...); err != nil {
		web.WriteError(w, r, err)
		return
	}
	d := listData{Live: true, Limit: liveLimit, At: time.Now().UTC(), LastSeq: q.After}
	var top access.TLP
	d.Rows, top = rows(m.orgNames(r.Context()), vs, time.Now())
	if len(vs) > 0 {
		d.LastSeq = vs[0].Seq
	}
	m.rd.Render(w, r, http.StatusOK, "sharing.html", web.Page{Title: "Live feed", TLP: string(top), Data: d})
}
