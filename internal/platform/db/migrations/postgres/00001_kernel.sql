-- +goose Up
-- Events written in the same transaction as the change they describe; the
-- relay publishes them to JetStream with event_id as Nats-Msg-Id and deletes
-- them once JetStream has acknowledged.
CREATE TABLE outbox (
    seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id   TEXT   NOT NULL UNIQUE,
    topic      TEXT   NOT NULL,
    payload    BYTEA  NOT NULL,
    created_at BIGINT NOT NULL
);

-- Events a transactional consumer has applied, so a redelivery after a crash
-- between commit and acknowledgement changes nothing.
CREATE TABLE event_receipts (
    consumer    TEXT   NOT NULL,
    event_id    TEXT   NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (consumer, event_id)
);

-- +goose Down
DROP TABLE event_receipts;
DROP TABLE outbox;
