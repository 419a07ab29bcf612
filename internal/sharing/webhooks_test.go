package sharing_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rampart-project/rampart/internal/platform/access"
	"github.com/rampart-project/rampart/internal/platform/identity"
	"github.com/rampart-project/rampart/internal/sharing"
)

// hookReceiver is a webhook receiver that checks every signature.
type hookReceiver struct {
	t      *testing.T
	srv    *httptest.Server
	mu     sync.Mutex
	secret string
	answer func(attempt int) int // the status for the n-th request (1-based)
	got    []hookRequest
}

type hookRequest struct {
	header   http.Header
	body     []byte
	at       time.Time
	verified bool
	payload  struct {
		Event    string          `json:"event"`
		Delivery string          `json:"delivery"`
		Webhook  string          `json:"webhook"`
		Object   json.RawMessage `json:"object"`
		TLP      string          `json:"tlp"`
		Seq      int64           `json:"seq"`
	}
}

func (r hookRequest) name() string {
	var o struct {
		Name string `json:"name"`
	}
	_ = json.Unmarshal(r.payload.Object, &o)
	return o.Name
}

func newHookReceiver(t *testing.T, answer func(attempt int) int) *hookReceiver {
	t.Helper()
	h := &hookReceiver{t: t, answer: answer}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		req := hookRequest{header: r.Header.Clone(), body: body, at: time.Now()}
		_ = json.Unmarshal(body, &req.payload)
		h.mu.Lock()
		req.verified = r.Method == "POST" && sharing.VerifySignature(h.secret, r.Header.Get(sharing.HeaderWebhookTimestamp), body, r.Header.Get(sharing.HeaderWebhookSignature))
		h.got = append(h.got, req)
		status := h.answer(len(h.got))
		h.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hookReceiver) requests() []hookRequest {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.got)
}

// waitNamed waits for a request whose object is named name.
func (h *hookReceiver) waitNamed(name string) []hookRequest {
	h.t.Helper()
	var got []hookRequest
	waitFor(h.t, 10*time.Second, "a delivery of "+name, func() bool {
		got = h.requests()
		return slices.ContainsFunc(got, func(r hookRequest) bool { return r.name() == name })
	})
	return got
}

func always(status int) func(int) int { return func(int) int { return status } }

// createHook creates a webhook as u and returns it with its secret.
func (e *liveEnv) createHook(u *identity.User, body string) sharing.Webhook {
	e.t.Helper()
	status, resp := e.call(u, "POST", "/api/v1/webhooks", body)
	if status != 201 {
		e.t.Fatalf("create webhook: %d %s", status, resp)
	}
	var h sharing.Webhook
	if err := json.Unmarshal([]byte(resp), &h); err != nil {
		e.t.Fatal(err)
	}
	return h
}

func (e *liveEnv) deliveries(u *identity.User, hookID string) []sharing.Delivery {
	e.t.Helper()
	status, body := e.call(u, "GET", "/api/v1/webhooks/"+hookID+"/deliveries?limit=500", "")
	if status != 200 {
		e.t.Fatalf("deliveries: %d %s", status, body)
	}
	var out struct {
		Deliveries []sharing.Delivery `json:"deliveries"`
	}
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		e.t.Fatal(err)
	}
	return out.Deliveries
}

