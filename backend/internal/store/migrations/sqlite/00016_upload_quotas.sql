-- +goose Up
-- Upload quotas sum the bytes of an uploader's, a conversation's and a
-- workspace's recent files before every upload.
CREATE INDEX files_uploader ON files (uploader_kind, uploader_id, created_at);
CREATE INDEX files_workspace_created ON files (workspace_id, created_at);
CREATE INDEX files_conversation ON files (conversation_id);

-- +goose Down
DROP INDEX files_conversation;
DROP INDEX files_workspace_created;
DROP INDEX files_uploader;
