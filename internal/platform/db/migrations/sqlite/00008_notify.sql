-- +goose Up
-- Inventories for notifications: what each organization runs and owns
-- (networks, AS numbers, domains, e-mail domains, URLs, software). Values
-- are stored normalised (notify.Normalize), so the unique key is what "the
-- same entry" means; version is '' except for cpe and purl entries.
CREATE TABLE inventory_items (
    id         TEXT    PRIMARY KEY,               -- UUIDv7
    org_id     TEXT    NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    kind       TEXT    NOT NULL,                  -- cidr, asn, domain, email-domain, url, cpe, purl
    value      TEXT    NOT NULL,
    version    TEXT    NOT NULL DEFAULT '',
    added_at   INTEGER NOT NULL,                  -- microseconds
    added_by   TEXT    NOT NULL,                  -- the actor's label: an e-mail address, "cli"
    UNIQUE (org_id, kind, value, version)         -- also the per-organization listing order
);
-- Who has this value: support questions and reverse look-ups by kind.
CREATE INDEX inventory_items_value ON inventory_items (kind, value);

-- +goose Down
DROP TABLE inventory_items;
