-- +goose Up
-- Webhook deliveries go by destination (issue 21): a workspace's receiver
-- origin (scheme, host and port), which bounds the calls in flight to it
-- and which a circuit breaker may hold. Rows queued before this have ""
-- until their next claim fills it in from the URL.
ALTER TABLE webhook_deliveries ADD COLUMN destination TEXT NOT NULL DEFAULT '';

-- Each destination's circuit breaker, shared by the replicas: failures in
-- a row, and until when (UTC ms) its deliveries wait (open), or the
-- half-open breaker's probe holds it.
CREATE TABLE webhook_destinations (
  workspace_id TEXT NOT NULL,
  destination TEXT NOT NULL,
  failures INTEGER NOT NULL,
  open_until INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (workspace_id, destination),
  CONSTRAINT webhook_destinations_workspace_fk FOREIGN KEY (workspace_id) REFERENCES workspaces (id) ON DELETE CASCADE
);

-- +goose Down
DROP TABLE webhook_destinations;
ALTER TABLE webhook_deliveries DROP COLUMN destination;
