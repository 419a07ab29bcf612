// Package events is Rampart's event log on NATS JetStream: an embedded
// in-process server with no TCP listener (the default), or an external
// server or cluster. Changes write their events into the database's outbox
// in the same transaction (Emit); the Relay publishes them with the event id
// as Nats-Msg-Id, so a crash between commit and publish neither loses an
// event nor publishes it twice; durable consumers (Consume, ConsumeTx)
// resume after a restart, retry with backoff, and dead-letter what keeps
// failing.
package events

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
)

// Options say which NATS to use and how to name what Rampart keeps there.
type Options struct {
	URL      string // "" for the embedded server
	StoreDir string // the embedded server's JetStream directory
	Prefix   string // subjects are PREFIX.events.TOPIC; streams PREFIX_EVENTS, PREFIX_DEAD
	Logger   *slog.Logger
	Metrics  prometheus.Registerer // nil: metrics are not registered
}

// The event stream keeps a month of events; the duplicate window covers a
// relay that crashed after publishing and before deleting its outbox rows.
// Transactional consumers also remember what they applied, which covers the
// rare restart that takes longer than the window.
const (
	eventRetention  = 30 * 24 * time.Hour
	duplicateWindow = 2 * time.Hour
)

// Bus is a connection to the event log.
type Bus struct {
	nc      *nats.Conn
	js      jetstream.JetStream
	srv     *server.Server // the embedded server, or nil
	prefix  string
	where   string
	logger  *slog.Logger
	metrics *metrics
}

// Open starts or connects to NATS and makes sure Rampart's streams exist.
func Open(ctx context.Context, o Options) (*Bus, error) {
	logger := o.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if o.Prefix == "" {
		o.Prefix = "rampart"
	}
	b := &Bus{prefix: o.Prefix, logger: logger, metrics: newMetrics(o.Metrics)}
	var err error
	if o.URL == "" || o.URL == "embedded" {
		err = b.startEmbedded(o.StoreDir)
	} else {
		err = b.connect(o.URL)
	}
	if err != nil {
		return nil, err
	}
	if b.js, err = jetstream.New(b.nc); err != nil {
		b.Close()
		return nil, fmt.Errorf("nats %s: %w", b.where, err)
	}
	if err := b.ensureStreams(ctx); err != nil {
		b.Close()
		return nil, err
	}
	return b, nil
}

func (b *Bus) startEmbedded(storeDir string) error {
	if storeDir == "" {
		return errors.New("events: the embedded server needs a store directory")
	}
	b.where = "embedded (" + storeDir + ")"
	srv, err := server.NewServer(&server.Options{
		ServerName: "rampart-embedded",
		DontListen: true,
		JetStream:  true,
		StoreDir:   storeDir,
		NoSigs:     true,
	})
	if err != nil {
		return fmt.Errorf("nats %s: %w", b.where, err)
	}
	srv.SetLoggerV2(&natsLogger{b.logger.With("component", "nats")}, false, false, false)
	go srv.Start()
	if !srv.ReadyForConnections(30 * time.Second) {
		srv.Shutdown()
		return fmt.Errorf("nats %s: the embedded server did not start (is the store directory writable?)", b.where)
	}
	b.srv = srv
	b.nc, err = nats.Connect("", nats.InProcessServer(srv), nats.Name("rampart"))
	if err != nil {
		srv.Shutdown()
		return fmt.Errorf("nats %s: %w", b.where, err)
	}
	return nil
}

func (b *Bus) connect(url string) error {
	b.where = redactNATS(url)
	nc, err := nats.Connect(url,
		nats.Name("rampart"),
		nats.Timeout(5*time.Second),
		nats.MaxReconnects(-1),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				b.logger.Warn("nats disconnected", "nats", b.where, "err", err)
			}
		}),
		nats.ReconnectHandler(func(*nats.Conn) { b.logger.Info("nats reconnected", "nats", b.where) }),
	)
	if err != nil {
		return fmt.Errorf("nats %s: cannot connect: %w", b.where, err)
	}
	b.nc = nc
	return nil
}

func (b *Bus) streamName() string { return strings.ToUpper(b.prefix) + "_EVENTS" }
func (b *Bus) deadName() string   { return strings.ToUpper(b.prefix) + "_DEAD" }

