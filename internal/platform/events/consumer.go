package events

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/rampart-project/rampart/internal/platform/db"
)

// Handler handles one event. Returning an error asks for a redelivery later;
// after MaxDeliver failed attempts the event goes to the dead-letter stream.
type Handler func(ctx context.Context, e Event) error

// ConsumerConfig describes a durable consumer. Replicas that use the same
// Name share its work.
type ConsumerConfig struct {
	Name       string          // durable name: letters, digits, '-' and '_'
	Topics     []string        // topic filters such as "sharing.>"; none means every event
	MaxDeliver int             // attempts before dead-lettering; default 5
	Backoff    []time.Duration // delay before attempt 2, 3, ...; the last repeats
	AckWait    time.Duration   // how long a handler may take before redelivery; default 30s
}

var defaultBackoff = []time.Duration{time.Second, 5 * time.Second, 30 * time.Second, 2 * time.Minute}

func (c *ConsumerConfig) defaults() error {
	if !validPrefix(c.Name) {
		return fmt.Errorf("events: consumer name %q: use letters, digits, '-' and '_'", c.Name)
	}
	if c.MaxDeliver <= 0 {
		c.MaxDeliver = 5
	}
	if len(c.Backoff) == 0 {
		c.Backoff = defaultBackoff
	}
	if c.AckWait <= 0 {
		c.AckWait = 30 * time.Second
	}
	for _, t := range c.Topics {
		if !validFilter(t) {
			return fmt.Errorf("events: consumer %s: invalid topic filter %q", c.Name, t)
		}
	}
	return nil
}

// Consumer is a running durable consumer.
type Consumer struct {
	name   string
	cc     jetstream.ConsumeContext
	cancel context.CancelFunc
	busy   sync.WaitGroup
}

// Consume starts a durable consumer that calls h for every event matching
// cfg.Topics, from the first it has not acknowledged.
func (b *Bus) Consume(ctx context.Context, cfg ConsumerConfig, h Handler) (*Consumer, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	filters := make([]string, 0, len(cfg.Topics))
	for _, t := range cfg.Topics {
		filters = append(filters, b.Subject(t))
	}
	jcfg := jetstream.ConsumerConfig{
		Durable:   cfg.Name,
		AckPolicy: jetstream.AckExplicitPolicy,
		AckWait:   cfg.AckWait,
		// Rampart counts attempts itself so that the last failure is
		// dead-lettered with its reason rather than silently dropped.
		MaxDeliver:    -1,
		DeliverPolicy: jetstream.DeliverAllPolicy,
		MaxAckPending: 1000,
	}
	// One filter goes in FilterSubject, which servers older than 2.10 (as
	// packaged by some distributions) also understand.
	if len(filters) == 1 {
		jcfg.FilterSubject = filters[0]
	} else {
		jcfg.FilterSubjects = filters
	}
	cons, err := b.js.CreateOrUpdateConsumer(ctx, b.streamName(), jcfg)
	if err != nil {
		return nil, fmt.Errorf("events: consumer %s: %w", cfg.Name, err)
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	c := &Consumer{name: cfg.Name, cancel: cancel}
	logger := b.logger.With("consumer", cfg.Name)
	c.cc, err = cons.Consume(func(msg jetstream.Msg) {
		c.busy.Add(1)
		defer c.busy.Done()
		b.handle(runCtx, logger, cfg, h, msg)
	}, jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
		if !errors.Is(err, nats.ErrConnectionClosed) && !errors.Is(err, jetstream.ErrConsumerDeleted) {
			logger.Debug("consumer pull error", "err", err)
		}
	}))
	if err != nil {
		cancel()
		return nil, fmt.Errorf("events: consumer %s: %w", cfg.Name, err)
	}
	return c, nil
}

