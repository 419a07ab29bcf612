package taxii_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rampart-project/rampart/stix"
	"github.com/rampart-project/rampart/taxii"
)

const collID = "91a7b528-80eb-42ed-a74d-c6fbd5a26116"

// endpointCase is one client method against a fake server: what request
// it must make and what the server answers.
type endpointCase struct {
	name      string
	call      func(ctx context.Context, c *taxii.Client, srv *fakeServer) (any, error)
	method    string
	path      string // escaped
	query     url.Values
	body      string // the exact request body, for POST
	status    int
	respond   string
	respondCT string // Content-Type of the answer; "" means the TAXII type
	header    http.Header
	check     func(t *testing.T, got any)
}

func TestEndpoints(t *testing.T) {
	t.Parallel()
	// Objects with whitespace, key order and characters encoding/json
	// would change, to show AddObjects sends them as they are.
	obj1 := "{\"type\": \"indicator\", \"id\": \"" + indicatorID + "\",\n  \"x_note\": \"<b>&amp;</b>\", \"modified\": \"2014-05-08T09:00:00.000Z\"}"
	obj2 := `{"id":"` + malwareID + `","type":"malware","n":1.50}`

	tests := []endpointCase{
		{
			name: "Discovery",
			call: func(ctx context.Context, c *taxii.Client, srv *fakeServer) (any, error) {
				return c.Discovery(ctx, srv.URL+"/taxii2/")
			},
			method: "GET", path: "/taxii2/",
			status:  200,
			respond: `{"title":"Rampart","description":"d","contact":"c","default":"https://x.test/api1/","api_roots":["https://x.test/api1/","https://x.test/api2/"]}`,
			check: func(t *testing.T, got any) {
				want := &taxii.Discovery{Title: "Rampart", Description: "d", Contact: "c", Default: "https://x.test/api1/",
					APIRoots: []string{"https://x.test/api1/", "https://x.test/api2/"}}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("got %+v, want %+v", got, want)
				}
			},
		},
		{
			name: "APIRoot without trailing slash",
			call: func(ctx context.Context, c *taxii.Client, srv *fakeServer) (any, error) {
				return c.APIRoot(ctx, strings.TrimSuffix(srv.root(), "/"))
			},
			method: "GET", path: "/api1/",
			status:  200,
			respond: `{"title":"Root","versions":["application/taxii+json;version=2.1"],"max_content_length":104857600}`,
			check: func(t *testing.T, got any) {
				want := &taxii.APIRoot{Title: "Root", Versions: []string{taxii.MediaTypeTAXII}, MaxContentLength: 104857600}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("got %+v, want %+v", got, want)
				}
			},
		},
		{
			name: "Collections",
			call: func(ctx context.Context, c *taxii.Client, srv *fakeServer) (any, error) {
				return c.Collections(ctx, srv.root())
			},
			method: "GET", path: "/api1/collections/",
			status:  200,
			respond: `{"collections":[{"id":"` + collID + `","title":"High Value","can_read":true,"can_write":false,"media_types":["application/stix+json;version=2.1"]}]}`,
			check: func(t *testing.T, got any) {
				cs := got.(*taxii.Collections)
				if len(cs.Collections) != 1 || cs.Collections[0].ID != collID || !cs.Collections[0].CanRead || cs.Collections[0].CanWrite {
					t.Errorf("got %+v", cs)
				}
			},
		},
		{
			name: "Collections empty",
			call: func(ctx context.Context, c *taxii.Client, srv *fakeServer) (any, error) {
				return c.Collections(ctx, srv.root())
			},
			method: "GET", path: "/api1/collections/",
			status: 200, respond: `{}`,
			check: func(t *testing.T, got any) {
				if cs := got.(*taxii.Collections); len(cs.Collections) != 0 {
					t.Errorf("got %+v", cs)
				}
			},
		},
		{
			name: "Collection",
			call: func(ctx context.Context, c *taxii.Client, srv *fakeServer) (any, error) {
				return c.Collection(ctx, srv.root(), collID)
			},
			method: "GET", path: "/api1/collections/" + collID + "/",
			status:  200,
			respond: `{"id":"` + collID + `","title":"High Value","alias":"hv","can_read":true,"can_write":true}`,
			check: func(t *testing.T, got any) {
				want := &taxii.Collection{ID: collID, Title: "High Value", Alias: "hv", CanRead: true, CanWrite: true}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("got %+v, want %+v", got, want)
				}
			},
		},
		{
			name: "Collection id escaped as one segment",
			call: func(ctx context.Context, c *taxii.Client, srv *fakeServer) (any, error) {
				return c.Collection(ctx, srv.root(), "a/b?c#d")
			},
			method: "GET", path: "/api1/collections/a%2Fb%3Fc%23d/",
			status: 200, respond: `{"id":"a/b?c#d","title":"odd","can_read":true,"can_write":false}`,
			check: func(t *testing.T, got any) {
				if got.(*taxii.Collection).ID != "a/b?c#d" {
					t.Errorf("got %+v", got)
				}
			},
		},
		{
			name: "Objects",
			call: func(ctx context.Context, c *taxii.Client, srv *fakeServer) (any, error) {
				return c.Objects(ctx, srv.root(), collID, taxii.Filter{
					AddedAfter: time.Date(2016, 1, 1, 0, 0, 0, 0, time.UTC), Limit: 2,
					Types: []string{"indicator", "malware"}, SpecVersions: []string{"2.1"},
				})
			},
			method: "GET", path: "/api1/collections/" + collID + "/objects/",
			query: url.Values{
				"added_after": {"2016-01-01T00:00:00.000000Z"}, "limit": {"2"},
				"match[type]": {"indicator,malware"}, "match[spec_version]": {"2.1"},
			},
			status:  200,
			respond: `{"more":true,"next":"page-2","objects":[` + obj1 + `,` + obj2 + `]}`,
			header: http.Header{
				"X-Taxii-Date-Added-First": {"2016-11-01T03:04:05.000000Z"},
				"X-Taxii-Date-Added-Last":  {"2017-01-27T13:49:59.997000Z"},
			},
			check: func(t *testing.T, got any) {
				p := got.(*taxii.Page)
				if !p.More || p.Next != "page-2" || len(p.Objects) != 2 {
					t.Fatalf("got %+v", p)
				}
				if string(p.Objects[0].Raw()) != obj1 || p.Objects[1].ID() != malwareID {
					t.Errorf("objects = %s, %s", p.Objects[0].Raw(), p.Objects[1].Raw())
				}
				if want := time.Date(2016, 11, 1, 3, 4, 5, 0, time.UTC); !p.DateAddedFirst.Equal(want) {
					t.Errorf("DateAddedFirst = %v, want %v", p.DateAddedFirst, want)
				}
				if want := time.Date(2017, 1, 27, 13, 49, 59, 997_000_000, time.UTC); !p.DateAddedLast.Equal(want) {
					t.Errorf("DateAddedLast = %v, want %v", p.DateAddedLast, want)
				}
			},
		},
		{
			name: "Objects empty collection",
			call: func(ctx context.Context, c *taxii.Client, srv *fakeServer) (any, error) {
				return c.Objects(ctx, srv.root(), collID, taxii.Filter{})
			},
			method: "GET", path: "/api1/collections/" + collID + "/objects/",
			status: 200, respond: `{}`,
			check: func(t *testing.T, got any) {
				p := got.(*taxii.Page)
				if p.More || len(p.Objects) != 0 || !p.DateAddedFirst.IsZero() || !p.DateAddedLast.IsZero() {
					t.Errorf("got %+v", p)
				}
			},
		},
		{
			name: "Object",
			call: func(ctx context.Context, c *taxii.Client, srv *fakeServer) (any, error) {
				return c.Object(ctx, srv.root(), collID, indicatorID, taxii.Filter{Versions: []string{taxii.VersionAll}})
			},
			method: "GET", path: "/api1/collections/" + collID + "/objects/" + indicatorID + "/",
			query:  url.Values{"match[version]": {"all"}},
			status: 200, respond: `{"objects":[` + obj1 + `]}`,
			header: http.Header{"X-Taxii-Date-Added-Last": {"2016-11-01T03:04:05.000000Z"}},
			check: func(t *testing.T, got any) {
				p := got.(*taxii.Page)
				if len(p.Objects) != 1 || p.Objects[0].ID() != indicatorID || p.DateAddedLast.IsZero() {
					t.Errorf("got %+v", p)
				}
			},
		},
		{
			name: "Versions",
			call: func(ctx context.Context, c *taxii.Client, srv *fakeServer) (any, error) {
				return c.Versions(ctx, srv.root(), collID, indicatorID, taxii.Filter{Limit: 5, SpecVersions: []string{"2.0", "2.1"}})
			},
			method: "GET", path: "/api1/collections/" + collID + "/objects/" + indicatorID + "/versions/",
			query:  url.Values{"limit": {"5"}, "match[spec_version]": {"2.0,2.1"}},
			status: 200, respond: `{"more":true,"versions":["2016-01-01T01:01:01.000Z","2017-01-01T01:01:01.000Z"]}`,
			check: func(t *testing.T, got any) {
				want := &taxii.Versions{More: true, Versions: []string{"2016-01-01T01:01:01.000Z", "2017-01-01T01:01:01.000Z"}}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("got %+v, want %+v", got, want)
				}
			},
		},
		{
			name: "Manifest",
			call: func(ctx context.Context, c *taxii.Client, srv *fakeServer) (any, error) {
				return c.Manifest(ctx, srv.root(), collID, taxii.Filter{IDs: []string{indicatorID}, Next: "m2"})
			},
			method: "GET", path: "/api1/collections/" + collID + "/manifest/",
			query:  url.Values{"match[id]": {indicatorID}, "next": {"m2"}},
			status: 200,
			respond: `{"more":false,"objects":[{"id":"` + indicatorID + `","date_added":"2016-11-01T03:04:05.000000Z",` +
				`"version":"2014-05-08T09:00:00.000Z","media_type":"application/stix+json;version=2.1"}]}`,
			check: func(t *testing.T, got any) {
				m := got.(*taxii.Manifest)
				if m.More || len(m.Objects) != 1 {
					t.Fatalf("got %+v", m)
				}
				r := m.Objects[0]
				if r.ID != indicatorID || r.Version != "2014-05-08T09:00:00.000Z" || r.MediaType != taxii.MediaTypeSTIX ||
					!r.DateAdded.Equal(time.Date(2016, 11, 1, 3, 4, 5, 0, time.UTC)) {
					t.Errorf("record = %+v", r)
				}
			},
		},
		{
			name: "DeleteObject",
			call: func(ctx context.Context, c *taxii.Client, srv *fakeServer) (any, error) {
				return nil, c.DeleteObject(ctx, srv.root(), collID, indicatorID, taxii.Filter{Versions: []string{"2014-05-08T09:00:00.000Z"}})
			},
			method: "DELETE", path: "/api1/collections/" + collID + "/objects/" + indicatorID + "/",
			query:  url.Values{"match[version]": {"2014-05-08T09:00:00.000Z"}},
			status: 200, respondCT: "-",
			check: func(t *testing.T, got any) {},
		},
		{
			name: "AddObjects",
			call: func(ctx context.Context, c *taxii.Client, srv *fakeServer) (any, error) {
				return c.AddObjects(ctx, srv.root(), collID, []stix.Object{mustObject(t, obj1), mustObject(t, obj2)})
			},
			method: "POST", path: "/api1/collections/" + collID + "/objects/",
			body:   `{"objects":[` + obj1 + `,` + obj2 + `]}`,
			status: 202,
			respond: `{"id":"2d086da7-4bdc-4f91-900e-d77486753710","status":"pending","request_timestamp":"2016-11-02T12:34:34.123456Z",` +
				`"total_count":2,"success_count":1,"successes":[{"id":"` + indicatorID + `","version":"2014-05-08T09:00:00.000Z"}],` +
				`"failure_count":0,"pending_count":1,"pendings":[{"id":"` + malwareID + `","version":"2017-01-27T13:49:53.997Z"}]}`,
			check: func(t *testing.T, got any) {
				st := got.(*taxii.Status)
				if st.ID != "2d086da7-4bdc-4f91-900e-d77486753710" || st.Status != taxii.StatusPending || st.TotalCount != 2 ||
					st.SuccessCount != 1 || st.PendingCount != 1 || len(st.Successes) != 1 || st.Successes[0].ID != indicatorID ||
					!st.RequestTimestamp.Equal(time.Date(2016, 11, 2, 12, 34, 34, 123456000, time.UTC)) {
					t.Errorf("got %+v", st)
				}
			},
		},
		{
			name: "Status",
			call: func(ctx context.Context, c *taxii.Client, srv *fakeServer) (any, error) {
				return c.Status(ctx, srv.root(), "2d086da7-4bdc-4f91-900e-d77486753710")
			},
			method: "GET", path: "/api1/status/2d086da7-4bdc-4f91-900e-d77486753710/",
			status:  200,
			respond: `{"id":"2d086da7-4bdc-4f91-900e-d77486753710","status":"complete","total_count":1,"success_count":0,"failure_count":1,"failures":[{"id":"` + malwareID + `","version":"2015-05-08T09:00:00.000Z","message":"Unable to process object"}],"pending_count":0}`,
			check: func(t *testing.T, got any) {
				st := got.(*taxii.Status)
				if st.Status != taxii.StatusComplete || st.FailureCount != 1 || st.Failures[0].Message != "Unable to process object" || !st.RequestTimestamp.IsZero() {
					t.Errorf("got %+v", st)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request) {
				if r.Method != tt.method || r.URL.EscapedPath() != tt.path {
					t.Errorf("request %s %s, want %s %s", r.Method, r.URL.EscapedPath(), tt.method, tt.path)
				}
				if got := r.URL.Query(); !sameValues(got, tt.query) {
					t.Errorf("query %v, want %v", got, tt.query)
				}
				body, err := io.ReadAll(r.Body)
				if err != nil {
					t.Error(err)
				}
				if string(body) != tt.body {
					t.Errorf("body\n%s\nwant\n%s", body, tt.body)
				}
				ct := r.Header.Get("Content-Type")
				if tt.body != "" && (ct != taxii.MediaTypeTAXII || !taxii.IsTAXIIContentType(ct)) {
					t.Errorf("Content-Type = %q, want %q", ct, taxii.MediaTypeTAXII)
				}
				if tt.body == "" && ct != "" {
					t.Errorf("Content-Type %q on a request without a body", ct)
				}
				for k, v := range tt.header {
					w.Header()[k] = v
				}
				switch tt.respondCT {
				case "":
					w.Header().Set("Content-Type", taxii.MediaTypeTAXII)
				case "-":
				default:
					w.Header().Set("Content-Type", tt.respondCT)
				}
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, tt.respond)
			})
			c := newTestClient(taxii.ClientOptions{})
			got, err := tt.call(testContext(t), c, srv)
			if err != nil {
				t.Fatal(err)
			}
			if n := srv.hits.Load(); n != 1 {
				t.Errorf("%d requests, want 1", n)
			}
			tt.check(t, got)
		})
	}
}

