-- +goose Up
-- Where customers can read a knowledge document (an http or https URL, or
-- empty): the widget links the AI agent's citations there.
ALTER TABLE knowledge_documents ADD COLUMN source_url VARCHAR(2048) NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE knowledge_documents DROP COLUMN source_url;
