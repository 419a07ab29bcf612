package taxii_test

import (
	"context"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rampart-project/rampart/stix"
	"github.com/rampart-project/rampart/taxii"
)

// answer is one scripted response: a status and an optional Retry-After.
type answer struct {
	status     int
	retryAfter string
}

func TestRetries(t *testing.T) {
	t.Parallel()
	ok := answer{status: 200}
	tests := []struct {
		name       string
		post       bool
		policy     taxii.RetryPolicy
		script     []answer // the last answer repeats
		wantHits   int32
		wantStatus int // 0: success; else the *Error's status
	}{
		{name: "429 with Retry-After 0", script: []answer{{429, "0"}, {429, "0"}, ok}, wantHits: 3,
			// A backoff of an hour: only honouring Retry-After lets the
			// test finish.
			policy: taxii.RetryPolicy{MaxAttempts: 5, BaseBackoff: time.Hour, MaxBackoff: 2 * time.Hour}},
		{name: "503 then success", script: []answer{{503, ""}, ok}, wantHits: 2},
		{name: "502 then success", script: []answer{{502, ""}, ok}, wantHits: 2},
		{name: "504 then success", script: []answer{{504, ""}, ok}, wantHits: 2},
		{name: "Retry-After date in the past", script: []answer{{503, "Mon, 02 Jan 2006 15:04:05 GMT"}, ok}, wantHits: 2,
			policy: taxii.RetryPolicy{MaxAttempts: 3, BaseBackoff: time.Hour, MaxBackoff: 2 * time.Hour}},
		{name: "unreadable Retry-After falls back to backoff", script: []answer{{503, "soon"}, ok}, wantHits: 2},
		{name: "attempts run out", script: []answer{{503, ""}}, wantHits: 3, wantStatus: 503},
		{name: "one attempt means no retry", script: []answer{{503, ""}}, wantHits: 1, wantStatus: 503,
			policy: taxii.RetryPolicy{MaxAttempts: 1, BaseBackoff: time.Millisecond}},
		{name: "Retry-After beyond MaxBackoff gives up", script: []answer{{503, "3600"}, ok}, wantHits: 1, wantStatus: 503},
		{name: "no retry on 400", script: []answer{{400, ""}, ok}, wantHits: 1, wantStatus: 400},
		{name: "no retry on 404", script: []answer{{404, ""}, ok}, wantHits: 1, wantStatus: 404},
		{name: "no retry on 500", script: []answer{{500, ""}, ok}, wantHits: 1, wantStatus: 500},
		{name: "no retry on 401 with Retry-After", script: []answer{{401, "0"}, ok}, wantHits: 1, wantStatus: 401},

		{name: "POST 400 not retried", post: true, script: []answer{{400, ""}, {202, ""}}, wantHits: 1, wantStatus: 400},
		{name: "POST 413 not retried", post: true, script: []answer{{413, ""}, {202, ""}}, wantHits: 1, wantStatus: 413},
		{name: "POST 422 not retried", post: true, script: []answer{{422, "0"}, {202, ""}}, wantHits: 1, wantStatus: 422},
		{name: "POST 429 retried", post: true, script: []answer{{429, "0"}, {202, ""}}, wantHits: 2},
		{name: "POST 503 retried", post: true, script: []answer{{503, ""}, {202, ""}}, wantHits: 2},
	}
	obj := indicator(1)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var n atomic.Int32
			srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request) {
				i := int(n.Add(1)) - 1
				a := tt.script[min(i, len(tt.script)-1)]
				if tt.post {
					// Every attempt carries the whole body.
					if b := readAll(t, r); b != `{"objects":[`+obj+`]}` {
						t.Errorf("attempt %d body %q", i+1, b)
					}
				}
				if a.retryAfter != "" {
					w.Header().Set("Retry-After", a.retryAfter)
				}
				switch {
				case a.status == 200:
					writeTAXII(w, 200, `{"title":"T","versions":[],"max_content_length":1}`)
				case a.status == 202:
					writeTAXII(w, 202, `{"id":"s","status":"complete","total_count":1,"success_count":1,"failure_count":0,"pending_count":0}`)
				default:
					writeTAXII(w, a.status, `{"title":"scripted `+http.StatusText(a.status)+`"}`)
				}
			})
			c := newTestClient(taxii.ClientOptions{Retry: tt.policy})
			var err error
			if tt.post {
				_, err = c.AddObjects(testContext(t), srv.root(), collID, []stix.Object{mustObject(t, obj)})
			} else {
				_, err = c.APIRoot(testContext(t), srv.root())
			}
			if got := n.Load(); got != tt.wantHits {
				t.Errorf("%d attempts, want %d", got, tt.wantHits)
			}
			if tt.wantStatus == 0 {
				if err != nil {
					t.Fatalf("error %v, want success", err)
				}
				return
			}
			var te *taxii.Error
			if !errors.As(err, &te) || te.StatusCode != tt.wantStatus || !strings.HasPrefix(te.Title, "scripted") {
				t.Fatalf("error %v, want the scripted %d", err, tt.wantStatus)
			}
		})
	}
}

func readAll(t *testing.T, r *http.Request) string {
	t.Helper()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Error(err)
	}
	return string(b)
}