func sameValues(a, b url.Values) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	return reflect.DeepEqual(a, b)
}

func TestAuthentication(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts taxii.ClientOptions
		want string // the Authorization header
	}{
		{"none", taxii.ClientOptions{}, ""},
		{"basic", taxii.ClientOptions{Username: "alice", Password: "s3cret:x"}, "Basic YWxpY2U6czNjcmV0Ong="},
		{"basic empty password", taxii.ClientOptions{Username: "alice"}, "Basic YWxpY2U6"},
		{"bearer", taxii.ClientOptions{BearerToken: "tok.en"}, "Bearer tok.en"},
		{"bearer wins over basic", taxii.ClientOptions{Username: "alice", Password: "p", BearerToken: "tok"}, "Bearer tok"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var calls atomic.Int32
			srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request) {
				if got := r.Header.Get("Authorization"); got != tt.want {
					t.Errorf("Authorization = %q, want %q", got, tt.want)
				}
				if tt.opts.Username != "" && tt.opts.BearerToken == "" {
					if u, p, ok := r.BasicAuth(); !ok || u != tt.opts.Username || p != tt.opts.Password {
						t.Errorf("BasicAuth() = %q, %q, %v", u, p, ok)
					}
				}
				// The first answer is a 503, so that the check above
				// also covers a retried request.
				if calls.Add(1) == 1 {
					w.Header().Set("Retry-After", "0")
					w.WriteHeader(http.StatusServiceUnavailable)
					return
				}
				writeTAXII(w, 200, `{"title":"T","versions":[],"max_content_length":1}`)
			})
			if _, err := newTestClient(tt.opts).APIRoot(testContext(t), srv.root()); err != nil {
				t.Fatal(err)
			}
			if n := srv.hits.Load(); n != 2 {
				t.Errorf("%d requests, want 2", n)
			}
		})
	}
}

