-- +goose Up
-- An email conversation keeps its subject (issue 19); other channels leave
-- it empty.
ALTER TABLE conversations ADD COLUMN subject VARCHAR(998) NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE conversations DROP COLUMN subject;