func (b *Bus) handle(ctx context.Context, logger *slog.Logger, cfg ConsumerConfig, h Handler, msg jetstream.Msg) {
	meta, err := msg.Metadata()
	if err != nil {
		logger.Error("event without metadata; terminating it", "err", err)
		_ = msg.Term()
		return
	}
	e := eventOf(msg, meta.Sequence.Stream)
	start := time.Now()
	err = safeCall(ctx, h, e)
	b.metrics.handleSeconds.WithLabelValues(cfg.Name).Observe(time.Since(start).Seconds())
	attempt := int(meta.NumDelivered)
	switch {
	case err == nil:
		// A plain ack, not a confirmed one: a confirmation costs a round
		// trip per event and halves throughput on a networked server. If
		// the ack is lost the event comes again, and ConsumeTx recognises
		// it by its receipt.
		if ackErr := msg.Ack(); ackErr != nil {
			logger.Warn("ack failed", "event_id", e.ID, "err", ackErr)
		}
		b.metrics.consumed.WithLabelValues(cfg.Name, "ok").Inc()
	case attempt >= cfg.MaxDeliver:
		logger.Error("event failed on every attempt; dead-lettering it",
			"event_id", e.ID, "topic", e.Topic, "attempts", attempt, "err", err)
		if dlErr := b.deadLetter(ctx, cfg.Name, msg, attempt, err); dlErr != nil {
			logger.Error("dead-lettering failed; will retry", "event_id", e.ID, "err", dlErr)
			_ = msg.NakWithDelay(backoff(cfg.Backoff, attempt))
			return
		}
		_ = msg.Term()
		b.metrics.consumed.WithLabelValues(cfg.Name, "dead").Inc()
	default:
		delay := backoff(cfg.Backoff, attempt)
		logger.Warn("event handler failed; will retry", "event_id", e.ID, "topic", e.Topic,
			"attempt", attempt, "retry_in", delay.String(), "err", err)
		_ = msg.NakWithDelay(delay)
		b.metrics.consumed.WithLabelValues(cfg.Name, "retry").Inc()
	}
}

func backoff(steps []time.Duration, attempt int) time.Duration {
	return steps[min(attempt-1, len(steps)-1)]
}

// safeCall turns a handler's panic into an error, so one bad event cannot
// take the process down.
func safeCall(ctx context.Context, h Handler, e Event) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("handler panicked: %v\n%s", p, debug.Stack())
		}
	}()
	return h(ctx, e)
}

func eventOf(msg jetstream.Msg, seq uint64) Event {
	hdr := msg.Headers()
	e := Event{
		ID:      hdr.Get(headerEventID),
		Topic:   hdr.Get(headerTopic),
		Payload: msg.Data(),
		Seq:     seq,
	}
	if us, err := strconv.ParseInt(hdr.Get(headerTime), 10, 64); err == nil {
		e.Time = db.FromMicros(us)
	}
	return e
}

func (b *Bus) deadLetter(ctx context.Context, consumer string, msg jetstream.Msg, attempts int, cause error) error {
	dl := nats.NewMsg(b.deadSubject(consumer))
	dl.Data = msg.Data()
	for k, v := range msg.Headers() {
		if k != jetstream.MsgIDHeader {
			dl.Header[k] = v
		}
	}
	reason := cause.Error()
	if len(reason) > 2000 {
		reason = reason[:2000]
	}
	dl.Header.Set(headerError, reason)
	dl.Header.Set(headerAttempt, strconv.Itoa(attempts))
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_, err := b.js.PublishMsg(ctx, dl)
	return err
}

// Stop stops fetching and waits for the event being handled, if any. The
// durable consumer stays on the server and resumes at the next Consume.
func (c *Consumer) Stop() {
	c.cc.Stop()
	<-c.cc.Closed()
	c.busy.Wait()
	c.cancel()
}

// TxHandler handles an event inside a database transaction.
type TxHandler func(ctx context.Context, tx *sql.Tx, e Event) error

