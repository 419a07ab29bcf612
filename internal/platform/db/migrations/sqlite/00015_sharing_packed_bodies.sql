-- +goose Up
-- Bodies may now be stored compressed by Rampart itself (sharing/body.go).
-- Nothing changes in the schema; the version says that a binary from
-- before cannot read what this one writes.
SELECT 1;

-- +goose Down
SELECT 1;
