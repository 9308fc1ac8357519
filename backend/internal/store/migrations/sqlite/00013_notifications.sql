-- +goose Up
-- The customer's satisfaction rating, given once after close.
ALTER TABLE conversations ADD COLUMN csat_rating INTEGER NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN csat_comment TEXT NOT NULL DEFAULT '';
ALTER TABLE conversations ADD COLUMN csat_at INTEGER NOT NULL DEFAULT 0;

-- Each member's notifications. event_id makes the notify reactor's retries
-- harmless: one notification per member per event and type.
CREATE TABLE notifications (
  id TEXT NOT NULL PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  type TEXT NOT NULL,
  conversation_id TEXT NOT NULL,
  title TEXT NOT NULL,
  body TEXT NOT NULL,
  event_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  read_at INTEGER NOT NULL DEFAULT 0,
  CONSTRAINT notifications_event UNIQUE (user_id, event_id, type),
  CONSTRAINT notifications_workspace_fk FOREIGN KEY (workspace_id) REFERENCES workspaces (id) ON DELETE CASCADE
);
CREATE INDEX notifications_inbox ON notifications (workspace_id, user_id, created_at);

-- Types a member turned off (a missing row means on).
CREATE TABLE notification_prefs (
  workspace_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  type TEXT NOT NULL,
  enabled INTEGER NOT NULL,
  PRIMARY KEY (workspace_id, user_id, type),
  CONSTRAINT notification_prefs_workspace_fk FOREIGN KEY (workspace_id) REFERENCES workspaces (id) ON DELETE CASCADE
);

-- +goose Down
DROP TABLE notification_prefs;
DROP TABLE notifications;
ALTER TABLE conversations DROP COLUMN csat_at;
ALTER TABLE conversations DROP COLUMN csat_comment;
ALTER TABLE conversations DROP COLUMN csat_rating;
