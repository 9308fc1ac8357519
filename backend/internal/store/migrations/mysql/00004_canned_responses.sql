-- +goose Up
-- Saved replies. scope is '' for a workspace-wide response and the owner's
-- user id for a personal one (it repeats owner_user_id), so that one unique
-- key keeps shortcuts unique per workspace and, separately, per owner.
CREATE TABLE canned_responses (
  id            CHAR(36)     NOT NULL PRIMARY KEY,
  workspace_id  CHAR(36)     NOT NULL,
  owner_user_id VARCHAR(36)  NOT NULL DEFAULT '',
  scope         VARCHAR(36)  NOT NULL,
  shortcut      VARCHAR(32)  NOT NULL,
  title         VARCHAR(100) NOT NULL,
  body          TEXT         NOT NULL,
  created_by    VARCHAR(36)  NOT NULL,
  created_at    BIGINT       NOT NULL,
  updated_at    BIGINT       NOT NULL,
  UNIQUE KEY canned_responses_shortcut (workspace_id, scope, shortcut),
  CONSTRAINT canned_responses_workspace_fk FOREIGN KEY (workspace_id) REFERENCES workspaces (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- +goose Down
DROP TABLE canned_responses;
