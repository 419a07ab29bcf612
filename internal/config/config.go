// Package config builds Rampart's one Config from command-line flags and
// RAMPART_* environment variables, validates it, and prints it with secrets
// redacted. There are no package-level settings: the Config is passed down.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"time"
)

// Engine names a storage engine.
type Engine string

// The storage engines.
const (
	SQLite   Engine = "sqlite"
	Postgres Engine = "postgres"
)

// Config is the whole configuration of a Rampart process.
type Config struct {
	DataDir      string // where SQLite, embedded NATS and other local state live
	DatabaseURL  string // "" means SQLite in DataDir; postgres://... for PostgreSQL
	NATSURL      string // "" means an embedded server; nats://... for a cluster
	EventsPrefix string // subject and stream prefix, so instances can share a cluster

	Addr         string // serve: listen address
	InstanceName string // shown in the UI and used as the anonymous creator
	Demo         bool   // serve: start with the demo settings

	// PublicURL is the address people reach the instance at, such as
	// https://rampart.example.gov. It gives single sign-on its redirect
	// address and origin checks the expected origin; an http:// URL also
	// turns off the Secure flag of cookies, for instances served without
	// TLS on a private network. "" means: derived from each request.
	PublicURL string
	// PublicFeed lets anonymous readers see TLP:CLEAR items.
	PublicFeed bool

	// OpenID Connect single sign-on, on when OIDCIssuer is set.
	OIDCIssuer       string
	OIDCClientID     string
	OIDCClientSecret string
	OIDCOrgClaim     string // the ID token claim whose value names the organization

	// Notifications: the SMTP server e-mail goes through
	// (smtp://user:pass@host:port, or smtps:// for TLS from the start;
	// "" sends no e-mail), the From address, and how long an
	// unacknowledged critical notification waits before it escalates.
	SMTPURL       string
	SMTPFrom      string
	EscalateAfter time.Duration

	LogLevel  string // debug, info, warn, error
	LogFormat string // text or json

	MaxBodyBytes    int64         // request body limit
	RequestTimeout  time.Duration // per-request deadline for ordinary handlers
	ShutdownTimeout time.Duration // how long graceful shutdown may take
}

// Default returns the configuration used when nothing is set.
func Default() Config {
	return Config{
		DataDir:         "./rampart-data",
		EventsPrefix:    "rampart",
		Addr:            "127.0.0.1:8080",
		InstanceName:    "Rampart",
		OIDCOrgClaim:    "rampart_org",
		LogLevel:        "info",
		LogFormat:       "text",
		MaxBodyBytes:    32 << 20,
		RequestTimeout:  60 * time.Second,
		ShutdownTimeout: 20 * time.Second,
		SMTPFrom:        "rampart@localhost",
		EscalateAfter:   2 * time.Hour,
	}
}

// Engine returns the storage engine the configuration selects.
func (c Config) Engine() Engine {
	if isPostgresURL(c.DatabaseURL) {
		return Postgres
	}
	return SQLite
}

// SQLitePath returns the SQLite database file: the path in a sqlite: URL, or
// rampart.db in the data directory.
func (c Config) SQLitePath() string {
	if p, ok := strings.CutPrefix(c.DatabaseURL, "sqlite:"); ok {
		return strings.TrimPrefix(p, "//")
	}
	return filepath.Join(c.DataDir, "rampart.db")
}

// EmbeddedNATS reports whether the event log runs in-process.
func (c Config) EmbeddedNATS() bool { return c.NATSURL == "" || c.NATSURL == "embedded" }

// NATSStoreDir is where the embedded JetStream keeps its streams.
func (c Config) NATSStoreDir() string { return filepath.Join(c.DataDir, "nats") }

