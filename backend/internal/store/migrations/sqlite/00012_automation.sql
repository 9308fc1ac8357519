-- +goose Up
-- Automation rules per workspace: a trigger, conditions and actions (JSON
-- that SQL never looks into), run in position order.
CREATE TABLE automation_rules (
  id TEXT NOT NULL PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  name TEXT NOT NULL,
  enabled INTEGER NOT NULL,
  position INTEGER NOT NULL,
  trigger_kind TEXT NOT NULL,
  delay_minutes INTEGER NOT NULL,
  conditions TEXT NOT NULL,
  actions TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  CONSTRAINT automation_rules_workspace_fk FOREIGN KEY (workspace_id) REFERENCES workspaces (id) ON DELETE CASCADE
);
CREATE INDEX automation_rules_order ON automation_rules (workspace_id, position);

-- Each time a rule acted on an event: what makes a redelivered event run a
-- rule once, and what loop protection counts.
CREATE TABLE rule_runs (
  rule_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  workspace_id TEXT NOT NULL,
  conversation_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (rule_id, event_id),
  CONSTRAINT rule_runs_workspace_fk FOREIGN KEY (workspace_id) REFERENCES workspaces (id) ON DELETE CASCADE
);
CREATE INDEX rule_runs_conversation ON rule_runs (conversation_id, created_at);

-- Buttons the widget shows ("Talk to a person") and the actions they run.
CREATE TABLE custom_actions (
  id TEXT NOT NULL PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  label TEXT NOT NULL,
  enabled INTEGER NOT NULL,
  position INTEGER NOT NULL,
  actions TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  CONSTRAINT custom_actions_workspace_fk FOREIGN KEY (workspace_id) REFERENCES workspaces (id) ON DELETE CASCADE
);
CREATE INDEX custom_actions_order ON custom_actions (workspace_id, position);

-- Webhook calls made by rules and buttons: each with a stable event id,
-- retried with backoff until delivered or dead-lettered; a replica claims a
-- due call with a lease.
CREATE TABLE webhook_deliveries (
  id TEXT NOT NULL PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  source_id TEXT NOT NULL,
  conversation_id TEXT NOT NULL,
  url TEXT NOT NULL,
  secret TEXT NOT NULL,
  payload TEXT NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  next_attempt_at INTEGER NOT NULL,
  lease_until INTEGER NOT NULL,
  last_status_code INTEGER NOT NULL,
  last_error TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  delivered_at INTEGER NOT NULL,
  CONSTRAINT webhook_deliveries_workspace_fk FOREIGN KEY (workspace_id) REFERENCES workspaces (id) ON DELETE CASCADE
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_list ON webhook_deliveries (workspace_id, created_at);

-- Armed delayed rules ("no agent reply for 10 minutes"): one per rule and
-- conversation, due at an absolute instant (UTC ms), cancelled when the
-- conversation leaves the state that armed it, fired once under a lease.
CREATE TABLE rule_timers (
  rule_id TEXT NOT NULL,
  conversation_id TEXT NOT NULL,
  workspace_id TEXT NOT NULL,
  armed_state TEXT NOT NULL,
  armed_by TEXT NOT NULL,
  due_at INTEGER NOT NULL,
  lease_until INTEGER NOT NULL,
  PRIMARY KEY (rule_id, conversation_id),
  CONSTRAINT rule_timers_rule_fk FOREIGN KEY (rule_id) REFERENCES automation_rules (id) ON DELETE CASCADE
);
CREATE INDEX rule_timers_due ON rule_timers (due_at);
CREATE INDEX rule_timers_conversation ON rule_timers (conversation_id);

-- +goose Down
DROP TABLE rule_timers;
DROP TABLE webhook_deliveries;
DROP TABLE custom_actions;
DROP TABLE rule_runs;
DROP TABLE automation_rules;
