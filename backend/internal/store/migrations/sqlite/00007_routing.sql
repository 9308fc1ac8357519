-- +goose Up
-- How a workspace routes its queue, and which replica routes it now (lease).
CREATE TABLE routing_settings (
  workspace_id TEXT NOT NULL PRIMARY KEY,
  mode TEXT NOT NULL,
  reply_timeout_seconds INTEGER NOT NULL,
  lease_owner TEXT NOT NULL DEFAULT '',
  lease_until INTEGER NOT NULL DEFAULT 0,
  updated_at INTEGER NOT NULL,
  CONSTRAINT routing_settings_workspace_fk FOREIGN KEY (workspace_id) REFERENCES workspaces (id) ON DELETE CASCADE
);

-- When the conversation got its owner, when the router gave it (0 once the
-- owner replied, or if a person chose it), and to whom the router last gave it.
ALTER TABLE conversations ADD COLUMN assigned_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN routed_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN last_routed_to TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE conversations DROP COLUMN last_routed_to;
ALTER TABLE conversations DROP COLUMN routed_at;
ALTER TABLE conversations DROP COLUMN assigned_at;
DROP TABLE routing_settings;
