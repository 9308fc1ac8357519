package email

import (
	"context"

	"github.com/tandem-inbox/tandem/backend/internal/store"
)

const columns = `id, workspace_id, name, support_address, receiving_token, smtp_host, smtp_port, smtp_tls_mode,
	smtp_username, smtp_password, signature, group_id, ai_answers, created_at, updated_at,
	imap_host, imap_port, imap_tls_mode, imap_username, imap_password, imap_mailbox`

func insertInbox(ctx context.Context, q store.Querier, i *Inbox) error {
	_, err := q.ExecContext(ctx, `INSERT INTO email_inboxes (`+columns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
		?, ?, ?, ?, ?, ?)`,
		i.ID, i.WorkspaceID, i.Name, i.SupportAddress, i.ReceivingToken, i.SMTPHost, i.SMTPPort, i.SMTPTLSMode,
		i.SMTPUsername, i.SMTPPassword, i.Signature, i.GroupID, i.AIAnswers, i.CreatedAt, i.UpdatedAt,
		i.IMAPHost, i.IMAPPort, i.IMAPTLSMode, i.IMAPUsername, i.IMAPPassword, i.IMAPMailbox)
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
		smtp_tls_mode = ?, smtp_username = ?, smtp_password = ?, signature = ?, group_id = ?, ai_answers = ?, updated_at = ?,
		imap_host = ?, imap_port = ?, imap_tls_mode = ?, imap_username = ?, imap_password = ?, imap_mailbox = ? WHERE id = ?`,
		i.Name, i.SupportAddress, i.SMTPHost, i.SMTPPort, i.SMTPTLSMode, i.SMTPUsername, i.SMTPPassword, i.Signature,
		i.GroupID, i.AIAnswers, i.UpdatedAt, i.IMAPHost, i.IMAPPort, i.IMAPTLSMode, i.IMAPUsername, i.IMAPPassword, i.IMAPMailbox, i.ID)
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

// thread is an email conversation's row of email_threads.
type thread struct {
	ConversationID  string `db:"conversation_id"`
	WorkspaceID     string `db:"workspace_id"`
	InboxID         string `db:"inbox_id"`
	CustomerAddress string `db:"customer_address"`
	LastMessageID   string `db:"last_message_id"`
	Refs            string `db:"refs"`
	UpdatedAt       int64  `db:"updated_at"`
	// Cc (space-separated) and Subject are what replies are sent with.
	Cc      string `db:"cc"`
	Subject string `db:"subject"`
}

const threadColumns = `conversation_id, workspace_id, inbox_id, customer_address, last_message_id, refs, updated_at, cc, subject`

// saveThread writes a conversation's thread, inserting it the first time
// (with its CC); of concurrent deliveries the last one's write stays. The
// CC and subject agents set stay as they are.
func saveThread(ctx context.Context, db *store.DB, t *thread) error {
	if _, err := db.ExecContext(ctx, db.Dialect.InsertIgnore()+` INTO email_threads (`+threadColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		t.ConversationID, t.WorkspaceID, t.InboxID, t.CustomerAddress, t.LastMessageID, t.Refs, t.UpdatedAt, t.Cc, t.Subject); err != nil {
		return err
	}
	_, err := db.ExecContext(ctx, `UPDATE email_threads SET inbox_id = ?, customer_address = ?, last_message_id = ?, refs = ?,
		updated_at = ? WHERE conversation_id = ?`, t.InboxID, t.CustomerAddress, t.LastMessageID, t.Refs, t.UpdatedAt, t.ConversationID)
	return err
}

func threadOf(ctx context.Context, q store.Querier, conversationID string) (thread, error) {
	var t thread
	err := q.GetContext(ctx, &t, `SELECT `+threadColumns+` FROM email_threads WHERE conversation_id = ?`, conversationID)
	return t, err
}

