-- +goose Up
ALTER TABLE workspaces ADD COLUMN pruned_seq BIGINT NOT NULL DEFAULT 0;

-- Keys the server keeps in the database so that every replica agrees on
-- them: the key that signs stream cursors, and the epoch of this database.
CREATE TABLE server_secrets (
  name  VARCHAR(64)    NOT NULL PRIMARY KEY,
  value VARBINARY(64)  NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE INDEX events_conversation ON events (workspace_id, conversation_id, seq);

CREATE TABLE contacts (
  id                CHAR(36)     NOT NULL PRIMARY KEY,
  workspace_id      CHAR(36)     NOT NULL,
  external_id       VARCHAR(255) NULL,
  name              VARCHAR(100) NOT NULL,
  email             VARCHAR(254) NOT NULL,
  attributes        MEDIUMTEXT   NOT NULL,
  identity_verified INT          NOT NULL DEFAULT 0,
  created_at        BIGINT       NOT NULL,
  updated_at        BIGINT       NOT NULL,
  last_seen_at      BIGINT       NOT NULL,
  UNIQUE KEY contacts_external (workspace_id, external_id),
  KEY contacts_email (workspace_id, email),
  CONSTRAINT contacts_workspace_fk FOREIGN KEY (workspace_id) REFERENCES workspaces (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE visitor_sessions (
  id           CHAR(36)   NOT NULL PRIMARY KEY,
  workspace_id CHAR(36)   NOT NULL,
  contact_id   CHAR(36)   NOT NULL,
  token_hash   BINARY(32) NOT NULL,
  created_at   BIGINT     NOT NULL,
  expires_at   BIGINT     NOT NULL,
  revoked_at   BIGINT     NOT NULL DEFAULT 0,
  UNIQUE KEY visitor_sessions_token_hash (token_hash),
  KEY visitor_sessions_contact (contact_id),
  CONSTRAINT visitor_sessions_contact_fk FOREIGN KEY (contact_id) REFERENCES contacts (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE conversations (
  id                   CHAR(36)      NOT NULL PRIMARY KEY,
  workspace_id         CHAR(36)      NOT NULL,
  contact_id           CHAR(36)      NOT NULL,
  client_id            VARCHAR(36)   NOT NULL,
  state                VARCHAR(16)   NOT NULL,
  assignee_id          VARCHAR(36)   NOT NULL DEFAULT '',
  group_id             VARCHAR(36)   NOT NULL DEFAULT '',
  priority             VARCHAR(16)   NOT NULL DEFAULT 'none',
  channel              VARCHAR(16)   NOT NULL,
  page_url             VARCHAR(2048) NOT NULL,
  custom_fields        MEDIUMTEXT    NOT NULL,
  last_message_preview VARCHAR(255)  NOT NULL DEFAULT '',
  last_message_at      BIGINT        NOT NULL DEFAULT 0,
  last_activity_at     BIGINT        NOT NULL,
  last_seq             BIGINT        NOT NULL DEFAULT 0,
  snoozed_until        BIGINT        NOT NULL DEFAULT 0,
  state_before_snooze  VARCHAR(16)   NOT NULL DEFAULT '',
  closed_at            BIGINT        NOT NULL DEFAULT 0,
  created_at           BIGINT        NOT NULL,
  updated_at           BIGINT        NOT NULL,
  UNIQUE KEY conversations_client (workspace_id, client_id),
  KEY conversations_activity (workspace_id, last_activity_at, id),
  KEY conversations_state (workspace_id, state, last_activity_at),
  KEY conversations_assignee (workspace_id, assignee_id, last_activity_at),
  KEY conversations_contact (contact_id, created_at),
  KEY conversations_snoozed (state, snoozed_until),
  CONSTRAINT conversations_workspace_fk FOREIGN KEY (workspace_id) REFERENCES workspaces (id) ON DELETE CASCADE,
  CONSTRAINT conversations_contact_fk FOREIGN KEY (contact_id) REFERENCES contacts (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The history of a conversation: messages, internal notes and activity
-- records, in event-log order (seq). It outlives the event log's retention.
CREATE TABLE messages (
  id              CHAR(36)     NOT NULL PRIMARY KEY,
  workspace_id    CHAR(36)     NOT NULL,
  conversation_id CHAR(36)     NOT NULL,
  seq             BIGINT       NOT NULL,
  kind            VARCHAR(16)  NOT NULL,
  visibility      VARCHAR(16)  NOT NULL,
  author_kind     VARCHAR(16)  NOT NULL,
  author_id       VARCHAR(64)  NOT NULL,
  author_name     VARCHAR(100) NOT NULL,
  body            MEDIUMTEXT   NOT NULL,
  activity        VARCHAR(64)  NOT NULL DEFAULT '',
  activity_data   TEXT         NOT NULL,
  client_id       VARCHAR(36)  NOT NULL,
  created_at      BIGINT       NOT NULL,
  UNIQUE KEY messages_client (workspace_id, client_id),
  KEY messages_history (conversation_id, seq),
  CONSTRAINT messages_conversation_fk FOREIGN KEY (conversation_id) REFERENCES conversations (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE conversation_reads (
  conversation_id CHAR(36) NOT NULL,
  user_id         CHAR(36) NOT NULL,
  workspace_id    CHAR(36) NOT NULL,
  last_read_seq   BIGINT   NOT NULL,
  updated_at      BIGINT   NOT NULL,
  PRIMARY KEY (conversation_id, user_id),
  CONSTRAINT conversation_reads_conversation_fk FOREIGN KEY (conversation_id) REFERENCES conversations (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- +goose Down
DROP TABLE conversation_reads;
DROP TABLE messages;
DROP TABLE conversations;
DROP TABLE visitor_sessions;
DROP TABLE contacts;
DROP INDEX events_conversation ON events;
DROP TABLE server_secrets;
ALTER TABLE workspaces DROP COLUMN pruned_seq;
