-- +goose Up
-- The knowledge base: documents a workspace's AI agent answers from, kept
-- only as the chunks their text was cut into (the uploaded bytes are not
-- stored). client_id is NULL for an upload made without one; upload_sha256
-- fingerprints the upload request, so that a retry with the same client_id
-- is recognised even after the document was replaced.
CREATE TABLE knowledge_documents (
  id TEXT NOT NULL PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  title TEXT NOT NULL,
  filename TEXT NOT NULL,
  format TEXT NOT NULL,
  size_bytes INTEGER NOT NULL,
  content_sha256 TEXT NOT NULL,
  upload_sha256 TEXT NOT NULL,
  chunk_count INTEGER NOT NULL,
  client_id TEXT NULL,
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  CONSTRAINT knowledge_documents_client UNIQUE (workspace_id, client_id),
  CONSTRAINT knowledge_documents_workspace_fk FOREIGN KEY (workspace_id) REFERENCES workspaces (id) ON DELETE CASCADE
);
CREATE INDEX knowledge_documents_newest ON knowledge_documents (workspace_id, created_at, id);

-- A document's passages in order (position 0..chunk_count-1), each under
-- its heading path ("Returns > Refunds"). workspace_id repeats the
-- document's, so that an index is built from one workspace's rows only.
CREATE TABLE knowledge_chunks (
  document_id TEXT NOT NULL,
  position INTEGER NOT NULL,
  workspace_id TEXT NOT NULL,
  heading TEXT NOT NULL,
  text TEXT NOT NULL,
  PRIMARY KEY (document_id, position),
  CONSTRAINT knowledge_chunks_document_fk FOREIGN KEY (document_id) REFERENCES knowledge_documents (id) ON DELETE CASCADE
);
CREATE INDEX knowledge_chunks_workspace ON knowledge_chunks (workspace_id);

-- Bumped in the same transaction as every change to a workspace's
-- knowledge: each replica's in-memory index remembers the revision it was
-- built from and rebuilds when the stored one is newer.
CREATE TABLE knowledge_revisions (
  workspace_id TEXT NOT NULL PRIMARY KEY,
  revision INTEGER NOT NULL,
  CONSTRAINT knowledge_revisions_workspace_fk FOREIGN KEY (workspace_id) REFERENCES workspaces (id) ON DELETE CASCADE
);

-- +goose Down
DROP TABLE knowledge_revisions;
DROP TABLE knowledge_chunks;
DROP TABLE knowledge_documents;
