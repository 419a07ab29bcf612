-- +goose Up
-- A reference is stored as one 64-bit key of (property, target id) beside
-- the version it comes from: a fraction of the size of the ids, so the
-- index, keyed by what references point at and so written at random, is
-- that much smaller (decision 29). key64 is the same function as
-- db.Key64 in Go: the first 8 bytes of SHA-256 of "a b", signed.
-- +goose StatementBegin
CREATE FUNCTION key64(a text, b text) RETURNS bigint
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT ('x' || left(encode(sha256(convert_to(a || ' ' || b, 'UTF8')), 'hex'), 16))::bit(64)::bigint $$;
-- +goose StatementEnd
CREATE TABLE stix_ref_keys (
    ref_key     BIGINT NOT NULL, -- key64(property, ref_id)
    version_seq BIGINT NOT NULL, -- stix_versions.seq
    PRIMARY KEY (ref_key, version_seq)
);
INSERT INTO stix_ref_keys (ref_key, version_seq)
    SELECT key64(property, ref_id), version_seq FROM stix_refs ON CONFLICT DO NOTHING;
DROP TABLE stix_refs;
ALTER TABLE stix_ref_keys RENAME TO stix_refs;
ALTER INDEX stix_ref_keys_pkey RENAME TO stix_refs_pkey;

-- +goose Down
-- Keys cannot be turned back into ids: the references are read again from
-- the bodies, for the properties Rampart looks up (bodies stored compressed,
-- which a binary from before cannot read anyway, are left out).
DROP TABLE stix_refs;
DROP FUNCTION key64(text, text);
CREATE TABLE stix_refs (
    ref_id      TEXT   NOT NULL,
    property    TEXT   NOT NULL,
    version_seq BIGINT NOT NULL,
    PRIMARY KEY (ref_id, property, version_seq)
);
INSERT INTO stix_refs (ref_id, property, version_seq)
    SELECT convert_from(v.body, 'UTF8')::jsonb ->> p.name, p.name, v.seq
    FROM (SELECT seq, body FROM stix_versions WHERE get_byte(body, 0) <> 0) v, (VALUES ('source_ref'), ('target_ref'), ('sighting_of_ref')) p (name)
    WHERE convert_from(v.body, 'UTF8')::jsonb ->> p.name IS NOT NULL
    ON CONFLICT DO NOTHING;
INSERT INTO stix_refs (ref_id, property, version_seq)
    SELECT r.value, 'object_refs', v.seq
    FROM (SELECT seq, body FROM stix_versions WHERE type IN ('report', 'note', 'opinion', 'grouping', 'observed-data')
            AND get_byte(body, 0) <> 0) v, jsonb_array_elements_text(convert_from(v.body, 'UTF8')::jsonb -> 'object_refs') r (value)
    ON CONFLICT DO NOTHING;
