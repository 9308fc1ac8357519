-- +goose Up
-- A workspace's email inboxes (issue 19): the support address customers
-- write to, the token of the address Tandem's SMTP receiver takes its mail
-- at, and the SMTP server replies go out through. The password is needed
-- in the clear to sign in there; the API never returns it. The addresses
-- compare exactly (no padding collation), as every looked-up identifier.
CREATE TABLE email_inboxes (
  id              CHAR(36)     NOT NULL PRIMARY KEY,
  workspace_id    CHAR(36)     NOT NULL,
  name            VARCHAR(100) NOT NULL,
  support_address VARCHAR(254) CHARACTER SET utf8mb4 /*M! COLLATE utf8mb4_nopad_bin */ /*!80017 COLLATE utf8mb4_0900_bin */ NOT NULL,
  receiving_token VARCHAR(64)  CHARACTER SET utf8mb4 /*M! COLLATE utf8mb4_nopad_bin */ /*!80017 COLLATE utf8mb4_0900_bin */ NOT NULL,
  smtp_host       VARCHAR(253) NOT NULL,
  smtp_port       INT          NOT NULL,
  smtp_tls_mode   VARCHAR(16)  NOT NULL,
  smtp_username   VARCHAR(256) NOT NULL,
  smtp_password   VARCHAR(256) NOT NULL,
  signature       TEXT         NOT NULL,
  group_id        VARCHAR(36)  NOT NULL,
  created_at      BIGINT       NOT NULL,
  updated_at      BIGINT       NOT NULL,
  UNIQUE KEY email_inboxes_address (workspace_id, support_address),
  UNIQUE KEY email_inboxes_receiving (receiving_token),
  CONSTRAINT email_inboxes_workspace_fk FOREIGN KEY (workspace_id) REFERENCES workspaces (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- +goose Down
DROP TABLE email_inboxes;
