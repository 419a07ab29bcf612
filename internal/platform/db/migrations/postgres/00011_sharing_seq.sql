-- +goose Up
-- The store hands out seqs itself, from the clock row its writers already
-- hold, so that a batch of versions goes in as a few multi-row inserts
-- instead of one INSERT ... RETURNING per version (decision 22). The
-- counter carries on from the serial's sequence: seqs are never reused,
-- even those of deleted versions, or a cursor could skip a new one.
ALTER TABLE sharing_clock ADD COLUMN last_seq BIGINT NOT NULL DEFAULT 0;
UPDATE sharing_clock SET last_seq = (SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM stix_versions_seq_seq);

-- +goose Down
ALTER TABLE sharing_clock DROP COLUMN last_seq;