// outboxRow is one agent reply to send by mail; its id is the message's.
type outboxRow struct {
	ID             string `db:"id"`
	WorkspaceID    string `db:"workspace_id"`
	ConversationID string `db:"conversation_id"`
	AuthorName     string `db:"author_name"`
	Body           string `db:"body"`
	Status         string `db:"status"`
	Attempts       int    `db:"attempts"`
	NextAt         int64  `db:"next_at"`
	LeaseUntil     int64  `db:"lease_until"`
	LastError      string `db:"last_error"`
	CreatedAt      int64  `db:"created_at"`
	SentAt         int64  `db:"sent_at"`
	// Kind is kindReply or kindUnseen; Seq the message's place in its
	// conversation.
	Kind string `db:"kind"`
	Seq  int64  `db:"seq"`
	// AuthorID is the member who wrote a reply ("" for the AI agent's).
	AuthorID string `db:"author_id"`
}

const outboxColumns = `id, workspace_id, conversation_id, author_name, body, status, attempts, next_at, lease_until, last_error, created_at,
	sent_at, kind, seq, author_id`

// enqueue adds a reply to the outbox once: a reactor seeing its event again
// adds nothing.
func enqueue(ctx context.Context, db *store.DB, r *outboxRow) error {
	_, err := db.ExecContext(ctx, db.Dialect.InsertIgnore()+` INTO email_outbox (`+outboxColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.WorkspaceID, r.ConversationID, r.AuthorName, r.Body, r.Status, r.Attempts, r.NextAt, r.LeaseUntil, r.LastError, r.CreatedAt, r.SentAt,
		r.Kind, r.Seq, r.AuthorID)
	return err
}

// dueOutbox lists pending replies due and unleased.
func dueOutbox(ctx context.Context, q store.Querier, now int64, limit int) ([]outboxRow, error) {
	var rs []outboxRow
	err := q.SelectContext(ctx, &rs, `SELECT `+outboxColumns+` FROM email_outbox WHERE status = ? AND next_at <= ? AND lease_until < ?
		ORDER BY next_at LIMIT ?`, outboxPending, now, now, limit)
	return rs, err
}

