-- +goose Up
-- An agent's status, capacity and skills in one workspace. A member without
-- a row is offline with the default capacity.
CREATE TABLE agent_status (
  workspace_id      CHAR(36)     NOT NULL,
  user_id           CHAR(36)     NOT NULL,
  status            VARCHAR(16)  NOT NULL,
  max_chats         INT          NOT NULL,
  skills            VARCHAR(1024) NOT NULL,
  status_changed_at BIGINT       NOT NULL,
  updated_at        BIGINT       NOT NULL,
  PRIMARY KEY (workspace_id, user_id),
  CONSTRAINT agent_status_member_fk FOREIGN KEY (workspace_id, user_id) REFERENCES members (workspace_id, user_id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- +goose Down
DROP TABLE agent_status;
