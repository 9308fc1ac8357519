-- +goose Up
-- Automation rules per workspace: a trigger, conditions and actions (JSON
-- that SQL never looks into), run in position order.
CREATE TABLE automation_rules (
  id           CHAR(36)     NOT NULL PRIMARY KEY,
  workspace_id CHAR(36)     NOT NULL,
  name         VARCHAR(100) NOT NULL,
  enabled      TINYINT      NOT NULL,
  position     INT          NOT NULL,
  trigger_kind VARCHAR(32)  NOT NULL,
  delay_minutes INT          NOT NULL,
  conditions   MEDIUMTEXT   NOT NULL,
  actions      MEDIUMTEXT   NOT NULL,
  created_at   BIGINT       NOT NULL,
  updated_at   BIGINT       NOT NULL,
  KEY automation_rules_order (workspace_id, position),
  CONSTRAINT automation_rules_workspace_fk FOREIGN KEY (workspace_id) REFERENCES workspaces (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Each time a rule acted on an event: what makes a redelivered event run a
-- rule once, and what loop protection counts.
CREATE TABLE rule_runs (
  rule_id         CHAR(36) NOT NULL,
  event_id        CHAR(36) NOT NULL,
  workspace_id    CHAR(36) NOT NULL,
  conversation_id CHAR(36) NOT NULL,
  created_at      BIGINT   NOT NULL,
  PRIMARY KEY (rule_id, event_id),
  KEY rule_runs_conversation (conversation_id, created_at),
  CONSTRAINT rule_runs_workspace_fk FOREIGN KEY (workspace_id) REFERENCES workspaces (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Buttons the widget shows ("Talk to a person") and the actions they run.
CREATE TABLE custom_actions (
  id           CHAR(36)    NOT NULL PRIMARY KEY,
  workspace_id CHAR(36)    NOT NULL,
  label        VARCHAR(60) NOT NULL,
  enabled      TINYINT     NOT NULL,
  position     INT         NOT NULL,
  actions      MEDIUMTEXT  NOT NULL,
  created_at   BIGINT      NOT NULL,
  updated_at   BIGINT      NOT NULL,
  KEY custom_actions_order (workspace_id, position),
  CONSTRAINT custom_actions_workspace_fk FOREIGN KEY (workspace_id) REFERENCES workspaces (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Webhook calls made by rules and buttons: each with a stable event id,
-- retried with backoff until delivered or dead-lettered; a replica claims a
-- due call with a lease.
CREATE TABLE webhook_deliveries (
  id               CHAR(36)      NOT NULL PRIMARY KEY,
  workspace_id     CHAR(36)      NOT NULL,
  source_id        CHAR(36)      NOT NULL,
  conversation_id  CHAR(36)      NOT NULL,
  url              VARCHAR(2000) NOT NULL,
  secret           VARCHAR(200)  NOT NULL,
  payload          MEDIUMTEXT    NOT NULL,
  status           VARCHAR(16)   NOT NULL,
  attempts         INT           NOT NULL,
  next_attempt_at  BIGINT        NOT NULL,
  lease_until      BIGINT        NOT NULL,
  last_status_code INT           NOT NULL,
  last_error       VARCHAR(500)  NOT NULL,
  created_at       BIGINT        NOT NULL,
  updated_at       BIGINT        NOT NULL,
  delivered_at     BIGINT        NOT NULL,
  KEY webhook_deliveries_due (status, next_attempt_at),
  KEY webhook_deliveries_list (workspace_id, created_at),
  CONSTRAINT webhook_deliveries_workspace_fk FOREIGN KEY (workspace_id) REFERENCES workspaces (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Armed delayed rules ("no agent reply for 10 minutes"): one per rule and
-- conversation, due at an absolute instant (UTC ms), cancelled when the
-- conversation leaves the state that armed it, fired once under a lease.
CREATE TABLE rule_timers (
  rule_id         CHAR(36)    NOT NULL,
  conversation_id CHAR(36)    NOT NULL,
  workspace_id    CHAR(36)    NOT NULL,
  armed_state     VARCHAR(16) NOT NULL,
  armed_by        CHAR(36)    NOT NULL,
  due_at          BIGINT      NOT NULL,
  lease_until     BIGINT      NOT NULL,
  PRIMARY KEY (rule_id, conversation_id),
  KEY rule_timers_due (due_at),
  KEY rule_timers_conversation (conversation_id),
  CONSTRAINT rule_timers_rule_fk FOREIGN KEY (rule_id) REFERENCES automation_rules (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- +goose Down
DROP TABLE rule_timers;
DROP TABLE webhook_deliveries;
DROP TABLE custom_actions;
DROP TABLE rule_runs;
DROP TABLE automation_rules;
