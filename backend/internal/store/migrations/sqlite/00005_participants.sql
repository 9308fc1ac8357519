-- +goose Up
-- Agents taking part in a conversation besides its owner.
CREATE TABLE participants (
  conversation_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  workspace_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (conversation_id, user_id),
  CONSTRAINT participants_conversation_fk FOREIGN KEY (conversation_id) REFERENCES conversations (id) ON DELETE CASCADE
);

-- +goose Down
DROP TABLE participants;