func TestErrorResponses(t *testing.T) {
	t.Parallel()
	taxiiError := `{"title":"Collection not found","description":"No collection 91a7b528","error_id":"e-1","error_code":"NOT_FOUND",` +
		`"http_status":"404","external_details":"https://x.test/errors/404","details":{"collection":"91a7b528","n":1}}`
	tests := []struct {
		name   string
		status int
		ct     string
		body   string
		want   *taxii.Error
	}{
		{"taxii error body", 404, taxii.MediaTypeTAXII, taxiiError, &taxii.Error{
			Title: "Collection not found", Description: "No collection 91a7b528", ErrorID: "e-1", ErrorCode: "NOT_FOUND",
			HTTPStatus: "404", ExternalDetails: "https://x.test/errors/404",
			Details:    map[string]json.RawMessage{"collection": json.RawMessage(`"91a7b528"`), "n": json.RawMessage(`1`)},
			StatusCode: 404,
		}},
		{"taxii error labelled application/json", 403, "application/json; charset=utf-8", `{"title":"Forbidden","description":"not a member"}`,
			&taxii.Error{Title: "Forbidden", Description: "not a member", StatusCode: 403}},
		{"html error page", 401, "text/html", `<html><body>Login required</body></html>`,
			&taxii.Error{Title: "Unauthorized", StatusCode: 401}},
		{"broken taxii body", 406, taxii.MediaTypeTAXII, `{"title":`, &taxii.Error{Title: "Not Acceptable", StatusCode: 406}},
		{"json without a title", 422, taxii.MediaTypeTAXII, `{"description":"bad","error_code":"X"}`, &taxii.Error{Title: "Unprocessable Entity", StatusCode: 422}},
		{"unknown status", 499, "", ``, &taxii.Error{Title: "HTTP status 499", StatusCode: 499}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request) {
				if tt.ct != "" {
					w.Header().Set("Content-Type", tt.ct)
				}
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, tt.body)
			})
			c := newTestClient(taxii.ClientOptions{})
			_, err := c.Collection(testContext(t), srv.root(), collID)
			var te *taxii.Error
			if !errors.As(err, &te) {
				t.Fatalf("error %v (%T) is not a *taxii.Error", err, err)
			}
			if te.Description != "" && tt.want.Description == "" {
				// The client describes a body-less error by the request.
				if !strings.Contains(te.Description, "GET "+srv.root()) {
					t.Errorf("Description = %q, want the request", te.Description)
				}
				te.Description = ""
			}
			if !reflect.DeepEqual(te, tt.want) {
				t.Errorf("got  %#v\nwant %#v", te, tt.want)
			}
			if !strings.Contains(err.Error(), strconv.Itoa(tt.status)) {
				t.Errorf("message %q does not give the status", err)
			}
			if n := srv.hits.Load(); n != 1 {
				t.Errorf("%d requests, want 1 (no retry)", n)
			}
		})
	}
}

