-- +goose Up
-- Coordinator notices: a message addressed to a selection of organizations
-- (by kind, parent, state, flag, sector). The selection is resolved when the
-- notice is sent and kept in notice_recipients with the criterion that
-- matched, so an organization created later never receives it. The notice
-- itself is stored as an x-rampart-notice STIX object (stix_id), so its
-- notifications go through the same access decision, delivery, escalation
-- and overview as any other.
CREATE TABLE notices (
    id          TEXT    PRIMARY KEY,
    stix_id     TEXT    NOT NULL UNIQUE,
    org_id      TEXT    NOT NULL,          -- the sender's organization
    created_by  TEXT    NOT NULL,          -- the sender (user id)
    title       TEXT    NOT NULL,
    severity    TEXT    NOT NULL,
    tlp         TEXT    NOT NULL,
    selection   TEXT    NOT NULL,          -- JSON: kinds, parents, states, flags, sectors
    recipients  INTEGER NOT NULL,
    created_at  INTEGER NOT NULL             -- microseconds
);
CREATE TABLE notice_recipients (
    notice_id   TEXT NOT NULL REFERENCES notices (id) ON DELETE CASCADE,
    org_id      TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    reason      TEXT NOT NULL,             -- the criteria that matched, verbatim
    PRIMARY KEY (notice_id, org_id)
);

-- A new version that no longer concerns the organization withdraws its
-- notification (withdrawn_at, withdrawn_reason) instead of leaving it as it
-- was. A vulnerability notification carries its CVE id, so the KEV entry and
-- the CVE record of one CVE merge into one row per (organization, CVE,
-- software entry): also_ids lists the other objects merged in, and the KEV
-- facts (required action, due date) are kept.
ALTER TABLE notifications ADD COLUMN withdrawn_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE notifications ADD COLUMN withdrawn_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE notifications ADD COLUMN cve TEXT NOT NULL DEFAULT '';
ALTER TABLE notifications ADD COLUMN also_ids TEXT NOT NULL DEFAULT '';
ALTER TABLE notifications ADD COLUMN required_action TEXT NOT NULL DEFAULT '';
ALTER TABLE notifications ADD COLUMN due_date TEXT NOT NULL DEFAULT '';
CREATE INDEX notifications_cve ON notifications (org_id, cve);

-- +goose Down
DROP INDEX notifications_cve;
ALTER TABLE notifications DROP COLUMN due_date;
ALTER TABLE notifications DROP COLUMN required_action;
ALTER TABLE notifications DROP COLUMN also_ids;
ALTER TABLE notifications DROP COLUMN cve;
ALTER TABLE notifications DROP COLUMN withdrawn_reason;
ALTER TABLE notifications DROP COLUMN withdrawn_at;
DROP TABLE notice_recipients;
DROP TABLE notices;
