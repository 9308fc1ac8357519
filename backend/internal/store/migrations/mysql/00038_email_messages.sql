-- +goose Up
-- What each received mail carried besides its words (issue 19): sender,
-- recipients, CC and subject, whether the sender's domain vouched for it
-- (DKIM or a trusted receiving server's Authentication-Results) and its
-- full text as received; one row per conversation message a mail became.
CREATE TABLE email_messages (
  message_id      CHAR(36)     NOT NULL PRIMARY KEY,
  workspace_id    CHAR(36)     NOT NULL,
  conversation_id CHAR(36)     NOT NULL,
  inbox_id        CHAR(36)     NOT NULL,
  from_address    VARCHAR(254) NOT NULL,
  from_name       VARCHAR(200) NOT NULL,
  to_list         TEXT         NOT NULL,
  cc_list         TEXT         NOT NULL,
  subject         VARCHAR(998) NOT NULL,
  sender_verified TINYINT      NOT NULL,
  sender_check    VARCHAR(300) NOT NULL,
  original_text   MEDIUMTEXT   NOT NULL,
  created_at      BIGINT       NOT NULL,
  KEY email_messages_conversation (conversation_id, created_at),
  CONSTRAINT email_messages_workspace_fk FOREIGN KEY (workspace_id) REFERENCES workspaces (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- +goose Down
DROP TABLE email_messages;
