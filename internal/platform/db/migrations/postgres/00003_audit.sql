-- +goose Up
-- The audit log: append-only and hash-chained (see internal/platform/audit).
-- seq is assigned by the appender as head + 1 under an advisory lock, not by
-- an identity column: a sequence value consumed by a transaction that rolls
-- back is never reused, which would leave a gap Verify must treat as a
-- deleted entry. Timestamps are microseconds since the epoch. action is
-- COLLATE "C" so that the action-prefix filter's range comparison is bytewise,
-- as on SQLite, and can use the index whatever the database's collation.
CREATE TABLE audit_log (
    seq           BIGINT PRIMARY KEY,
    at            BIGINT NOT NULL,
    actor_user_id TEXT,
    actor_org_id  TEXT,
    actor_label   TEXT   NOT NULL,
    action        TEXT   COLLATE "C" NOT NULL,
    target_kind   TEXT   NOT NULL,
    target_id     TEXT   NOT NULL,
    org_scope     TEXT,
    detail        TEXT   NOT NULL,
    remote_addr   TEXT   NOT NULL,
    request_id    TEXT   NOT NULL,
    prev_hash     TEXT   NOT NULL,
    hash          TEXT   NOT NULL
);
CREATE INDEX audit_log_org_scope ON audit_log (org_scope, seq);
CREATE INDEX audit_log_action ON audit_log (action, seq);

-- The newest entry, updated in the same transaction as each append. The
-- chain alone cannot reveal that its last entries were deleted; comparing
-- the chain's end with this row can.
CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  BIGINT NOT NULL,
    hash TEXT   NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- Ordinary code must never change or remove an entry. These triggers do not
-- stop someone with direct database access (who can drop or disable them);
-- the hash chain and audit_head are what detect that.
-- +goose StatementBegin
CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_head_keep BEFORE DELETE OR TRUNCATE ON audit_head
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();

-- +goose Down
DROP TABLE audit_head;
DROP TABLE audit_log;
DROP FUNCTION audit_append_only();
