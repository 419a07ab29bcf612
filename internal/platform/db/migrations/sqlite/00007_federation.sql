-- +goose Up
-- Federation: what the peers table of 00005 lacks to run peers safely
-- from several replicas. A run claims its peer with a lease (lease_owner,
-- lease_until) so that one replica at a time pulls and pushes it; failures
-- and next_run_at carry the backoff across replicas and restarts; push_due
-- is set when objects are added to the peer's local collection, so a push
-- follows within a second instead of at the next interval.
ALTER TABLE peers ADD COLUMN max_tlp TEXT NOT NULL DEFAULT 'GREEN'; -- the most restricted TLP pushed; RED never is
ALTER TABLE peers ADD COLUMN lease_owner TEXT NOT NULL DEFAULT '';
ALTER TABLE peers ADD COLUMN lease_until INTEGER NOT NULL DEFAULT 0;
ALTER TABLE peers ADD COLUMN next_run_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE peers ADD COLUMN failures INTEGER NOT NULL DEFAULT 0;    -- consecutive failed runs
ALTER TABLE peers ADD COLUMN push_due INTEGER NOT NULL DEFAULT 0;
ALTER TABLE peers ADD COLUMN last_ok_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE peers ADD COLUMN updated_at INTEGER NOT NULL DEFAULT 0;
CREATE INDEX peers_local_collection ON peers (local_collection);

-- +goose Down
DROP INDEX peers_local_collection;
ALTER TABLE peers DROP COLUMN updated_at;
ALTER TABLE peers DROP COLUMN last_ok_at;
ALTER TABLE peers DROP COLUMN push_due;
ALTER TABLE peers DROP COLUMN failures;
ALTER TABLE peers DROP COLUMN next_run_at;
ALTER TABLE peers DROP COLUMN lease_until;
ALTER TABLE peers DROP COLUMN lease_owner;
ALTER TABLE peers DROP COLUMN max_tlp;
