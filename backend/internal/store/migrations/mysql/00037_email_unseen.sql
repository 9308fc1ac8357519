-- +goose Up
-- The outbox also holds the replies a chat's customer has not seen in the
-- widget, to email them (issue 19): kind 'unseen' (agents' replies on email
-- conversations are 'reply'), and the seq of the reply, checked against
-- what the widget has shown when it falls due.
ALTER TABLE email_outbox ADD COLUMN kind VARCHAR(16) NOT NULL DEFAULT 'reply';
ALTER TABLE email_outbox ADD COLUMN seq BIGINT NOT NULL DEFAULT 0;
CREATE INDEX email_outbox_conversation ON email_outbox (conversation_id, status);

-- +goose Down
DROP INDEX email_outbox_conversation ON email_outbox;
ALTER TABLE email_outbox DROP COLUMN seq;
ALTER TABLE email_outbox DROP COLUMN kind;
