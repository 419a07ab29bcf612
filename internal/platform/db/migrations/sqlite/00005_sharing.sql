-- +goose Up
-- The sharing store. Every version of a STIX object (id + modified) that a
-- source submitted is one row, kept byte for byte; it is a shared item of
-- the access decision (owner_org, created_by, tlp and item_audience by id).
-- seq orders rows by the time they were added and is what cursors, streams
-- and TAXII paging use: writers take the sharing_clock row first, so seq and
-- added_at grow in commit order on both engines.
CREATE TABLE stix_versions (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    id           TEXT    NOT NULL UNIQUE,      -- the item id (UUIDv7)
    stix_id      TEXT    NOT NULL,
    type         TEXT    NOT NULL,
    spec_version TEXT    NOT NULL DEFAULT '2.1',
    created      INTEGER NOT NULL DEFAULT 0,   -- microseconds; 0 when absent
    modified     INTEGER NOT NULL DEFAULT 0,   -- the version: modified, else created, else 0
    version_raw  TEXT    NOT NULL DEFAULT '',  -- the version as written
    revoked      INTEGER NOT NULL DEFAULT 0,
    owner_org    TEXT    NOT NULL,
    created_by   TEXT    NOT NULL,             -- the submitting user, or "system"
    tlp          TEXT    NOT NULL,
    tlp_marked   INTEGER NOT NULL DEFAULT 0,  -- the body carries its TLP marking itself
    anonymous    INTEGER NOT NULL DEFAULT 0,
    source       TEXT    NOT NULL DEFAULT '',  -- api, taxii, import, form, federation
    source_peer  TEXT    NOT NULL DEFAULT '',  -- the federation peer it came from
    content_hash TEXT    NOT NULL,             -- SHA-256 of body
    body         BLOB    NOT NULL,
    name         TEXT    NOT NULL DEFAULT '',  -- name, or a short label for nameless types
    search_text  TEXT    NOT NULL DEFAULT '',  -- lower-case name, description, pattern, values
    valid_from   INTEGER NOT NULL DEFAULT 0,
    valid_until  INTEGER NOT NULL DEFAULT 0,   -- 0 = no end
    confidence   INTEGER NOT NULL DEFAULT -1,  -- -1 = absent
    added_at     INTEGER NOT NULL,
    UNIQUE (stix_id, modified, owner_org, content_hash)
);
-- Lookups by stix_id (and modified) use the unique key's prefix.
CREATE INDEX stix_versions_type ON stix_versions (type, seq);
CREATE INDEX stix_versions_owner ON stix_versions (owner_org, seq);

-- One row: the last seq-time handed out. Taking it serialises writers of
-- the store, which keeps added_at strictly increasing in commit order.
CREATE TABLE sharing_clock (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    last INTEGER NOT NULL
);
INSERT INTO sharing_clock (id, last) VALUES (1, 0);

-- References from a version to other objects, for relationship, sighting
-- and "what points at this" lookups.
CREATE TABLE stix_refs (
    version_seq INTEGER NOT NULL REFERENCES stix_versions (seq) ON DELETE CASCADE,
    property    TEXT    NOT NULL, -- source_ref, target_ref, sighting_of_ref, object_refs, ...
    ref_id      TEXT    NOT NULL,
    PRIMARY KEY (version_seq, property, ref_id)
) WITHOUT ROWID; -- the key is the row: one b-tree, not two
CREATE INDEX stix_refs_ref ON stix_refs (ref_id, property);

-- Observables an index can use: those an indicator's pattern names (only
-- comparisons that alone can make it match) and the values of SCOs.
CREATE TABLE stix_observables (
    version_seq INTEGER NOT NULL REFERENCES stix_versions (seq) ON DELETE CASCADE,
    type        TEXT    NOT NULL, -- ipv4-addr, domain-name, file, ...
    path        TEXT    NOT NULL, -- value, hashes.'SHA-256', ...
    op          TEXT    NOT NULL, -- =, ISSUBSET, LIKE, ...
    value       TEXT    NOT NULL,
    PRIMARY KEY (version_seq, type, path, op, value)
) WITHOUT ROWID;
CREATE INDEX stix_observables_value ON stix_observables (type, value);

-- TAXII collections. A collection belongs to a community or an
-- organization (its audience); members may read and/or write as the flags
-- say; the owner organization administers it and may always write.
CREATE TABLE collections (
    id            TEXT    PRIMARY KEY,
    api_root      TEXT    NOT NULL DEFAULT 'api',
    alias         TEXT    NOT NULL DEFAULT '',
    title         TEXT    NOT NULL,
    description   TEXT    NOT NULL DEFAULT '',
    owner_org     TEXT    NOT NULL REFERENCES organizations (id),
    audience_kind TEXT    NOT NULL, -- community or org
    audience_id   TEXT    NOT NULL,
    can_read      INTEGER NOT NULL DEFAULT 1,
    can_write     INTEGER NOT NULL DEFAULT 0,
    anonymous     INTEGER NOT NULL DEFAULT 0, -- submissions hide their submitter
    default_tlp   TEXT    NOT NULL DEFAULT 'AMBER',
    created_at    INTEGER NOT NULL
);
CREATE UNIQUE INDEX collections_alias ON collections (api_root, alias) WHERE alias <> '';