// claimOutbox leases a due reply for this sender; false when another took it.
func claimOutbox(ctx context.Context, q store.Querier, id string, now, until int64) (bool, error) {
	res, err := q.ExecContext(ctx, `UPDATE email_outbox SET lease_until = ?, attempts = attempts + 1 WHERE id = ? AND status = ?
		AND next_at <= ? AND lease_until < ?`, until, id, outboxPending, now, now)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// pendingUnseen lists a conversation's unseen replies still to mail,
// due or not, by seq.
func pendingUnseen(ctx context.Context, q store.Querier, conversationID string) ([]outboxRow, error) {
	var rs []outboxRow
	err := q.SelectContext(ctx, &rs, `SELECT `+outboxColumns+` FROM email_outbox WHERE conversation_id = ? AND status = ? AND kind = ?
		ORDER BY seq`, conversationID, outboxPending, kindUnseen)
	return rs, err
}

// leaseOutbox leases a pending row, due or not, for this sender; false
// when another sender has it or it is pending no longer.
func leaseOutbox(ctx context.Context, q store.Querier, id string, now, until int64) (bool, error) {
	res, err := q.ExecContext(ctx, `UPDATE email_outbox SET lease_until = ? WHERE id = ? AND status = ? AND lease_until < ?`,
		until, id, outboxPending, now)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

func finishOutbox(ctx context.Context, q store.Querier, id, status, lastError string, nextAt, sentAt int64) error {
	_, err := q.ExecContext(ctx, `UPDATE email_outbox SET status = ?, last_error = ?, next_at = ?, sent_at = ?, lease_until = 0 WHERE id = ?`,
		status, lastError, nextAt, sentAt, id)
	return err
}

// imapState is an IMAP inbox's row of email_imap_state: where reading its
// mailbox got to, and which replica reads it until when.
type imapState struct {
	InboxID     string `db:"inbox_id"`
	UIDValidity uint32 `db:"uid_validity"`
	LastUID     uint32 `db:"last_uid"`
	LeaseOwner  string `db:"lease_owner"`
	LeaseUntil  int64  `db:"lease_until"`
	CheckedAt   int64  `db:"checked_at"`
	LastError   string `db:"last_error"`
}

const imapStateColumns = `inbox_id, uid_validity, last_uid, lease_owner, lease_until, checked_at, last_error`

func imapStateOf(ctx context.Context, q store.Querier, inboxID string) (imapState, error) {
	var st imapState
	err := q.GetContext(ctx, &st, `SELECT `+imapStateColumns+` FROM email_imap_state WHERE inbox_id = ?`, inboxID)
	return st, err
}

// imapStatesOf returns the reading status of a workspace's IMAP inboxes.
func imapStatesOf(ctx context.Context, q store.Querier, workspaceID string) (map[string]IMAPStatus, error) {
	var sts []imapState
	if err := q.SelectContext(ctx, &sts, `SELECT s.inbox_id, s.uid_validity, s.last_uid, s.lease_owner, s.lease_until, s.checked_at,
		s.last_error FROM email_imap_state s JOIN email_inboxes i ON i.id = s.inbox_id WHERE i.workspace_id = ?`, workspaceID); err != nil {
		return nil, err
	}
	m := make(map[string]IMAPStatus, len(sts))
	for _, st := range sts {
		m[st.InboxID] = IMAPStatus{CheckedAt: st.CheckedAt, Error: st.LastError}
	}
	return m, nil
}

func forgetIMAPState(ctx context.Context, q store.Querier, inboxID string) error {
	_, err := q.ExecContext(ctx, `DELETE FROM email_imap_state WHERE inbox_id = ?`, inboxID)
	return err
}

// unwatchedIMAP lists IMAP inboxes whose mailbox no replica watches: no
// lease, or one that ran out (or is owner's own).
func unwatchedIMAP(ctx context.Context, q store.Querier, owner string, now int64, limit int) ([]string, error) {
	var ids []string
	err := q.SelectContext(ctx, &ids, `SELECT i.id FROM email_inboxes i LEFT JOIN email_imap_state s ON s.inbox_id = i.id
		WHERE i.imap_host <> '' AND (s.inbox_id IS NULL OR s.lease_until < ? OR s.lease_owner = ?) ORDER BY i.id LIMIT ?`, now, owner, limit)
	return ids, err
}

// takeIMAPLease makes owner the mailbox's watcher until until, if nobody
// else's lease holds; it says whether owner has it.
func takeIMAPLease(ctx context.Context, db *store.DB, inboxID, owner string, now, until int64) (bool, error) {
	if _, err := db.ExecContext(ctx, db.Dialect.InsertIgnore()+` INTO email_imap_state (`+imapStateColumns+`)
		VALUES (?, 0, 0, '', 0, 0, '')`, inboxID); err != nil {
		// The inbox was deleted since (a foreign key violation): nothing to watch.
		return false, err
	}
	res, err := db.ExecContext(ctx, `UPDATE email_imap_state SET lease_owner = ?, lease_until = ?
		WHERE inbox_id = ? AND (lease_until < ? OR lease_owner = ?)`, owner, until, inboxID, now, owner)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// renewIMAPLease extends owner's lease and, with checked, records a good
// read; false when owner no longer holds it (the state was forgotten or
// another replica took it over).
func renewIMAPLease(ctx context.Context, q store.Querier, inboxID, owner string, until int64, checked int64) (bool, error) {
	res, err := q.ExecContext(ctx, `UPDATE email_imap_state SET lease_until = ?,
		checked_at = CASE WHEN ? > 0 THEN ? ELSE checked_at END, last_error = CASE WHEN ? > 0 THEN '' ELSE last_error END
		WHERE inbox_id = ? AND lease_owner = ?`, until, checked, checked, checked, inboxID, owner)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// setIMAPProgress records the mailbox's UIDVALIDITY and the last UID
// taken, under owner's lease, which it extends.
func setIMAPProgress(ctx context.Context, q store.Querier, inboxID, owner string, validity, lastUID uint32, until int64) (bool, error) {
	res, err := q.ExecContext(ctx, `UPDATE email_imap_state SET uid_validity = ?, last_uid = ?, lease_until = ?
		WHERE inbox_id = ? AND lease_owner = ?`, validity, lastUID, until, inboxID, owner)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// setIMAPError records why reading the mailbox failed, under owner's lease.
func setIMAPError(ctx context.Context, q store.Querier, inboxID, owner, msg string) error {
	_, err := q.ExecContext(ctx, `UPDATE email_imap_state SET last_error = ? WHERE inbox_id = ? AND lease_owner = ?`,
		truncate(msg, 500), inboxID, owner)
	return err
}

// releaseIMAPLease lets another replica take the mailbox at once.
func releaseIMAPLease(ctx context.Context, q store.Querier, inboxID, owner string) error {
	_, err := q.ExecContext(ctx, `UPDATE email_imap_state SET lease_owner = '', lease_until = 0 WHERE inbox_id = ? AND lease_owner = ?`,
		inboxID, owner)
	return err
}

// emailMessage is a received mail's row of email_messages.
type emailMessage struct {
	MessageID      string `db:"message_id"`
	WorkspaceID    string `db:"workspace_id"`
	ConversationID string `db:"conversation_id"`
	InboxID        string `db:"inbox_id"`
	FromAddress    string `db:"from_address"`
	FromName       string `db:"from_name"`
	ToList         string `db:"to_list"`
	CcList         string `db:"cc_list"`
	Subject        string `db:"subject"`
	SenderVerified bool   `db:"sender_verified"`
	SenderCheck    string `db:"sender_check"`
	OriginalText   string `db:"original_text"`
	CreatedAt      int64  `db:"created_at"`
}

const emailMessageColumns = `message_id, workspace_id, conversation_id, inbox_id, from_address, from_name, to_list, cc_list, subject,
	sender_verified, sender_check, original_text, created_at`

// saveEmailMessage records a mail's row once: a redelivery keeps the first.
func saveEmailMessage(ctx context.Context, db *store.DB, m *emailMessage) error {
	_, err := db.ExecContext(ctx, db.Dialect.InsertIgnore()+` INTO email_messages (`+emailMessageColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, m.MessageID, m.WorkspaceID, m.ConversationID, m.InboxID, m.FromAddress,
		m.FromName, m.ToList, m.CcList, m.Subject, m.SenderVerified, m.SenderCheck, m.OriginalText, m.CreatedAt)
	return err
}

// emailMessagesOf lists a conversation's received mails, oldest first.
func emailMessagesOf(ctx context.Context, q store.Querier, workspaceID, conversationID string) ([]emailMessage, error) {
	var ms []emailMessage
	err := q.SelectContext(ctx, &ms, `SELECT `+emailMessageColumns+` FROM email_messages WHERE workspace_id = ? AND conversation_id = ?
		ORDER BY created_at, message_id LIMIT 1000`, workspaceID, conversationID)
	return ms, err
}

// setThreadReply sets the CC and subject of a conversation's replies.
func setThreadReply(ctx context.Context, q store.Querier, conversationID, cc, subject string, now int64) error {
	_, err := q.ExecContext(ctx, `UPDATE email_threads SET cc = ?, subject = ?, updated_at = ? WHERE conversation_id = ?`,
		cc, subject, now, conversationID)
	return err
}

// deliveriesOf lists how mailing a conversation's replies went, oldest first.
func deliveriesOf(ctx context.Context, q store.Querier, workspaceID, conversationID string) ([]outboxRow, error) {
	var rs []outboxRow
	err := q.SelectContext(ctx, &rs, `SELECT `+outboxColumns+` FROM email_outbox WHERE workspace_id = ? AND conversation_id = ? AND kind = ?
		ORDER BY created_at, id LIMIT 1000`, workspaceID, conversationID, kindReply)
	return rs, err
}
