package conversation

import (
	"context"
	"fmt"

	"github.com/tandem-inbox/tandem/backend/internal/store"
)

const convColumns = `id, workspace_id, contact_id, client_id, state, assignee_id, group_id, priority, channel, page_url,
	custom_fields, last_message_preview, last_message_at, last_activity_at, last_seq, snoozed_until, state_before_snooze,
	closed_at, created_at, updated_at, assigned_at, routed_at, last_routed_to, skills, handoff_reason,
	csat_rating, csat_comment, csat_at, sla_policy_id, first_response_due, next_response_due, resolution_due,
	sla_first_response, sla_next_response, sla_resolution, first_response_at, closed_from, last_customer_preview, last_customer_at,
	reroutes, lapsed_by, needs_attention, subject`

func insertConversation(ctx context.Context, q store.Querier, c *Conversation) error {
	_, err := q.ExecContext(ctx, `INSERT INTO conversations (`+convColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.WorkspaceID, c.ContactID, c.ClientID, c.State, c.AssigneeID, c.GroupID, c.Priority, c.Channel, c.PageURL,
		c.CustomFields, c.LastMessagePreview, c.LastMessageAt, c.LastActivityAt, c.LastSeq, c.SnoozedUntil, c.StateBeforeSnooze,
		c.ClosedAt, c.CreatedAt, c.UpdatedAt, c.AssignedAt, c.RoutedAt, c.LastRoutedTo, c.SkillsText, c.HandoffReason,
		c.CSATRating, c.CSATComment, c.CSATAt, c.PolicyID, c.FirstResponseDue, c.NextResponseDue, c.ResolutionDue,
		c.FirstResponse, c.NextResponse, c.Resolution, c.FirstResponseAt, c.ClosedFrom, c.LastCustomerPreview, c.LastCustomerAt,
		c.Reroutes, c.LapsedBy, c.NeedsAttention, c.Subject)
	return err
}

// saveConversation writes back every mutable field of a locked conversation.
func saveConversation(ctx context.Context, q store.Querier, c *Conversation) error {
	_, err := q.ExecContext(ctx, `UPDATE conversations SET state = ?, assignee_id = ?, group_id = ?, priority = ?,
		last_message_preview = ?, last_message_at = ?, last_activity_at = ?, last_seq = ?, snoozed_until = ?,
		state_before_snooze = ?, closed_at = ?, updated_at = ?, assigned_at = ?, routed_at = ?, last_routed_to = ?, skills = ?, handoff_reason = ?,
		csat_rating = ?, csat_comment = ?, csat_at = ?, sla_policy_id = ?, first_response_due = ?, next_response_due = ?,
		resolution_due = ?, sla_first_response = ?, sla_next_response = ?, sla_resolution = ?, first_response_at = ?, closed_from = ?,
		last_customer_preview = ?, last_customer_at = ?, reroutes = ?, lapsed_by = ?, needs_attention = ? WHERE id = ?`,
		c.State, c.AssigneeID, c.GroupID, c.Priority, c.LastMessagePreview, c.LastMessageAt, c.LastActivityAt, c.LastSeq,
		c.SnoozedUntil, c.StateBeforeSnooze, c.ClosedAt, c.UpdatedAt, c.AssignedAt, c.RoutedAt, c.LastRoutedTo, c.SkillsText, c.HandoffReason,
		c.CSATRating, c.CSATComment, c.CSATAt, c.PolicyID, c.FirstResponseDue, c.NextResponseDue,
		c.ResolutionDue, c.FirstResponse, c.NextResponse, c.Resolution, c.FirstResponseAt, c.ClosedFrom,
		c.LastCustomerPreview, c.LastCustomerAt, c.Reroutes, c.LapsedBy, c.NeedsAttention, c.ID)
	return err
}

func getConversation(ctx context.Context, q store.Querier, id, lock string) (Conversation, error) {
	var c Conversation
	err := q.GetContext(ctx, &c, `SELECT `+convColumns+` FROM conversations WHERE id = ?`+lock, id)
	return c, err
}

// openOfContact counts the contact's conversations that are not closed.
func openOfContact(ctx context.Context, q store.Querier, contactID, lock string) (int, error) {
	var n int
	err := q.GetContext(ctx, &n, `SELECT COUNT(*) FROM conversations WHERE contact_id = ? AND state <> ?`+lock, contactID, StateClosed)
	return n, err
}

func conversationByClientID(ctx context.Context, q store.Querier, workspaceID, clientID string) (Conversation, error) {
	var c Conversation
	err := q.GetContext(ctx, &c, `SELECT `+convColumns+` FROM conversations WHERE workspace_id = ? AND client_id = ?`, workspaceID, clientID)
	return c, err
}

const messageColumns = `id, workspace_id, conversation_id, seq, kind, visibility, author_kind, author_id, author_name, body,
	activity, activity_data, client_id, created_at, meta, whisper_to`