func TestWebhookDeliversSignedObjectsItsOrganizationMaySee(t *testing.T) {
	runLive(t, func(t *testing.T, e *liveEnv) {
		rcv := newHookReceiver(t, always(204))
		hook := e.createHook(e.adminA, `{"url":"`+rcv.srv.URL+`/hooks/rampart?src=test","filter":{"types":["indicator"]}}`)
		if !strings.HasPrefix(hook.Secret, "whsec_") || len(hook.Secret) != 70 || hook.OrgID != e.orgA.ID || !hook.Active {
			t.Fatalf("created: %+v", hook)
		}
		rcv.mu.Lock()
		rcv.secret = hook.Secret
		rcv.mu.Unlock()
		// Anyone in the organization may list it; nobody sees the secret again.
		if status, body := e.call(e.analystA, "GET", "/api/v1/webhooks", ""); status != 200 || !strings.Contains(body, hook.ID) || strings.Contains(body, hook.Secret) {
			t.Fatalf("list: %d %s", status, body)
		}

		community := share{tlp: access.Green, grants: []access.Grant{{Kind: access.GrantCommunity, ID: e.community.ID}}}
		e.share(e.analystB, community, liveIndicator("to-community"))
		e.share(e.analystA, share{tlp: access.Red, grants: []access.Grant{{Kind: access.GrantUser, ID: e.adminA.ID}}}, liveIndicator("red"))
		e.share(e.analystB, share{tlp: access.Amber}, liveIndicator("amber-of-B"))
		e.share(e.analystB, share{tlp: access.AmberStrict, grants: []access.Grant{{Kind: access.GrantOrg, ID: e.orgA.ID}}}, liveIndicator("strict-to-A"))
		e.share(e.analystB, community, liveMalware("not-an-indicator"))
		e.share(e.analystA, share{tlp: access.Amber}, liveIndicator("own-amber"))
		e.share(e.analystX, share{tlp: access.Clear}, liveIndicator("sentinel"))

		rcv.waitNamed("sentinel")
		time.Sleep(300 * time.Millisecond) // anything later would be out of order, and wrong
		got := rcv.requests()
		var gotNames []string
		for _, r := range got {
			gotNames = append(gotNames, r.name())
			if !r.verified {
				t.Errorf("%s: the signature does not verify", r.name())
			}
			ts, _ := strconv.ParseInt(r.header.Get(sharing.HeaderWebhookTimestamp), 10, 64)
			if d := time.Since(time.Unix(ts, 0)); d < -time.Minute || d > time.Minute {
				t.Errorf("%s: timestamp %d is %s off", r.name(), ts, d)
			}
			if r.header.Get(sharing.HeaderWebhookEvent) != "object.added" || r.payload.Event != "object.added" ||
				r.header.Get(sharing.HeaderWebhookDelivery) != r.payload.Delivery || r.payload.Seq == 0 || r.payload.TLP == "" ||
				r.header.Get("Content-Type") != "application/json" || r.payload.Object == nil {
				t.Errorf("%s: headers %v, body %s", r.name(), r.header, r.body)
			}
		}
		slices.Sort(gotNames)
		if want := []string{"own-amber", "sentinel", "strict-to-A", "to-community"}; !slices.Equal(gotNames, want) {
			t.Errorf("the webhook received %v, want %v", gotNames, want)
		}

		ds := e.deliveries(e.analystA, hook.ID)
		if len(ds) != 4 {
			t.Fatalf("deliveries: %+v", ds)
		}
		// The events that concerned no webhook committed nothing, not even
		// a receipt (events.ErrNoEffect): one receipt per delivered object.
		var receipts int
		if err := e.d.Reader().QueryRowContext(context.Background(),
			`SELECT count(*) FROM event_receipts WHERE consumer = 'sharing-webhooks'`).Scan(&receipts); err != nil {
			t.Fatal(err)
		}
		if receipts != 4 {
			t.Errorf("the webhook consumer recorded %d receipts, want 4: one per event it delivered", receipts)
		}
		for _, d := range ds {
			if d.Status != sharing.DeliveryDelivered || d.Attempts != 1 || d.LastStatus != 204 || d.DeliveredAt.IsZero() || d.Event != "object.added" {
				t.Errorf("delivery: %+v", d)
			}
		}

		// A ping, to check the receiver.
		status, body := e.call(e.adminA, "POST", "/api/v1/webhooks/"+hook.ID+"/test", "")
		var ping sharing.Delivery
		if err := json.Unmarshal([]byte(body), &ping); status != 202 || err != nil || ping.Event != "ping" {
			t.Fatalf("test: %d %s", status, body)
		}
		waitFor(t, 5*time.Second, "the ping", func() bool {
			rs := rcv.requests()
			last := rs[len(rs)-1]
			return last.payload.Event == "ping" && last.payload.Webhook == hook.ID && last.payload.Delivery == ping.ID && last.verified &&
				last.header.Get(sharing.HeaderWebhookEvent) == "ping"
		})

		// The organization's restricted content that left is in the audit
		// log, and so are the webhook's creation and test.
		var strict bool
		for _, en := range e.auditEntries("object.read_restricted") {
			if en.ActorLabel == "webhook:"+hook.ID && en.OrgScope == e.orgA.ID {
				strict = true
			}
		}
		if !strict || len(e.auditEntries("webhook.create")) != 1 || len(e.auditEntries("webhook.test")) != 1 {
			t.Errorf("audit: restricted read %v, creations %d, tests %d", strict, len(e.auditEntries("webhook.create")), len(e.auditEntries("webhook.test")))
		}
	})
}

