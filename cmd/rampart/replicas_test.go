package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/rampart-project/rampart/internal/platform/db/dbtest"
	"github.com/rampart-project/rampart/internal/platform/events/eventstest"
)

// TestReplicasShareOneInstance runs two serve processes on one PostgreSQL
// database and one NATS prefix, as the README's scale-out section describes,
// writes through both, and checks that each write's event was handled exactly
// once across the replicas and published once although both relays ran.
func TestReplicasShareOneInstance(t *testing.T) {
	if os.Getenv(dbtest.EnvPostgres) == "" || os.Getenv(eventstest.EnvNATS) == "" {
		t.Skipf("needs %s and %s", dbtest.EnvPostgres, eventstest.EnvNATS)
	}
	if testing.Short() {
		t.Skip("starts server processes")
	}
	o := eventstest.Options(t, "external")
	shared := []string{"--database", dbtest.PostgresURL(t), "--nats", o.URL, "--events-prefix", o.Prefix, "--log-level", "warn"}
	replica := func() *child {
		return startChild(t, append([]string{"serve", "--data", t.TempDir(), "--addr", "127.0.0.1:0"}, shared...))
	}
	a, b := replica(), replica()

	const writes = 200
	client := &http.Client{Timeout: 5 * time.Second}
	for i := range writes {
		target := a
		if i%2 == 1 {
			target = b
		}
		resp, err := client.Post(fmt.Sprintf("%s/probe/writes/r-%04d", target.url, i), "application/json", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("write %d: status %d", i, resp.StatusCode)
		}
	}

	args := append([]string{"serve"}, shared...)
	d := openProbeDB(t, "", args)
	waitUntil(t, 30*time.Second, "every write delivered", func() bool {
		var delivered int
		must(t, d.Reader().QueryRowContext(context.Background(), `SELECT count(*) FROM probe_writes WHERE deliveries > 0`).Scan(&delivered))
		return delivered == writes
	})
	time.Sleep(300 * time.Millisecond) // would a second delivery arrive?
	var twice, receipts int
	must(t, d.Reader().QueryRowContext(context.Background(), `SELECT count(*) FROM probe_writes WHERE deliveries <> 1`).Scan(&twice))
	must(t, d.Reader().QueryRowContext(context.Background(), `SELECT count(*) FROM event_receipts WHERE consumer = 'probe'`).Scan(&receipts))
	if twice != 0 || receipts != writes {
		t.Fatalf("%d writes not delivered exactly once; %d receipts for %d writes", twice, receipts, writes)
	}
	msgs, _, err := openProbeBus(t, "", args).Stream(context.Background())
	must(t, err)
	if msgs != writes {
		t.Fatalf("the stream holds %d events for %d writes", msgs, writes)
	}
	for _, c := range []*child{a, b} {
		must(t, c.cmd.Process.Signal(syscall.SIGTERM))
		if err := c.cmd.Wait(); err != nil {
			t.Fatalf("replica did not exit 0: %v\n%s", err, c.errOut.String())
		}
	}
}
