-- +goose Up
ALTER TABLE workspaces ADD COLUMN pruned_seq INTEGER NOT NULL DEFAULT 0;

-- Keys the server keeps in the database so that every replica agrees on
-- them: the key that signs stream cursors, and the epoch of this database.
CREATE TABLE server_secrets (
  name TEXT NOT NULL PRIMARY KEY,
  value BLOB NOT NULL
);

CREATE INDEX events_conversation ON events (workspace_id, conversation_id, seq);

CREATE TABLE contacts (
  id TEXT NOT NULL PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  external_id TEXT NULL,
  name TEXT NOT NULL,
  email TEXT NOT NULL,
  attributes TEXT NOT NULL,
  identity_verified INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  CONSTRAINT contacts_external UNIQUE (workspace_id, external_id),
  CONSTRAINT contacts_workspace_fk FOREIGN KEY (workspace_id) REFERENCES workspaces (id) ON DELETE CASCADE
);
CREATE INDEX contacts_email ON contacts (workspace_id, email);

CREATE TABLE visitor_sessions (
  id TEXT NOT NULL PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  contact_id TEXT NOT NULL,
  token_hash BLOB NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  revoked_at INTEGER NOT NULL DEFAULT 0,
  CONSTRAINT visitor_sessions_token_hash UNIQUE (token_hash),
  CONSTRAINT visitor_sessions_contact_fk FOREIGN KEY (contact_id) REFERENCES contacts (id) ON DELETE CASCADE
);
CREATE INDEX visitor_sessions_contact ON visitor_sessions (contact_id);

CREATE TABLE conversations (
  id TEXT NOT NULL PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  contact_id TEXT NOT NULL,
  client_id TEXT NOT NULL,
  state TEXT NOT NULL,
  assignee_id TEXT NOT NULL DEFAULT '',
  group_id TEXT NOT NULL DEFAULT '',
  priority TEXT NOT NULL DEFAULT 'none',
  channel TEXT NOT NULL,
  page_url TEXT NOT NULL,
  custom_fields TEXT NOT NULL,
  last_message_preview TEXT NOT NULL DEFAULT '',
  last_message_at INTEGER NOT NULL DEFAULT 0,
  last_activity_at INTEGER NOT NULL,
  last_seq INTEGER NOT NULL DEFAULT 0,
  snoozed_until INTEGER NOT NULL DEFAULT 0,
  state_before_snooze TEXT NOT NULL DEFAULT '',
  closed_at INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  CONSTRAINT conversations_client UNIQUE (workspace_id, client_id),
  CONSTRAINT conversations_workspace_fk FOREIGN KEY (workspace_id) REFERENCES workspaces (id) ON DELETE CASCADE,
  CONSTRAINT conversations_contact_fk FOREIGN KEY (contact_id) REFERENCES contacts (id) ON DELETE CASCADE
);
CREATE INDEX conversations_activity ON conversations (workspace_id, last_activity_at, id);
CREATE INDEX conversations_state ON conversations (workspace_id, state, last_activity_at);
CREATE INDEX conversations_assignee ON conversations (workspace_id, assignee_id, last_activity_at);
CREATE INDEX conversations_contact ON conversations (contact_id, created_at);
CREATE INDEX conversations_snoozed ON conversations (state, snoozed_until);

-- The history of a conversation: messages, internal notes and activity
-- records, in event-log order (seq). It outlives the event log's retention.
CREATE TABLE messages (
  id TEXT NOT NULL PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  conversation_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  kind TEXT NOT NULL,
  visibility TEXT NOT NULL,
  author_kind TEXT NOT NULL,
  author_id TEXT NOT NULL,
  author_name TEXT NOT NULL,
  body TEXT NOT NULL,
  activity TEXT NOT NULL DEFAULT '',
  activity_data TEXT NOT NULL,
  client_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  CONSTRAINT messages_client UNIQUE (workspace_id, client_id),
  CONSTRAINT messages_conversation_fk FOREIGN KEY (conversation_id) REFERENCES conversations (id) ON DELETE CASCADE
);
CREATE INDEX messages_history ON messages (conversation_id, seq);

CREATE TABLE conversation_reads (
  conversation_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  workspace_id TEXT NOT NULL,
  last_read_seq INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (conversation_id, user_id),
  CONSTRAINT conversation_reads_conversation_fk FOREIGN KEY (conversation_id) REFERENCES conversations (id) ON DELETE CASCADE
);

-- +goose Down
DROP TABLE conversation_reads;
DROP TABLE messages;
DROP TABLE conversations;
DROP TABLE visitor_sessions;
DROP TABLE contacts;
DROP INDEX events_conversation;
DROP TABLE server_secrets;
ALTER TABLE workspaces DROP COLUMN pruned_seq;
