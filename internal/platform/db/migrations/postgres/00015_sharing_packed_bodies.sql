-- +goose Up
-- Bodies may now be stored compressed by Rampart itself (sharing/body.go):
-- TOAST need not try to compress them again.
ALTER TABLE stix_versions ALTER COLUMN body SET STORAGE EXTERNAL;

-- +goose Down
ALTER TABLE stix_versions ALTER COLUMN body SET STORAGE EXTENDED;
