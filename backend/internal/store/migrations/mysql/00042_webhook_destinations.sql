-- +goose Up
-- Webhook deliveries go by destination (issue 21): a workspace's receiver
-- origin (scheme, host and port), which bounds the calls in flight to it
-- and which a circuit breaker may hold. Rows queued before this have ""
-- until their next claim fills it in from the URL. Origins compare
-- exactly (a NO PAD collation, as 00017 gives identifiers).
ALTER TABLE webhook_deliveries ADD COLUMN destination VARCHAR(300) CHARACTER SET utf8mb4
  /*M! COLLATE utf8mb4_nopad_bin */ /*!80017 COLLATE utf8mb4_0900_bin */ NOT NULL DEFAULT '';

-- Each destination's circuit breaker, shared by the replicas: failures in
-- a row, and until when (UTC ms) its deliveries wait (open), or the
-- half-open breaker's probe holds it.
CREATE TABLE webhook_destinations (
  workspace_id CHAR(36)     NOT NULL,
  destination  VARCHAR(300) CHARACTER SET utf8mb4 /*M! COLLATE utf8mb4_nopad_bin */ /*!80017 COLLATE utf8mb4_0900_bin */ NOT NULL,
  failures     INT          NOT NULL,
  open_until   BIGINT       NOT NULL,
  updated_at   BIGINT       NOT NULL,
  PRIMARY KEY (workspace_id, destination),
  CONSTRAINT webhook_destinations_workspace_fk FOREIGN KEY (workspace_id) REFERENCES workspaces (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- +goose Down
DROP TABLE webhook_destinations;
ALTER TABLE webhook_deliveries DROP COLUMN destination;
