-- +goose Up
-- The customer's satisfaction rating, given once after close.
ALTER TABLE conversations ADD COLUMN csat_rating INT NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN csat_comment VARCHAR(2000) NOT NULL DEFAULT '';
ALTER TABLE conversations ADD COLUMN csat_at BIGINT NOT NULL DEFAULT 0;

-- Each member's notifications. event_id makes the notify reactor's retries
-- harmless: one notification per member per event and type.
CREATE TABLE notifications (
  id              CHAR(36)     NOT NULL PRIMARY KEY,
  workspace_id    CHAR(36)     NOT NULL,
  user_id         CHAR(36)     NOT NULL,
  type            VARCHAR(32)  NOT NULL,
  conversation_id CHAR(36)     NOT NULL,
  title           VARCHAR(200) NOT NULL,
  body            VARCHAR(500) NOT NULL,
  event_id        CHAR(36)     NOT NULL,
  created_at      BIGINT       NOT NULL,
  read_at         BIGINT       NOT NULL DEFAULT 0,
  UNIQUE KEY notifications_event (user_id, event_id, type),
  KEY notifications_inbox (workspace_id, user_id, created_at),
  CONSTRAINT notifications_workspace_fk FOREIGN KEY (workspace_id) REFERENCES workspaces (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Types a member turned off (a missing row means on).
CREATE TABLE notification_prefs (
  workspace_id CHAR(36)    NOT NULL,
  user_id      CHAR(36)    NOT NULL,
  type         VARCHAR(32) NOT NULL,
  enabled      TINYINT     NOT NULL,
  PRIMARY KEY (workspace_id, user_id, type),
  CONSTRAINT notification_prefs_workspace_fk FOREIGN KEY (workspace_id) REFERENCES workspaces (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- +goose Down
DROP TABLE notification_prefs;
DROP TABLE notifications;
ALTER TABLE conversations DROP COLUMN csat_at;
ALTER TABLE conversations DROP COLUMN csat_comment;
ALTER TABLE conversations DROP COLUMN csat_rating;
