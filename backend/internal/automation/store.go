package automation

import (
	"context"

	"github.com/tandem-inbox/tandem/backend/internal/store"
)

const ruleColumns = `id, workspace_id, name, enabled, position, trigger_kind, delay_minutes, conditions, actions, created_at, updated_at`

const actionColumns = `id, workspace_id, label, enabled, position, actions, created_at, updated_at`

func insertRule(ctx context.Context, q store.Querier, r *Rule) error {
	_, err := q.ExecContext(ctx, `INSERT INTO automation_rules (`+ruleColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.WorkspaceID, r.Name, r.Enabled, r.Position, r.Trigger, r.DelayMinutes, r.Conditions, r.Actions, r.CreatedAt, r.UpdatedAt)
	return err
}

func updateRule(ctx context.Context, q store.Querier, r *Rule) error {
	_, err := q.ExecContext(ctx, `UPDATE automation_rules SET name = ?, enabled = ?, position = ?, trigger_kind = ?,
		delay_minutes = ?, conditions = ?, actions = ?, updated_at = ? WHERE id = ?`,
		r.Name, r.Enabled, r.Position, r.Trigger, r.DelayMinutes, r.Conditions, r.Actions, r.UpdatedAt, r.ID)
	return err
}

func ruleByID(ctx context.Context, q store.Querier, id, lock string) (Rule, error) {
	var r Rule
	err := q.GetContext(ctx, &r, `SELECT `+ruleColumns+` FROM automation_rules WHERE id = ?`+lock, id)
	return r, err
}

func rulesOf(ctx context.Context, q store.Querier, workspaceID, lock string) ([]Rule, error) {
	var rs []Rule
	err := q.SelectContext(ctx, &rs, `SELECT `+ruleColumns+` FROM automation_rules WHERE workspace_id = ?
		ORDER BY position, id`+lock, workspaceID)
	return rs, err
}

func nextPosition(ctx context.Context, q store.Querier, table, workspaceID string) (int, error) {
	var n int
	err := q.GetContext(ctx, &n, `SELECT COALESCE(MAX(position), -1) + 1 FROM `+table+` WHERE workspace_id = ?`, workspaceID)
	return n, err
}

func insertAction(ctx context.Context, q store.Querier, a *CustomAction) error {
	_, err := q.ExecContext(ctx, `INSERT INTO custom_actions (`+actionColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		a.ID, a.WorkspaceID, a.Label, a.Enabled, a.Position, a.Actions, a.CreatedAt, a.UpdatedAt)
	return err
}

func updateAction(ctx context.Context, q store.Querier, a *CustomAction) error {
	_, err := q.ExecContext(ctx, `UPDATE custom_actions SET label = ?, enabled = ?, position = ?, actions = ?, updated_at = ?
		WHERE id = ?`, a.Label, a.Enabled, a.Position, a.Actions, a.UpdatedAt, a.ID)
	return err
}

func actionByID(ctx context.Context, q store.Querier, id, lock string) (CustomAction, error) {
	var a CustomAction
	err := q.GetContext(ctx, &a, `SELECT `+actionColumns+` FROM custom_actions WHERE id = ?`+lock, id)
	return a, err
}

func actionsOf(ctx context.Context, q store.Querier, workspaceID string) ([]CustomAction, error) {
	var as []CustomAction
	err := q.SelectContext(ctx, &as, `SELECT `+actionColumns+` FROM custom_actions WHERE workspace_id = ?
		ORDER BY position, id`, workspaceID)
	return as, err
}

// ran reports whether the rule already acted on the event.
func ran(ctx context.Context, q store.Querier, ruleID, eventID string) (bool, error) {
	var n int
	err := q.GetContext(ctx, &n, `SELECT COUNT(*) FROM rule_runs WHERE rule_id = ? AND event_id = ?`, ruleID, eventID)
	return n > 0, err
}

// recordRun notes that the rule acted on the event (once).
func recordRun(ctx context.Context, db *store.DB, ruleID, eventID, workspaceID, conversationID string, now int64) error {
	_, err := db.ExecContext(ctx, db.Dialect.InsertIgnore()+` INTO rule_runs (rule_id, event_id, workspace_id, conversation_id, created_at)
		VALUES (?, ?, ?, ?, ?)`, ruleID, eventID, workspaceID, conversationID, now)
	return err
}

// runsSince counts the rule runs in the conversation since the instant.
func runsSince(ctx context.Context, q store.Querier, conversationID string, since int64) (int, error) {
	var n int
	err := q.GetContext(ctx, &n, `SELECT COUNT(*) FROM rule_runs WHERE conversation_id = ? AND created_at >= ?`, conversationID, since)
	return n, err
}