// TestRetryNetworkError drops the first connection without an answer; the
// client must try again. Keep-alives are off so that the transport cannot
// mask the failure with its own retry on a reused connection.
func TestRetryNetworkError(t *testing.T) {
	t.Parallel()
	var n atomic.Int32
	srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			conn, _, err := http.NewResponseController(w).Hijack()
			if err != nil {
				t.Error(err)
				return
			}
			_ = conn.Close()
			return
		}
		writeTAXII(w, 200, `{"title":"T","versions":[],"max_content_length":1}`)
	})
	tr := &http.Transport{DisableKeepAlives: true}
	t.Cleanup(tr.CloseIdleConnections)
	c := newTestClient(taxii.ClientOptions{HTTPClient: &http.Client{Transport: tr}})
	root, err := c.APIRoot(testContext(t), srv.root())
	if err != nil {
		t.Fatal(err)
	}
	if root.Title != "T" || n.Load() != 2 {
		t.Errorf("root %+v after %d attempts, want T after 2", root, n.Load())
	}
}

// countingTransport counts the requests the client hands to the transport,
// including those that never reach a server.
type countingTransport struct {
	n  atomic.Int32
	rt http.RoundTripper
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.rt.RoundTrip(r)
}

func TestRetryConnectionRefused(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close() // nothing listens there now
	ct := &countingTransport{rt: &http.Transport{}}
	c := newTestClient(taxii.ClientOptions{HTTPClient: &http.Client{Transport: ct}})
	_, err = c.APIRoot(testContext(t), "http://"+addr+"/api1/")
	if err == nil {
		t.Fatal("no error")
	}
	if n := ct.n.Load(); n != 3 {
		t.Errorf("%d attempts, want 3", n)
	}
}

func TestNoRetryOnCertificateError(t *testing.T) {
	t.Parallel()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Error("the handshake should have failed")
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the failed handshake is the point
	srv.StartTLS()
	t.Cleanup(srv.Close)
	ct := &countingTransport{rt: &http.Transport{}} // does not trust the test certificate
	c := newTestClient(taxii.ClientOptions{HTTPClient: &http.Client{Transport: ct}})
	_, err := c.APIRoot(testContext(t), srv.URL+"/api1/")
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("error %v, want a certificate error", err)
	}
	if n := ct.n.Load(); n != 1 {
		t.Errorf("%d attempts, want 1", n)
	}
}

func TestNoRetryOnOversizedBody(t *testing.T) {
	t.Parallel()
	srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request) {
		writeTAXII(w, 200, `{"title":"`+strings.Repeat("x", 500)+`"}`)
	})
	_, err := newTestClient(taxii.ClientOptions{MaxResponseBytes: 100}).APIRoot(testContext(t), srv.root())
	if err == nil || !strings.Contains(err.Error(), "limit of 100 bytes") {
		t.Fatalf("error %v", err)
	}
	if n := srv.hits.Load(); n != 1 {
		t.Errorf("%d attempts, want 1", n)
	}
}

// TestBodyLimitWithoutContentLength streams an answer with no
// Content-Length, so only counting the bytes read can stop it.
func TestBodyLimitWithoutContentLength(t *testing.T) {
	t.Parallel()
	srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", taxii.MediaTypeTAXII)
		_, _ = io.WriteString(w, `{"title":"`)
		http.NewResponseController(w).Flush() // chunked from here on
		for range 100 {
			_, _ = io.WriteString(w, strings.Repeat("x", 100))
		}
		_, _ = io.WriteString(w, `","versions":[],"max_content_length":1}`)
	})
	c := newTestClient(taxii.ClientOptions{MaxResponseBytes: 1000})
	_, err := c.APIRoot(testContext(t), srv.root())
	if err == nil || !strings.Contains(err.Error(), "limit of 1000 bytes") {
		t.Fatalf("error %v, want the body limit", err)
	}
	// Just under the limit is fine.
	c = newTestClient(taxii.ClientOptions{MaxResponseBytes: 10_100})
	if _, err := c.APIRoot(testContext(t), srv.root()); err != nil {
		t.Fatal(err)
	}
}

// TestRetryStopsOnCancel cancels the context while the client waits out a
// long backoff: the call must return promptly with the context's error and
// make no further attempt.
func TestRetryStopsOnCancel(t *testing.T) {
	t.Parallel()
	srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request) {
		writeTAXII(w, 503, `{"title":"busy"}`)
	})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	time.AfterFunc(50*time.Millisecond, cancel)
	c := newTestClient(taxii.ClientOptions{Retry: taxii.RetryPolicy{MaxAttempts: 10, BaseBackoff: time.Hour, MaxBackoff: time.Hour}})
	start := time.Now()
	_, err := c.APIRoot(ctx, srv.root())
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	if !strings.Contains(err.Error(), "busy") {
		t.Errorf("error %q does not give the last failure", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("returned after %v", d)
	}
	if n := srv.hits.Load(); n != 1 {
		t.Errorf("%d attempts, want 1", n)
	}
}

// TestCanceledContextNoRequest: a context already done makes no request.
func TestCanceledContextNoRequest(t *testing.T) {
	t.Parallel()
	srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request) {
		writeTAXII(w, 200, `{}`)
	})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := newTestClient(taxii.ClientOptions{}).Collections(ctx, srv.root())
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	if n := srv.hits.Load(); n != 0 {
		t.Errorf("%d requests, want 0", n)
	}
}
