package taxiiserver

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rampart-project/rampart/internal/platform/access"
	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/db/dbtest"
	"github.com/rampart-project/rampart/internal/platform/errs"
	"github.com/rampart-project/rampart/internal/platform/events"
	"github.com/rampart-project/rampart/internal/sharing"
	"github.com/rampart-project/rampart/stix"
	"github.com/rampart-project/rampart/taxii"
)

func TestTokenRoundTripAndBinding(t *testing.T) {
	q := query{kind: listObjects, collection: "c1", filter: taxii.Filter{Types: []string{"indicator", "malware"}}}
	tok := encodeToken(q, 1767225600123456)
	if got, err := decodeToken(q, tok); err != nil || got != 1767225600123456 {
		t.Fatalf("round trip: %d %v", got, err)
	}
	reordered := q
	reordered.filter.Types = []string{"malware", "indicator"}
	if _, err := decodeToken(reordered, tok); err != nil {
		t.Errorf("the order of match values changed the token's query: %v", err)
	}
	paged := q
	paged.filter.Limit, paged.filter.AddedAfter, paged.filter.Next = 5, time.Now(), "x"
	if _, err := decodeToken(paged, tok); err != nil {
		t.Errorf("limit, added_after or next changed the token's query: %v", err)
	}
	for name, other := range map[string]query{
		"endpoint":   {kind: listManifest, collection: "c1", filter: q.filter},
		"collection": {kind: listObjects, collection: "c2", filter: q.filter},
		"object":     {kind: listObjects, collection: "c1", object: "indicator--x", filter: q.filter},
		"types":      {kind: listObjects, collection: "c1", filter: taxii.Filter{Types: []string{"indicator"}}},
		"ids":        {kind: listObjects, collection: "c1", filter: taxii.Filter{Types: q.filter.Types, IDs: []string{"a"}}},
		// The boundary between lists is part of the fingerprint.
		"shifted": {kind: listObjects, collection: "c1", filter: taxii.Filter{IDs: []string{"indicator", "malware"}}},
	} {
		if _, err := decodeToken(other, tok); errs.CodeOf(err) != errs.Invalid {
			t.Errorf("%s: token accepted for another query (%v)", name, err)
		}
	}
	for _, bad := range []string{"", "x", "!!!!", tok + "A", tok[:len(tok)-1], encodeToken(q, 0), encodeToken(q, -5)} {
		if _, err := decodeToken(q, bad); errs.CodeOf(err) != errs.Invalid {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestDecodeEnvelope(t *testing.T) {
	p, err := decodeEnvelope(strings.NewReader(`{"more": false, "objects": [{"type": "x", "id": "x--1"}, 7, null, {"type": "y"}], "next": "n"}` + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	if p.total != 4 || len(p.objs) != 2 || len(p.rejects) != 2 || p.rejects[0].index != 1 || p.rejects[1].index != 2 {
		t.Errorf("decoded: %+v", p)
	}
	if p.objs[0].ID() != "x--1" {
		t.Errorf("first object: %s", p.objs[0].Raw())
	}
	for _, bad := range []string{"", " ", "null", "[]", `"objects"`, `{}`, `{"objects": null}`, `{"objects": [1,]}`, `{"objects": []} x`,
		`{"objects": [] `, `{"objects": [], "objects": [{}]}`, `{1: 2}`, `{"objects": [{"a": }]}`} {
		if _, err := decodeEnvelope(strings.NewReader(bad)); errs.CodeOf(err) != errs.Unprocessable {
			t.Errorf("%q: %v", bad, err)
		}
	}
	// The body limit's error passes through, to be answered 413.
	rec := &discard{}
	body := http.MaxBytesReader(rec, io.NopCloser(strings.NewReader(`{"objects": [`+strings.Repeat(`{},`, 100)+`{}]}`)), 50)
	var tooBig *http.MaxBytesError
	if _, err := decodeEnvelope(body); !errors.As(err, &tooBig) {
		t.Errorf("over the limit: %v", err)
	}
}

func TestStatusResource(t *testing.T) {
	now := time.Now()
	s := &status{id: "s1", requestAt: now.Add(-time.Minute), total: 4, success: 1, failure: 1, pending: 2,
		details: statusDetails{
			Failures: []taxii.StatusDetail{{Message: "objects[0] is not a STIX object"}},
			Pendings: []taxii.StatusDetail{{ID: "a--1"}, {ID: "a--2"}, {ID: "a--3"}},
		}}
	r := s.resource(now)
	if r.Status != taxii.StatusPending || r.PendingCount != 2 || len(r.Pendings) != 2 || r.Pendings[0].ID != "a--2" {
		t.Errorf("pending: %+v", r)
	}
	// A status a dead process left behind reads as complete, with what it
	// never stored as failures.
	s.requestAt = now.Add(-2 * staleAfter)
	r = s.resource(now)
	if r.Status != taxii.StatusComplete || r.PendingCount != 0 || r.FailureCount != 3 || len(r.Failures) != 3 ||
		r.Failures[2].ID != "a--3" || r.Failures[2].Message != abandoned || len(r.Pendings) != 0 {
		t.Errorf("stale: %+v", r)
	}
	if len(s.details.Failures) != 1 {
		t.Error("rendering changed the status")
	}
}

// TestBackgroundAddRecordsShutdown stops the server before a background
// add has stored anything: the status must end complete, every object a
// failure saying to send it again, not pending for ever.
func TestBackgroundAddRecordsShutdown(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		m := New(Options{})
		m.db, m.logger = d, slog.New(slog.DiscardHandler)
		m.store = sharing.NewStore(d, events.NewOutbox(d, nil), access.Policy{})
		obj, err := stix.ParseObject([]byte(`{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",` +
			`"created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","pattern":"[ipv4-addr:value = '192.0.2.1']",` +
			`"pattern_type":"stix","valid_from":"2026-01-01T00:00:00.000Z"}`))
		if err != nil {
			t.Fatal(err)
		}
		objs := []stix.Object{obj, obj}
		s := &status{id: newStatusID(), root: "api", collection: "c", user: "u", requestAt: time.Now(), total: 2, pending: 2,
			details: statusDetails{Pendings: []taxii.StatusDetail{detail(obj, ""), detail(obj, "")}}}
		if err := m.insertStatus(t.Context(), s); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		sub := sharing.Submission{Principal: access.Principal{UserID: "u", OrgID: "o"}, Source: sharing.SourceTAXII}
		m.storeInBackground(ctx, s, sub, objs)
		got, err := m.loadStatus(t.Context(), "api", s.id, "u")
		if err != nil {
			t.Fatal(err)
		}
		r := got.resource(time.Now())
		if r.Status != taxii.StatusComplete || r.FailureCount != 2 || r.PendingCount != 0 || len(r.Failures) != 2 || r.Failures[0].Message != abandoned {
			t.Errorf("status after shutdown: %+v", r)
		}
		if _, err := m.loadStatus(t.Context(), "api", s.id, "someone else"); errs.CodeOf(err) != errs.NotFound {
			t.Errorf("another user's status: %v", err)
		}
	})
}

func TestJobsRefuseWhenNotRunning(t *testing.T) {
	m := New(Options{MaxJobs: 1})
	if _, err := m.jobs.reserve(); errs.CodeOf(err) != errs.Unavailable {
		t.Fatalf("before Run: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- m.Run(ctx) }()
	var release func()
	var err error
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if release, err = m.jobs.reserve(); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.jobs.reserve(); errs.CodeOf(err) != errs.Unavailable {
		t.Errorf("over MaxJobs: %v", err)
	}
	release()
	r2, err := m.jobs.reserve()
	if err != nil {
		t.Fatal(err)
	}
	ran := make(chan struct{})
	if err := m.jobs.start(func(ctx context.Context) { <-ctx.Done(); close(ran) }); err != nil {
		t.Fatal(err)
	}
	_ = r2 // start owns the slot now
	cancel()
	<-done
	select {
	case <-ran:
	default:
		t.Error("Run returned before its job ended")
	}
}

type discard struct{ h http.Header }

func (d *discard) Header() http.Header {
	if d.h == nil {
		d.h = http.Header{}
	}
	return d.h
}
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
func (d *discard) WriteHeader(int)             {}
