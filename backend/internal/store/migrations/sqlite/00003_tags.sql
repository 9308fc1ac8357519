-- +goose Up
CREATE TABLE tags (
  id TEXT NOT NULL PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  name TEXT NOT NULL,
  color TEXT NOT NULL,
  description TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  CONSTRAINT tags_name UNIQUE (workspace_id, name),
  CONSTRAINT tags_workspace_fk FOREIGN KEY (workspace_id) REFERENCES workspaces (id) ON DELETE CASCADE
);

-- Who or what put each tag on a conversation, and when.
CREATE TABLE conversation_tags (
  conversation_id TEXT NOT NULL,
  tag_id TEXT NOT NULL,
  workspace_id TEXT NOT NULL,
  applied_by_kind TEXT NOT NULL,
  applied_by_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (conversation_id, tag_id),
  CONSTRAINT conversation_tags_conversation_fk FOREIGN KEY (conversation_id) REFERENCES conversations (id) ON DELETE CASCADE,
  CONSTRAINT conversation_tags_tag_fk FOREIGN KEY (tag_id) REFERENCES tags (id) ON DELETE CASCADE
);
CREATE INDEX conversation_tags_tag ON conversation_tags (workspace_id, tag_id, created_at);

-- +goose Down
DROP TABLE conversation_tags;
DROP TABLE tags;
