-- +goose Up
-- Email conversations (issue 19): which inbox a conversation's mail goes
-- through, to whom, and the ids its replies thread under; and the outbox
-- of agents' replies to send by SMTP, claimed under a lease, retried with
-- backoff, kept as sent or failed.
CREATE TABLE email_threads (
  conversation_id  CHAR(36)     NOT NULL PRIMARY KEY,
  workspace_id     CHAR(36)     NOT NULL,
  inbox_id         CHAR(36)     NOT NULL,
  customer_address VARCHAR(254) NOT NULL,
  last_message_id  VARCHAR(250) NOT NULL,
  refs             TEXT         NOT NULL,
  updated_at       BIGINT       NOT NULL,
  CONSTRAINT email_threads_workspace_fk FOREIGN KEY (workspace_id) REFERENCES workspaces (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE TABLE email_outbox (
  id              CHAR(36)     NOT NULL PRIMARY KEY,
  workspace_id    CHAR(36)     NOT NULL,
  conversation_id CHAR(36)     NOT NULL,
  author_name     VARCHAR(200) NOT NULL,
  body            MEDIUMTEXT   NOT NULL,
  status          VARCHAR(16)  NOT NULL,
  attempts        INT          NOT NULL,
  next_at         BIGINT       NOT NULL,
  lease_until     BIGINT       NOT NULL,
  last_error      TEXT         NOT NULL,
  created_at      BIGINT       NOT NULL,
  sent_at         BIGINT       NOT NULL,
  KEY email_outbox_due (status, next_at),
  CONSTRAINT email_outbox_workspace_fk FOREIGN KEY (workspace_id) REFERENCES workspaces (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- +goose Down
DROP TABLE email_outbox;
DROP TABLE email_threads;
