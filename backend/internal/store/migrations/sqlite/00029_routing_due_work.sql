-- +goose Up
-- Routing finds its work by two index-only queries a pass instead of
-- visiting every workspace whose routing is on (issue 17): the workspaces
-- of the conversations waiting in a queue (pending, unowned, not given up
-- on) and of the active chats the router gave out and their agent has not
-- answered (routed_at > 0). Which replica routes a workspace follows the
-- reactors' shards, so the per-workspace lease goes.
CREATE INDEX conversations_queue ON conversations (state, assignee_id, needs_attention, workspace_id);
CREATE INDEX conversations_routed ON conversations (state, routed_at, workspace_id);
ALTER TABLE routing_settings DROP COLUMN lease_owner;
ALTER TABLE routing_settings DROP COLUMN lease_until;

-- +goose Down
ALTER TABLE routing_settings ADD COLUMN lease_until INTEGER NOT NULL DEFAULT 0;
ALTER TABLE routing_settings ADD COLUMN lease_owner TEXT NOT NULL DEFAULT '';
DROP INDEX conversations_routed;
DROP INDEX conversations_queue;
