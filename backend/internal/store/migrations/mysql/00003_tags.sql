-- +goose Up
CREATE TABLE tags (
  id           CHAR(36)     NOT NULL PRIMARY KEY,
  workspace_id CHAR(36)     NOT NULL,
  name         VARCHAR(50)  NOT NULL,
  color        VARCHAR(7)   NOT NULL,
  description  VARCHAR(500) NOT NULL,
  created_at   BIGINT       NOT NULL,
  updated_at   BIGINT       NOT NULL,
  UNIQUE KEY tags_name (workspace_id, name),
  CONSTRAINT tags_workspace_fk FOREIGN KEY (workspace_id) REFERENCES workspaces (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Who or what put each tag on a conversation, and when.
CREATE TABLE conversation_tags (
  conversation_id CHAR(36)    NOT NULL,
  tag_id          CHAR(36)    NOT NULL,
  workspace_id    CHAR(36)    NOT NULL,
  applied_by_kind VARCHAR(16) NOT NULL,
  applied_by_id   VARCHAR(64) NOT NULL,
  created_at      BIGINT      NOT NULL,
  PRIMARY KEY (conversation_id, tag_id),
  KEY conversation_tags_tag (workspace_id, tag_id, created_at),
  CONSTRAINT conversation_tags_conversation_fk FOREIGN KEY (conversation_id) REFERENCES conversations (id) ON DELETE CASCADE,
  CONSTRAINT conversation_tags_tag_fk FOREIGN KEY (tag_id) REFERENCES tags (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- +goose Down
DROP TABLE conversation_tags;
DROP TABLE tags;
