-- +goose Up
-- Who wrote a reply waiting in the email outbox (issue 19): when it
-- cannot be sent, the note that says so mentions them, which notifies them.
ALTER TABLE email_outbox ADD COLUMN author_id VARCHAR(36) NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE email_outbox DROP COLUMN author_id;