// Subject returns the NATS subject of a topic.
func (b *Bus) Subject(topic string) string { return b.prefix + ".events." + topic }

func (b *Bus) deadSubject(consumer string) string { return b.prefix + ".dead." + consumer }

func (b *Bus) ensureStreams(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for _, cfg := range []jetstream.StreamConfig{
		{
			Name:        b.streamName(),
			Description: "Rampart domain events, published from the transactional outbox",
			Subjects:    []string{b.prefix + ".events.>"},
			Storage:     jetstream.FileStorage,
			MaxAge:      eventRetention,
			Duplicates:  duplicateWindow,
		},
		{
			Name:        b.deadName(),
			Description: "Rampart events that a consumer failed to handle after every retry",
			Subjects:    []string{b.prefix + ".dead.>"},
			Storage:     jetstream.FileStorage,
			MaxAge:      eventRetention,
		},
	} {
		if _, err := b.js.CreateOrUpdateStream(ctx, cfg); err != nil {
			return fmt.Errorf("nats %s: stream %s: %w", b.where, cfg.Name, err)
		}
	}
	return nil
}

// Where describes the server for messages.
func (b *Bus) Where() string { return b.where }

// JetStream gives modules direct access for what the helpers do not cover,
// such as ordered consumers for live streams.
func (b *Bus) JetStream() jetstream.JetStream { return b.js }

// Ping checks that NATS answers and JetStream is available, for readiness.
func (b *Bus) Ping(ctx context.Context) error {
	if s := b.nc.Status(); s != nats.CONNECTED {
		return fmt.Errorf("nats %s: %s", b.where, s)
	}
	if _, err := b.js.AccountInfo(ctx); err != nil {
		return fmt.Errorf("nats %s: jetstream: %w", b.where, err)
	}
	return nil
}

// Stream reports the event stream's message count and last sequence.
func (b *Bus) Stream(ctx context.Context) (messages, lastSeq uint64, err error) {
	s, err := b.js.Stream(ctx, b.streamName())
	if err != nil {
		return 0, 0, err
	}
	info, err := s.Info(ctx)
	if err != nil {
		return 0, 0, err
	}
	return info.State.Msgs, info.State.LastSeq, nil
}

// Close drains the connection and stops the embedded server.
func (b *Bus) Close() error {
	var err error
	if b.nc != nil {
		if b.nc.IsConnected() {
			err = b.nc.Drain()
			deadline := time.Now().Add(5 * time.Second)
			for !b.nc.IsClosed() && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
		}
		b.nc.Close()
	}
	if b.srv != nil {
		b.srv.Shutdown()
		b.srv.WaitForShutdown()
	}
	return err
}

func redactNATS(s string) string {
	parts := strings.Split(s, ",")
	for i, p := range parts {
		if u, err := parseURL(strings.TrimSpace(p)); err == nil {
			parts[i] = u.Redacted()
		}
	}
	return strings.Join(parts, ",")
}

// natsLogger sends the embedded server's log to slog.
type natsLogger struct{ l *slog.Logger }

func (n *natsLogger) Noticef(f string, v ...any) { n.l.Debug(fmt.Sprintf(f, v...)) }
func (n *natsLogger) Warnf(f string, v ...any)   { n.l.Warn(fmt.Sprintf(f, v...)) }
func (n *natsLogger) Fatalf(f string, v ...any)  { n.l.Error(fmt.Sprintf(f, v...)) }
func (n *natsLogger) Errorf(f string, v ...any)  { n.l.Error(fmt.Sprintf(f, v...)) }
func (n *natsLogger) Debugf(f string, v ...any)  { n.l.Debug(fmt.Sprintf(f, v...)) }
func (n *natsLogger) Tracef(f string, v ...any)  {}

// DeleteStreams removes this prefix's streams; for tests and for retiring an
// instance that shared a cluster.
func (b *Bus) DeleteStreams(ctx context.Context) error {
	var err error
	for _, name := range []string{b.streamName(), b.deadName()} {
		if e := b.js.DeleteStream(ctx, name); e != nil && !errors.Is(e, jetstream.ErrStreamNotFound) {
			err = errors.Join(err, e)
		}
	}
	return err
}
