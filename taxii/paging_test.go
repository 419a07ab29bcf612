package taxii_test

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rampart-project/rampart/stix"
	"github.com/rampart-project/rampart/taxii"
)

// collectionServer serves a collection of n indicators, added one second
// apart from base, in pages of the requested limit.
type collectionServer struct {
	t        *testing.T
	n        int
	base     time.Time
	useNext  bool // page with next tokens; otherwise by added_after and headers
	mu       sync.Mutex
	requests []url.Values
}

func (cs *collectionServer) added(i int) time.Time {
	return cs.base.Add(time.Duration(i) * time.Second)
}

func (cs *collectionServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	cs.mu.Lock()
	cs.requests = append(cs.requests, q)
	cs.mu.Unlock()
	f, err := taxii.ParseFilter(q)
	if err != nil {
		cs.t.Errorf("server: %v", err)
		writeTAXII(w, 400, `{"title":"bad filter"}`)
		return
	}
	start := 0
	if f.Next != "" {
		start, err = strconv.Atoi(strings.TrimPrefix(f.Next, "offset-"))
		if err != nil {
			cs.t.Errorf("server: bad next %q", f.Next)
		}
	}
	for start < cs.n && !cs.added(start).After(f.AddedAfter) {
		start++
	}
	end := min(start+f.Limit, cs.n)
	var objs []string
	for i := start; i < end; i++ {
		objs = append(objs, indicator(i))
	}
	more := end < cs.n
	body := `{"more":` + strconv.FormatBool(more)
	if more && cs.useNext {
		body += `,"next":"offset-` + strconv.Itoa(end) + `"`
	}
	if len(objs) > 0 {
		body += `,"objects":[` + strings.Join(objs, ",") + `]`
		w.Header().Set(taxii.HeaderDateAddedFirst, taxii.FormatTimestamp(cs.added(start)))
		w.Header().Set(taxii.HeaderDateAddedLast, taxii.FormatTimestamp(cs.added(end-1)))
	}
	writeTAXII(w, 200, body+"}")
}

func collect(t *testing.T, c *taxii.Client, root string, f taxii.Filter) ([]string, error) {
	t.Helper()
	var ids []string
	for obj, err := range c.AllObjects(testContext(t), root, collID, f) {
		if err != nil {
			if obj.ID() != "" {
				t.Errorf("error yielded with object %s", obj.ID())
			}
			return ids, err
		}
		ids = append(ids, obj.ID())
	}
	return ids, nil
}

func wantIDs(from, to int) []string {
	var ids []string
	for i := from; i < to; i++ {
		ids = append(ids, indicatorIDOf(i))
	}
	return ids
}

func TestAllObjectsPaging(t *testing.T) {
	t.Parallel()
	base := time.Date(2020, 1, 1, 0, 0, 0, 123456000, time.UTC)
	tests := []struct {
		name       string
		useNext    bool
		n          int
		filter     taxii.Filter
		want       []string
		wantQuery  []url.Values // the filter parameters of each request
		wantNumReq int
	}{
		{
			name: "by next", useNext: true, n: 5,
			filter: taxii.Filter{Limit: 2, Types: []string{"indicator"}},
			want:   wantIDs(0, 5),
			wantQuery: []url.Values{
				{"limit": {"2"}, "match[type]": {"indicator"}},
				{"limit": {"2"}, "match[type]": {"indicator"}, "next": {"offset-2"}},
				{"limit": {"2"}, "match[type]": {"indicator"}, "next": {"offset-4"}},
			},
		},
		{
			name: "by added_after", n: 5,
			filter: taxii.Filter{Limit: 2, SpecVersions: []string{"2.1"}},
			want:   wantIDs(0, 5),
			wantQuery: []url.Values{
				{"limit": {"2"}, "match[spec_version]": {"2.1"}},
				{"limit": {"2"}, "match[spec_version]": {"2.1"}, "added_after": {taxii.FormatTimestamp(base.Add(1 * time.Second))}},
				{"limit": {"2"}, "match[spec_version]": {"2.1"}, "added_after": {taxii.FormatTimestamp(base.Add(3 * time.Second))}},
			},
		},
		{
			name: "by added_after from a start", n: 5,
			filter: taxii.Filter{Limit: 3, AddedAfter: base},
			want:   wantIDs(1, 5),
			wantQuery: []url.Values{
				{"limit": {"3"}, "added_after": {taxii.FormatTimestamp(base)}},
				{"limit": {"3"}, "added_after": {taxii.FormatTimestamp(base.Add(3 * time.Second))}},
			},
		},
		{
			name: "one page", useNext: true, n: 2, filter: taxii.Filter{Limit: 10},
			want:      wantIDs(0, 2),
			wantQuery: []url.Values{{"limit": {"10"}}},
		},
		{
			name: "empty collection", n: 0, filter: taxii.Filter{Limit: 10},
			wantQuery: []url.Values{{"limit": {"10"}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cs := &collectionServer{t: t, n: tt.n, base: base, useNext: tt.useNext}
			srv := newFakeServer(t, cs.ServeHTTP)
			got, err := collect(t, newTestClient(taxii.ClientOptions{}), srv.root(), tt.filter)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("objects\n%v\nwant\n%v", got, tt.want)
			}
			cs.mu.Lock()
			defer cs.mu.Unlock()
			if len(cs.requests) != len(tt.wantQuery) {
				t.Fatalf("%d requests %v, want %d", len(cs.requests), cs.requests, len(tt.wantQuery))
			}
			for i, q := range cs.requests {
				if !sameValues(q, tt.wantQuery[i]) {
					t.Errorf("request %d query %v, want %v", i+1, q, tt.wantQuery[i])
				}
			}
		})
	}
}