// Validate checks every setting and returns one error naming the first bad
// one and why.
func (c Config) Validate() error {
	if strings.TrimSpace(c.DataDir) == "" {
		return errors.New("--data: the data directory must not be empty")
	}
	if err := validateDatabaseURL(c.DatabaseURL); err != nil {
		return err
	}
	if err := validateNATSURL(c.NATSURL); err != nil {
		return err
	}
	if !validPrefix(c.EventsPrefix) {
		return fmt.Errorf("--events-prefix %q: use letters, digits, '-' and '_' only", c.EventsPrefix)
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("--addr %q: want host:port, such as 127.0.0.1:8080", c.Addr)
	}
	if strings.TrimSpace(c.InstanceName) == "" {
		return errors.New("--instance-name: must not be empty")
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("--log-level %q: want debug, info, warn or error", c.LogLevel)
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		return fmt.Errorf("--log-format %q: want text or json", c.LogFormat)
	}
	if c.MaxBodyBytes < 1024 {
		return fmt.Errorf("--max-body %d: must be at least 1024 bytes", c.MaxBodyBytes)
	}
	if c.RequestTimeout <= 0 || c.ShutdownTimeout <= 0 {
		return errors.New("--request-timeout and --shutdown-timeout must be positive")
	}
	if err := validatePublicURL(c.PublicURL); err != nil {
		return err
	}
	return c.validateOIDC()
}

func validatePublicURL(s string) error {
	if s == "" {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("--public-url %q: want the address people use, such as https://rampart.example.gov", RedactURL(s))
	}
	if p := strings.TrimSuffix(u.Path, "/"); p != "" {
		// Every route is absolute from the root; a prefix would break them.
		return fmt.Errorf("--public-url %q: serving under a path (%s) is not supported; use a host of its own", s, p)
	}
	return nil
}

// validateOIDC checks single sign-on: nothing set, or an issuer with a
// client id and secret and an organization claim.
func (c Config) validateOIDC() error {
	if c.OIDCIssuer == "" {
		if c.OIDCClientID != "" || c.OIDCClientSecret != "" {
			return errors.New("--oidc-client-id and --oidc-client-secret need --oidc-issuer")
		}
		return nil
	}
	u, err := url.Parse(c.OIDCIssuer)
	if err != nil || u.Host == "" || u.User != nil {
		return fmt.Errorf("--oidc-issuer %q: want the issuer URL, such as https://login.example.gov/realms/rampart", RedactURL(c.OIDCIssuer))
	}
	// Plain http is only acceptable for an issuer on this machine (tests,
	// a development identity provider): tokens travel through it.
	if u.Scheme != "https" && !(u.Scheme == "http" && isLoopbackHost(u.Hostname())) {
		return fmt.Errorf("--oidc-issuer %q: must be https (http only for localhost)", c.OIDCIssuer)
	}
	if c.OIDCClientID == "" || c.OIDCClientSecret == "" {
		return errors.New("--oidc-issuer needs --oidc-client-id and --oidc-client-secret")
	}
	if strings.TrimSpace(c.OIDCOrgClaim) == "" {
		return errors.New("--oidc-org-claim: must name the ID token claim that holds the organization")
	}
	return nil
}

func isLoopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

func isPostgresURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

func validateDatabaseURL(s string) error {
	switch {
	case s == "":
		return nil
	case strings.HasPrefix(s, "sqlite:"):
		if strings.TrimPrefix(strings.TrimPrefix(s, "sqlite:"), "//") == "" {
			return fmt.Errorf("--database %q: a sqlite: URL needs a file path", s)
		}
		return nil
	case isPostgresURL(s):
		u, err := url.Parse(s)
		if err != nil {
			return fmt.Errorf("--database: not a valid URL: %v", redactParseError(err))
		}
		if u.Host == "" && u.Query().Get("host") == "" {
			return fmt.Errorf("--database %s: no host", redactURL(s))
		}
		return nil
	default:
		scheme, _, _ := strings.Cut(s, ":")
		return fmt.Errorf("--database %s: unsupported scheme %q; use postgres://USER@HOST/DB or sqlite:PATH", redactURL(s), scheme)
	}
}

func validateNATSURL(s string) error {
	if s == "" || s == "embedded" {
		return nil
	}
	for _, part := range strings.Split(s, ",") {
		u, err := url.Parse(strings.TrimSpace(part))
		if err != nil {
			return fmt.Errorf("--nats: not a valid URL: %v", redactParseError(err))
		}
		switch u.Scheme {
		case "nats", "tls", "ws", "wss":
		default:
			return fmt.Errorf("--nats %s: unsupported scheme %q; use nats://HOST:PORT (comma-separated for a cluster) or leave empty for the embedded server", redactURL(part), u.Scheme)
		}
		if u.Host == "" {
			return fmt.Errorf("--nats %s: no host", redactURL(part))
		}
	}
	return nil
}

