-- +goose Up
-- Identifiers compare exactly: SQLite's BINARY collation never pads, so
-- nothing changes here (MySQL's 00017 gives its columns NO PAD collations).
SELECT 1;

-- +goose Down
SELECT 1;
