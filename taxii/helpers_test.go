package taxii_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rampart-project/rampart/stix"
	"github.com/rampart-project/rampart/taxii"
)

const testUserAgent = "rampart-test/1"

// fakeServer is a TAXII server played by a test: handler answers, and
// hits counts the requests that reached it.
type fakeServer struct {
	*httptest.Server
	hits atomic.Int32
}

// newFakeServer starts a server that checks what every TAXII request
// must carry (the Accept header, the User-Agent) and then calls h.
func newFakeServer(t *testing.T, h http.HandlerFunc) *fakeServer {
	t.Helper()
	fs := &fakeServer{}
	fs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fs.hits.Add(1)
		if got := r.Header.Get("Accept"); got != taxii.MediaTypeTAXII {
			t.Errorf("%s %s: Accept = %q, want %q", r.Method, r.URL, got, taxii.MediaTypeTAXII)
		}
		if got := r.Header.Get("User-Agent"); got != testUserAgent {
			t.Errorf("%s %s: User-Agent = %q, want %q", r.Method, r.URL, got, testUserAgent)
		}
		h(w, r)
	}))
	t.Cleanup(fs.Close)
	return fs
}

// root is the URL of the fake server's API root.
func (fs *fakeServer) root() string { return fs.URL + "/api1/" }

// newTestClient returns a client for tests: fast retries, so that retry
// tests finish quickly, and the test User-Agent.
func newTestClient(opts taxii.ClientOptions) *taxii.Client {
	opts.UserAgent = testUserAgent
	if opts.Retry == (taxii.RetryPolicy{}) {
		opts.Retry = taxii.RetryPolicy{MaxAttempts: 3, BaseBackoff: time.Millisecond, MaxBackoff: 10 * time.Millisecond}
	}
	return taxii.NewClient(opts)
}

// testContext bounds a test's requests, so that a client that waits when
// it should not fails the test instead of hanging it.
func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// writeTAXII answers with a TAXII body.
func writeTAXII(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", taxii.MediaTypeTAXII)
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

func mustObject(t *testing.T, s string) stix.Object {
	t.Helper()
	o, err := stix.ParseObject([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// indicator returns a small indicator object with the given UUID suffix.
func indicator(n int) string {
	return `{"type":"indicator","spec_version":"2.1","id":"indicator--00000000-0000-4000-8000-` +
		pad12(n) + `","created":"2020-01-01T00:00:00.000Z","modified":"2020-01-01T00:00:00.000Z",` +
		`"pattern":"[ipv4-addr:value = '10.0.0.1']","pattern_type":"stix","valid_from":"2020-01-01T00:00:00Z"}`
}

func indicatorIDOf(n int) string { return "indicator--00000000-0000-4000-8000-" + pad12(n) }

func pad12(n int) string { return fmt.Sprintf("%012d", n) }
