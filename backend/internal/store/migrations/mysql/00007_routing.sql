-- +goose Up
-- How a workspace routes its queue, and which replica routes it now (lease).
CREATE TABLE routing_settings (
  workspace_id          CHAR(36)    NOT NULL PRIMARY KEY,
  mode                  VARCHAR(16) NOT NULL,
  reply_timeout_seconds INT         NOT NULL,
  lease_owner           VARCHAR(64) NOT NULL DEFAULT '',
  lease_until           BIGINT      NOT NULL DEFAULT 0,
  updated_at            BIGINT      NOT NULL,
  CONSTRAINT routing_settings_workspace_fk FOREIGN KEY (workspace_id) REFERENCES workspaces (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- When the conversation got its owner, when the router gave it (0 once the
-- owner replied, or if a person chose it), and to whom the router last gave it.
ALTER TABLE conversations ADD COLUMN assigned_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN routed_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN last_routed_to VARCHAR(36) NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE conversations DROP COLUMN last_routed_to;
ALTER TABLE conversations DROP COLUMN routed_at;
ALTER TABLE conversations DROP COLUMN assigned_at;
DROP TABLE routing_settings;