func TestWebhookRetriesWithBackoffThenGivesUp(t *testing.T) {
	runLive(t, func(t *testing.T, e *liveEnv) {
		failing := newHookReceiver(t, always(500))
		flaky := newHookReceiver(t, func(n int) int {
			if n < 3 {
				return 503
			}
			return 200
		})
		dead := e.createHook(e.adminA, `{"url":"`+failing.srv.URL+`"}`)
		recovers := e.createHook(e.adminA, `{"url":"`+flaky.srv.URL+`"}`)
		e.share(e.analystA, share{tlp: access.Green}, liveIndicator("retried"))

		waitFor(t, 15*time.Second, "a dead delivery", func() bool {
			ds := e.deliveries(e.adminA, dead.ID)
			return len(ds) == 1 && ds[0].Status == sharing.DeliveryDead
		})
		d := e.deliveries(e.adminA, dead.ID)[0]
		if d.Attempts != 8 || d.LastStatus != 500 || d.LastError != "HTTP 500 Internal Server Error" || !d.NextAttemptAt.IsZero() {
			t.Errorf("dead delivery: %+v", d)
		}
		rs := failing.requests()
		if len(rs) != 8 {
			t.Fatalf("the failing receiver was called %d times, want 8", len(rs))
		}
		backoff := sharing.WebhookBackoff()
		for i := 1; i < len(rs); i++ {
			if rs[i].payload.Delivery != rs[0].payload.Delivery || rs[i].header.Get(sharing.HeaderWebhookDelivery) != d.ID {
				t.Errorf("attempt %d is another delivery", i+1)
			}
			if gap, min := rs[i].at.Sub(rs[i-1].at), backoff[min(i-1, len(backoff)-1)]; gap < min {
				t.Errorf("attempt %d came %s after the one before, sooner than the backoff of %s", i+1, gap, min)
			}
		}

		waitFor(t, 10*time.Second, "the flaky receiver's delivery", func() bool {
			ds := e.deliveries(e.adminA, recovers.ID)
			return len(ds) == 1 && ds[0].Status == sharing.DeliveryDelivered
		})
		if d := e.deliveries(e.adminA, recovers.ID)[0]; d.Attempts != 3 || d.LastStatus != 200 || d.LastError != "" {
			t.Errorf("recovered delivery: %+v", d)
		}
	})
}

func TestWebhookGoneDisablesIt(t *testing.T) {
	runLive(t, func(t *testing.T, e *liveEnv) {
		rcv := newHookReceiver(t, always(http.StatusGone))
		hook := e.createHook(e.adminA, `{"url":"`+rcv.srv.URL+`"}`)
		e.share(e.analystA, share{tlp: access.Green}, liveIndicator("first"), liveIndicator("second"))
		waitFor(t, 10*time.Second, "the webhook disabled", func() bool {
			_, body := e.call(e.adminA, "GET", "/api/v1/webhooks", "")
			return strings.Contains(body, `"active":false`)
		})
		time.Sleep(200 * time.Millisecond)
		// Both may have been in flight at once; neither is retried.
		if n := len(rcv.requests()); n < 1 || n > 2 {
			t.Errorf("the receiver that answered 410 was called %d times, want 1 or 2", n)
		}
		for _, d := range e.deliveries(e.adminA, hook.ID) {
			if d.Status != sharing.DeliveryDead {
				t.Errorf("delivery after 410: %+v", d)
			}
		}
		e.share(e.analystA, share{tlp: access.Green}, liveIndicator("after"))
		time.Sleep(300 * time.Millisecond)
		if n := len(e.deliveries(e.adminA, hook.ID)); n != 2 {
			t.Errorf("a disabled webhook got new deliveries: %d", n)
		}
		if status, _ := e.call(e.adminA, "POST", "/api/v1/webhooks/"+hook.ID+"/test", ""); status != 409 {
			t.Errorf("ping of a disabled webhook: %d", status)
		}
		if len(e.auditEntries("webhook.disable")) != 1 {
			t.Error("disabling is not audited")
		}
	})
}

