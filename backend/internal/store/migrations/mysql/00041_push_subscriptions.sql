-- +goose Up
-- Members' Web Push subscriptions, one row per browser and workspace: the
-- push service's endpoint and the browser's keys that encrypt what is sent
-- to it (RFC 8291). endpoint_hash (SHA-256 of the endpoint) is the key a
-- re-subscription finds its row by: endpoints are long URLs, too long to
-- index whole on MySQL. The server's VAPID key that signs the pushes is in
-- server_secrets.
CREATE TABLE push_subscriptions (
  id              CHAR(36)     NOT NULL PRIMARY KEY,
  workspace_id    CHAR(36)     NOT NULL,
  user_id         CHAR(36)     NOT NULL,
  endpoint        TEXT         NOT NULL,
  endpoint_hash   BINARY(32)   NOT NULL,
  p256dh          VARCHAR(100) NOT NULL,
  auth            VARCHAR(40)  NOT NULL,
  user_agent      VARCHAR(300) NOT NULL,
  created_at      BIGINT       NOT NULL,
  updated_at      BIGINT       NOT NULL,
  last_success_at BIGINT       NOT NULL DEFAULT 0,
  failures        INT          NOT NULL DEFAULT 0,
  UNIQUE KEY push_subscriptions_endpoint (endpoint_hash, workspace_id),
  KEY push_subscriptions_member (workspace_id, user_id),
  CONSTRAINT push_subscriptions_workspace_fk FOREIGN KEY (workspace_id) REFERENCES workspaces (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- +goose Down
DROP TABLE push_subscriptions;
