package federation_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/rampart-project/rampart/internal/platform/access"
	"github.com/rampart-project/rampart/internal/sharing"
	"github.com/rampart-project/rampart/stix"
	"github.com/rampart-project/rampart/taxii"
)

// fakeTAXII is a remote TAXII server played by a test: one collection
// "shared" in the API root /api/, held in memory, paged by date_added
// (or, with nextTokens, by next tokens without the date headers).
type fakeTAXII struct {
	srv *httptest.Server

	mu         sync.Mutex
	records    []fakeRecord
	posted     [][]stix.Object
	queries    []url.Values
	auth       []string
	failGET    map[int]int // page number (1-based, across the test) -> status to answer
	gets       int
	failPOST   int // status to answer every POST with; 0: accept
	tooLarge   int // envelopes with more objects than this are 413
	refuse     map[string]string
	nextTokens bool
}

type fakeRecord struct {
	obj   stix.Object
	added time.Time
}

func newFakeTAXII(t *testing.T) *fakeTAXII {
	t.Helper()
	f := &fakeTAXII{failGET: map[int]int{}, refuse: map[string]string{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeTAXII) root() string { return f.srv.URL + "/api/" }

// offer adds objects to the remote collection, each a microsecond apart.
func (f *fakeTAXII) offer(objs ...stix.Object) {
	f.mu.Lock()
	defer f.mu.Unlock()
	at := time.Now().UTC().Truncate(time.Microsecond)
	if n := len(f.records); n > 0 && !at.After(f.records[n-1].added) {
		at = f.records[n-1].added.Add(time.Microsecond)
	}
	for i, o := range objs {
		f.records = append(f.records, fakeRecord{o, at.Add(time.Duration(i) * time.Microsecond)})
	}
}

// set changes the fake's behaviour between requests.
func (f *fakeTAXII) set(change func(f *fakeTAXII)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	change(f)
}

// seen returns copies of the query strings and Authorization headers of
// the requests so far, and the date_added of every record.
func (f *fakeTAXII) seen() (queries []url.Values, auth []string, added []time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range f.records {
		added = append(added, r.added)
	}
	return slices.Clone(f.queries), slices.Clone(f.auth), added
}

func (f *fakeTAXII) postedIDs() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var ids []string
	for _, env := range f.posted {
		for _, o := range env {
			ids = append(ids, o.ID())
		}
	}
	return ids
}

func (f *fakeTAXII) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.auth = append(f.auth, r.Header.Get("Authorization"))
	if r.URL.Path != "/api/collections/shared/objects/" {
		writeTAXII(w, http.StatusNotFound, taxii.Error{Title: "no such collection"})
		return
	}
	switch r.Method {
	case http.MethodGet:
		f.gets++
		f.queries = append(f.queries, r.URL.Query())
		if code := f.failGET[f.gets]; code != 0 {
			writeTAXII(w, code, taxii.Error{Title: "broken on purpose"})
			return
		}
		filter, err := taxii.ParseFilter(r.URL.Query())
		if err != nil {
			writeTAXII(w, http.StatusBadRequest, taxii.Error{Title: err.Error()})
			return
		}
		start := 0
		if f.nextTokens && filter.Next != "" {
			start, _ = strconv.Atoi(filter.Next)
		}
		var page []fakeRecord
		for _, rec := range f.records[start:] {
			if rec.added.After(filter.AddedAfter) {
				page = append(page, rec)
			}
		}
		env := taxii.Envelope{}
		if filter.Limit > 0 && len(page) > filter.Limit {
			page, env.More = page[:filter.Limit], true
		}
		for _, rec := range page {
			env.Objects = append(env.Objects, rec.obj)
		}
		if len(page) > 0 {
			if f.nextTokens {
				if env.More {
					env.Next = strconv.Itoa(start + len(page))
				}
			} else {
				w.Header().Set(taxii.HeaderDateAddedFirst, taxii.FormatTimestamp(page[0].added))
				w.Header().Set(taxii.HeaderDateAddedLast, taxii.FormatTimestamp(page[len(page)-1].added))
			}
		}
		writeTAXII(w, http.StatusOK, env)
	case http.MethodPost:
		var env taxii.Envelope
		if err := json.NewDecoder(r.Body).Decode(&env); err != nil {
			writeTAXII(w, http.StatusBadRequest, taxii.Error{Title: err.Error()})
			return
		}
		if f.failPOST != 0 {
			writeTAXII(w, f.failPOST, taxii.Error{Title: "broken on purpose"})
			return
		}
		if f.tooLarge > 0 && len(env.Objects) > f.tooLarge {
			writeTAXII(w, http.StatusRequestEntityTooLarge, taxii.Error{Title: "too large"})
			return
		}
		f.posted = append(f.posted, env.Objects)
		st := taxii.Status{ID: "status-1", Status: taxii.StatusComplete, TotalCount: len(env.Objects)}
		for _, o := range env.Objects {
			if msg, bad := f.refuse[o.ID()]; bad {
				st.FailureCount++
				st.Failures = append(st.Failures, taxii.StatusDetail{ID: o.ID(), Message: msg})
				continue
			}
			st.SuccessCount++
		}
		writeTAXII(w, http.StatusAccepted, st)
	default:
		writeTAXII(w, http.StatusMethodNotAllowed, taxii.Error{Title: "no"})
	}
}

