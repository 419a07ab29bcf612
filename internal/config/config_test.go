package config_test

import (
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/rampart-project/rampart/internal/config"
)

func TestValidate(t *testing.T) {
	cases := []struct {
		name    string
		change  func(*config.Config)
		wantErr string // "" for valid
	}{
		{"defaults", func(*config.Config) {}, ""},
		{"postgres", func(c *config.Config) { c.DatabaseURL = "postgres://u@db.example/rampart" }, ""},
		{"postgresql scheme", func(c *config.Config) { c.DatabaseURL = "postgresql://u@db/r?sslmode=disable" }, ""},
		{"sqlite path", func(c *config.Config) { c.DatabaseURL = "sqlite:/var/lib/rampart/r.db" }, ""},
		{"nats cluster", func(c *config.Config) { c.NATSURL = "nats://a:4222,nats://b:4222" }, ""},
		{"mysql", func(c *config.Config) { c.DatabaseURL = "mysql://root:pw@h/db" }, `unsupported scheme "mysql"`},
		{"password not shown", func(c *config.Config) { c.DatabaseURL = "mysql://root:pw@h/db" }, "xxxxx"},
		{"empty sqlite", func(c *config.Config) { c.DatabaseURL = "sqlite:" }, "needs a file path"},
		{"postgres without host", func(c *config.Config) { c.DatabaseURL = "postgres:///db" }, "no host"},
		{"bad nats scheme", func(c *config.Config) { c.NATSURL = "http://localhost:4222" }, `unsupported scheme "http"`},
		{"bad addr", func(c *config.Config) { c.Addr = "8080" }, "--addr"},
		{"empty data", func(c *config.Config) { c.DataDir = " " }, "--data"},
		{"bad prefix", func(c *config.Config) { c.EventsPrefix = "a.b" }, "--events-prefix"},
		{"bad level", func(c *config.Config) { c.LogLevel = "loud" }, "--log-level"},
		{"bad format", func(c *config.Config) { c.LogFormat = "xml" }, "--log-format"},
		{"tiny body", func(c *config.Config) { c.MaxBodyBytes = 10 }, "--max-body"},
		{"public url", func(c *config.Config) { c.PublicURL = "https://rampart.example.gov" }, ""},
		{"public url without scheme", func(c *config.Config) { c.PublicURL = "rampart.example.gov" }, "--public-url"},
		{"public url with a path", func(c *config.Config) { c.PublicURL = "https://example.gov/rampart" }, "path"},
		{"oidc", func(c *config.Config) {
			c.OIDCIssuer, c.OIDCClientID, c.OIDCClientSecret = "https://login.example.gov/realms/r", "rampart", "s3cret"
		}, ""},
		{"oidc on localhost over http", func(c *config.Config) {
			c.OIDCIssuer, c.OIDCClientID, c.OIDCClientSecret = "http://localhost:8081", "rampart", "s3cret"
		}, ""},
		{"oidc over http elsewhere", func(c *config.Config) {
			c.OIDCIssuer, c.OIDCClientID, c.OIDCClientSecret = "http://login.example.gov", "rampart", "s3cret"
		}, "must be https"},
		{"oidc without a secret", func(c *config.Config) { c.OIDCIssuer, c.OIDCClientID = "https://login.example.gov", "rampart" }, "--oidc-client-secret"},
		{"client id without issuer", func(c *config.Config) { c.OIDCClientID = "rampart" }, "need --oidc-issuer"},
		{"empty org claim", func(c *config.Config) {
			c.OIDCIssuer, c.OIDCClientID, c.OIDCClientSecret, c.OIDCOrgClaim = "https://login.example.gov", "r", "s", " "
		}, "--oidc-org-claim"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := config.Default()
			tc.change(&c)
			err := c.Validate()
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("Validate: %v", err)
			case tc.wantErr != "" && err == nil:
				t.Fatalf("Validate accepted it; want an error with %q", tc.wantErr)
			case tc.wantErr != "" && !strings.Contains(err.Error(), tc.wantErr):
				t.Fatalf("Validate: %v; want it to mention %q", err, tc.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), ":pw@") {
				t.Fatalf("error shows the password: %v", err)
			}
		})
	}
}

func TestFlagsWinOverEnvironmentOverDefaults(t *testing.T) {
	c := config.Default()
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	config.BindGlobal(fs, &c)
	config.BindServe(fs, &c)
	if err := fs.Parse([]string{"--addr", "0.0.0.0:9000"}); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"RAMPART_ADDR":          "127.0.0.1:1", // loses to the flag
		"RAMPART_DATABASE":      "postgres://u:secret@db/r",
		"RAMPART_EVENTS_PREFIX": "staging",
		"RAMPART_DEMO":          "true",
	}
	sources, err := config.ApplyEnv(fs, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "0.0.0.0:9000" || sources["addr"] != "flag" {
		t.Errorf("addr = %q from %q; the flag should win", c.Addr, sources["addr"])
	}
	if c.Engine() != config.Postgres || sources["database"] != "env" {
		t.Errorf("database from %q, engine %s", sources["database"], c.Engine())
	}
	if c.EventsPrefix != "staging" || !c.Demo {
		t.Errorf("prefix %q demo %v", c.EventsPrefix, c.Demo)
	}
	if _, ok := sources["data"]; ok || c.DataDir != "./rampart-data" {
		t.Errorf("data = %q from %q; want the default", c.DataDir, sources["data"])
	}
	c.OIDCClientSecret = "oidc-secret-value"
	for _, s := range c.Effective(sources) {
		if strings.Contains(s.Value, "secret") {
			t.Errorf("setting %s shows the password: %s", s.Name, s.Value)
		}
	}
}

func TestApplyEnvRejectsBadValues(t *testing.T) {
	c := config.Default()
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	config.BindServe(fs, &c)
	_, err := config.ApplyEnv(fs, func(k string) string {
		if k == "RAMPART_REQUEST_TIMEOUT" {
			return "soon"
		}
		return ""
	})
	if err == nil || !strings.Contains(err.Error(), "RAMPART_REQUEST_TIMEOUT") {
		t.Fatalf("err = %v; want it to name RAMPART_REQUEST_TIMEOUT", err)
	}
}

func TestSQLitePath(t *testing.T) {
	c := config.Default()
	c.DataDir = "/srv/rampart"
	if got := c.SQLitePath(); got != "/srv/rampart/rampart.db" {
		t.Errorf("default path %q", got)
	}
	c.DatabaseURL = "sqlite:///tmp/x.db"
	if got := c.SQLitePath(); got != "/tmp/x.db" {
		t.Errorf("sqlite URL path %q", got)
	}
}
