-- +goose Up
-- Times are microseconds since 1970, which do not fit PostgreSQL's 32-bit
-- INTEGER; 00002 declared some of them so. (SQLite's INTEGER is 64-bit.)
ALTER TABLE users       ALTER COLUMN last_signin_at TYPE BIGINT;
ALTER TABLE sessions    ALTER COLUMN last_seen_at   TYPE BIGINT;
ALTER TABLE api_tokens  ALTER COLUMN expires_at     TYPE BIGINT;
ALTER TABLE api_tokens  ALTER COLUMN revoked_at     TYPE BIGINT;
ALTER TABLE invitations ALTER COLUMN accepted_at    TYPE BIGINT;
ALTER TABLE communities ALTER COLUMN created_at     TYPE BIGINT;

-- An organization's pending invitations are listed on its members page.
CREATE INDEX invitations_org ON invitations (org_id);

-- +goose Down
DROP INDEX invitations_org;
