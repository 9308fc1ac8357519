-- +goose Up
-- Members' Web Push subscriptions, one row per browser and workspace: the
-- push service's endpoint and the browser's keys that encrypt what is sent
-- to it (RFC 8291). endpoint_hash (SHA-256 of the endpoint) is the key a
-- re-subscription finds its row by: endpoints are long URLs, too long to
-- index whole on MySQL. The server's VAPID key that signs the pushes is in
-- server_secrets.
CREATE TABLE push_subscriptions (
  id TEXT NOT NULL PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  endpoint TEXT NOT NULL,
  endpoint_hash BLOB NOT NULL,
  p256dh TEXT NOT NULL,
  auth TEXT NOT NULL,
  user_agent TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  last_success_at INTEGER NOT NULL DEFAULT 0,
  failures INTEGER NOT NULL DEFAULT 0,
  CONSTRAINT push_subscriptions_endpoint UNIQUE (endpoint_hash, workspace_id),
  CONSTRAINT push_subscriptions_workspace_fk FOREIGN KEY (workspace_id) REFERENCES workspaces (id) ON DELETE CASCADE
);
CREATE INDEX push_subscriptions_member ON push_subscriptions (workspace_id, user_id);

-- +goose Down
DROP TABLE push_subscriptions;