func TestBadResponses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		ct      string
		body    string
		header  http.Header
		maxBody int64
		wantErr []string
	}{
		{name: "json content type", ct: "application/json", body: `{}`, wantErr: []string{`"application/json"`}},
		{name: "no content type", ct: "-", body: `{}`, wantErr: []string{`Content-Type is ""`}},
		{name: "other taxii version", ct: "application/taxii+json;version=2.0", body: `{}`, wantErr: []string{"version=2.0"}},
		{name: "stix type", ct: taxii.MediaTypeSTIX, body: `{}`, wantErr: []string{"application/stix+json"}},
		{name: "malformed body", body: `{"objects":[`, wantErr: []string{"decode response"}},
		{name: "objects not objects", body: `{"objects":[1]}`, wantErr: []string{"decode response"}},
		{name: "body over the limit", body: `{"objects":[` + indicator(1) + `]}`, maxBody: 64, wantErr: []string{"exceeds the limit of 64 bytes"}},
		{name: "bad date header", body: `{}`, header: http.Header{"X-Taxii-Date-Added-Last": {"2016-01-01T00:00:00+00:00"}},
			wantErr: []string{taxii.HeaderDateAddedLast, "2016-01-01T00:00:00+00:00"}},
		{name: "bad first date header", body: `{}`, header: http.Header{"X-Taxii-Date-Added-First": {"yesterday"}},
			wantErr: []string{taxii.HeaderDateAddedFirst, "yesterday"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tt.header {
					w.Header()[k] = v
				}
				switch tt.ct {
				case "":
					w.Header().Set("Content-Type", taxii.MediaTypeTAXII)
				case "-":
					w.Header()["Content-Type"] = nil // no sniffing either
				default:
					w.Header().Set("Content-Type", tt.ct)
				}
				_, _ = io.WriteString(w, tt.body)
			})
			c := newTestClient(taxii.ClientOptions{MaxResponseBytes: tt.maxBody})
			p, err := c.Objects(testContext(t), srv.root(), collID, taxii.Filter{})
			if err == nil {
				t.Fatalf("got %+v, want an error", p)
			}
			for _, s := range tt.wantErr {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not mention %q", err, s)
				}
			}
			if n := srv.hits.Load(); n != 1 {
				t.Errorf("%d requests, want 1", n)
			}
		})
	}
}

