-- +goose Up
-- Notifications: what concerns an organization, one row per (organization,
-- object, reason). reason_key names the reason without its wording (the
-- kind and the inventory entry), so a new version of the object updates the
-- row — its version, text, severity and TLP — rather than repeating it.
CREATE TABLE notifications (
    id               TEXT    PRIMARY KEY,      -- UUIDv7
    org_id           TEXT    NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    item_id          TEXT    NOT NULL,         -- the access item of the version notified (stix_versions.id)
    stix_id          TEXT    NOT NULL,
    version_seq      INTEGER NOT NULL,
    object_type      TEXT    NOT NULL,
    reason_kind      TEXT    NOT NULL,         -- indicator, vulnerability, targeting, sighting
    reason_key       TEXT    NOT NULL,
    reason           TEXT    NOT NULL,         -- verbatim: the inventory entry and the object's field
    uncertain        INTEGER NOT NULL DEFAULT 0,
    severity         TEXT    NOT NULL,         -- low, medium, high, critical
    tlp              TEXT    NOT NULL,
    title            TEXT    NOT NULL,
    created_at       INTEGER NOT NULL,          -- microseconds
    updated_at       INTEGER NOT NULL,
    state            TEXT    NOT NULL DEFAULT 'unread', -- unread, read, acknowledged
    read_at          INTEGER NOT NULL DEFAULT 0,
    ack_by           TEXT    NOT NULL DEFAULT '',
    ack_at           INTEGER NOT NULL DEFAULT 0,
    ack_note         TEXT    NOT NULL DEFAULT '',
    escalation_level INTEGER NOT NULL DEFAULT 0, -- index of the contact last told; 0 = the first
    escalated_at     INTEGER NOT NULL DEFAULT 0,
    UNIQUE (org_id, stix_id, reason_key)
);
CREATE INDEX notifications_org ON notifications (org_id, updated_at);
CREATE INDEX notifications_stix ON notifications (stix_id);
CREATE INDEX notifications_open ON notifications (state, severity, created_at);

-- One row per notification and recipient: a user by e-mail, the
-- organization's webhook, an escalation contact.
CREATE TABLE notification_deliveries (
    id              TEXT    PRIMARY KEY,
    notification_id TEXT    NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
    user_id         TEXT    NOT NULL DEFAULT '', -- '' for a channel (webhook) or a contact
    channel         TEXT    NOT NULL,            -- email, webhook, sse
    target          TEXT    NOT NULL,            -- an address or a URL
    status          TEXT    NOT NULL DEFAULT 'pending', -- pending, delivered, digest, failed, dead
    attempts        INTEGER NOT NULL DEFAULT 0,
    error           TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    next_at         INTEGER NOT NULL,
    delivered_at    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX notification_deliveries_due ON notification_deliveries (status, next_at);
CREATE INDEX notification_deliveries_notification ON notification_deliveries (notification_id);

-- Per-user preferences; a user without a row gets the defaults (e-mail,
-- every severity, immediate).
CREATE TABLE notification_preferences (
    user_id      TEXT    PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    channels     TEXT    NOT NULL DEFAULT 'email', -- comma-separated: email, sse
    min_severity TEXT    NOT NULL DEFAULT 'low',
    mode         TEXT    NOT NULL DEFAULT 'immediate', -- immediate or digest
    updated_at   INTEGER NOT NULL
);

-- Per-organization escalation: after how long an unacknowledged critical
-- notification goes to the next contact. No row: the instance's default.
CREATE TABLE notification_escalation (
    org_id     TEXT    PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
    after_us   INTEGER NOT NULL,
    enabled    INTEGER NOT NULL DEFAULT 1,
    updated_at INTEGER NOT NULL
);

-- Webhooks for notifications, per organization, signed like sharing's.
CREATE TABLE notification_webhooks (
    id         TEXT    PRIMARY KEY,
    org_id     TEXT    NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    url        TEXT    NOT NULL,
    secret     TEXT    NOT NULL,
    active     INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL
);
CREATE INDEX notification_webhooks_org ON notification_webhooks (org_id);

-- +goose Down
DROP TABLE notification_webhooks;
DROP TABLE notification_escalation;
DROP TABLE notification_preferences;
DROP TABLE notification_deliveries;
DROP TABLE notifications;