func validPrefix(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// redactParseError keeps url.Parse's reason but not the URL, which may hold a
// password.
func redactParseError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// redactURL replaces any password in a URL (and a password= query parameter)
// so that it can be printed and logged.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparseable URL)"
	}
	switch {
	case u.Scheme == "sqlite" && u.User == nil:
		return s // a file path; nothing secret
	case u.Scheme == "" || u.Host == "" || u.Opaque != "" || u.Fragment != "":
		// Not a well-formed server URL: url.Parse may have put a password
		// anywhere (opaque part, path, fragment), so show only the scheme.
		return u.Scheme + ":(not shown)"
	}
	if u.RawQuery != "" {
		q, err := url.ParseQuery(u.RawQuery)
		if err != nil {
			u.RawQuery = "(query%20not%20shown)"
		} else {
			for k := range q {
				if strings.Contains(strings.ToLower(k), "password") {
					q[k] = []string{"xxxxx"}
				}
			}
			u.RawQuery = q.Encode()
		}
	}
	return u.Redacted()
}

// RedactURL is redactURL for other packages that print connection strings.
func RedactURL(s string) string {
	if s == "" {
		return s
	}
	return redactURL(s)
}

// Setting is one line of the effective configuration.
type Setting struct {
	Name  string `json:"name"`
	Value string `json:"value"`
	From  string `json:"from"` // "flag", "env" or "default"
}

// Effective lists every setting with secrets redacted, for `rampart config`.
// sources maps a flag name to where its value came from.
func (c Config) Effective(sources map[string]string) []Setting {
	from := func(name string) string {
		if s, ok := sources[name]; ok {
			return s
		}
		return "default"
	}
	database := c.DatabaseURL
	if database == "" {
		database = "sqlite:" + c.SQLitePath()
	}
	nats := c.NATSURL
	if c.EmbeddedNATS() {
		nats = "embedded (store " + c.NATSStoreDir() + ")"
	}
	return []Setting{
		{"data", c.DataDir, from("data")},
		{"database", RedactURL(database), from("database")},
		{"engine", string(c.Engine()), "derived"},
		{"nats", redactNATS(nats, c.EmbeddedNATS()), from("nats")},
		{"events-prefix", c.EventsPrefix, from("events-prefix")},
		{"addr", c.Addr, from("addr")},
		{"instance-name", c.InstanceName, from("instance-name")},
		{"demo", fmt.Sprint(c.Demo), from("demo")},
		{"public-url", c.PublicURL, from("public-url")},
		{"public-feed", fmt.Sprint(c.PublicFeed), from("public-feed")},
		{"oidc-issuer", c.OIDCIssuer, from("oidc-issuer")},
		{"oidc-client-id", c.OIDCClientID, from("oidc-client-id")},
		{"oidc-client-secret", redactSecret(c.OIDCClientSecret), from("oidc-client-secret")},
		{"oidc-org-claim", c.OIDCOrgClaim, from("oidc-org-claim")},
		{"smtp-url", RedactURL(c.SMTPURL), from("smtp-url")},
		{"smtp-from", c.SMTPFrom, from("smtp-from")},
		{"escalate-after", c.EscalateAfter.String(), from("escalate-after")},
		{"log-level", c.LogLevel, from("log-level")},
		{"log-format", c.LogFormat, from("log-format")},
		{"max-body", fmt.Sprint(c.MaxBodyBytes), from("max-body")},
		{"request-timeout", c.RequestTimeout.String(), from("request-timeout")},
		{"shutdown-timeout", c.ShutdownTimeout.String(), from("shutdown-timeout")},
	}
}

func redactSecret(s string) string {
	if s == "" {
		return ""
	}
	return "xxxxx"
}

func redactNATS(s string, embedded bool) string {
	if embedded {
		return s
	}
	parts := strings.Split(s, ",")
	for i, p := range parts {
		parts[i] = RedactURL(strings.TrimSpace(p))
	}
	return strings.Join(parts, ",")
}
