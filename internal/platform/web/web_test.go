package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rampart-project/rampart/internal/platform/errs"
	"github.com/rampart-project/rampart/internal/platform/web"
)

func newTestServer(t *testing.T) (*web.Server, *strings.Builder) {
	t.Helper()
	var logs strings.Builder
	rd, err := web.NewRenderer(web.Site{Name: "Test instance", Version: "t"}, []web.NavItem{{Label: "Home", Href: "/", Ready: true}})
	if err != nil {
		t.Fatal(err)
	}
	s := web.NewServer(web.Options{
		Addr:           "127.0.0.1:0",
		Logger:         slog.New(slog.NewJSONHandler(&logs, nil)),
		Registry:       prometheus.NewRegistry(),
		MaxBodyBytes:   1024,
		RequestTimeout: 2 * time.Second,
		Renderer:       rd,
	})
	r := s.Router
	r.HandleFunc("GET /ok", web.Public, func(w http.ResponseWriter, r *http.Request) {
		web.WriteJSON(w, 200, map[string]string{"request_id": web.RequestID(r.Context())})
	})
	r.HandleFunc("GET /panic", web.Public, func(w http.ResponseWriter, r *http.Request) { panic("secret internals") })
	r.HandleFunc("GET /internal", web.Public, func(w http.ResponseWriter, r *http.Request) {
		web.WriteError(w, r, errors.New("pq: password authentication failed for user admin"))
	})
	r.HandleFunc("GET /things/{id}", web.Public, func(w http.ResponseWriter, r *http.Request) {
		web.WriteError(w, r, errs.E(errs.NotFound, "No thing %s.", r.PathValue("id")))
	})
	r.HandleFunc("POST /echo", web.Public, func(w http.ResponseWriter, r *http.Request) {
		var v struct {
			Name string `json:"name"`
		}
		if err := web.DecodeJSON(r, &v); err != nil {
			web.WriteError(w, r, err)
			return
		}
		web.WriteJSON(w, 201, v)
	})
	r.HandleFunc("GET /deadline", web.Public, func(w http.ResponseWriter, r *http.Request) {
		_, ok := r.Context().Deadline()
		web.WriteJSON(w, 200, map[string]bool{"deadline": ok})
	})
	r.Stream("GET /stream", web.Public, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, ok := r.Context().Deadline()
		web.WriteJSON(w, 200, map[string]bool{"deadline": ok})
	}))
	return s, &logs
}

