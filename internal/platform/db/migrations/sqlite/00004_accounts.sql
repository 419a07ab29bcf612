-- +goose Up
-- (PostgreSQL's 00004 also widens time columns; SQLite's INTEGER is already
-- 64-bit.)

-- An organization's pending invitations are listed on its members page.
CREATE INDEX invitations_org ON invitations (org_id);

-- +goose Down
DROP INDEX invitations_org;
