-- +goose Up
-- The AI agent's model tokens (AI-03, RATE-01), shared by the replicas so
-- that a budget holds however many of them answer: each workspace's per
-- UTC day (day is that day's midnight, UTC ms), and whether its 80%
-- warning went out that day (set once, by the one replica whose update
-- crossed it), and each conversation's in all. Tokens are added with
-- UPDATE ... SET tokens = tokens + ?, never read and written back.
CREATE TABLE ai_token_days (
  workspace_id CHAR(36) NOT NULL,
  day          BIGINT   NOT NULL,
  tokens       BIGINT   NOT NULL,
  warned       TINYINT  NOT NULL,
  updated_at   BIGINT   NOT NULL,
  PRIMARY KEY (workspace_id, day),
  CONSTRAINT ai_token_days_workspace_fk FOREIGN KEY (workspace_id) REFERENCES workspaces (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE ai_token_conversations (
  conversation_id CHAR(36) NOT NULL PRIMARY KEY,
  workspace_id    CHAR(36) NOT NULL,
  tokens          BIGINT   NOT NULL,
  updated_at      BIGINT   NOT NULL,
  CONSTRAINT ai_token_conversations_conversation_fk FOREIGN KEY (conversation_id) REFERENCES conversations (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- +goose Down
DROP TABLE ai_token_conversations;
DROP TABLE ai_token_days;
