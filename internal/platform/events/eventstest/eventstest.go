// Package eventstest runs a test against every kind of event log: the
// embedded NATS server always, and the external server named by
// RAMPART_TEST_NATS when it is set. Each test gets its own subject prefix, so
// tests on one external server do not see each other's events.
package eventstest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"

	"github.com/rampart-project/rampart/internal/platform/events"
)

// EnvNATS names the variable that holds the external NATS URL for tests.
const EnvNATS = "RAMPART_TEST_NATS"

// Kind is "embedded" or "external".
type Kind string

// Kinds returns the kinds of event log tests run on here.
func Kinds() []Kind {
	if os.Getenv(EnvNATS) != "" {
		return []Kind{"embedded", "external"}
	}
	return []Kind{"embedded"}
}

// Run runs fn as a parallel subtest per kind of event log.
func Run(t *testing.T, fn func(t *testing.T, o events.Options)) {
	t.Helper()
	for _, k := range Kinds() {
		t.Run(string(k), func(t *testing.T) {
			t.Parallel()
			fn(t, Options(t, k))
		})
	}
}

// Options returns options for a fresh event log of the given kind: a new
// store directory, or a new prefix on the external server whose streams are
// deleted when the test ends.
func Options(tb testing.TB, k Kind) events.Options {
	tb.Helper()
	var b [5]byte
	_, _ = rand.Read(b[:])
	prefix := "t" + hex.EncodeToString(b[:])
	switch k {
	case "embedded":
		return events.Options{StoreDir: tb.TempDir(), Prefix: prefix}
	case "external":
		url := os.Getenv(EnvNATS)
		if url == "" {
			tb.Skipf("%s is not set; skipping the external NATS run", EnvNATS)
		}
		o := events.Options{URL: url, Prefix: prefix}
		tb.Cleanup(func() {
			b, err := events.Open(context.Background(), o)
			if err != nil {
				return
			}
			defer b.Close()
			if err := b.DeleteStreams(context.Background()); err != nil {
				tb.Logf("eventstest: delete streams of %s: %v", prefix, err)
			}
		})
		return o
	}
	tb.Fatalf("eventstest: unknown kind %q", k)
	return events.Options{}
}

// Open opens a bus with o and closes it when the test ends.
func Open(tb testing.TB, o events.Options) *events.Bus {
	tb.Helper()
	b, err := events.Open(context.Background(), o)
	if err != nil {
		tb.Fatalf("eventstest: open: %v", err)
	}
	tb.Cleanup(func() { b.Close() })
	return b
}
