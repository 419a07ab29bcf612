-- +goose Up
-- superseded is 1 when the store holds a later version of the same object
-- (later modified, or the same modified and a later seq), whoever owns
-- it. "The latest version this reader may see" is then the version itself
-- for the nine in ten that are not superseded, and needs the search for a
-- visible later version only for the others (decision 23). Ingest keeps it.
ALTER TABLE stix_versions ADD COLUMN superseded BIGINT NOT NULL DEFAULT 0;
UPDATE stix_versions SET superseded = 1 WHERE EXISTS (
    SELECT 1 FROM stix_versions v2
    WHERE v2.stix_id = stix_versions.stix_id
      AND (v2.modified > stix_versions.modified OR (v2.modified = stix_versions.modified AND v2.seq > stix_versions.seq)));

-- +goose Down
ALTER TABLE stix_versions DROP COLUMN superseded;
