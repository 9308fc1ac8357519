-- +goose Up
-- The knowledge base: documents a workspace's AI agent answers from, kept
-- only as the chunks their text was cut into (the uploaded bytes are not
-- stored). client_id is NULL for an upload made without one; upload_sha256
-- fingerprints the upload request, so that a retry with the same client_id
-- is recognised even after the document was replaced.
CREATE TABLE knowledge_documents (
  id             CHAR(36)     NOT NULL PRIMARY KEY,
  workspace_id   CHAR(36)     NOT NULL,
  title          VARCHAR(200) NOT NULL,
  filename       VARCHAR(255) NOT NULL,
  format         VARCHAR(16)  NOT NULL,
  size_bytes     BIGINT       NOT NULL,
  content_sha256 CHAR(64)     NOT NULL,
  upload_sha256  CHAR(64)     NOT NULL,
  chunk_count    INT          NOT NULL,
  client_id      CHAR(36)     NULL,
  created_by     VARCHAR(36)  NOT NULL,
  created_at     BIGINT       NOT NULL,
  updated_at     BIGINT       NOT NULL,
  UNIQUE KEY knowledge_documents_client (workspace_id, client_id),
  KEY knowledge_documents_newest (workspace_id, created_at, id),
  CONSTRAINT knowledge_documents_workspace_fk FOREIGN KEY (workspace_id) REFERENCES workspaces (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- A document's passages in order (position 0..chunk_count-1), each under
-- its heading path ("Returns > Refunds"). workspace_id repeats the
-- document's, so that an index is built from one workspace's rows only.
CREATE TABLE knowledge_chunks (
  document_id  CHAR(36)      NOT NULL,
  position     INT           NOT NULL,
  workspace_id CHAR(36)      NOT NULL,
  heading      VARCHAR(1024) NOT NULL,
  text         TEXT          NOT NULL,
  PRIMARY KEY (document_id, position),
  KEY knowledge_chunks_workspace (workspace_id),
  CONSTRAINT knowledge_chunks_document_fk FOREIGN KEY (document_id) REFERENCES knowledge_documents (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Bumped in the same transaction as every change to a workspace's
-- knowledge: each replica's in-memory index remembers the revision it was
-- built from and rebuilds when the stored one is newer.
CREATE TABLE knowledge_revisions (
  workspace_id CHAR(36) NOT NULL PRIMARY KEY,
  revision     BIGINT   NOT NULL,
  CONSTRAINT knowledge_revisions_workspace_fk FOREIGN KEY (workspace_id) REFERENCES workspaces (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- +goose Down
DROP TABLE knowledge_revisions;
DROP TABLE knowledge_chunks;
DROP TABLE knowledge_documents;