func insertMessage(ctx context.Context, q store.Querier, m *Message) error {
	_, err := q.ExecContext(ctx, `INSERT INTO messages (`+messageColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		m.ID, m.WorkspaceID, m.ConversationID, m.Seq, m.Kind, m.Visibility, m.AuthorKind, m.AuthorID, m.AuthorName, m.Body,
		m.Activity, m.ActivityData, m.ClientID, m.CreatedAt, m.Meta, m.WhisperTo)
	return err
}

func messageByClientID(ctx context.Context, q store.Querier, workspaceID, clientID string) (Message, error) {
	var m Message
	err := q.GetContext(ctx, &m, `SELECT `+messageColumns+` FROM messages WHERE workspace_id = ? AND client_id = ?`, workspaceID, clientID)
	return m, err
}

// lastStateChange is the history's record of the conversation's latest
// state change.
func lastStateChange(ctx context.Context, q store.Querier, conversationID string) (Message, error) {
	var m Message
	err := q.GetContext(ctx, &m, `SELECT `+messageColumns+` FROM messages WHERE conversation_id = ? AND kind = ? AND activity = ?
		ORDER BY seq DESC LIMIT 1`, conversationID, KindActivity, activityStateChanged)
	return m, err
}

// history pages backwards through a conversation's items with seq < before:
// the public ones when r is nil, else those the reader may read.
func history(ctx context.Context, q store.Querier, conversationID string, before int64, r *Reader, limit int) ([]Message, error) {
	query := `SELECT ` + messageColumns + ` FROM messages WHERE conversation_id = ? AND seq < ?`
	args := []any{conversationID, before}
	if r == nil {
		query += ` AND visibility = 'public'`
	} else {
		cond, more := r.whispers("")
		query += cond
		args = append(args, more...)
	}
	var ms []Message
	err := q.SelectContext(ctx, &ms, query+` ORDER BY seq DESC LIMIT ?`, append(args, limit)...)
	return ms, err
}

// whispers is the condition (with its arguments) that keeps the messages
// (columns prefixed with prefix) to those the reader may read.
func (r Reader) whispers(prefix string) (string, []any) {
	switch {
	case r.Supervises:
		return "", nil
	case r.ID == "":
		return ` AND ` + prefix + `visibility <> 'whisper'`, nil
	}
	return ` AND (` + prefix + `visibility <> 'whisper' OR ` + prefix + `author_id = ? OR ` + prefix + `whisper_to = ?)`, []any{r.ID, r.ID}
}

// setRead moves a reader's marker forward (never back).
func setRead(ctx context.Context, tx *store.Tx, c *Conversation, userID string, seq, now int64) error {
	res, err := tx.ExecContext(ctx, `UPDATE conversation_reads SET last_read_seq = ?, updated_at = ?
		WHERE conversation_id = ? AND user_id = ? AND last_read_seq < ?`, seq, now, c.ID, userID, seq)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return nil
	}
	_, err = tx.ExecContext(ctx, tx.Dialect.InsertIgnore()+` INTO conversation_reads
		(conversation_id, user_id, workspace_id, last_read_seq, updated_at) VALUES (?, ?, ?, ?, ?)`,
		c.ID, userID, c.WorkspaceID, seq, now)
	return err
}

// loadRelations fills in the tags and participants of the conversations;
// lock is appended to its reads (Dialect.ForUpdate, under the
// conversation's lock: see Service.lock).
func loadRelations(ctx context.Context, q store.Querier, cs []*Conversation, lock string) error {
	if len(cs) == 0 {
		return nil
	}
	args := make([]any, len(cs))
	byID := make(map[string]*Conversation, len(cs))
	for i, c := range cs {
		args[i] = c.ID
		byID[c.ID] = c
		c.TagIDs, c.ParticipantIDs = nil, nil
	}
	var rows []struct {
		ConversationID string `db:"conversation_id"`
		TagID          string `db:"tag_id"`
	}
	if err := q.SelectContext(ctx, &rows, `SELECT conversation_id, tag_id FROM conversation_tags WHERE conversation_id IN (`+
		store.Placeholders(len(cs))+`) ORDER BY created_at, tag_id`+lock, args...); err != nil {
		return fmt.Errorf("load tags: %w", err)
	}
	for _, r := range rows {
		c := byID[r.ConversationID]
		c.TagIDs = append(c.TagIDs, r.TagID)
	}
	var people []struct {
		ConversationID string `db:"conversation_id"`
		UserID         string `db:"user_id"`
	}
	if err := q.SelectContext(ctx, &people, `SELECT conversation_id, user_id FROM participants WHERE conversation_id IN (`+
		store.Placeholders(len(cs))+`) ORDER BY created_at, user_id`+lock, args...); err != nil {
		return fmt.Errorf("load participants: %w", err)
	}
	for _, r := range people {
		c := byID[r.ConversationID]
		c.ParticipantIDs = append(c.ParticipantIDs, r.UserID)
	}
	return nil
}