func writeTAXII(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", taxii.MediaTypeTAXII)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// serveInstance makes an instance's collection "shared" a TAXII
// collection for peers, as Rampart's own server does: reads go through
// the access decision as the instance's organization, and added objects
// are stored as its submissions, without SkipKnown.
func serveInstance(t *testing.T, in *instance) string {
	t.Helper()
	reader := access.Principal{UserID: "peer-account", OrgID: in.org, Communities: []string{access.AllMembers}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		if r.URL.Path != "/api/collections/shared/objects/" {
			writeTAXII(w, http.StatusNotFound, taxii.Error{Title: "no such collection"})
			return
		}
		if r.Method == http.MethodPost {
			var env taxii.Envelope
			if err := json.NewDecoder(r.Body).Decode(&env); err != nil {
				writeTAXII(w, http.StatusBadRequest, taxii.Error{Title: err.Error()})
				return
			}
			rep, err := in.store.Ingest(ctx, sharing.Submission{Principal: reader, Actor: "peer", Source: sharing.SourceTAXII, Collection: &in.coll}, env.Objects)
			if err != nil {
				writeTAXII(w, http.StatusInternalServerError, taxii.Error{Title: err.Error()})
				return
			}
			writeTAXII(w, http.StatusAccepted, taxii.Status{ID: "s", Status: taxii.StatusComplete, TotalCount: len(env.Objects),
				SuccessCount: rep.Added + rep.Unchanged, FailureCount: rep.Rejected})
			return
		}
		filter, err := taxii.ParseFilter(r.URL.Query())
		if err != nil {
			writeTAXII(w, http.StatusBadRequest, taxii.Error{Title: err.Error()})
			return
		}
		page, err := in.store.Find(ctx, reader, sharing.Query{Collection: in.coll.ID, AddedAfter: filter.AddedAfter,
			Limit: filter.Limit, Versions: filter.Versions})
		if err != nil {
			writeTAXII(w, http.StatusInternalServerError, taxii.Error{Title: err.Error()})
			return
		}
		env := taxii.Envelope{More: page.More}
		for _, v := range page.Versions {
			obj, err := v.Object()
			if err != nil {
				t.Errorf("stored object: %v", err)
				continue
			}
			env.Objects = append(env.Objects, obj)
		}
		if n := len(page.Versions); n > 0 {
			w.Header().Set(taxii.HeaderDateAddedFirst, taxii.FormatTimestamp(page.Versions[0].DateAdded))
			w.Header().Set(taxii.HeaderDateAddedLast, taxii.FormatTimestamp(page.Versions[n-1].DateAdded))
		}
		writeTAXII(w, http.StatusOK, env)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/api/"
}

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}
