-- +goose Up
-- An email inbox may let the workspace's AI agent answer its new mail
-- (issue 19); off unless an admin turns it on.
ALTER TABLE email_inboxes ADD COLUMN ai_answers INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE email_inboxes DROP COLUMN ai_answers;