func TestTAXIIResponseWithoutVersion(t *testing.T) {
	t.Parallel()
	srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/taxii+json")
		_, _ = io.WriteString(w, `{"title":"T","can_read":true,"can_write":true,"id":"c"}`)
	})
	coll, err := newTestClient(taxii.ClientOptions{}).Collection(testContext(t), srv.root(), "c")
	if err != nil || coll.Title != "T" {
		t.Fatalf("Collection = %+v, %v", coll, err)
	}
}

func TestLargeErrorBodyStillAnError(t *testing.T) {
	t.Parallel()
	srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request) {
		writeTAXII(w, 404, `{"title":"`+strings.Repeat("x", 1000)+`"}`)
	})
	_, err := newTestClient(taxii.ClientOptions{MaxResponseBytes: 100}).Collection(testContext(t), srv.root(), "c")
	var te *taxii.Error
	if !errors.As(err, &te) || te.StatusCode != 404 || te.Title != "Not Found" {
		t.Fatalf("error = %v, want a 404 *taxii.Error without the oversized body", err)
	}
}

func TestBadURLs(t *testing.T) {
	t.Parallel()
	srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("unexpected request %s %s", r.Method, r.URL)
	})
	c := newTestClient(taxii.ClientOptions{})
	ctx := testContext(t)
	tests := []struct {
		name string
		call func() error
	}{
		{"relative root", func() error { _, err := c.Collections(ctx, "/api1/"); return err }},
		{"ftp root", func() error { _, err := c.Collections(ctx, "ftp://x.test/api1/"); return err }},
		{"root with query", func() error { _, err := c.Collections(ctx, srv.root()+"?x=1"); return err }},
		{"bad discovery", func() error { _, err := c.Discovery(ctx, "taxii2/"); return err }},
		{"dot-dot collection", func() error { _, err := c.Collection(ctx, srv.root(), ".."); return err }},
		{"dot collection", func() error { _, err := c.Objects(ctx, srv.root(), ".", taxii.Filter{}); return err }},
		{"empty object id", func() error { _, err := c.Versions(ctx, srv.root(), collID, "", taxii.Filter{}); return err }},
		{"empty status id", func() error { _, err := c.Status(ctx, srv.root(), ""); return err }},
		{"no objects to add", func() error { _, err := c.AddObjects(ctx, srv.root(), collID, nil); return err }},
		{"zero object", func() error { _, err := c.AddObjects(ctx, srv.root(), collID, []stix.Object{{}}); return err }},
	}
	for _, tt := range tests {
		if err := tt.call(); err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
}

