-- +goose Up
-- The audit log: append-only and hash-chained (see internal/platform/audit).
-- seq is assigned by the appender as head + 1 under the writer lock rather
-- than by AUTOINCREMENT, so that both engines number entries the same way
-- and a rolled-back append never leaves a gap. Timestamps are microseconds
-- since the epoch. Text columns compare bytewise (SQLite's BINARY collation),
-- which the action-prefix filter relies on.
CREATE TABLE audit_log (
    seq           INTEGER PRIMARY KEY,
    at            INTEGER NOT NULL,
    actor_user_id TEXT,
    actor_org_id  TEXT,
    actor_label   TEXT    NOT NULL,
    action        TEXT    NOT NULL,
    target_kind   TEXT    NOT NULL,
    target_id     TEXT    NOT NULL,
    org_scope     TEXT,
    detail        TEXT    NOT NULL,
    remote_addr   TEXT    NOT NULL,
    request_id    TEXT    NOT NULL,
    prev_hash     TEXT    NOT NULL,
    hash          TEXT    NOT NULL
);
CREATE INDEX audit_log_org_scope ON audit_log (org_scope, seq);
CREATE INDEX audit_log_action ON audit_log (action, seq);

-- The newest entry, updated in the same transaction as each append. The
-- chain alone cannot reveal that its last entries were deleted; comparing
-- the chain's end with this row can.
CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL,
    hash TEXT    NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- Ordinary code must never change or remove an entry. These triggers do not
-- stop someone with direct database access (who can drop them); the hash
-- chain and audit_head are what detect that.
-- +goose StatementBegin
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
BEGIN
    SELECT RAISE(ABORT, 'audit_head must not be deleted');
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER audit_head_no_delete;
DROP TRIGGER audit_log_no_delete;
DROP TRIGGER audit_log_no_update;
DROP TABLE audit_head;
DROP TABLE audit_log;
