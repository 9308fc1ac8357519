-- +goose Up
-- While a handed-off chat waits for a person, the AI agent may still answer
-- the questions it can answer confidently (issue 15). On by default.
ALTER TABLE bot_settings ADD COLUMN answer_while_waiting TINYINT NOT NULL DEFAULT 1;

-- +goose Down
ALTER TABLE bot_settings DROP COLUMN answer_while_waiting;