func TestWaitStatus(t *testing.T) {
	t.Parallel()
	const statusID = "s-1"
	var polls atomic.Int32
	srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request) {
		n := int(polls.Add(1))
		if r.Method != "GET" || r.URL.Path != "/api1/status/"+statusID+"/" {
			t.Errorf("request %s %s", r.Method, r.URL.Path)
		}
		status := taxii.StatusPending
		if n >= 3 {
			status = taxii.StatusComplete
		}
		writeTAXII(w, 200, `{"id":"s-1","status":"`+status+`","total_count":1,"success_count":`+strconv.Itoa(n/3)+
			`,"failure_count":0,"pending_count":`+strconv.Itoa(1-n/3)+`}`)
	})
	st, err := newTestClient(taxii.ClientOptions{}).WaitStatus(testContext(t), srv.root(), statusID, time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if st.Status != taxii.StatusComplete || st.SuccessCount != 1 || st.PendingCount != 0 {
		t.Errorf("status = %+v", st)
	}
	if n := srv.hits.Load(); n != 3 {
		t.Errorf("%d polls, want 3", n)
	}
}

func TestWaitStatusContextEnds(t *testing.T) {
	t.Parallel()
	srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request) {
		writeTAXII(w, 200, `{"id":"s-1","status":"pending","total_count":2,"success_count":1,"failure_count":0,"pending_count":1}`)
	})
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	st, err := newTestClient(taxii.ClientOptions{}).WaitStatus(ctx, srv.root(), "s-1", 10*time.Millisecond)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error = %v, want the context's", err)
	}
	if st == nil || st.Status != taxii.StatusPending || st.SuccessCount != 1 {
		t.Errorf("last status = %+v, want the pending one", st)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
	if n := srv.hits.Load(); n < 2 {
		t.Errorf("%d polls, want several", n)
	}
}
