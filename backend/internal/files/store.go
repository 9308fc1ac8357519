package files

import (
	"context"
	"fmt"

	"github.com/tandem-inbox/tandem/backend/internal/store"
)

const columns = `id, workspace_id, conversation_id, uploader_kind, uploader_id, client_id, name, content_type,
	size_bytes, sha256, blob_key, message_id, created_at`

func insertFile(ctx context.Context, q store.Querier, f *File) error {
	_, err := q.ExecContext(ctx, `INSERT INTO files (`+columns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		f.ID, f.WorkspaceID, f.ConversationID, f.UploaderKind, f.UploaderID, f.ClientID, f.Name, f.ContentType,
		f.Size, f.SHA256, f.BlobKey, f.MessageID, f.CreatedAt)
	return err
}

func fileByID(ctx context.Context, q store.Querier, id string) (File, error) {
	var f File
	err := q.GetContext(ctx, &f, `SELECT `+columns+` FROM files WHERE id = ?`, id)
	return f, err
}

func fileByClientID(ctx context.Context, q store.Querier, workspaceID, clientID string) (File, error) {
	var f File
	err := q.GetContext(ctx, &f, `SELECT `+columns+` FROM files WHERE workspace_id = ? AND client_id = ?`, workspaceID, clientID)
	return f, err
}

func markSent(ctx context.Context, q store.Querier, id, messageID string) error {
	res, err := q.ExecContext(ctx, `UPDATE files SET message_id = ? WHERE id = ? AND message_id IS NULL`, messageID, id)
	if err != nil {
		return fmt.Errorf("attach file: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return ErrNotAttachable
	}
	return nil
}

// pendingBefore lists unsent files uploaded before the instant (unix ms).
func pendingBefore(ctx context.Context, q store.Querier, before int64) ([]File, error) {
	var fs []File
	err := q.SelectContext(ctx, &fs, `SELECT `+columns+` FROM files WHERE created_at < ? AND message_id IS NULL LIMIT 1000`, before)
	return fs, err
}

// deletePending deletes a file's row if it is still unsent, and reports
// whether it did.
func deletePending(ctx context.Context, q store.Querier, id string) (bool, error) {
	res, err := q.ExecContext(ctx, `DELETE FROM files WHERE id = ? AND message_id IS NULL`, id)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// uploadedBy is the bytes the uploader put into the workspace since the
// instant (unix ms), sent or not.
func uploadedBy(ctx context.Context, q store.Querier, workspaceID, kind, id string, since int64) (int64, error) {
	var n int64
	err := q.GetContext(ctx, &n, `SELECT COALESCE(SUM(size_bytes), 0) FROM files
		WHERE uploader_kind = ? AND uploader_id = ? AND workspace_id = ? AND created_at >= ?`, kind, id, workspaceID, since)
	return n, err
}

// uploadedTo is the bytes of every file of the conversation.
func uploadedTo(ctx context.Context, q store.Querier, conversationID string) (int64, error) {
	var n int64
	err := q.GetContext(ctx, &n, `SELECT COALESCE(SUM(size_bytes), 0) FROM files WHERE conversation_id = ?`, conversationID)
	return n, err
}

// uploadedIn is the bytes uploaded into the workspace since the instant.
func uploadedIn(ctx context.Context, q store.Querier, workspaceID string, since int64) (int64, error) {
	var n int64
	err := q.GetContext(ctx, &n, `SELECT COALESCE(SUM(size_bytes), 0) FROM files WHERE workspace_id = ? AND created_at >= ?`,
		workspaceID, since)
	return n, err
}
