-- +goose Up
-- References are looked up by what they point at ("what refers to this
-- object"), never by the version they come from: the outgoing references
-- of a version are in its body. One b-tree keyed by the target serves the
-- lookups; the second, keyed by version, and the foreign key (versions are
-- never deleted) cost an import a quarter of its writing time (decision 25).
CREATE TABLE stix_refs_by_target (
    ref_id      TEXT    NOT NULL,
    property    TEXT    NOT NULL, -- source_ref, target_ref, sighting_of_ref, object_refs, ...
    version_seq INTEGER NOT NULL, -- stix_versions.seq
    PRIMARY KEY (ref_id, property, version_seq)
) WITHOUT ROWID;
INSERT INTO stix_refs_by_target (ref_id, property, version_seq)
    SELECT ref_id, property, version_seq FROM stix_refs;
DROP TABLE stix_refs;
ALTER TABLE stix_refs_by_target RENAME TO stix_refs;

-- +goose Down
CREATE TABLE stix_refs_by_version (
    version_seq INTEGER NOT NULL REFERENCES stix_versions (seq) ON DELETE CASCADE,
    property    TEXT    NOT NULL,
    ref_id      TEXT    NOT NULL,
    PRIMARY KEY (version_seq, property, ref_id)
) WITHOUT ROWID;
INSERT INTO stix_refs_by_version (version_seq, property, ref_id)
    SELECT version_seq, property, ref_id FROM stix_refs;
DROP TABLE stix_refs;
ALTER TABLE stix_refs_by_version RENAME TO stix_refs;
CREATE INDEX stix_refs_ref ON stix_refs (ref_id, property);
