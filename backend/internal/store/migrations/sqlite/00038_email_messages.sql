-- +goose Up
-- What each received mail carried besides its words (issue 19): sender,
-- recipients, CC and subject, whether the sender's domain vouched for it
-- (DKIM or a trusted receiving server's Authentication-Results) and its
-- full text as received; one row per conversation message a mail became.
CREATE TABLE email_messages (
  message_id TEXT NOT NULL PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  conversation_id TEXT NOT NULL,
  inbox_id TEXT NOT NULL,
  from_address TEXT NOT NULL,
  from_name TEXT NOT NULL,
  to_list TEXT NOT NULL,
  cc_list TEXT NOT NULL,
  subject TEXT NOT NULL,
  sender_verified INTEGER NOT NULL,
  sender_check TEXT NOT NULL,
  original_text TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  CONSTRAINT email_messages_workspace_fk FOREIGN KEY (workspace_id) REFERENCES workspaces (id) ON DELETE CASCADE
);
CREATE INDEX email_messages_conversation ON email_messages (conversation_id, created_at);

-- +goose Down
DROP TABLE email_messages;
