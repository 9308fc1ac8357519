-- +goose Up
-- Reply-timeout re-routes are capped (issue 15, item 17): a conversation
-- counts its re-routes, remembers the agent whose timeout it just was (who
-- is not given it again), and once over the workspace's cap waits in the
-- queue flagged as needing attention.
ALTER TABLE conversations ADD COLUMN reroutes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN lapsed_by TEXT NOT NULL DEFAULT '';
ALTER TABLE conversations ADD COLUMN needs_attention INTEGER NOT NULL DEFAULT 0;
ALTER TABLE routing_settings ADD COLUMN max_reroutes INTEGER NOT NULL DEFAULT 3;

-- The AI agent's and the rules' reactors are gated (issue 15, item 18):
-- they keep a cursor only in workspaces where their feature is on, so that
-- a feature turned off leaves no cursor lagging behind the log. Drop the
-- cursors of workspaces where it is off, and start one (from now) where it
-- is on and none was ever made.
DELETE FROM reactor_cursors WHERE name = 'bot'
  AND workspace_id NOT IN (SELECT b.workspace_id FROM bot_settings b WHERE b.enabled = 1);
DELETE FROM reactor_cursors WHERE name = 'automation'
  AND workspace_id NOT IN (SELECT a.workspace_id FROM automation_rules a WHERE a.enabled = 1);
INSERT INTO reactor_cursors (name, workspace_id, seq, lease_owner, lease_until)
  SELECT 'bot', w.id, w.last_seq, '', 0 FROM workspaces w
  WHERE w.id IN (SELECT b.workspace_id FROM bot_settings b WHERE b.enabled = 1)
    AND NOT EXISTS (SELECT 1 FROM reactor_cursors r WHERE r.name = 'bot' AND r.workspace_id = w.id);
INSERT INTO reactor_cursors (name, workspace_id, seq, lease_owner, lease_until)
  SELECT 'automation', w.id, w.last_seq, '', 0 FROM workspaces w
  WHERE w.id IN (SELECT a.workspace_id FROM automation_rules a WHERE a.enabled = 1)
    AND NOT EXISTS (SELECT 1 FROM reactor_cursors r WHERE r.name = 'automation' AND r.workspace_id = w.id);

-- +goose Down
-- The cursors need no undoing: ungated reactors make the ones they miss.
ALTER TABLE routing_settings DROP COLUMN max_reroutes;
ALTER TABLE conversations DROP COLUMN needs_attention;
ALTER TABLE conversations DROP COLUMN lapsed_by;
ALTER TABLE conversations DROP COLUMN reroutes;
