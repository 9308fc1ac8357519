package knowledge

import (
	"context"
	"fmt"
	"strings"

	"github.com/tandem-inbox/tandem/backend/internal/store"
)

const docColumns = `id, workspace_id, title, filename, format, size_bytes, content_sha256, chunk_count, created_by, created_at, updated_at, source_url, language`

// docSelect reads docColumns and counts the document's flagged chunks.
const docSelect = `SELECT ` + docColumns + `, (SELECT COUNT(*) FROM knowledge_chunks c
	WHERE c.document_id = knowledge_documents.id AND c.flag_reason <> '') AS flagged_chunk_count`

// stored is a document row with its upload fingerprint.
type stored struct {
	Document
	UploadSHA256 string `db:"upload_sha256"`
}

// insertDocument stores d. A blank client id is stored as NULL, which the
// unique key (workspace_id, client_id) lets repeat.
func insertDocument(ctx context.Context, q store.Querier, d *Document, clientID, uploadSHA256 string) error {
	var client any
	if clientID != "" {
		client = clientID
	}
	_, err := q.ExecContext(ctx, `INSERT INTO knowledge_documents (`+docColumns+`, upload_sha256, client_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		d.ID, d.WorkspaceID, d.Title, d.Filename, d.Format, d.SizeBytes, d.ContentSHA256, d.ChunkCount, d.CreatedBy,
		d.CreatedAt, d.UpdatedAt, d.SourceURL, d.Language, uploadSHA256, client)
	return err
}

func documentByID(ctx context.Context, q store.Querier, id, lock string) (Document, error) {
	var d Document
	err := q.GetContext(ctx, &d, docSelect+` FROM knowledge_documents WHERE id = ?`+lock, id)
	return d, err
}

func documentByClientID(ctx context.Context, q store.Querier, workspaceID, clientID string) (stored, error) {
	var d stored
	err := q.GetContext(ctx, &d, docSelect+`, upload_sha256 FROM knowledge_documents
		WHERE workspace_id = ? AND client_id = ?`, workspaceID, clientID)
	return d, err
}

func updateDocument(ctx context.Context, q store.Querier, d *Document) error {
	_, err := q.ExecContext(ctx, `UPDATE knowledge_documents SET title = ?, filename = ?, format = ?, size_bytes = ?,
		content_sha256 = ?, chunk_count = ?, updated_at = ?, source_url = ?, language = ? WHERE id = ?`,
		d.Title, d.Filename, d.Format, d.SizeBytes, d.ContentSHA256, d.ChunkCount, d.UpdatedAt, d.SourceURL, d.Language, d.ID)
	return err
}

func deleteDocument(ctx context.Context, q store.Querier, id string) error {
	if err := deleteChunks(ctx, q, id); err != nil {
		return err
	}
	_, err := q.ExecContext(ctx, `DELETE FROM knowledge_documents WHERE id = ?`, id)
	return err
}

// documentsPage pages newest first, by (created_at, id) descending; the
// first page has no cursor (first = true).
func documentsPage(ctx context.Context, q store.Querier, workspaceID string, first bool, beforeAt int64, beforeID string, limit int) ([]Document, error) {
	where, args := `workspace_id = ?`, []any{workspaceID}
	if !first {
		where += ` AND (created_at < ? OR (created_at = ? AND id < ?))`
		args = append(args, beforeAt, beforeAt, beforeID)
	}
	var ds []Document
	err := q.SelectContext(ctx, &ds, docSelect+` FROM knowledge_documents WHERE `+where+`
		ORDER BY created_at DESC, id DESC LIMIT ?`, append(args, limit)...)
	return ds, err
}

// chunkBatch is the number of chunks one INSERT writes.
const chunkBatch = 100

func insertChunks(ctx context.Context, q store.Querier, workspaceID string, cs []Chunk) error {
	for len(cs) > 0 {
		n := min(len(cs), chunkBatch)
		rows := make([]string, n)
		args := make([]any, 0, 6*n)
		for i, c := range cs[:n] {
			rows[i] = `(?, ?, ?, ?, ?, ?)`
			args = append(args, c.DocumentID, c.Position, workspaceID, c.Heading, c.Text, c.FlagReason)
		}
		if _, err := q.ExecContext(ctx, `INSERT INTO knowledge_chunks (document_id, position, workspace_id, heading, text, flag_reason)
			VALUES `+strings.Join(rows, ", "), args...); err != nil {
			return err
		}
		cs = cs[n:]
	}
	return nil
}

func deleteChunks(ctx context.Context, q store.Querier, documentID string) error {
	_, err := q.ExecContext(ctx, `DELETE FROM knowledge_chunks WHERE document_id = ?`, documentID)
	return err
}

func chunksOf(ctx context.Context, q store.Querier, documentID string) ([]Chunk, error) {
	var cs []Chunk
	err := q.SelectContext(ctx, &cs, `SELECT document_id, position, heading, text, flag_reason FROM knowledge_chunks
		WHERE document_id = ? ORDER BY position`, documentID)
	return cs, err
}

// bumpRevision advances the workspace's knowledge revision. It runs after
// the document rows are written and before the event is appended, so that
// every knowledge change takes its locks in the same order. The row is
// updated first (one exclusive lock, the usual case) and made only on a
// workspace's first change.
func bumpRevision(ctx context.Context, tx *store.Tx, workspaceID string) error {
	for range 2 {
		res, err := tx.ExecContext(ctx, `UPDATE knowledge_revisions SET revision = revision + 1 WHERE workspace_id = ?`, workspaceID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			return err
		}
		// No row yet: make it. If a concurrent change made it first, this
		// inserts nothing and the update above runs again.
		res, err = tx.ExecContext(ctx, tx.Dialect.InsertIgnore()+` INTO knowledge_revisions (workspace_id, revision)
			VALUES (?, 1)`, workspaceID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			return err
		}
	}
	return fmt.Errorf("bump knowledge revision of %s: no row", workspaceID)
}

// revisionOf reads the workspace's knowledge revision: 0 if it never had
// a document.
func revisionOf(ctx context.Context, q store.Querier, workspaceID string) (int64, error) {
	var rev int64
	err := q.GetContext(ctx, &rev, `SELECT revision FROM knowledge_revisions WHERE workspace_id = ?`, workspaceID)
	if store.ErrNoRows(err) {
		return 0, nil
	}
	return rev, err
}

// indexRow is one chunk as the index is built from it.
type indexRow struct {
	DocumentID string `db:"document_id"`
	Position   int    `db:"position"`
	Heading    string `db:"heading"`
	Text       string `db:"text"`
	Title      string `db:"title"`
	URL        string `db:"source_url"`
	Language   string `db:"language"`
	FlagReason string `db:"flag_reason"`
}

// eachIndexRow calls fn with every chunk of the workspace, with its
// document's title, reading the rows as a stream.
func eachIndexRow(ctx context.Context, q store.Querier, workspaceID string, fn func(indexRow) error) error {
	rows, err := q.QueryxContext(ctx, `SELECT c.document_id, c.position, c.heading, c.text, d.title, d.source_url, d.language, c.flag_reason
		FROM knowledge_chunks c JOIN knowledge_documents d ON d.id = c.document_id
		WHERE c.workspace_id = ? ORDER BY c.document_id, c.position`, workspaceID)
	if err != nil {
		return err
	}
	defer func() { _ = rows.Close() }()
	for rows.Next() {
		var r indexRow
		if err := rows.StructScan(&r); err != nil {
			return err
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return rows.Err()
}
