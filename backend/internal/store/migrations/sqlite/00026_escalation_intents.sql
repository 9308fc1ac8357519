-- +goose Up
-- The AI agent's built-in escalation intents (issue 16): a row per intent
-- a workspace changed (on or off, and its own phrases, a JSON array of
-- strings); intents without a row are on, with no phrases of their own.
CREATE TABLE bot_escalation_intents (
  workspace_id TEXT NOT NULL,
  name TEXT NOT NULL,
  enabled INTEGER NOT NULL,
  phrases TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (workspace_id, name),
  CONSTRAINT bot_escalation_intents_workspace_fk FOREIGN KEY (workspace_id) REFERENCES workspaces (id) ON DELETE CASCADE
);

-- +goose Down
DROP TABLE bot_escalation_intents;
