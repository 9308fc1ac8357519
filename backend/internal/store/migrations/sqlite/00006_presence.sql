-- +goose Up
-- An agent's status, capacity and skills in one workspace. A member without
-- a row is offline with the default capacity.
CREATE TABLE agent_status (
  workspace_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  status TEXT NOT NULL,
  max_chats INTEGER NOT NULL,
  skills TEXT NOT NULL,
  status_changed_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (workspace_id, user_id),
  CONSTRAINT agent_status_member_fk FOREIGN KEY (workspace_id, user_id) REFERENCES members (workspace_id, user_id) ON DELETE CASCADE
);

-- +goose Down
DROP TABLE agent_status;
