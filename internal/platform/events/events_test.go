package events_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/db/dbtest"
	"github.com/rampart-project/rampart/internal/platform/events"
	"github.com/rampart-project/rampart/internal/platform/events/eventstest"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

type payload struct {
	N int `json:"n"`
}

func emitN(t *testing.T, d *db.DB, topic string, from, n int) []string {
	t.Helper()
	ids := make([]string, 0, n)
	for i := from; i < from+n; i++ {
		err := d.Tx(context.Background(), func(tx *sql.Tx) error {
			id, err := events.Emit(context.Background(), tx, topic, payload{N: i})
			ids = append(ids, id)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return ids
}

func flushAll(t *testing.T, r *events.Relay) {
	t.Helper()
	for {
		n, err := r.Flush(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}

func streamCount(t *testing.T, b *events.Bus) uint64 {
	t.Helper()
	n, _, err := b.Stream(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func outboxCount(t *testing.T, d *db.DB) int {
	t.Helper()
	var n int
	if err := d.Reader().QueryRowContext(context.Background(), `SELECT count(*) FROM outbox`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestRelayPublishesOutboxOnceEach(t *testing.T) {
	eventstest.Run(t, func(t *testing.T, o events.Options) {
		d := dbtest.Open(t, db.SQLite)
		b := eventstest.Open(t, o)
		r := events.NewRelay(d, b, quiet)

		emitN(t, d, "test.thing.added", 0, 40)
		flushAll(t, r)
		if got := streamCount(t, b); got != 40 {
			t.Fatalf("stream holds %d events, want 40", got)
		}
		if n := outboxCount(t, d); n != 0 {
			t.Fatalf("outbox still holds %d rows", n)
		}

		// A relay that crashed after publishing and before deleting
		// publishes the same rows again on restart: JetStream must keep one.
		ids := emitN(t, d, "test.thing.added", 40, 5)
		flushAll(t, r)
		for i, id := range ids {
			if err := d.Tx(context.Background(), func(tx *sql.Tx) error {
				_, err := tx.ExecContext(context.Background(),
					`INSERT INTO outbox (event_id, topic, payload, created_at) VALUES ($1, 'test.thing.added', $2, 0)`,
					id, []byte(fmt.Sprintf(`{"n":%d}`, 40+i)))
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
		flushAll(t, r)
		if got := streamCount(t, b); got != 45 {
			t.Fatalf("after republishing, stream holds %d events, want 45", got)
		}
	})
}

func TestEmitRejectsBadTopics(t *testing.T) {
	d := dbtest.Open(t, db.SQLite)
	for _, topic := range []string{"", "a..b", ".a", "a.", "a.*", "a b", "a.>"} {
		err := d.Tx(context.Background(), func(tx *sql.Tx) error {
			_, err := events.Emit(context.Background(), tx, topic, nil)
			return err
		})
		if err == nil {
			t.Errorf("Emit accepted topic %q", topic)
		}
	}
}

// collector records the events a handler saw.
type collector struct {
	mu  sync.Mutex
	got []int
}

func (c *collector) add(e events.Event) error {
	var p payload
	if err := e.Decode(&p); err != nil {
		return err
	}
	c.mu.Lock()
	c.got = append(c.got, p.N)
	c.mu.Unlock()
	return nil
}

func (c *collector) waitFor(t *testing.T, n int) []int {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		c.mu.Lock()
		got := append([]int(nil), c.got...)
		c.mu.Unlock()
		if len(got) >= n {
			return got
		}
		time.Sleep(10 * time.Millisecond)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	t.Fatalf("saw %d events, want %d", len(c.got), n)
	return nil
}

func TestConsumerResumesWhereItStopped(t *testing.T) {
	eventstest.Run(t, func(t *testing.T, o events.Options) {
		ctx := context.Background()
		d := dbtest.Open(t, db.SQLite)
		b := eventstest.Open(t, o)
		r := events.NewRelay(d, b, quiet)
		cfg := events.ConsumerConfig{Name: "resume", Topics: []string{"test.>"}}

		var first collector
		emitN(t, d, "test.a", 0, 10)
		flushAll(t, r)
		c, err := b.Consume(ctx, cfg, func(_ context.Context, e events.Event) error { return first.add(e) })
		if err != nil {
			t.Fatal(err)
		}
		first.waitFor(t, 10)
		c.Stop()

		emitN(t, d, "test.a", 10, 5)
		emitN(t, d, "other.b", 100, 3) // outside the filter
		flushAll(t, r)
		var second collector
		c, err = b.Consume(ctx, cfg, func(_ context.Context, e events.Event) error { return second.add(e) })
		if err != nil {
			t.Fatal(err)
		}
		defer c.Stop()
		second.waitFor(t, 5)
		time.Sleep(200 * time.Millisecond) // would anything else arrive?
		second.mu.Lock()
		got := append([]int(nil), second.got...)
		second.mu.Unlock()
		if fmt.Sprint(got) != "[10 11 12 13 14]" {
			t.Fatalf("after restart the consumer saw %v, want [10 11 12 13 14]", got)
		}
	})
}

// A durable consumer survives closing and reopening the embedded server on
// the same store directory: the state is on disk.
func TestEmbeddedStateSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	o := eventstest.Options(t, "embedded")
	d := dbtest.Open(t, db.SQLite)
	b, err := events.Open(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	r := events.NewRelay(d, b, quiet)
	emitN(t, d, "test.a", 0, 6)
	flushAll(t, r)
	var first collector
	cfg := events.ConsumerConfig{Name: "survivor"}
	c, err := b.Consume(ctx, cfg, func(_ context.Context, e events.Event) error {
		return first.add(e)
	})
	if err != nil {
		t.Fatal(err)
	}
	first.waitFor(t, 6)
	c.Stop()
	b.Close()

	b = eventstest.Open(t, o)
	r = events.NewRelay(d, b, quiet)
	emitN(t, d, "test.a", 6, 2)
	flushAll(t, r)
	if n := streamCount(t, b); n != 8 {
		t.Fatalf("stream holds %d events after restart, want 8", n)
	}
	var second collector
	c, err = b.Consume(ctx, cfg, func(_ context.Context, e events.Event) error { return second.add(e) })
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	if got := second.waitFor(t, 2); fmt.Sprint(got) != "[6 7]" {
		t.Fatalf("after a server restart the consumer saw %v, want [6 7]", got)
	}
}

func TestConsumerRetriesWithBackoffThenDeadLetters(t *testing.T) {
	eventstest.Run(t, func(t *testing.T, o events.Options) {
		ctx := context.Background()
		d := dbtest.Open(t, db.SQLite)
		b := eventstest.Open(t, o)
		r := events.NewRelay(d, b, quiet)
		emitN(t, d, "test.flaky", 0, 1)
		emitN(t, d, "test.broken", 1, 1)
		emitN(t, d, "test.panics", 2, 1)
		flushAll(t, r)

		var mu sync.Mutex
		attempts := map[string][]time.Time{}
		var succeeded atomic.Bool
		c, err := b.Consume(ctx, events.ConsumerConfig{
			Name:       "flaky",
			MaxDeliver: 3,
			Backoff:    []time.Duration{50 * time.Millisecond, 200 * time.Millisecond},
		}, func(_ context.Context, e events.Event) error {
			mu.Lock()
			attempts[e.Topic] = append(attempts[e.Topic], time.Now())
			n := len(attempts[e.Topic])
			mu.Unlock()
			switch e.Topic {
			case "test.flaky":
				if n < 3 {
					return errors.New("not yet")
				}
				succeeded.Store(true)
				return nil
			case "test.panics":
				panic("handler bug")
			default:
				return errors.New("always broken")
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Stop()

		var dead []events.DeadLetter
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) {
			dead, err = b.DeadLetters(ctx, "flaky", 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(dead) >= 2 && succeeded.Load() {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if !succeeded.Load() {
			t.Fatal("the flaky event never succeeded")
		}
		if len(dead) != 2 {
			t.Fatalf("%d dead letters, want 2 (broken, panics)", len(dead))
		}
		byTopic := map[string]events.DeadLetter{}
		for _, dl := range dead {
			byTopic[dl.Topic] = dl
		}
		if dl := byTopic["test.broken"]; dl.Attempts != 3 || dl.Error != "always broken" {
			t.Fatalf("broken event dead-lettered with %+v", dl)
		}
		if dl := byTopic["test.panics"]; dl.Attempts != 3 || dl.ID == "" {
			t.Fatalf("panicking event dead-lettered with %+v", dl)
		}

		mu.Lock()
		defer mu.Unlock()
		flaky := attempts["test.flaky"]
		if len(flaky) != 3 {
			t.Fatalf("flaky event attempted %d times, want 3", len(flaky))
		}
		if gap := flaky[2].Sub(flaky[1]); gap < 150*time.Millisecond {
			t.Fatalf("second retry came after %v; the backoff asks for 200ms", gap)
		}
		if n := len(attempts["test.broken"]); n != 3 {
			t.Fatalf("broken event attempted %d times, want exactly MaxDeliver=3", n)
		}
	})
}

// ConsumeTx applies an event's effect once even when JetStream delivers it
// twice, as it does after a crash between commit and acknowledgement.
func TestConsumeTxAppliesEachEventOnce(t *testing.T) {
	eventstest.Run(t, func(t *testing.T, o events.Options) {
		ctx := context.Background()
		d := dbtest.Open(t, db.SQLite)
		b := eventstest.Open(t, o)
		createApplied(t, d)
		// The same event published twice under different message ids, as a
		// redelivery would present it.
		nc := b.JetStream()
		for i := range 2 {
			msg := nats.NewMsg(b.Subject("test.once"))
			msg.Data = []byte(`{"n":7}`)
			msg.Header.Set("Nats-Msg-Id", fmt.Sprintf("copy-%d", i))
			msg.Header.Set("Rampart-Event-Id", "the-one-event")
			msg.Header.Set("Rampart-Topic", "test.once")
			if _, err := nc.PublishMsg(ctx, msg); err != nil {
				t.Fatal(err)
			}
		}
		var seen atomic.Int32
		c, err := b.ConsumeTx(ctx, d, events.ConsumerConfig{Name: "once"}, func(ctx context.Context, tx *sql.Tx, e events.Event) error {
			var p payload
			if err := e.Decode(&p); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO applied (n) VALUES ($1)`, p.N)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Stop()
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			var receipts int
			if err := d.Reader().QueryRowContext(ctx, `SELECT count(*) FROM event_receipts WHERE consumer = 'once'`).Scan(&receipts); err != nil {
				t.Fatal(err)
			}
			if receipts == 1 {
				seen.Store(1)
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(300 * time.Millisecond) // let the second copy be handled
		var applied int
		if err := d.Reader().QueryRowContext(ctx, `SELECT count(*) FROM applied`).Scan(&applied); err != nil {
			t.Fatal(err)
		}
		if seen.Load() != 1 || applied != 1 {
			t.Fatalf("applied %d times, want exactly once", applied)
		}
	})
}

// A handler that returns ErrNoEffect leaves nothing behind — not its writes,
// not a receipt — and its event is acknowledged, not retried.
func TestConsumeTxNoEffectCommitsNothing(t *testing.T) {
	eventstest.Run(t, func(t *testing.T, o events.Options) {
		ctx := context.Background()
		d := dbtest.Open(t, db.SQLite)
		b := eventstest.Open(t, o)
		createApplied(t, d)
		for i, topic := range []string{"test.ignored", "test.kept"} {
			if err := d.Tx(ctx, func(tx *sql.Tx) error {
				_, err := events.Emit(ctx, tx, topic, payload{N: i + 1})
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := events.NewRelay(d, b, quiet).Flush(ctx); err != nil {
			t.Fatal(err)
		}
		var ignoredCalls atomic.Int32
		c, err := b.ConsumeTx(ctx, d, events.ConsumerConfig{Name: "skip", MaxDeliver: 3, Backoff: []time.Duration{10 * time.Millisecond}},
			func(ctx context.Context, tx *sql.Tx, e events.Event) error {
				var p payload
				if err := e.Decode(&p); err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, `INSERT INTO applied (n) VALUES ($1)`, p.N); err != nil {
					return err
				}
				if e.Topic == "test.ignored" {
					ignoredCalls.Add(1)
					return events.ErrNoEffect
				}
				return nil
			})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Stop()
		receipts := func() int {
			var n int
			if err := d.Reader().QueryRowContext(ctx, `SELECT count(*) FROM event_receipts WHERE consumer = 'skip'`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		for deadline := time.Now().Add(10 * time.Second); receipts() == 0 && time.Now().Before(deadline); {
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(200 * time.Millisecond) // time for retries, were there any
		var applied []int
		rows, err := d.Reader().QueryContext(ctx, `SELECT n FROM applied ORDER BY n`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var n int
			_ = rows.Scan(&n)
			applied = append(applied, n)
		}
		rows.Close()
		if fmt.Sprint(applied) != "[2]" || receipts() != 1 {
			t.Errorf("applied %v with %d receipts; want only the kept event's write and receipt", applied, receipts())
		}
		if n := ignoredCalls.Load(); n != 1 {
			t.Errorf("the ignored event was handled %d times, want once (acknowledged, not retried)", n)
		}
		if dead, err := b.DeadLetters(ctx, "skip", 10); err != nil || len(dead) != 0 {
			t.Errorf("dead letters %v, %v; want none", dead, err)
		}
	})
}

func TestOpenExternalReportsWhereItFailed(t *testing.T) {
	_, err := events.Open(context.Background(), events.Options{URL: "nats://user:hunter2@127.0.0.1:1", Prefix: "x"})
	if err == nil {
		t.Fatal("connected to NATS on port 1")
	}
	if msg := err.Error(); !contains(msg, "127.0.0.1:1") || contains(msg, "hunter2") {
		t.Fatalf("error %q should name the server and hide the password", msg)
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// createApplied makes the table where test handlers record their effects.
func createApplied(t *testing.T, d *db.DB) {
	t.Helper()
	if err := d.Tx(context.Background(), func(tx *sql.Tx) error {
		_, err := tx.ExecContext(context.Background(), `CREATE TABLE applied (n INTEGER NOT NULL)`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
}
