-- +goose Up
-- Extra facts about a message that SQL never looks into: its attachments
-- (and, for the AI agent's replies, their confidence and citations).
ALTER TABLE messages ADD COLUMN meta TEXT NULL;

-- Files uploaded to a conversation. The object lives in the blob store
-- under blob_key, a server-made key; name is only what the uploader called
-- it. A file is pending until a message of its uploader attaches it
-- (message_id); pending files are swept after a day.
CREATE TABLE files (
  id TEXT NOT NULL PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  conversation_id TEXT NOT NULL,
  uploader_kind TEXT NOT NULL,
  uploader_id TEXT NOT NULL,
  client_id TEXT NOT NULL,
  name TEXT NOT NULL,
  content_type TEXT NOT NULL,
  size_bytes INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  blob_key TEXT NOT NULL,
  message_id TEXT NULL,
  created_at INTEGER NOT NULL,
  CONSTRAINT files_client UNIQUE (workspace_id, client_id),
  CONSTRAINT files_conversation_fk FOREIGN KEY (conversation_id) REFERENCES conversations (id) ON DELETE CASCADE
);
CREATE INDEX files_message ON files (message_id);
CREATE INDEX files_pending ON files (created_at);

-- +goose Down
DROP TABLE files;
ALTER TABLE messages DROP COLUMN meta;
