package events

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/rampart-project/rampart/internal/platform/db"
)

// Event is one entry of the event log.
type Event struct {
	ID      string          // unique, assigned when emitted; the Nats-Msg-Id
	Topic   string          // module.thing.happened, e.g. "sharing.object.added"
	Time    time.Time       // when the change was committed
	Payload json.RawMessage // the module's JSON
	Seq     uint64          // position in the stream, set on delivery
}

// Decode unmarshals the payload into v.
func (e Event) Decode(v any) error { return json.Unmarshal(e.Payload, v) }

// Headers carried by every published event, so consumers need not parse the
// payload to route it.
const (
	headerEventID = "Rampart-Event-Id"
	headerTopic   = "Rampart-Topic"
	headerTime    = "Rampart-Time"
	headerError   = "Rampart-Error"
	headerAttempt = "Rampart-Attempts"
)

// Emit writes an event into the outbox inside the caller's transaction, so
// it is published if and only if the transaction commits. It returns the
// event's id.
func Emit(ctx context.Context, tx db.Querier, topic string, payload any) (string, error) {
	if !validTopic(topic) {
		return "", fmt.Errorf("events: invalid topic %q", topic)
	}
	body, err := json.Marshal(payload)
	if err != nil {
		return "", fmt.Errorf("events: encode %s: %w", topic, err)
	}
	id := newID()
	_, err = tx.ExecContext(ctx,
		`INSERT INTO outbox (event_id, topic, payload, created_at) VALUES ($1, $2, $3, $4)`,
		id, topic, body, db.Micros(time.Now()))
	if err != nil {
		return "", fmt.Errorf("events: outbox insert: %w", err)
	}
	return id, nil
}

// validTopic accepts dot-separated tokens of letters, digits, '-' and '_':
// NATS subject tokens without wildcards.
func validTopic(t string) bool {
	if t == "" || t[0] == '.' || t[len(t)-1] == '.' {
		return false
	}
	prevDot := false
	for _, r := range t {
		switch {
		case r == '.':
			if prevDot {
				return false
			}
			prevDot = true
			continue
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
		default:
			return false
		}
		prevDot = false
	}
	return true
}

// newID returns a UUID version 7: unique, and sortable by time, which keeps
// receipts and logs readable.
func newID() string { return uuid.Must(uuid.NewV7()).String() }

// Outbox runs write transactions that emit events and wakes the relay when
// they commit, so events leave within milliseconds rather than at the next
// poll.
type Outbox struct {
	db    *db.DB
	relay *Relay
}

// NewOutbox returns an Outbox over d that wakes r (which may be nil, as in a
// command-line process whose events a running server's relay will publish).
func NewOutbox(d *db.DB, r *Relay) *Outbox { return &Outbox{db: d, relay: r} }

// Tx runs fn in a write transaction; fn emits with Emit(ctx, tx, ...).
func (o *Outbox) Tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if err := o.db.Tx(ctx, fn); err != nil {
		return err
	}
	if o.relay != nil {
		o.relay.Wake()
	}
	return nil
}
