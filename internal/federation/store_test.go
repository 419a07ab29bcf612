package federation_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rampart-project/rampart/internal/federation"
	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/db/dbtest"
	"github.com/rampart-project/rampart/internal/platform/errs"
	"github.com/rampart-project/rampart/internal/platform/events"
	"github.com/rampart-project/rampart/internal/sharing"
	"github.com/rampart-project/rampart/taxii"
)

// TestPeerSettings creates, changes and deletes peers: defaults, what is
// refused and why, the secret never shown, and an audit entry per change.
func TestPeerSettings(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		in := newInstance(t, d)
		name, url, remote, local, secret := "peer-one", "https://peer.example/taxii2/api/", "abc", "shared", "tok-very-secret"
		p, err := in.svc.Create(ctx, in.actor, federation.Input{Name: &name, APIRootURL: &url, RemoteCollection: &remote,
			LocalCollection: &local, Secret: &secret, Pull: boolp(true)})
		if err != nil {
			t.Fatal(err)
		}
		if p.OwnerOrg != in.org || p.LocalCollection != in.coll.ID || p.MaxTLP != "GREEN" || p.Interval != time.Minute || !p.Enabled {
			t.Fatalf("defaults: %+v", p)
		}
		js, _ := json.Marshal(p)
		if strings.Contains(string(js), secret) || !strings.Contains(string(js), `"secret":"set"`) || !strings.Contains(string(js), `"interval":"1m0s"`) {
			t.Fatalf("JSON: %s", js)
		}

		for _, c := range []struct {
			name string
			in   federation.Input
			code errs.Code
		}{
			{"taken name", federation.Input{Name: &name}, errs.Conflict},
			{"short interval", federation.Input{Interval: strp("500ms")}, errs.Invalid},
			{"bad interval", federation.Input{Interval: strp("soon")}, errs.Invalid},
			{"credentials in the URL", federation.Input{APIRootURL: strp("https://u:p@peer.example/api/")}, errs.Invalid},
			{"not a URL", federation.Input{APIRootURL: strp("peer.example/api")}, errs.Invalid},
			{"unknown collection", federation.Input{LocalCollection: strp("nope")}, errs.NotFound},
			{"unknown organization", federation.Input{OwnerOrg: strp("Nowhere")}, errs.NotFound},
			{"neither direction", federation.Input{Pull: boolp(false)}, errs.Invalid},
			{"bad TLP", federation.Input{MaxTLP: strp("purple")}, errs.Invalid},
		} {
			input := c.in
			if c.name != "taken name" {
				input.Name = strp("peer-" + c.name)
			}
			input.APIRootURL = orDefault(input.APIRootURL, url)
			input.RemoteCollection, input.LocalCollection = &remote, orDefault(input.LocalCollection, local)
			if input.Pull == nil {
				input.Pull = boolp(true)
			}
			if _, err := in.svc.Create(ctx, in.actor, input); errs.CodeOf(err) != c.code {
				t.Errorf("%s: %v, want %s", c.name, err, c.code)
			}
		}

		p, err = in.svc.Update(ctx, in.actor, "peer-one", federation.Input{Interval: strp("30s"), Push: boolp(true), MaxTLP: strp("amber")})
		if err != nil {
			t.Fatal(err)
		}
		if p.Interval != 30*time.Second || !p.Push || p.MaxTLP != "AMBER" || p.Secret != secret {
			t.Fatalf("updated: %+v", p)
		}
		if _, err := in.svc.Update(ctx, in.actor, p.ID, federation.Input{Cursor: strp("yesterday")}); !errs.Is(err, errs.Invalid) {
			t.Fatalf("bad cursor: %v", err)
		}
		if err := in.svc.Delete(ctx, in.actor, p.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := in.svc.Get(ctx, p.ID); !errs.Is(err, errs.NotFound) {
			t.Fatalf("after delete: %v", err)
		}
		var actions []string
		rows, err := d.Reader().QueryContext(ctx, `SELECT action, detail FROM audit_log WHERE target_kind = 'peer' ORDER BY seq`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var action, detail string
			if err := rows.Scan(&action, &detail); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(detail, secret) {
				t.Errorf("%s: the audit log has the secret: %s", action, detail)
			}
			actions = append(actions, action)
		}
		if strings.Join(actions, ",") != "peer.create,peer.update,peer.delete" {
			t.Fatalf("audited: %v", actions)
		}
	})
}

// TestSyncOfAPeerHeldElsewhere refuses to run a peer another replica has
// claimed, and the worker leaves it alone.
func TestSyncOfAPeerHeldElsewhere(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		in := newInstance(t, d)
		remote := newFakeTAXII(t)
		p := in.addPeer("held", remote.root(), true, false)
		hold(t, d, p.ID, time.Now().Add(time.Hour))
		if _, err := in.svc.Sync(ctx, in.actor, p.ID); !errs.Is(err, errs.Conflict) {
			t.Fatalf("sync of a held peer: %v", err)
		}
		hold(t, d, p.ID, time.Now().Add(-time.Second)) // the other replica died
		if res := in.sync(p); res.Error != "" {
			t.Fatalf("after the lease ended: %+v", res)
		}
	})
}

// TestWorkerPullsAndPushesPromptly runs the worker: a pull peer is pulled
// on its interval, and a push follows an objects-added event within a
// tick, not at the next interval.
func TestWorkerPullsAndPushesPromptly(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		in := newInstance(t, d)
		remote := newFakeTAXII(t)
		remote.offer(parse(t, indicator(1, "green"))...)
		puller := in.addPeer("puller", remote.root(), true, false)
		pusher := in.addPeer("pusher", remote.root(), false, true, func(i *federation.Input) { i.Interval = strp("1h") })

		svc := federation.New(federation.Options{DB: d, Sharing: in.store, Identity: in.ids, Tick: 20 * time.Millisecond,
			Retry: taxii.RetryPolicy{MaxAttempts: 1}})
		ctx, stop := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- svc.Run(ctx) }()
		defer func() { stop(); <-done }()

		waitFor(t, "the pull", func() bool { return in.rows(indicatorID(1)) == 1 })
		// The pusher ran once at creation; its next run is an hour away,
		// so a push of what comes next must come from the event.
		waitFor(t, "the pusher's first run", func() bool { return !in.peer(pusher.ID).LastRunAt.IsZero() })
		in.share(indicator(2, "green"))
		payload, _ := json.Marshal(sharing.AddedEvent{Objects: []sharing.AddedObject{{StixID: indicatorID(2), Collections: []string{in.coll.ID}}}})
		start := time.Now()
		if err := svc.HandleAdded(ctx, events.Event{ID: "e1", Topic: sharing.TopicObjectsAdded, Payload: payload}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the prompt push", func() bool { return slices.Contains(remote.postedIDs(), indicatorID(2)) })
		t.Logf("pushed %s after the event", time.Since(start).Round(time.Millisecond))
		if got := in.peer(puller.ID); got.Pulled != 1 || got.LastError != "" {
			t.Fatalf("puller: %+v", got)
		}
	})
}

func hold(t *testing.T, d *db.DB, id string, until time.Time) {
	t.Helper()
	err := d.Tx(context.Background(), func(tx *sql.Tx) error {
		_, err := tx.ExecContext(context.Background(), `UPDATE peers SET lease_owner = 'elsewhere', lease_until = $2 WHERE id = $1`, id, db.Micros(until))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not happen within 10s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func orDefault(p *string, def string) *string {
	if p == nil {
		return &def
	}
	return p
}
