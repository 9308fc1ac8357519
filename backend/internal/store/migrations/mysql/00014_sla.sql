-- +goose Up
-- Service-level policies: the first matching one (by position) applies.
CREATE TABLE sla_policies (
  id                     CHAR(36)     NOT NULL PRIMARY KEY,
  workspace_id           CHAR(36)     NOT NULL,
  name                   VARCHAR(100) NOT NULL,
  priorities             VARCHAR(100) NOT NULL,
  position               INT          NOT NULL,
  first_response_seconds BIGINT       NOT NULL,
  next_response_seconds  BIGINT       NOT NULL,
  resolution_seconds     BIGINT       NOT NULL,
  warning_percent        INT          NOT NULL,
  business_hours         TINYINT      NOT NULL,
  created_at             BIGINT       NOT NULL,
  updated_at             BIGINT       NOT NULL,
  KEY sla_policies_workspace (workspace_id, position),
  CONSTRAINT sla_policies_workspace_fk FOREIGN KEY (workspace_id) REFERENCES workspaces (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- When a workspace's team works (JSON ranges and holidays, in its zone).
CREATE TABLE business_hours (
  workspace_id CHAR(36)    NOT NULL PRIMARY KEY,
  time_zone    VARCHAR(64) NOT NULL,
  ranges       TEXT        NOT NULL,
  holidays     TEXT        NOT NULL,
  updated_at   BIGINT      NOT NULL,
  CONSTRAINT business_hours_workspace_fk FOREIGN KEY (workspace_id) REFERENCES workspaces (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Armed SLA warnings and breaches. fired_at is set once, by the replica
-- that claims the row; an unfired row past due fires at the next scan.
CREATE TABLE sla_timers (
  id              CHAR(36)    NOT NULL PRIMARY KEY,
  workspace_id    CHAR(36)    NOT NULL,
  conversation_id CHAR(36)    NOT NULL,
  target          VARCHAR(16) NOT NULL,
  kind            VARCHAR(8)  NOT NULL,
  due_at          BIGINT      NOT NULL,
  fired_at        BIGINT      NOT NULL DEFAULT 0,
  UNIQUE KEY sla_timers_once (conversation_id, target, kind, due_at),
  KEY sla_timers_due (fired_at, due_at),
  CONSTRAINT sla_timers_conversation_fk FOREIGN KEY (conversation_id) REFERENCES conversations (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- A conversation's SLA: deadlines as UTC instants (0 when not running) and
-- outcomes per target ('', 'met' or 'missed').
ALTER TABLE conversations ADD COLUMN sla_policy_id VARCHAR(36) NOT NULL DEFAULT '';
ALTER TABLE conversations ADD COLUMN first_response_due BIGINT NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN next_response_due BIGINT NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN resolution_due BIGINT NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN sla_first_response VARCHAR(8) NOT NULL DEFAULT '';
ALTER TABLE conversations ADD COLUMN sla_next_response VARCHAR(8) NOT NULL DEFAULT '';
ALTER TABLE conversations ADD COLUMN sla_resolution VARCHAR(8) NOT NULL DEFAULT '';
ALTER TABLE conversations ADD COLUMN first_response_at BIGINT NOT NULL DEFAULT 0;

-- Follow-ups per workspace: remind a silent customer, then close.
CREATE TABLE followup_settings (
  workspace_id         CHAR(36)      NOT NULL PRIMARY KEY,
  remind_after_seconds INT           NOT NULL,
  close_after_seconds  INT           NOT NULL,
  reminder_message     VARCHAR(1000) NOT NULL,
  CONSTRAINT followup_settings_workspace_fk FOREIGN KEY (workspace_id) REFERENCES workspaces (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The state a conversation was closed from ('bot': the AI agent resolved it).
ALTER TABLE conversations ADD COLUMN closed_from VARCHAR(16) NOT NULL DEFAULT '';

-- Reports read conversations by when they started and when they closed.
CREATE INDEX conversations_created ON conversations (workspace_id, created_at);
CREATE INDEX conversations_closed ON conversations (workspace_id, closed_at);

-- +goose Down
DROP INDEX conversations_closed ON conversations;
DROP INDEX conversations_created ON conversations;
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
