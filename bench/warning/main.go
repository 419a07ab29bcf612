// Command warning measures the end-to-end time to warning: from the POST
// of an indicator for an address in an organization's network
// (POST /api/v1/objects, as the state's analyst) to (a) the
// organization's notification row and (b) the receipt of the signed
// webhook at the organization's receiver, on a real server with SQLite
// and the embedded NATS server in a temporary directory. It posts the
// indicators one after another, each for a new address, and prints p50,
// p99 and the maximum of both.
//
//	go run ./bench/warning                 # 300 indicators
//	go run ./bench/warning -n 500 -every 20ms
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/rampart-project/rampart/internal/app"
	"github.com/rampart-project/rampart/internal/config"
	"github.com/rampart-project/rampart/internal/notify"
	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/identity"
	"github.com/rampart-project/rampart/internal/sharing"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "warning:", err)
		os.Exit(1)
	}
}

func run() error {
	n := flag.Int("n", 300, "indicators to post")
	every := flag.Duration("every", 10*time.Millisecond, "pause between posts")
	flag.Parse()
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "rampart-warning-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	cfg := config.Default()
	cfg.DataDir, cfg.Addr, cfg.LogLevel = dir, "127.0.0.1:0", "error"
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := app.New(ctx, cfg, app.Options{Logger: logger, Version: "bench", Modules: []app.Module{sharing.New(), notify.New(notify.Options{})}})
	if err != nil {
		return err
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- a.Run(runCtx) }()
	defer func() { stop(); <-done }()
	base := "http://" + a.Addr().String()

	d, err := app.OpenDB(ctx, cfg, nil)
	if err != nil {
		return err
	}
	defer d.Close()
	ids := identity.NewStore(d)
	stateTok, countyTok, countyID, err := world(ctx, d, ids)
	if err != nil {
		return err
	}
	if _, err := notify.NewStore(d).Import(ctx, countyID, []notify.Item{{Kind: notify.KindCIDR, Value: "10.20.0.0/16"}}, notify.Actor{Label: "bench"}); err != nil {
		return err
	}

	var mu sync.Mutex
	hooked := map[string]time.Time{}
	var secret string
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		at := time.Now()
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if !sharing.VerifySignature(secret, r.Header.Get(sharing.HeaderWebhookTimestamp), body, r.Header.Get(sharing.HeaderWebhookSignature)) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var b struct {
			Notification struct {
				ObjectID string `json:"object_id"`
			} `json:"notification"`
		}
		if json.Unmarshal(body, &b) == nil {
			hooked[b.Notification.ObjectID] = at
		}
	}))
	defer recv.Close()
	var hook struct{ Secret string }
	if err := call(base, "POST", "/api/v1/notifications/webhooks", countyTok, []byte(`{"url":"`+recv.URL+`"}`), &hook); err != nil {
		return err
	}
	mu.Lock()
	secret = hook.Secret
	mu.Unlock()
	// Let the inventory change reach the matcher before measuring.
	time.Sleep(2 * time.Second)

	posted := map[string]time.Time{}
	var order []string
	for i := range *n {
		id := "indicator--" + uuid()
		ts := time.Now().UTC().Format("2006-01-02T15:04:05.000Z")
		addr := fmt.Sprintf("10.20.%d.%d", i/250, i%250+1)
		bundle := fmt.Sprintf(`{"type":"bundle","id":"bundle--%s","objects":[{"type":"indicator","spec_version":"2.1","id":%q,"created":%q,"modified":%q,
			"pattern":"[ipv4-addr:value = '%s']","pattern_type":"stix","valid_from":%q}]}`, uuid(), id, ts, ts, addr, ts)
		start := time.Now()
		if err := call(base, "POST", "/api/v1/objects?tlp=green", stateTok, []byte(bundle), nil); err != nil {
			return err
		}
		posted[id] = start
		order = append(order, id)
		time.Sleep(*every)
	}
	deadline := time.Now().Add(30 * time.Second)
	var inbox, webhook []time.Duration
	for _, id := range order {
		for {
			var created int64
			err := d.Reader().QueryRowContext(ctx, `SELECT created_at FROM notifications WHERE stix_id = $1`, id).Scan(&created)
			mu.Lock()
			at, ok := hooked[id]
			mu.Unlock()
			if err == nil && ok {
				inbox = append(inbox, db.FromMicros(created).Sub(posted[id]))
				webhook = append(webhook, at.Sub(posted[id]))
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("%s: no warning within 30 s (row: %v, webhook: %v)", id, err, ok)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	fmt.Printf("time to warning, %d indicators posted every %v (SQLite + embedded NATS):\n", len(order), *every)
	report("inbox row", inbox)
	report("webhook receipt", webhook)
	fmt.Println("command: go run ./bench/warning -n", *n, "-every", every.String())
	return nil
}

func report(what string, ds []time.Duration) {
	slices.Sort(ds)
	q := func(p float64) time.Duration { return ds[min(len(ds)-1, int(p*float64(len(ds))))] }
	fmt.Printf("  %-16s p50 %7.1f ms   p99 %7.1f ms   max %7.1f ms\n", what,
		float64(q(0.50).Microseconds())/1000, float64(q(0.99).Microseconds())/1000, float64(ds[len(ds)-1].Microseconds())/1000)
}

// world creates a state and a county with one user each and returns their
// API tokens and the county's id.
func world(ctx context.Context, d *db.DB, ids *identity.Store) (string, string, string, error) {
	state := identity.Organization{Name: "State", Kind: identity.KindState, StateFIPS: "52", Sectors: []string{"government-facilities"}}
	county := identity.Organization{Name: "County", Kind: identity.KindLocal, StateFIPS: "52", Sectors: []string{"government-facilities"}}
	var stateTok, countyTok string
	hash := identity.HashPassword("bench-password-1234")
	err := d.Tx(ctx, func(tx *sql.Tx) error {
		if err := ids.CreateOrg(ctx, tx, &state); err != nil {
			return err
		}
		county.ParentID = state.ID
		if err := ids.CreateOrg(ctx, tx, &county); err != nil {
			return err
		}
		for _, x := range []struct {
			org *identity.Organization
			tok *string
		}{{&state, &stateTok}, {&county, &countyTok}} {
			u := identity.User{Email: "admin@" + x.org.Name + ".example", Name: "Admin", OrgID: x.org.ID, Roles: []identity.Role{identity.RoleAnalyst, identity.RoleOrgAdmin}}
			if err := ids.CreateUserHashed(ctx, tx, &u, hash); err != nil {
				return err
			}
			_, secret, err := ids.CreateToken(ctx, tx, u.ID, "bench", identity.Scopes, 0)
			if err != nil {
				return err
			}
			*x.tok = secret
		}
		return nil
	})
	return stateTok, countyTok, county.ID, err
}

func call(base, method, path, tok string, body []byte, out any) error {
	req, err := http.NewRequest(method, base+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

func uuid() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
