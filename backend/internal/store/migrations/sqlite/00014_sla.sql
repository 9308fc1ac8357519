-- +goose Up
-- Service-level policies: the first matching one (by position) applies.
CREATE TABLE sla_policies (
  id TEXT NOT NULL PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  name TEXT NOT NULL,
  priorities TEXT NOT NULL,
  position INTEGER NOT NULL,
  first_response_seconds INTEGER NOT NULL,
  next_response_seconds INTEGER NOT NULL,
  resolution_seconds INTEGER NOT NULL,
  warning_percent INTEGER NOT NULL,
  business_hours INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  CONSTRAINT sla_policies_workspace_fk FOREIGN KEY (workspace_id) REFERENCES workspaces (id) ON DELETE CASCADE
);

CREATE INDEX sla_policies_workspace ON sla_policies (workspace_id, position);

-- When a workspace's team works (JSON ranges and holidays, in its zone).
CREATE TABLE business_hours (
  workspace_id TEXT NOT NULL PRIMARY KEY,
  time_zone TEXT NOT NULL,
  ranges TEXT NOT NULL,
  holidays TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  CONSTRAINT business_hours_workspace_fk FOREIGN KEY (workspace_id) REFERENCES workspaces (id) ON DELETE CASCADE
);

-- Armed SLA warnings and breaches. fired_at is set once, by the replica
-- that claims the row; an unfired row past due fires at the next scan.
CREATE TABLE sla_timers (
  id TEXT NOT NULL PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  conversation_id TEXT NOT NULL,
  target TEXT NOT NULL,
  kind TEXT NOT NULL,
  due_at INTEGER NOT NULL,
  fired_at INTEGER NOT NULL DEFAULT 0,
  CONSTRAINT sla_timers_once UNIQUE (conversation_id, target, kind, due_at),
  CONSTRAINT sla_timers_conversation_fk FOREIGN KEY (conversation_id) REFERENCES conversations (id) ON DELETE CASCADE
);

CREATE INDEX sla_timers_due ON sla_timers (fired_at, due_at);

-- A conversation's SLA: deadlines as UTC instants (0 when not running) and
-- outcomes per target ('', 'met' or 'missed').
ALTER TABLE conversations ADD COLUMN sla_policy_id TEXT NOT NULL DEFAULT '';
ALTER TABLE conversations ADD COLUMN first_response_due INTEGER NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN next_response_due INTEGER NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN resolution_due INTEGER NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN sla_first_response TEXT NOT NULL DEFAULT '';
ALTER TABLE conversations ADD COLUMN sla_next_response TEXT NOT NULL DEFAULT '';
ALTER TABLE conversations ADD COLUMN sla_resolution TEXT NOT NULL DEFAULT '';
ALTER TABLE conversations ADD COLUMN first_response_at INTEGER NOT NULL DEFAULT 0;

-- Follow-ups per workspace: remind a silent customer, then close.
CREATE TABLE followup_settings (
  workspace_id TEXT NOT NULL PRIMARY KEY,
  remind_after_seconds INTEGER NOT NULL,
  close_after_seconds INTEGER NOT NULL,
  reminder_message TEXT NOT NULL,
  CONSTRAINT followup_settings_workspace_fk FOREIGN KEY (workspace_id) REFERENCES workspaces (id) ON DELETE CASCADE
);

-- The state a conversation was closed from ('bot': the AI agent resolved it).
ALTER TABLE conversations ADD COLUMN closed_from TEXT NOT NULL DEFAULT '';

-- Reports read conversations by when they started and when they closed.
CREATE INDEX conversations_created ON conversations (workspace_id, created_at);
CREATE INDEX conversations_closed ON conversations (workspace_id, closed_at);

-- +goose Down
DROP INDEX conversations_closed;
DROP INDEX conversations_created;
ALTER TABLE conversations DROP COLUMN closed_from;
DROP TABLE followup_settings;
ALTER TABLE conversations DROP COLUMN first_response_at;
ALTER TABLE conversations DROP COLUMN sla_resolution;
ALTER TABLE conversations DROP COLUMN sla_next_response;
ALTER TABLE conversations DROP COLUMN sla_first_response;
ALTER TABLE conversations DROP COLUMN resolution_due;
ALTER TABLE conversations DROP COLUMN next_response_due;
ALTER TABLE conversations DROP COLUMN first_response_due;
ALTER TABLE conversations DROP COLUMN sla_policy_id;
DROP TABLE sla_timers;
DROP TABLE business_hours;
DROP TABLE sla_policies;