func TestWebhookAPIBelongsToItsOrganization(t *testing.T) {
	runLive(t, func(t *testing.T, e *liveEnv) {
		rcv := newHookReceiver(t, always(200))
		hook := e.createHook(e.adminA, `{"url":"`+rcv.srv.URL+`","filter":{"collections":["election"],"tlp":["green","amber"]}}`)
		if !slices.Equal(hook.Filter.Collections, []string{e.coll.ID}) || !slices.Equal(hook.Filter.TLP, []access.TLP{access.Green, access.Amber}) {
			t.Errorf("filter stored as %+v", hook.Filter)
		}
		for _, tc := range []struct {
			what   string
			who    *identity.User
			method string
			path   string
			body   string
			status int
		}{
			{"another org lists its own", e.adminB, "GET", "/api/v1/webhooks", "", 200},
			{"another org deletes", e.adminB, "DELETE", "/api/v1/webhooks/" + hook.ID, "", 404},
			{"another org reads deliveries", e.adminB, "GET", "/api/v1/webhooks/" + hook.ID + "/deliveries", "", 404},
			{"another org pings", e.adminB, "POST", "/api/v1/webhooks/" + hook.ID + "/test", "", 404},
			{"a coordinator of another org deletes", e.coordin, "DELETE", "/api/v1/webhooks/" + hook.ID, "", 404},
			{"an analyst creates", e.analystA, "POST", "/api/v1/webhooks", `{"url":"https://siem.example/hook"}`, 403},
			{"an analyst deletes", e.analystA, "DELETE", "/api/v1/webhooks/" + hook.ID, "", 403},
			{"anonymous lists", nil, "GET", "/api/v1/webhooks", "", 401},
			{"ftp", e.adminA, "POST", "/api/v1/webhooks", `{"url":"ftp://siem.example/hook"}`, 400},
			{"relative", e.adminA, "POST", "/api/v1/webhooks", `{"url":"/hook"}`, 400},
			{"credentials", e.adminA, "POST", "/api/v1/webhooks", `{"url":"https://user:pw@siem.example/hook"}`, 400},
			{"cloud metadata", e.adminA, "POST", "/api/v1/webhooks", `{"url":"http://169.254.169.254/latest/meta-data"}`, 400},
			{"TLP:RED", e.adminA, "POST", "/api/v1/webhooks", `{"url":"https://siem.example/hook","filter":{"tlp":["RED"]}}`, 400},
			{"no such TLP", e.adminA, "POST", "/api/v1/webhooks", `{"url":"https://siem.example/hook","filter":{"tlp":["PURPLE"]}}`, 400},
			{"unreadable collection", e.coordin, "POST", "/api/v1/webhooks", `{"url":"https://siem.example/hook","filter":{"collections":["election"]}}`, 400},
			{"unknown field", e.adminA, "POST", "/api/v1/webhooks", `{"url":"https://siem.example/hook","secret":"mine"}`, 400},
			{"bad limit", e.adminA, "GET", "/api/v1/webhooks/" + hook.ID + "/deliveries?limit=0", "", 400},
		} {
			status, body := e.call(tc.who, tc.method, tc.path, tc.body)
			if status != tc.status {
				t.Errorf("%s: %d, want %d: %s", tc.what, status, tc.status, body)
			}
			if tc.who != e.adminA && tc.who != e.analystA && strings.Contains(body, hook.ID) && tc.status != 404 {
				t.Errorf("%s: shows the other organization's webhook: %s", tc.what, body)
			}
		}
		if status, body := e.call(e.adminA, "DELETE", "/api/v1/webhooks/"+hook.ID, ""); status != 204 {
			t.Fatalf("delete: %d %s", status, body)
		}
		if _, body := e.call(e.adminA, "GET", "/api/v1/webhooks", ""); strings.Contains(body, hook.ID) {
			t.Errorf("still listed after deletion: %s", body)
		}
		if status, _ := e.call(e.adminA, "DELETE", "/api/v1/webhooks/"+hook.ID, ""); status != 404 {
			t.Errorf("deleted twice: %d", status)
		}
		if len(e.auditEntries("webhook.delete")) != 1 {
			t.Error("deletion is not audited")
		}
	})
}

// Replicas share the event consumer and claim due deliveries with a
// lease, so each delivery is sent by one of them only.
func TestWebhookReplicasSendEachDeliveryOnce(t *testing.T) {
	runLive(t, func(t *testing.T, e *liveEnv) {
		startReplica(t, e.d, e.bus)
		startReplica(t, e.d, e.bus)
		rcv := newHookReceiver(t, func(int) int {
			time.Sleep(5 * time.Millisecond) // let the replicas' sends overlap
			return 200
		})
		hook := e.createHook(e.adminA, `{"url":"`+rcv.srv.URL+`"}`)
		const n = 40
		for i := range n {
			e.share(e.analystA, share{tlp: access.Green}, liveIndicator(fmt.Sprintf("r-%d", i)))
		}
		waitFor(t, 20*time.Second, "every delivery", func() bool {
			ds := e.deliveries(e.adminA, hook.ID)
			done := 0
			for _, d := range ds {
				if d.Status == sharing.DeliveryDelivered {
					done++
				}
			}
			return len(ds) == n && done == n
		})
		time.Sleep(300 * time.Millisecond)
		seen := map[string]int{}
		for _, r := range rcv.requests() {
			seen[r.payload.Delivery]++
		}
		if len(seen) != n {
			t.Errorf("%d distinct deliveries, want %d", len(seen), n)
		}
		for id, k := range seen {
			if k != 1 {
				t.Errorf("delivery %s was sent %d times", id, k)
			}
		}
	})
}
