-- +goose Up
-- The AI agent's settings per workspace (defaults when there is no row).
CREATE TABLE bot_settings (
  workspace_id TEXT NOT NULL PRIMARY KEY,
  enabled INTEGER NOT NULL,
  name TEXT NOT NULL,
  greeting TEXT NOT NULL,
  instructions TEXT NOT NULL,
  confidence_threshold REAL NOT NULL,
  handoff_message TEXT NOT NULL,
  offline_message TEXT NOT NULL,
  handoff_tag TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  CONSTRAINT bot_settings_workspace_fk FOREIGN KEY (workspace_id) REFERENCES workspaces (id) ON DELETE CASCADE
);

-- Every handoff from the AI agent to the team, with its reason: listable,
-- countable, and the source of the knowledge-gaps report.
CREATE TABLE handoffs (
  id TEXT NOT NULL PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  conversation_id TEXT NOT NULL,
  reason TEXT NOT NULL,
  detail TEXT NOT NULL,
  question TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  CONSTRAINT handoffs_conversation_fk FOREIGN KEY (conversation_id) REFERENCES conversations (id) ON DELETE CASCADE
);
CREATE INDEX handoffs_period ON handoffs (workspace_id, created_at);

-- Why the conversation last left the AI agent ('' while it never did).
ALTER TABLE conversations ADD COLUMN handoff_reason TEXT NOT NULL DEFAULT '';

-- Where each reactor (the AI agent, automation, SLA clocks) is in each
-- workspace's event log, and which replica runs it there now.
CREATE TABLE reactor_cursors (
  name TEXT NOT NULL,
  workspace_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  lease_owner TEXT NOT NULL,
  lease_until INTEGER NOT NULL,
  PRIMARY KEY (name, workspace_id),
  CONSTRAINT reactor_cursors_workspace_fk FOREIGN KEY (workspace_id) REFERENCES workspaces (id) ON DELETE CASCADE
);


-- The workspace's web widget options (JSON: choose_group, ask_name, ...).
ALTER TABLE workspaces ADD COLUMN widget_settings TEXT NULL;

-- +goose Down
ALTER TABLE workspaces DROP COLUMN widget_settings;
DROP TABLE reactor_cursors;
ALTER TABLE conversations DROP COLUMN handoff_reason;
DROP TABLE handoffs;
DROP TABLE bot_settings;