func TestAllObjectsStopsWhenCallerBreaks(t *testing.T) {
	t.Parallel()
	cs := &collectionServer{t: t, n: 10, useNext: true, base: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)}
	srv := newFakeServer(t, cs.ServeHTTP)
	var got []string
	for obj, err := range newTestClient(taxii.ClientOptions{}).AllObjects(testContext(t), srv.root(), collID, taxii.Filter{Limit: 3}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, obj.ID())
		if len(got) == 4 {
			break
		}
	}
	if strings.Join(got, " ") != strings.Join(wantIDs(0, 4), " ") {
		t.Errorf("objects %v", got)
	}
	if n := srv.hits.Load(); n != 2 {
		t.Errorf("%d requests, want 2: no page after the loop stops", n)
	}
}

// TestAllObjectsBrokenServers: servers whose paging would loop forever or
// cannot be followed end the iteration with an error, after the objects
// they did serve, each yielded once.
func TestAllObjectsBrokenServers(t *testing.T) {
	t.Parallel()
	page := func(more bool, next string, objs ...int) string {
		var list []string
		for _, i := range objs {
			list = append(list, indicator(i))
		}
		b := `{"more":` + strconv.FormatBool(more)
		if next != "" {
			b += `,"next":"` + next + `"`
		}
		return b + `,"objects":[` + strings.Join(list, ",") + `]}`
	}
	const last = "2020-01-01T00:00:00.000000Z"
	tests := []struct {
		name       string
		pages      []string // the last repeats
		lastHeader []string // X-TAXII-Date-Added-Last per page; the last repeats
		want       []string
		noProgress bool
		wantErr    string
	}{
		{
			name:       "ignores next and repeats its token",
			pages:      []string{page(true, "t1", 0, 1)},
			want:       wantIDs(0, 2),
			noProgress: true, wantErr: "page 2 repeats page 1",
		},
		{
			name:       "repeats its token with other objects",
			pages:      []string{page(true, "t1", 0, 1), page(true, "t1", 2)},
			want:       wantIDs(0, 3),
			noProgress: true, wantErr: `next token "t1" again`,
		},
		{
			name:       "cycles through tokens",
			pages:      []string{page(true, "t1", 0), page(true, "t2", 1), page(true, "t1", 2)},
			want:       wantIDs(0, 3),
			noProgress: true, wantErr: `"t1"`,
		},
		{
			name:       "new token, same page",
			pages:      []string{page(true, "t1", 0, 1), page(true, "t2", 0, 1)},
			want:       wantIDs(0, 2),
			noProgress: true, wantErr: "repeats",
		},
		{
			name:       "ignores added_after",
			pages:      []string{page(true, "", 0, 1)},
			lastHeader: []string{last},
			want:       wantIDs(0, 2),
			noProgress: true, wantErr: "repeats",
		},
		{
			name:       "date added last does not advance",
			pages:      []string{page(true, "", 0, 1), page(true, "", 2, 3)},
			lastHeader: []string{last},
			want:       wantIDs(0, 4),
			noProgress: true, wantErr: taxii.HeaderDateAddedLast,
		},
		{
			name:       "date added last goes back",
			pages:      []string{page(true, "", 0, 1), page(true, "", 2, 3)},
			lastHeader: []string{last, "2019-01-01T00:00:00.000000Z"},
			want:       wantIDs(0, 4),
			noProgress: true, wantErr: "2019-01-01T00:00:00.000000Z",
		},
		{
			name:    "more without next or header",
			pages:   []string{page(true, "", 0, 1)},
			want:    wantIDs(0, 2),
			wantErr: "neither next nor",
		},
		{
			name:    "fails on the second page",
			pages:   []string{page(true, "t1", 0, 1), `{"title":"gone"}`},
			want:    wantIDs(0, 2),
			wantErr: "gone",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			served := 0
			srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				i := served
				served++
				mu.Unlock()
				if i > 10 {
					t.Error("the client keeps fetching")
					writeTAXII(w, 400, `{"title":"stop"}`)
					return
				}
				if len(tt.lastHeader) > 0 {
					w.Header().Set(taxii.HeaderDateAddedLast, tt.lastHeader[min(i, len(tt.lastHeader)-1)])
				}
				body := tt.pages[min(i, len(tt.pages)-1)]
				if strings.Contains(body, `"title"`) {
					writeTAXII(w, 410, body)
					return
				}
				writeTAXII(w, 200, body)
			})
			got, err := collect(t, newTestClient(taxii.ClientOptions{}), srv.root(), taxii.Filter{})
			if err == nil {
				t.Fatalf("no error after %v", got)
			}
			if errors.Is(err, taxii.ErrNoProgress) != tt.noProgress {
				t.Errorf("error %v: errors.Is(ErrNoProgress) = %v, want %v", err, !tt.noProgress, tt.noProgress)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q does not mention %q", err, tt.wantErr)
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("objects\n%v\nwant\n%v", got, tt.want)
			}
		})
	}
}

