-- +goose Up
-- The store hands out seqs itself, from the clock row its writers already
-- hold, so that a batch of versions goes in as a few multi-row inserts
-- instead of one INSERT ... RETURNING per version (decision 22). The
-- AUTOINCREMENT counter carries on from where it is: seqs are never reused,
-- even those of deleted versions, or a cursor could skip a new one.
ALTER TABLE sharing_clock ADD COLUMN last_seq INTEGER NOT NULL DEFAULT 0;
UPDATE sharing_clock SET last_seq = COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'stix_versions'), 0);

-- +goose Down
ALTER TABLE sharing_clock DROP COLUMN last_seq;
