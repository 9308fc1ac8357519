-- +goose Up
-- Extra facts about a message that SQL never looks into: its attachments
-- (and, for the AI agent's replies, their confidence and citations).
ALTER TABLE messages ADD COLUMN meta TEXT NULL;

-- Files uploaded to a conversation. The object lives in the blob store
-- under blob_key, a server-made key; name is only what the uploader called
-- it. A file is pending until a message of its uploader attaches it
-- (message_id); pending files are swept after a day.
CREATE TABLE files (
  id              CHAR(36)     NOT NULL PRIMARY KEY,
  workspace_id    CHAR(36)     NOT NULL,
  conversation_id CHAR(36)     NOT NULL,
  uploader_kind   VARCHAR(16)  NOT NULL,
  uploader_id     VARCHAR(64)  NOT NULL,
  client_id       CHAR(36)     NOT NULL,
  name            VARCHAR(255) NOT NULL,
  content_type    VARCHAR(128) NOT NULL,
  size_bytes      BIGINT       NOT NULL,
  sha256          CHAR(64)     NOT NULL,
  blob_key        VARCHAR(128) NOT NULL,
  message_id      CHAR(36)     NULL,
  created_at      BIGINT       NOT NULL,
  UNIQUE KEY files_client (workspace_id, client_id),
  KEY files_message (message_id),
  KEY files_pending (created_at),
  CONSTRAINT files_conversation_fk FOREIGN KEY (conversation_id) REFERENCES conversations (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- +goose Down
DROP TABLE files;
ALTER TABLE messages DROP COLUMN meta;
