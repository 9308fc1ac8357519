-- +goose Up
-- Saved replies. scope is '' for a workspace-wide response and the owner's
-- user id for a personal one (it repeats owner_user_id), so that one unique
-- key keeps shortcuts unique per workspace and, separately, per owner.
CREATE TABLE canned_responses (
  id TEXT NOT NULL PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  owner_user_id TEXT NOT NULL DEFAULT '',
  scope TEXT NOT NULL,
  shortcut TEXT NOT NULL,
  title TEXT NOT NULL,
  body TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  CONSTRAINT canned_responses_shortcut UNIQUE (workspace_id, scope, shortcut),
  CONSTRAINT canned_responses_workspace_fk FOREIGN KEY (workspace_id) REFERENCES workspaces (id) ON DELETE CASCADE
);

-- +goose Down
DROP TABLE canned_responses;
