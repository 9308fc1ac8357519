-- +goose Up
-- Upload quotas sum the bytes of an uploader's, a conversation's and a
-- workspace's recent files before every upload (a conversation's files are
-- found by the index of files_conversation_fk).
CREATE INDEX files_uploader ON files (uploader_kind, uploader_id, created_at);
CREATE INDEX files_workspace_created ON files (workspace_id, created_at);

-- +goose Down
DROP INDEX files_workspace_created ON files;
DROP INDEX files_uploader ON files;
