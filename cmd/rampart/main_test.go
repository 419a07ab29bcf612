package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rampart-project/rampart/internal/platform/db/dbtest"
	"github.com/rampart-project/rampart/internal/platform/events/eventstest"
)

// runCmd runs the program as a user would and returns its outputs and exit
// status.
func runCmd(t *testing.T, env map[string]string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, func(k string) string { return env[k] }, strings.NewReader(""), &out, &errOut)
	code = exitCode(err, &errOut)
	return out.String(), errOut.String(), code
}

func TestVersion(t *testing.T) {
	out, _, code := runCmd(t, nil, "version")
	if code != 0 || !strings.HasPrefix(out, "rampart ") {
		t.Fatalf("version: %d %q", code, out)
	}
}

func TestConfigShowsSourcesAndRedactsSecrets(t *testing.T) {
	out, _, code := runCmd(t, map[string]string{"RAMPART_NATS": "nats://svc:natspw@n1:4222"},
		"config", "--database", "postgres://rampart:dbpw@db:5432/rampart", "--json")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, secret := range []string{"dbpw", "natspw"} {
		if strings.Contains(out, secret) {
			t.Errorf("config shows a password: %s", out)
		}
	}
	for _, want := range []string{`"from": "flag"`, `"from": "env"`, `"value": "postgres"`} {
		if !strings.Contains(out, want) {
			t.Errorf("config lacks %s: %s", want, out)
		}
	}
}

func TestBadConfigurationEndsWithOneLineAndStatus2(t *testing.T) {
	dir := t.TempDir()
	file := dir + "/a-file"
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"unknown flag", []string{"serve", "--bogus"}, nil, "unknown flag: --bogus"},
		{"bad scheme", []string{"serve", "--database", "mysql://root:pw@h/db"}, nil, `unsupported scheme "mysql"`},
		{"bad url from env", []string{"serve"}, map[string]string{"RAMPART_NATS": "http://x"}, "--nats"},
		{"bad duration from env", []string{"serve"}, map[string]string{"RAMPART_SHUTDOWN_TIMEOUT": "later"}, "RAMPART_SHUTDOWN_TIMEOUT"},
		{"data is a file", []string{"serve", "--data", file + "/sub"}, nil, "data directory " + file + "/sub: not a directory"},
		{"unreachable database", []string{"serve", "--data", dir, "--database", "postgres://u:pw@127.0.0.1:1/db?connect_timeout=2"}, nil, "database postgres://u:xxxxx@127.0.0.1:1/db"},
		{"unreachable nats", []string{"serve", "--data", dir, "--nats", "nats://127.0.0.1:1"}, nil, "nats nats://127.0.0.1:1: cannot connect"},
		{"bad addr", []string{"serve", "--data", dir, "--addr", "localhost"}, nil, "--addr"},
		{"migrate unreachable", []string{"migrate", "--database", "postgres://u@127.0.0.1:1/db?connect_timeout=2"}, nil, "cannot connect"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, code := runCmd(t, tc.env, tc.args...)
			if code != 2 {
				t.Fatalf("exit %d, want 2; stderr %q", code, stderr)
			}
			lines := strings.Split(strings.TrimSpace(stderr), "\n")
			last := lines[len(lines)-1]
			if !strings.HasPrefix(last, "rampart: ") || !strings.Contains(last, tc.want) {
				t.Fatalf("last line %q; want it to contain %q", last, tc.want)
			}
			if strings.Contains(stderr, ":pw@") || strings.Contains(stderr, "panic") {
				t.Fatalf("stderr shows a password or a panic: %s", stderr)
			}
		})
	}
}

func TestMigrate(t *testing.T) {
	dir := t.TempDir()
	out, errOut, code := runCmd(t, nil, "migrate", "--data", dir)
	if code != 0 || !strings.Contains(out, "migrated to version") {
		t.Fatalf("first migrate: %d %q %q", code, out, errOut)
	}
	out, _, code = runCmd(t, nil, "migrate", "--data", dir)
	if code != 0 || !strings.Contains(out, "is up to date") {
		t.Fatalf("second migrate: %d %q", code, out)
	}
}

