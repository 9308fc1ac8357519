-- +goose Up
-- A rotated widget secret stays valid for a grace period, so stores can
-- switch to the new one: the replaced secret and when it stops working
-- (unix ms; 0 when no previous secret is accepted).
ALTER TABLE workspaces ADD COLUMN previous_widget_secret VARCHAR(64) NOT NULL DEFAULT '';
ALTER TABLE workspaces ADD COLUMN previous_widget_secret_expires_at BIGINT NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE workspaces DROP COLUMN previous_widget_secret_expires_at;
ALTER TABLE workspaces DROP COLUMN previous_widget_secret;
