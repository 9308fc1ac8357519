-- +goose Up
-- An email conversation's replies may copy others (CC) and carry another
-- subject (issue 19): set by agents, the CC starting as the first mail's.
ALTER TABLE email_threads ADD COLUMN cc TEXT NOT NULL DEFAULT '';
ALTER TABLE email_threads ADD COLUMN subject TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE email_threads DROP COLUMN subject;
ALTER TABLE email_threads DROP COLUMN cc;
