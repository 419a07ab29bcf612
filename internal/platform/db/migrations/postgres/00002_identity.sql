-- +goose Up
CREATE TABLE organizations (
    id          TEXT    PRIMARY KEY,
    name        TEXT    NOT NULL UNIQUE,
    kind        TEXT    NOT NULL,
    parent_id   TEXT    REFERENCES organizations (id),
    sectors     TEXT    NOT NULL DEFAULT '[]', -- JSON list of sector codes
    flags       TEXT    NOT NULL DEFAULT '[]', -- JSON list: election, water, ...
    state_fips  TEXT    NOT NULL DEFAULT '',
    county_fips TEXT    NOT NULL DEFAULT '',
    created_at  BIGINT  NOT NULL
);
CREATE INDEX organizations_parent ON organizations (parent_id);

-- Security contacts, escalated to in position order.
CREATE TABLE org_contacts (
    org_id   TEXT    NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    name     TEXT    NOT NULL,
    email    TEXT    NOT NULL DEFAULT '',
    phone    TEXT    NOT NULL DEFAULT '',
    role     TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (org_id, position)
);

CREATE TABLE users (
    id              TEXT    PRIMARY KEY,
    email           TEXT    NOT NULL UNIQUE, -- lower case
    name            TEXT    NOT NULL,
    org_id          TEXT    NOT NULL REFERENCES organizations (id),
    password_hash   TEXT    NOT NULL DEFAULT '', -- argon2id, PHC string; '' = no password
    oidc_subject    TEXT    UNIQUE,
    disabled        BOOLEAN NOT NULL DEFAULT FALSE,
    failed_signins  INTEGER NOT NULL DEFAULT 0,
    locked_until    BIGINT  NOT NULL DEFAULT 0,
    created_at      BIGINT  NOT NULL,
    last_signin_at  BIGINT  NOT NULL DEFAULT 0
);
CREATE INDEX users_org ON users (org_id);

CREATE TABLE user_roles (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role    TEXT NOT NULL,
    PRIMARY KEY (user_id, role)
);

-- Browser sessions; the cookie holds the secret, the table its hash.
CREATE TABLE sessions (
    id_hash      TEXT    PRIMARY KEY,
    user_id      TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token   TEXT    NOT NULL,
    created_at   BIGINT  NOT NULL,
    expires_at   BIGINT  NOT NULL,
    last_seen_at BIGINT  NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

-- API tokens: shown once, stored as a hash.
CREATE TABLE api_tokens (
    id           TEXT    PRIMARY KEY,
    user_id      TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    secret_hash  TEXT    NOT NULL UNIQUE,
    scopes       TEXT    NOT NULL, -- space-separated: read write admin
    created_at   BIGINT  NOT NULL,
    expires_at   BIGINT  NOT NULL DEFAULT 0, -- 0 = never
    last_used_at BIGINT  NOT NULL DEFAULT 0,
    revoked_at   BIGINT  NOT NULL DEFAULT 0
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

-- One-time invitation links sent by org admins.
CREATE TABLE invitations (
    id          TEXT    PRIMARY KEY,
    token_hash  TEXT    NOT NULL UNIQUE,
    org_id      TEXT    NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    email       TEXT    NOT NULL,
    roles       TEXT    NOT NULL,
    invited_by  TEXT    NOT NULL REFERENCES users (id),
    created_at  BIGINT  NOT NULL,
    expires_at  BIGINT  NOT NULL,
    accepted_at BIGINT  NOT NULL DEFAULT 0
);

-- Sharing groups. The all-members community has implicit membership.
CREATE TABLE communities (
    id           TEXT    PRIMARY KEY,
    name         TEXT    NOT NULL UNIQUE,
    description  TEXT    NOT NULL DEFAULT '',
    owner_org_id TEXT    REFERENCES organizations (id),
    created_at   BIGINT  NOT NULL
);
INSERT INTO communities (id, name, description, created_at)
VALUES ('all-members', 'All members', 'Every organization of this instance; the default audience of TLP:GREEN.', 0);

CREATE TABLE community_members (
    community_id TEXT    NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    org_id       TEXT    NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    added_at     BIGINT  NOT NULL,
    PRIMARY KEY (community_id, org_id)
);
CREATE INDEX community_members_org ON community_members (org_id);

-- The audience of every shared item of every module (see package access).
CREATE TABLE item_audience (
    item_id      TEXT NOT NULL,
    grantee_kind TEXT NOT NULL, -- org, community, user
    grantee_id   TEXT NOT NULL,
    extended_by  TEXT,          -- the recipient org that extended TLP:AMBER to this client
    PRIMARY KEY (item_id, grantee_kind, grantee_id)
);
CREATE INDEX item_audience_grantee ON item_audience (grantee_kind, grantee_id);

-- +goose Down
DROP TABLE item_audience;
DROP TABLE community_members;
DROP TABLE communities;
DROP TABLE invitations;
DROP TABLE api_tokens;
DROP TABLE sessions;
DROP TABLE user_roles;
DROP TABLE users;
DROP TABLE org_contacts;
DROP TABLE organizations;