// TestAllObjectsSwitchesToAddedAfter: a server that stops giving next
// tokens part way is followed by added_after alone; the old token is not
// sent with it.
func TestAllObjectsSwitchesToAddedAfter(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var queries []url.Values
	srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		queries = append(queries, r.URL.Query())
		n := len(queries)
		mu.Unlock()
		switch n {
		case 1:
			writeTAXII(w, 200, `{"more":true,"next":"t1","objects":[`+indicator(0)+`]}`)
		case 2:
			w.Header().Set(taxii.HeaderDateAddedLast, "2020-01-01T00:00:01.000000Z")
			writeTAXII(w, 200, `{"more":true,"objects":[`+indicator(1)+`]}`)
		default:
			writeTAXII(w, 200, `{"more":false,"objects":[`+indicator(2)+`]}`)
		}
	})
	got, err := collect(t, newTestClient(taxii.ClientOptions{}), srv.root(), taxii.Filter{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, " ") != strings.Join(wantIDs(0, 3), " ") {
		t.Errorf("objects %v", got)
	}
	want := []url.Values{
		{"limit": {"1"}},
		{"limit": {"1"}, "next": {"t1"}},
		{"limit": {"1"}, "added_after": {"2020-01-01T00:00:01.000000Z"}},
	}
	mu.Lock()
	defer mu.Unlock()
	if len(queries) != len(want) {
		t.Fatalf("queries %v, want %v", queries, want)
	}
	for i := range want {
		if !sameValues(queries[i], want[i]) {
			t.Errorf("request %d query %v, want %v", i+1, queries[i], want[i])
		}
	}
}

// TestAllObjectsKeepsBytes: objects come out of the iterator as the server
// wrote them.
func TestAllObjectsKeepsBytes(t *testing.T) {
	t.Parallel()
	raw := "{ \"id\" : \"" + indicatorID + "\",\n\t\"type\":\"indicator\", \"x\": 1.0 }"
	srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request) {
		writeTAXII(w, 200, `{"objects":[`+raw+`]}`)
	})
	var got []stix.Object
	for obj, err := range newTestClient(taxii.ClientOptions{}).AllObjects(testContext(t), srv.root(), collID, taxii.Filter{}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, obj)
	}
	if len(got) != 1 || string(got[0].Raw()) != raw {
		t.Fatalf("got %d objects: %v", len(got), got)
	}
}