// ErrNoEffect is what a TxHandler returns for an event that changed nothing
// (no webhook wants it, a topic the consumer ignores): ConsumeTx then rolls
// the transaction back, receipt and all, instead of committing it. Most
// events concern few consumers, and on SQLite every commit costs each
// reader connection its page cache and its map of the file. A handler may
// return it only where handling the event again, should it be delivered
// again, is harmless — nothing records that it was seen.
var ErrNoEffect = errors.New("events: the event had no effect")

// ConsumeTx is Consume for handlers whose effects are in the database: the
// handler runs in a transaction that also records the event's receipt, and
// an event already received is acknowledged without calling the handler
// again. Together with the outbox this gives exactly-once effects.
func (b *Bus) ConsumeTx(ctx context.Context, d *db.DB, cfg ConsumerConfig, h TxHandler) (*Consumer, error) {
	var pruner receiptPruner
	return b.Consume(ctx, cfg, func(ctx context.Context, e Event) error {
		defer func() {
			if n, err := pruner.maybePrune(ctx, d, cfg.Name, time.Now()); err != nil {
				b.logger.Warn("pruning receipts failed; will try again", "consumer", cfg.Name, "err", err)
			} else if n > 0 {
				b.logger.Debug("pruned receipts", "consumer", cfg.Name, "deleted", n)
			}
		}()
		duplicate := false
		err := d.Tx(ctx, func(tx *sql.Tx) error {
			res, err := tx.ExecContext(ctx,
				`INSERT INTO event_receipts (consumer, event_id, received_at) VALUES ($1, $2, $3)
				 ON CONFLICT (consumer, event_id) DO NOTHING`,
				cfg.Name, e.ID, db.Micros(time.Now()))
			if err != nil {
				return fmt.Errorf("events: record receipt: %w", err)
			}
			if n, err := res.RowsAffected(); err == nil && n == 0 {
				duplicate = true
				return nil
			}
			return h(ctx, tx, e)
		})
		if errors.Is(err, ErrNoEffect) {
			b.metrics.consumed.WithLabelValues(cfg.Name, "no_effect").Inc()
			return nil
		}
		if err == nil && duplicate {
			b.metrics.consumed.WithLabelValues(cfg.Name, "duplicate").Inc()
		}
		return err
	})
}

// DeadLetter is an event a consumer gave up on.
type DeadLetter struct {
	Event
	Consumer string
	Attempts int
	Error    string
}

// DeadLetters returns up to limit dead-lettered events of a consumer, oldest
// first, for operators and tests.
func (b *Bus) DeadLetters(ctx context.Context, consumer string, limit int) ([]DeadLetter, error) {
	cons, err := b.js.OrderedConsumer(ctx, b.deadName(), jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{b.deadSubject(consumer)},
	})
	if err != nil {
		return nil, err
	}
	var out []DeadLetter
	for len(out) < limit {
		batch, err := cons.FetchNoWait(limit - len(out))
		if err != nil {
			return out, err
		}
		n := 0
		for msg := range batch.Messages() {
			n++
			meta, _ := msg.Metadata()
			var seq uint64
			if meta != nil {
				seq = meta.Sequence.Stream
			}
			attempts, _ := strconv.Atoi(msg.Headers().Get(headerAttempt))
			out = append(out, DeadLetter{Event: eventOf(msg, seq), Consumer: consumer, Attempts: attempts, Error: msg.Headers().Get(headerError)})
		}
		if n == 0 {
			break
		}
	}
	return out, nil
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

// validFilter accepts a topic with NATS wildcards: '*' for one token, '>'
// for the rest.
func validFilter(f string) bool {
	if f == ">" {
		return true
	}
	plain := make([]byte, 0, len(f))
	for i := 0; i < len(f); i++ {
		c := f[i]
		if c == '*' || c == '>' {
			atStart := i == 0 || f[i-1] == '.'
			atEnd := i == len(f)-1 || f[i+1] == '.'
			if !atStart || !atEnd || (c == '>' && i != len(f)-1) {
				return false
			}
			c = 'x'
		}
		plain = append(plain, c)
	}
	return validTopic(string(plain))
}
