-- +goose Up
-- What the agents' inbox shows of a customer (issue 15): the customer's own
-- latest words for previews (last_message_preview may be the AI agent's),
-- and for the profile of an anonymous visitor the browser they use, their
-- time zone and the pages they opened the chat on (a JSON list, newest
-- first, at most 10).
ALTER TABLE conversations ADD COLUMN last_customer_preview VARCHAR(255) NOT NULL DEFAULT '';
ALTER TABLE conversations ADD COLUMN last_customer_at BIGINT NOT NULL DEFAULT 0;
UPDATE conversations SET
  last_customer_preview = COALESCE((SELECT SUBSTR(m.body, 1, 255) FROM messages m WHERE m.conversation_id = conversations.id
    AND m.kind = 'text' AND m.author_kind = 'customer' ORDER BY m.seq DESC LIMIT 1), ''),
  last_customer_at = COALESCE((SELECT m.created_at FROM messages m WHERE m.conversation_id = conversations.id
    AND m.kind = 'text' AND m.author_kind = 'customer' ORDER BY m.seq DESC LIMIT 1), 0);
ALTER TABLE contacts ADD COLUMN user_agent VARCHAR(512) NOT NULL DEFAULT '';
ALTER TABLE contacts ADD COLUMN time_zone VARCHAR(64) NOT NULL DEFAULT '';
ALTER TABLE contacts ADD COLUMN pages VARCHAR(4000) NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE contacts DROP COLUMN pages;
ALTER TABLE contacts DROP COLUMN time_zone;
ALTER TABLE contacts DROP COLUMN user_agent;
ALTER TABLE conversations DROP COLUMN last_customer_at;
ALTER TABLE conversations DROP COLUMN last_customer_preview;
