-- +goose Up
-- Events written in the same transaction as the change they describe; the
-- relay publishes them to JetStream with event_id as Nats-Msg-Id and deletes
-- them once JetStream has acknowledged.
CREATE TABLE outbox (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id   TEXT    NOT NULL UNIQUE,
    topic      TEXT    NOT NULL,
    payload    BLOB    NOT NULL,
    created_at INTEGER NOT NULL
);

-- Events a transactional consumer has applied, so a redelivery after a crash
-- between commit and acknowledgement changes nothing.
CREATE TABLE event_receipts (
    consumer    TEXT    NOT NULL,
    event_id    TEXT    NOT NULL,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (consumer, event_id)
);

-- +goose Down
DROP TABLE event_receipts;
DROP TABLE outbox;
