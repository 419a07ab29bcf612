package config

import (
	"fmt"
	"strings"

	"github.com/spf13/pflag"
)

// BindGlobal registers the flags every subcommand shares.
func BindGlobal(fs *pflag.FlagSet, c *Config) {
	fs.StringVar(&c.DataDir, "data", c.DataDir, "data directory (SQLite database, embedded NATS store)")
	fs.StringVar(&c.DatabaseURL, "database", c.DatabaseURL, "database URL: postgres://USER@HOST/DB, or sqlite:PATH (default: SQLite in the data directory)")
	fs.StringVar(&c.NATSURL, "nats", c.NATSURL, "NATS URL(s), comma-separated (default: an embedded server)")
	fs.StringVar(&c.EventsPrefix, "events-prefix", c.EventsPrefix, "prefix of event subjects and streams, for instances sharing a NATS cluster")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "log level: debug, info, warn, error")
	fs.StringVar(&c.LogFormat, "log-format", c.LogFormat, "log format: text or json")
}

// BindServe registers the flags of `rampart serve`.
func BindServe(fs *pflag.FlagSet, c *Config) {
	fs.StringVar(&c.Addr, "addr", c.Addr, "HTTP listen address")
	fs.StringVar(&c.InstanceName, "instance-name", c.InstanceName, "name of this instance, shown in the UI")
	fs.BoolVar(&c.Demo, "demo", c.Demo, "start with demo settings and demo data")
	fs.Int64Var(&c.MaxBodyBytes, "max-body", c.MaxBodyBytes, "largest accepted request body, in bytes")
	fs.DurationVar(&c.RequestTimeout, "request-timeout", c.RequestTimeout, "deadline of an ordinary request")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", c.ShutdownTimeout, "how long graceful shutdown may take")
	fs.StringVar(&c.PublicURL, "public-url", c.PublicURL, "address people reach this instance at, such as https://rampart.example.gov (default: taken from each request)")
	fs.BoolVar(&c.PublicFeed, "public-feed", c.PublicFeed, "let anonymous readers see TLP:CLEAR items")
	fs.StringVar(&c.OIDCIssuer, "oidc-issuer", c.OIDCIssuer, "OpenID Connect issuer URL; turns on single sign-on")
	fs.StringVar(&c.OIDCClientID, "oidc-client-id", c.OIDCClientID, "OpenID Connect client id")
	fs.StringVar(&c.OIDCClientSecret, "oidc-client-secret", c.OIDCClientSecret, "OpenID Connect client secret (prefer RAMPART_OIDC_CLIENT_SECRET)")
	fs.StringVar(&c.OIDCOrgClaim, "oidc-org-claim", c.OIDCOrgClaim, "ID token claim whose value is the user's organization, by name or id")
	fs.StringVar(&c.SMTPURL, "smtp-url", c.SMTPURL, "SMTP server for notification e-mail, smtp://user:pass@host:port (STARTTLS) or smtps://... (TLS); empty sends none")
	fs.StringVar(&c.SMTPFrom, "smtp-from", c.SMTPFrom, "From address of notification e-mail")
	fs.DurationVar(&c.EscalateAfter, "escalate-after", c.EscalateAfter, "how long an unacknowledged critical notification waits before it goes to the organization's next contact")
}

// EnvName is the environment variable that sets a flag: --events-prefix is
// RAMPART_EVENTS_PREFIX.
func EnvName(flag string) string {
	return "RAMPART_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// ApplyEnv sets every flag the command line left unset from its RAMPART_*
// variable, so flags win over the environment and the environment over
// defaults. It returns where each value came from, for `rampart config`.
func ApplyEnv(fs *pflag.FlagSet, getenv func(string) string) (map[string]string, error) {
	sources := map[string]string{}
	var err error
	fs.VisitAll(func(f *pflag.Flag) {
		if err != nil || f.Name == "help" {
			return
		}
		if f.Changed {
			sources[f.Name] = "flag"
			return
		}
		name := EnvName(f.Name)
		v := getenv(name)
		if v == "" {
			return
		}
		if e := fs.Set(f.Name, v); e != nil {
			err = fmt.Errorf("%s=%q: %v", name, v, e)
			return
		}
		sources[f.Name] = "env"
	})
	return sources, err
}
