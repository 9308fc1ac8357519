-- +goose Up
-- Skills a conversation needs from the agent routed to it (comma-separated,
-- like agent_status.skills).
ALTER TABLE conversations ADD COLUMN skills TEXT NOT NULL DEFAULT '';
-- A group's cap on the chats of a member routed one of its conversations.
ALTER TABLE agent_groups ADD COLUMN max_chats_per_agent INTEGER NOT NULL DEFAULT 0;
-- When an agent's app last showed it was connected (a Watch stream open), and
-- whether inactivity, not the agent, took them offline (so that coming back
-- restores them).
ALTER TABLE agent_status ADD COLUMN last_seen_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE agent_status ADD COLUMN auto_offline INTEGER NOT NULL DEFAULT 0;
CREATE INDEX agent_status_seen ON agent_status (status, last_seen_at);

-- +goose Down
DROP INDEX agent_status_seen;
ALTER TABLE agent_status DROP COLUMN auto_offline;
ALTER TABLE agent_status DROP COLUMN last_seen_at;
ALTER TABLE agent_groups DROP COLUMN max_chats_per_agent;
ALTER TABLE conversations DROP COLUMN skills;
