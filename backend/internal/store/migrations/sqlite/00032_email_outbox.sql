-- +goose Up
-- Email conversations (issue 19): which inbox a conversation's mail goes
-- through, to whom, and the ids its replies thread under; and the outbox
-- of agents' replies to send by SMTP, claimed under a lease, retried with
-- backoff, kept as sent or failed.
CREATE TABLE email_threads (
  conversation_id TEXT NOT NULL PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  inbox_id TEXT NOT NULL,
  customer_address TEXT NOT NULL,
  last_message_id TEXT NOT NULL,
  refs TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  CONSTRAINT email_threads_workspace_fk FOREIGN KEY (workspace_id) REFERENCES workspaces (id) ON DELETE CASCADE
);
CREATE TABLE email_outbox (
  id TEXT NOT NULL PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  conversation_id TEXT NOT NULL,
  author_name TEXT NOT NULL,
  body TEXT NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  next_at INTEGER NOT NULL,
  lease_until INTEGER NOT NULL,
  last_error TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  sent_at INTEGER NOT NULL,
  CONSTRAINT email_outbox_workspace_fk FOREIGN KEY (workspace_id) REFERENCES workspaces (id) ON DELETE CASCADE
);
CREATE INDEX email_outbox_due ON email_outbox (status, next_at);

-- +goose Down
DROP TABLE email_outbox;
DROP TABLE email_threads;