// syncBuffer is a buffer a server goroutine writes while the test reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// listeningURL waits for the line serve prints once it listens.
func listeningURL(t *testing.T, out interface{ String() string }, errOut interface{ String() string }) string {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		sc := bufio.NewScanner(strings.NewReader(out.String()))
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "Rampart is listening on "); ok {
				return strings.TrimSuffix(u, "/")
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("serve never said it was listening; stderr:\n%s", errOut.String())
	return ""
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// backends lists the storage and event-log combinations serve is tested on:
// the embedded default always, PostgreSQL with external NATS when the
// environment names them.
func backends(t *testing.T) map[string]func(t *testing.T) []string {
	b := map[string]func(t *testing.T) []string{
		"sqlite+embedded": func(t *testing.T) []string { return nil },
	}
	if os.Getenv(dbtest.EnvPostgres) != "" {
		b["postgres+"+natsKind()] = func(t *testing.T) []string {
			args := []string{"--database", dbtest.PostgresURL(t)}
			if natsKind() == "external" {
				o := eventstest.Options(t, "external")
				args = append(args, "--nats", o.URL, "--events-prefix", o.Prefix)
			}
			return args
		}
	}
	return b
}

func natsKind() string {
	if os.Getenv(eventstest.EnvNATS) != "" {
		return "external"
	}
	return "embedded"
}

func TestServeAnswersAndStopsCleanly(t *testing.T) {
	for name, extra := range backends(t) {
		t.Run(name, func(t *testing.T) {
			args := append([]string{"serve", "--data", t.TempDir(), "--addr", "127.0.0.1:0", "--demo"}, extra(t)...)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var out, errOut syncBuffer
			done := make(chan error, 1)
			go func() {
				done <- run(ctx, args, func(string) string { return "" }, strings.NewReader(""), &out, &errOut)
			}()
			base := listeningURL(t, &out, &errOut)

			if code, body := get(t, base+"/healthz"); code != 200 || body != "ok\n" {
				t.Errorf("/healthz: %d %q", code, body)
			}
			if code, body := get(t, base+"/readyz"); code != 200 || !strings.Contains(body, `"status":"ready"`) {
				t.Errorf("/readyz: %d %s", code, body)
			}
			code, body := get(t, base+"/")
			for _, want := range []string{"Rampart demo", "Demo instance", "TLP:CLEAR", "every part answers"} {
				if code != 200 || !strings.Contains(body, want) {
					t.Errorf("home page (%d) lacks %q", code, want)
				}
			}
			if code, body := get(t, base+"/metrics"); code != 200 || !strings.Contains(body, "rampart_http_requests_total") || !strings.Contains(body, "rampart_events_outbox_pending") {
				t.Errorf("/metrics: %d", code)
			}

			cancel() // what SIGINT and SIGTERM do through signal.NotifyContext
			select {
			case err := <-done:
				if code := exitCode(err, io.Discard); code != 0 {
					t.Fatalf("serve exited %d after shutdown: %v\n%s", code, err, errOut.String())
				}
			case <-time.After(30 * time.Second):
				t.Fatal("serve did not stop within 30s")
			}
			if !strings.Contains(errOut.String(), "msg=stopped") {
				t.Errorf("no clean-stop log line:\n%s", errOut.String())
			}
		})
	}
}

func TestSecondServerOnOneDataDirectoryIsRefused(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--data", dir, "--addr", "127.0.0.1:0"}, func(string) string { return "" }, strings.NewReader(""), &out, &errOut)
	}()
	listeningURL(t, &out, &errOut)
	_, stderr, code := runCmd(t, nil, "serve", "--data", dir, "--addr", "127.0.0.1:0")
	cancel()
	<-done
	if code != 2 || !strings.Contains(stderr, "in use by another rampart serve") {
		t.Fatalf("second serve: exit %d, %q", code, stderr)
	}
}
