-- +goose Up
-- References are looked up by what they point at ("what refers to this
-- object"), never by the version they come from: the outgoing references
-- of a version are in its body. The primary key becomes the target-first
-- index; the second index and the foreign key (versions are never
-- deleted) go (decision 25).
ALTER TABLE stix_refs DROP CONSTRAINT stix_refs_version_seq_fkey;
ALTER TABLE stix_refs DROP CONSTRAINT stix_refs_pkey;
DROP INDEX stix_refs_ref;
ALTER TABLE stix_refs ADD PRIMARY KEY (ref_id, property, version_seq);

-- +goose Down
ALTER TABLE stix_refs DROP CONSTRAINT stix_refs_pkey;
ALTER TABLE stix_refs ADD PRIMARY KEY (version_seq, property, ref_id);
CREATE INDEX stix_refs_ref ON stix_refs (ref_id, property);
ALTER TABLE stix_refs ADD CONSTRAINT stix_refs_version_seq_fkey FOREIGN KEY (version_seq) REFERENCES stix_versions (seq) ON DELETE CASCADE;
