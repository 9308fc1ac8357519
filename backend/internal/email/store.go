package email

import (
	"context"

	"github.com/tandem-inbox/tandem/backend/internal/store"
)

const columns = `id, workspace_id, name, support_address, receiving_token, smtp_host, smtp_port, smtp_tls_mode,
	smtp_username, smtp_password, signature, group_id, created_at, updated_at`

func insertInbox(ctx context.Context, q store.Querier, i *Inbox) error {
	_, err := q.ExecContext(ctx, `INSERT INTO email_inboxes (`+columns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		i.ID, i.WorkspaceID, i.Name, i.SupportAddress, i.ReceivingToken, i.SMTPHost, i.SMTPPort, i.SMTPTLSMode,
		i.SMTPUsername, i.SMTPPassword, i.Signature, i.GroupID, i.CreatedAt, i.UpdatedAt)
	return err
}

func inboxByID(ctx context.Context, q store.Querier, id, lock string) (Inbox, error) {
	var i Inbox
	err := q.GetContext(ctx, &i, `SELECT `+columns+` FROM email_inboxes WHERE id = ?`+lock, id)
	return i, err
}

// inboxesOf lists a workspace's inboxes by support address.
func inboxesOf(ctx context.Context, q store.Querier, workspaceID string) ([]Inbox, error) {
	var is []Inbox
	err := q.SelectContext(ctx, &is, `SELECT `+columns+` FROM email_inboxes WHERE workspace_id = ? ORDER BY support_address, id`, workspaceID)
	return is, err
}

func countInboxes(ctx context.Context, q store.Querier, workspaceID string) (int, error) {
	var n int
	err := q.GetContext(ctx, &n, `SELECT COUNT(*) FROM email_inboxes WHERE workspace_id = ?`, workspaceID)
	return n, err
}

func updateInbox(ctx context.Context, q store.Querier, i *Inbox) error {
	_, err := q.ExecContext(ctx, `UPDATE email_inboxes SET name = ?, support_address = ?, smtp_host = ?, smtp_port = ?,
		smtp_tls_mode = ?, smtp_username = ?, smtp_password = ?, signature = ?, group_id = ?, updated_at = ? WHERE id = ?`,
		i.Name, i.SupportAddress, i.SMTPHost, i.SMTPPort, i.SMTPTLSMode, i.SMTPUsername, i.SMTPPassword, i.Signature,
		i.GroupID, i.UpdatedAt, i.ID)
	return err
}

func deleteInbox(ctx context.Context, q store.Querier, id string) error {
	_, err := q.ExecContext(ctx, `DELETE FROM email_inboxes WHERE id = ?`, id)
	return err
}

func inboxByToken(ctx context.Context, q store.Querier, token string) (Inbox, error) {
	var i Inbox
	err := q.GetContext(ctx, &i, `SELECT `+columns+` FROM email_inboxes WHERE receiving_token = ?`, token)
	return i, err
}
