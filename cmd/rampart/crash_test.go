package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/rampart-project/rampart/internal/app"
	"github.com/rampart-project/rampart/internal/config"
	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/events"
	"github.com/rampart-project/rampart/internal/platform/web"
)

// The crash test runs this test binary again as a real `rampart serve`
// process, with a probe module that turns each POST into a database write
// plus an event, and a durable consumer that counts deliveries per write.
const envCrashChild = "RAMPART_CRASH_CHILD_ARGS"

func TestMain(m *testing.M) {
	if raw := os.Getenv(envCrashChild); raw != "" {
		var args []string
		if err := json.Unmarshal([]byte(raw), &args); err != nil {
			fmt.Fprintln(os.Stderr, "crash child:", err)
			os.Exit(3)
		}
		ctx, stop := signalContext()
		err := runWith(ctx, env{args: args, getenv: os.Getenv, stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr,
			extraModules: []app.Module{&probe{}}})
		stop()
		os.Exit(exitCode(err, os.Stderr))
	}
	os.Exit(m.Run())
}

func signalContext() (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan os.Signal, 1)
	signalNotify(ch)
	go func() {
		select {
		case <-ch:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}

// probe is a module that exists only in this test.
type probe struct {
	k *app.Kernel
}

func (p *probe) Name() string { return "probe" }

func (p *probe) Mount(ctx context.Context, k *app.Kernel) error {
	p.k = k
	err := k.DB.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS probe_writes (
			id TEXT PRIMARY KEY, deliveries INTEGER NOT NULL DEFAULT 0)`)
		return err
	})
	if err != nil {
		return err
	}
	k.Router.HandleFunc("POST /probe/writes/{id}", web.Public, func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		err := k.Outbox.Tx(r.Context(), func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(r.Context(), `INSERT INTO probe_writes (id) VALUES ($1)`, id); err != nil {
				return err
			}
			_, err := events.Emit(r.Context(), tx, "probe.written", map[string]string{"id": id})
			return err
		})
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.WriteHeader(http.StatusCreated)
	})
	return nil
}

func (p *probe) Run(ctx context.Context) error {
	c, err := p.k.Events.ConsumeTx(ctx, p.k.DB, events.ConsumerConfig{Name: "probe", Topics: []string{"probe.>"}, AckWait: 2 * time.Second},
		func(ctx context.Context, tx *sql.Tx, e events.Event) error {
			var body struct{ ID string }
			if err := e.Decode(&body); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `UPDATE probe_writes SET deliveries = deliveries + 1 WHERE id = $1`, body.ID)
			return err
		})
	if err != nil {
		return err
	}
	<-ctx.Done()
	c.Stop()
	return nil
}

// child is a running `rampart serve` process.
type child struct {
	cmd    *exec.Cmd
	out    *syncBuffer
	errOut *syncBuffer
	url    string
}

func startChild(t *testing.T, args []string) *child {
	t.Helper()
	raw, _ := json.Marshal(args)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envCrashChild+"="+string(raw))
	c := &child{cmd: cmd, out: &syncBuffer{}, errOut: &syncBuffer{}}
	cmd.Stdout, cmd.Stderr = c.out, c.errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	c.url = listeningURL(t, c.out, c.errOut)
	return c
}

// TestCrashLosesNoAcknowledgedWrite writes through a real server process,
// kills it with SIGKILL in the middle, restarts it on the same data, and
// checks that every acknowledged write is there and that its event reached
// the durable consumer exactly once.
func TestCrashLosesNoAcknowledgedWrite(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test starts server processes")
	}
	for name, extra := range backends(t) {
		t.Run(name, func(t *testing.T) {
			dataDir := t.TempDir()
			args := append([]string{"serve", "--data", dataDir, "--addr", "127.0.0.1:0", "--log-level", "warn"}, extra(t)...)

			first := startChild(t, args)
			var acked sync.Map
			var nAcked atomic.Int64
			stop := make(chan struct{})
			var writers sync.WaitGroup
			client := &http.Client{Timeout: 5 * time.Second}
			for w := range 4 {
				writers.Add(1)
				go func() {
					defer writers.Done()
					for i := 0; ; i++ {
						select {
						case <-stop:
							return
						default:
						}
						id := fmt.Sprintf("w%d-%05d", w, i)
						resp, err := client.Post(first.url+"/probe/writes/"+id, "application/json", nil)
						if err != nil {
							return // the server is gone
						}
						resp.Body.Close()
						if resp.StatusCode == http.StatusCreated {
							acked.Store(id, true)
							nAcked.Add(1)
						}
					}
				}()
			}
			deadline := time.Now().Add(60 * time.Second)
			for nAcked.Load() < 300 && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
			// Kill mid-stream: the writers are still sending.
			if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			_ = first.cmd.Wait()
			close(stop)
			writers.Wait()
			total := nAcked.Load()
			if total < 300 {
				t.Fatalf("only %d writes acknowledged before the kill", total)
			}

			second := startChild(t, args)
			d := openProbeDB(t, dataDir, args)
			waitUntil(t, 60*time.Second, "every write delivered", func() bool {
				var undelivered, pending int
				must(t, d.Reader().QueryRowContext(context.Background(), `SELECT count(*) FROM probe_writes WHERE deliveries = 0`).Scan(&undelivered))
				must(t, d.Reader().QueryRowContext(context.Background(), `SELECT count(*) FROM outbox`).Scan(&pending))
				return undelivered == 0 && pending == 0
			})
			if err := second.cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			if err := second.cmd.Wait(); err != nil {
				t.Fatalf("restarted server did not exit 0 on SIGTERM: %v\n%s", err, second.errOut.String())
			}

			rows := map[string]int{}
			q, err := d.Reader().QueryContext(context.Background(), `SELECT id, deliveries FROM probe_writes`)
			must(t, err)
			for q.Next() {
				var id string
				var n int
				must(t, q.Scan(&id, &n))
				rows[id] = n
			}
			q.Close()
			lost := 0
			acked.Range(func(k, _ any) bool {
				if _, ok := rows[k.(string)]; !ok {
					lost++
					t.Errorf("acknowledged write %s is missing after the crash", k)
				}
				return lost < 10
			})
			for id, n := range rows {
				if n != 1 {
					t.Errorf("write %s delivered %d times, want exactly 1", id, n)
				}
			}
			var receipts int
			must(t, d.Reader().QueryRowContext(context.Background(), `SELECT count(*) FROM event_receipts WHERE consumer = 'probe'`).Scan(&receipts))
			if receipts != len(rows) {
				t.Errorf("%d receipts for %d writes", receipts, len(rows))
			}
			// The relay must not have published any write twice either.
			bus := openProbeBus(t, dataDir, args)
			msgs, _, err := bus.Stream(context.Background())
			must(t, err)
			if msgs != uint64(len(rows)) {
				t.Errorf("the event stream holds %d events for %d writes", msgs, len(rows))
			}
			t.Logf("%d writes acknowledged before SIGKILL, %d committed in all, each delivered once", total, len(rows))
		})
	}
}

// configOf parses the child's arguments the way serve does, to open the
// same database and event log from the test.
func configOf(t *testing.T, args []string) config.Config {
	t.Helper()
	c := config.Default()
	cmd := newRoot(context.Background(), env{getenv: func(string) string { return "" }})
	serve, _, err := cmd.Find(args)
	must(t, err)
	flags := serve.Flags()
	flags.AddFlagSet(cmd.PersistentFlags())
	_ = flags.Parse(args[1:])
	for _, name := range []string{"data", "database", "nats", "events-prefix"} {
		v := flags.Lookup(name).Value.String()
		switch name {
		case "data":
			c.DataDir = v
		case "database":
			c.DatabaseURL = v
		case "nats":
			c.NATSURL = v
		case "events-prefix":
			c.EventsPrefix = v
		}
	}
	return c
}

func openProbeDB(t *testing.T, dataDir string, args []string) *db.DB {
	t.Helper()
	d, err := app.OpenDB(context.Background(), configOf(t, args), nil)
	must(t, err)
	t.Cleanup(func() { d.Close() })
	return d
}

func openProbeBus(t *testing.T, dataDir string, args []string) *events.Bus {
	t.Helper()
	c := configOf(t, args)
	b, err := events.Open(context.Background(), events.Options{URL: c.NATSURL, StoreDir: c.NATSStoreDir(), Prefix: c.EventsPrefix})
	must(t, err)
	t.Cleanup(func() { b.Close() })
	return b
}

func waitUntil(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for: %s", what)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
