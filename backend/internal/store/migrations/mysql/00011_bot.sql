-- +goose Up
-- The AI agent's settings per workspace (defaults when there is no row).
CREATE TABLE bot_settings (
  workspace_id         CHAR(36)      NOT NULL PRIMARY KEY,
  enabled              TINYINT       NOT NULL,
  name                 VARCHAR(100)  NOT NULL,
  greeting             TEXT          NOT NULL,
  instructions         TEXT          NOT NULL,
  confidence_threshold DOUBLE        NOT NULL,
  handoff_message      TEXT          NOT NULL,
  offline_message      TEXT          NOT NULL,
  handoff_tag          VARCHAR(50)   NOT NULL,
  updated_at           BIGINT        NOT NULL,
  CONSTRAINT bot_settings_workspace_fk FOREIGN KEY (workspace_id) REFERENCES workspaces (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Every handoff from the AI agent to the team, with its reason: listable,
-- countable, and the source of the knowledge-gaps report.
CREATE TABLE handoffs (
  id              CHAR(36)     NOT NULL PRIMARY KEY,
  workspace_id    CHAR(36)     NOT NULL,
  conversation_id CHAR(36)     NOT NULL,
  reason          VARCHAR(32)  NOT NULL,
  detail          VARCHAR(500) NOT NULL,
  question        TEXT         NOT NULL,
  created_at      BIGINT       NOT NULL,
  KEY handoffs_period (workspace_id, created_at),
  CONSTRAINT handoffs_conversation_fk FOREIGN KEY (conversation_id) REFERENCES conversations (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Why the conversation last left the AI agent ('' while it never did).
ALTER TABLE conversations ADD COLUMN handoff_reason VARCHAR(32) NOT NULL DEFAULT '';

-- Where each reactor (the AI agent, automation, SLA clocks) is in each
-- workspace's event log, and which replica runs it there now.
CREATE TABLE reactor_cursors (
  name         VARCHAR(32) NOT NULL,
  workspace_id CHAR(36)    NOT NULL,
  seq          BIGINT      NOT NULL,
  lease_owner  VARCHAR(36) NOT NULL,
  lease_until  BIGINT      NOT NULL,
  PRIMARY KEY (name, workspace_id),
  CONSTRAINT reactor_cursors_workspace_fk FOREIGN KEY (workspace_id) REFERENCES workspaces (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;


-- The workspace's web widget options (JSON: choose_group, ask_name, ...).
ALTER TABLE workspaces ADD COLUMN widget_settings TEXT NULL;

-- +goose Down
ALTER TABLE workspaces DROP COLUMN widget_settings;
DROP TABLE reactor_cursors;
ALTER TABLE conversations DROP COLUMN handoff_reason;
DROP TABLE handoffs;
DROP TABLE bot_settings;