func TestScenarios(t *testing.T) {
	s, logs := newTestServer(t)
	cases := []struct {
		name       string
		method     string
		path       string
		body       string
		header     map[string]string
		wantStatus int
		wantType   string
		want       []string // substrings the body must contain
		wantNot    []string // and must not
	}{
		{name: "ok", method: "GET", path: "/ok", wantStatus: 200, wantType: "application/json"},
		{name: "request id kept", method: "GET", path: "/ok", header: map[string]string{"X-Request-Id": "abc-123"},
			wantStatus: 200, want: []string{`"request_id":"abc-123"`}},
		{name: "bad request id replaced", method: "GET", path: "/ok", header: map[string]string{"X-Request-Id": "<script>"},
			wantStatus: 200, wantNot: []string{"<script>"}},
		{name: "panic recovered", method: "GET", path: "/panic", wantStatus: 500, wantType: "application/problem+json",
			want: []string{`"code":"internal"`}, wantNot: []string{"secret internals"}},
		{name: "internal error hidden", method: "GET", path: "/internal", wantStatus: 500,
			wantNot: []string{"password authentication"}},
		{name: "domain error", method: "GET", path: "/things/42", wantStatus: 404, wantType: "application/problem+json",
			want: []string{`"detail":"No thing 42."`, `"instance":"/things/42"`, `"type":"urn:rampart:problem:not_found"`}},
		{name: "no route", method: "GET", path: "/nowhere", wantStatus: 404, want: []string{"There is nothing at /nowhere."}},
		{name: "wrong method", method: "DELETE", path: "/ok", wantStatus: 405, want: []string{"allowed: GET, HEAD"}},
		{name: "browser gets a page", method: "GET", path: "/things/7", header: map[string]string{"Accept": "text/html"},
			wantStatus: 404, wantType: "text/html", want: []string{"No thing 7.", "TLP:CLEAR", "Test instance"}},
		{name: "api stays json for browsers", method: "GET", path: "/api/v1/nothing", header: map[string]string{"Accept": "text/html"},
			wantStatus: 404, wantType: "application/problem+json"},
		{name: "json accepted", method: "POST", path: "/echo", body: `{"name":"x"}`, wantStatus: 201},
		{name: "json unknown field", method: "POST", path: "/echo", body: `{"nam":"x"}`, wantStatus: 400, want: []string{`unknown field \"nam\"`}},
		{name: "json syntax", method: "POST", path: "/echo", body: `{"name":`, wantStatus: 400, want: []string{"ends too early"}},
		{name: "json type", method: "POST", path: "/echo", body: `{"name":5}`, wantStatus: 400, want: []string{`field \"name\" must be string`}},
		{name: "json trailing", method: "POST", path: "/echo", body: `{"name":"a"} {}`, wantStatus: 400, want: []string{"after the JSON value"}},
		{name: "not json", method: "POST", path: "/echo", body: `name=x`, header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, wantStatus: 415},
		{name: "body too large", method: "POST", path: "/echo", body: `{"name":"` + strings.Repeat("a", 2000) + `"}`, wantStatus: 413,
			want: []string{"limit of 1 KiB"}},
		{name: "ordinary route has a deadline", method: "GET", path: "/deadline", wantStatus: 200, want: []string{`"deadline":true`}},
		{name: "stream has none", method: "GET", path: "/stream", wantStatus: 200, want: []string{`"deadline":false`}},
		{name: "static asset", method: "GET", path: "/static/rampart.css", wantStatus: 404}, // not mounted in this server
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.body))
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			s.Handler().ServeHTTP(rec, req)
			body := rec.Body.String()
			if rec.Code != tc.wantStatus {
				t.Fatalf("status %d, want %d; body %s", rec.Code, tc.wantStatus, body)
			}
			if tc.wantType != "" && !strings.HasPrefix(rec.Header().Get("Content-Type"), tc.wantType) {
				t.Errorf("Content-Type %q, want %q", rec.Header().Get("Content-Type"), tc.wantType)
			}
			for _, w := range tc.want {
				if !strings.Contains(body, w) {
					t.Errorf("body lacks %q: %s", w, body)
				}
			}
			for _, w := range tc.wantNot {
				if strings.Contains(body, w) {
					t.Errorf("body shows %q: %s", w, body)
				}
			}
			if rec.Header().Get("X-Request-Id") == "" || rec.Header().Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("missing request id or security headers: %v", rec.Header())
			}
		})
	}
	if !strings.Contains(logs.String(), `"panic":"secret internals"`) {
		t.Error("the panic was not logged")
	}
}

func TestProblemStatusMatchesBody(t *testing.T) {
	s, _ := newTestServer(t)
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/things/1", nil))
	var p web.Problem
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		t.Fatal(err)
	}
	if p.Status != rec.Code || p.RequestID != rec.Header().Get("X-Request-Id") {
		t.Fatalf("problem %+v does not match response %d %s", p, rec.Code, rec.Header().Get("X-Request-Id"))
	}
}

func TestMetricsAreLabelledByRoute(t *testing.T) {
	s, _ := newTestServer(t)
	for _, p := range []string{"/things/1", "/things/2", "/nowhere"} {
		s.Handler().ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", p, nil))
	}
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	for _, want := range []string{
		`rampart_http_requests_total{code="404",method="GET",route="GET /things/{id}"} 2`,
		`rampart_http_requests_total{code="404",method="GET",route="unmatched"} 1`,
		`rampart_http_request_duration_seconds_bucket`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func TestServerListensAndShutsDown(t *testing.T) {
	s, _ := newTestServer(t)
	addr, err := s.Listen()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve() }()
	resp, err := http.Get("http://" + addr.String() + "/ok")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("Serve returned %v after Shutdown", err)
	}
}

func TestReadyz(t *testing.T) {
	for _, ok := range []bool{true, false} {
		rec := httptest.NewRecorder()
		web.Readyz(func(context.Context) []web.Check {
			return []web.Check{{Name: "database", OK: true}, {Name: "events", OK: ok, Error: "down"}}
		})(rec, httptest.NewRequest("GET", "/readyz", nil))
		want := map[bool]int{true: 200, false: 503}[ok]
		if rec.Code != want {
			t.Errorf("events ok=%v: status %d, want %d", ok, rec.Code, want)
		}
	}
}
