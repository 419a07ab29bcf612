package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/rampart-project/rampart/internal/app"
	"github.com/rampart-project/rampart/internal/config"
	"github.com/rampart-project/rampart/internal/platform/audit"
	"github.com/rampart-project/rampart/internal/platform/db"
)

// runAudit runs `rampart audit ARGS...` against the data directory and
// returns standard output, standard error and the exit status.
func runAudit(t *testing.T, dataDir string, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	cfg := config.Default()
	cfg.DataDir = dataDir
	c := &cli{
		env:    env{getenv: func(string) string { return "" }, stdin: strings.NewReader(""), stdout: &out, stderr: &errOut},
		cfg:    cfg,
		logger: slog.New(slog.DiscardHandler),
	}
	cmd := c.auditCmd()
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	cmd.SetArgs(args)
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	code := exitCode(cmd.ExecuteContext(context.Background()), &errOut)
	return out.String(), errOut.String(), code
}

// withAuditDB opens the data directory's database, as serve would, for fn.
func withAuditDB(t *testing.T, dataDir string, fn func(ctx context.Context, d *db.DB) error) {
	t.Helper()
	ctx := context.Background()
	cfg := config.Default()
	cfg.DataDir = dataDir
	d, err := app.OpenDB(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := fn(ctx, d); err != nil {
		t.Fatal(err)
	}
}

func TestAuditVerifyAndList(t *testing.T) {
	dir := t.TempDir()

	out, _, code := runAudit(t, dir, "verify")
	if code != 0 || out != "audit log intact: 0 entries\n" {
		t.Fatalf("verify on a new database: %d %q", code, out)
	}

	withAuditDB(t, dir, func(ctx context.Context, d *db.DB) error {
		return d.Tx(ctx, func(tx *sql.Tx) error {
			for i := range 5 {
				org := "org-a"
				if i%2 == 1 {
					org = "org-b"
				}
				_, err := audit.Append(ctx, tx, d.Engine(), audit.Entry{
					ActorLabel: "cli", Action: fmt.Sprintf("org.step%d", i), TargetKind: "organization", TargetID: org, OrgScope: org,
				})
				if err != nil {
					return err
				}
			}
			return nil
		})
	})

	out, _, code = runAudit(t, dir, "verify")
	if code != 0 || !strings.HasPrefix(out, "audit log intact: 5 entries\nnewest entry 5 has hash ") {
		t.Fatalf("verify: %d %q", code, out)
	}

	out, _, code = runAudit(t, dir, "list", "--org", "org-a", "--limit", "2")
	if code != 0 || !strings.Contains(out, "org.step4") || !strings.Contains(out, "org.step2") ||
		strings.Contains(out, "org.step0") || strings.Contains(out, "org-b") || !strings.HasSuffix(out, "more: --before 3\n") {
		t.Fatalf("list --org org-a --limit 2: %d\n%s", code, out)
	}
	out, _, code = runAudit(t, dir, "list", "--org", "org-a", "--limit", "2", "--before", "3", "--json")
	var page struct {
		Entries []audit.Entry
		Next    string
	}
	if err := json.Unmarshal([]byte(out), &page); code != 0 || err != nil || len(page.Entries) != 1 ||
		page.Entries[0].Action != "org.step0" || page.Next != "" {
		t.Fatalf("list --json: %d %v\n%s", code, err, out)
	}
	out, _, code = runAudit(t, dir, "list", "--action", "org.step3")
	if code != 0 || strings.Count(out, "\n") != 2 || !strings.Contains(out, "org.step3") {
		t.Fatalf("list --action: %d\n%s", code, out)
	}
	_, errOut, code := runAudit(t, dir, "list", "--action", "Bad%")
	if code != 2 || !strings.Contains(errOut, "may hold only") {
		t.Fatalf("list with a bad action: %d %q", code, errOut)
	}

	// Someone with the database file removes an entry.
	withAuditDB(t, dir, func(ctx context.Context, d *db.DB) error {
		return d.Tx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, `DROP TRIGGER audit_log_no_delete`); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `DELETE FROM audit_log WHERE seq = 2`)
			return err
		})
	})
	out, errOut, code = runAudit(t, dir, "verify")
	if code != 1 || out != "audit log broken at entry 2: sequence gap after entry 1: entry 2 is missing\n" || errOut != "" {
		t.Fatalf("verify after tampering: %d %q %q", code, out, errOut)
	}
}

// Through the root command, as a user runs it: flags, environment and exit
// status included.
func TestAuditCommandIsRegistered(t *testing.T) {
	dir := t.TempDir()
	out, errOut, code := runCmd(t, map[string]string{"RAMPART_DATA": dir}, "audit", "verify")
	if code != 0 || out != "audit log intact: 0 entries\n" {
		t.Fatalf("audit verify: %d %q %q", code, out, errOut)
	}
	out, errOut, code = runCmd(t, nil, "audit", "list", "--data", dir, "--json")
	if code != 0 || !strings.Contains(out, `"entries": []`) {
		t.Fatalf("audit list: %d %q %q", code, out, errOut)
	}
	_, errOut, code = runCmd(t, nil, "audit", "list", "--data", dir, "--limit", "x")
	if code != 2 {
		t.Fatalf("audit list --limit x: %d %q", code, errOut)
	}
}
