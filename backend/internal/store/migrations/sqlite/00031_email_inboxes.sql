-- +goose Up
-- A workspace's email inboxes (issue 19): the support address customers
-- write to, the token of the address Tandem's SMTP receiver takes its mail
-- at, and the SMTP server replies go out through. The password is needed
-- in the clear to sign in there; the API never returns it.
CREATE TABLE email_inboxes (
  id TEXT NOT NULL PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  name TEXT NOT NULL,
  support_address TEXT NOT NULL,
  receiving_token TEXT NOT NULL,
  smtp_host TEXT NOT NULL,
  smtp_port INTEGER NOT NULL,
  smtp_tls_mode TEXT NOT NULL,
  smtp_username TEXT NOT NULL,
  smtp_password TEXT NOT NULL,
  signature TEXT NOT NULL,
  group_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  CONSTRAINT email_inboxes_address UNIQUE (workspace_id, support_address),
  CONSTRAINT email_inboxes_receiving UNIQUE (receiving_token),
  CONSTRAINT email_inboxes_workspace_fk FOREIGN KEY (workspace_id) REFERENCES workspaces (id) ON DELETE CASCADE
);

-- +goose Down
DROP TABLE email_inboxes;
