-- +goose Up
-- The AI agent's built-in escalation intents (issue 16): a row per intent
-- a workspace changed (on or off, and its own phrases, a JSON array of
-- strings); intents without a row are on, with no phrases of their own.
CREATE TABLE bot_escalation_intents (
  workspace_id CHAR(36)    NOT NULL,
  name         VARCHAR(32) CHARACTER SET utf8mb4 /*M! COLLATE utf8mb4_nopad_bin */ /*!80017 COLLATE utf8mb4_0900_bin */ NOT NULL,
  enabled      TINYINT     NOT NULL,
  phrases      TEXT        NOT NULL,
  updated_at   BIGINT      NOT NULL,
  PRIMARY KEY (workspace_id, name),
  CONSTRAINT bot_escalation_intents_workspace_fk FOREIGN KEY (workspace_id) REFERENCES workspaces (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- +goose Down
DROP TABLE bot_escalation_intents;
