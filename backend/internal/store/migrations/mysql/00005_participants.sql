-- +goose Up
-- Agents taking part in a conversation besides its owner.
CREATE TABLE participants (
  conversation_id CHAR(36) NOT NULL,
  user_id         CHAR(36) NOT NULL,
  workspace_id    CHAR(36) NOT NULL,
  created_at      BIGINT   NOT NULL,
  PRIMARY KEY (conversation_id, user_id),
  CONSTRAINT participants_conversation_fk FOREIGN KEY (conversation_id) REFERENCES conversations (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- +goose Down
DROP TABLE participants;
