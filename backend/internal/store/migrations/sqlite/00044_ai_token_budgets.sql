-- +goose Up
-- The AI agent's model tokens (AI-03, RATE-01), shared by the replicas so
-- that a budget holds however many of them answer: each workspace's per
-- UTC day (day is that day's midnight, UTC ms), and whether its 80%
-- warning went out that day (set once, by the one replica whose update
-- crossed it), and each conversation's in all. Tokens are added with
-- UPDATE ... SET tokens = tokens + ?, never read and written back.
CREATE TABLE ai_token_days (
  workspace_id TEXT NOT NULL,
  day INTEGER NOT NULL,
  tokens INTEGER NOT NULL,
  warned INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (workspace_id, day),
  CONSTRAINT ai_token_days_workspace_fk FOREIGN KEY (workspace_id) REFERENCES workspaces (id) ON DELETE CASCADE
);

CREATE TABLE ai_token_conversations (
  conversation_id TEXT NOT NULL PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  tokens INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  CONSTRAINT ai_token_conversations_conversation_fk FOREIGN KEY (conversation_id) REFERENCES conversations (id) ON DELETE CASCADE
);

-- +goose Down
DROP TABLE ai_token_conversations;
DROP TABLE ai_token_days;