-- What was added to which collection, and when (TAXII date_added).
CREATE TABLE collection_objects (
    collection_id TEXT    NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
    version_seq   INTEGER NOT NULL REFERENCES stix_versions (seq) ON DELETE CASCADE,
    date_added    INTEGER NOT NULL,
    PRIMARY KEY (collection_id, version_seq)
) WITHOUT ROWID;
CREATE UNIQUE INDEX collection_objects_added ON collection_objects (collection_id, date_added);

-- Status resources of TAXII adds.
CREATE TABLE taxii_status (
    id            TEXT    PRIMARY KEY,
    api_root      TEXT    NOT NULL,
    collection_id TEXT    NOT NULL,
    user_id       TEXT    NOT NULL,
    status        TEXT    NOT NULL, -- pending, complete
    request_at    INTEGER NOT NULL,
    total_count   INTEGER NOT NULL,
    success_count INTEGER NOT NULL DEFAULT 0,
    failure_count INTEGER NOT NULL DEFAULT 0,
    pending_count INTEGER NOT NULL DEFAULT 0,
    details       TEXT    NOT NULL DEFAULT '{}' -- JSON: successes, failures, pendings
);

-- Webhook subscriptions of an organization, and their deliveries.
CREATE TABLE webhooks (
    id          TEXT    PRIMARY KEY,
    org_id      TEXT    NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    created_by  TEXT    NOT NULL,
    url         TEXT    NOT NULL,
    secret      TEXT    NOT NULL,
    filter      TEXT    NOT NULL DEFAULT '{}', -- JSON: types, collections, tlp
    active      INTEGER NOT NULL DEFAULT 1,
    created_at  INTEGER NOT NULL
);
CREATE INDEX webhooks_org ON webhooks (org_id);

CREATE TABLE webhook_deliveries (
    id              TEXT    PRIMARY KEY,
    webhook_id      TEXT    NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    topic           TEXT    NOT NULL,
    subject_id      TEXT    NOT NULL, -- what the delivery is about (a version's item id, ...)
    payload         BLOB    NOT NULL,
    status          TEXT    NOT NULL, -- pending, delivered, dead
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT    NOT NULL DEFAULT '',
    last_status     INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    delivered_at    INTEGER NOT NULL DEFAULT 0,
    UNIQUE (webhook_id, topic, subject_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);

-- Federation peers: another Rampart or any TAXII 2.1 server.
CREATE TABLE peers (
    id              TEXT    PRIMARY KEY,
    name            TEXT    NOT NULL UNIQUE,
    api_root_url    TEXT    NOT NULL,
    remote_collection TEXT  NOT NULL,
    username        TEXT    NOT NULL DEFAULT '',
    secret          TEXT    NOT NULL DEFAULT '',
    pull            INTEGER NOT NULL DEFAULT 0,
    push            INTEGER NOT NULL DEFAULT 0,
    local_collection TEXT   NOT NULL REFERENCES collections (id), -- pulled into / pushed from
    owner_org       TEXT    NOT NULL REFERENCES organizations (id), -- pulled objects are attributed to it
    interval_ms     INTEGER NOT NULL DEFAULT 60000,
    cursor          TEXT    NOT NULL DEFAULT '', -- added_after for the next pull
    push_cursor     INTEGER NOT NULL DEFAULT 0,  -- date_added of the last local object pushed
    enabled         INTEGER NOT NULL DEFAULT 1,
    last_run_at     INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT    NOT NULL DEFAULT '',
    pulled          INTEGER NOT NULL DEFAULT 0,
    pushed          INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL
);

-- Warning lists: values never to alert on (public resolvers, top domains).
CREATE TABLE warning_lists (
    id          TEXT    PRIMARY KEY,
    name        TEXT    NOT NULL UNIQUE,
    description TEXT    NOT NULL DEFAULT '',
    kind        TEXT    NOT NULL, -- cidr, domain, string
    created_at  INTEGER NOT NULL
);
CREATE TABLE warning_list_entries (
    list_id TEXT NOT NULL REFERENCES warning_lists (id) ON DELETE CASCADE,
    value   TEXT NOT NULL,
    PRIMARY KEY (list_id, value)
);

-- +goose Down
DROP TABLE warning_list_entries;
DROP TABLE warning_lists;
DROP TABLE peers;
DROP TABLE webhook_deliveries;
DROP TABLE webhooks;
DROP TABLE taxii_status;
DROP TABLE collection_objects;
DROP TABLE collections;
DROP TABLE stix_observables;
DROP TABLE stix_refs;
DROP TABLE sharing_clock;
DROP TABLE stix_versions;
