package conversation

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/page"
	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// Get returns a conversation of the workspace.
func (s *Service) Get(ctx context.Context, workspaceID, id string) (Conversation, error) {
	c, err := getConversation(ctx, s.db, id, "")
	if store.ErrNoRows(err) || (err == nil && c.WorkspaceID != workspaceID) {
		return Conversation{}, apperr.ErrNotFound
	}
	if err != nil {
		return Conversation{}, fmt.Errorf("get conversation: %w", err)
	}
	return c, loadRelations(ctx, s.db, []*Conversation{&c}, "")
}

// History pages backwards through a conversation's items, newest first;
// publicOnly keeps what the customer may see, else whispers are kept too
// (for the workspace's own processes: see HistoryFor for people).
func (s *Service) History(ctx context.Context, id string, size int32, token string, publicOnly bool) ([]Message, string, error) {
	if publicOnly {
		return s.history(ctx, id, size, token, nil)
	}
	return s.history(ctx, id, size, token, &Reader{Supervises: true})
}

// HistoryFor is History as the reader may read it: whispers only for their
// author, their addressee and supervisors.
func (s *Service) HistoryFor(ctx context.Context, id string, size int32, token string, r Reader) ([]Message, string, error) {
	return s.history(ctx, id, size, token, &r)
}

func (s *Service) history(ctx context.Context, id string, size int32, token string, r *Reader) ([]Message, string, error) {
	var before int64
	if ok, err := page.Decode(token, &before); err != nil {
		return nil, "", err
	} else if !ok {
		before = 1 << 62
	}
	limit := page.Size(size)
	ms, err := history(ctx, s.db, id, before, r, limit+1)
	if err != nil {
		return nil, "", fmt.Errorf("history: %w", err)
	}
	ms, next := page.Cut(ms, limit, func(m Message) []any { return []any{m.Seq} })
	return ms, next, nil
}

// Filter selects conversations.
type Filter struct {
	States     []State
	Assignee   string // "", "anyone", "me", "unassigned" or "user"
	AssigneeID string // for "user"
	GroupID    string
	Priorities []string
	Channels   []string
	Text       string
	Since      int64
	TagIDs     []string // any of them
	// Reader is who searches: Text finds words in whispers only for those
	// who may read them (the zero Reader reads none).
	Reader Reader
}

// Matches reports whether a conversation is in the filter (but for Text,
// which only lists apply). me is the caller.
func (f Filter) Matches(c *Conversation, me string) bool {
	if len(f.States) > 0 {
		if !slices.Contains(f.States, c.State) {
			return false
		}
	} else if c.State == StateClosed || c.State == StateSpam {
		return false
	}
	switch f.Assignee {
	case "me":
		if c.AssigneeID != me {
			return false
		}
	case "unassigned":
		if c.AssigneeID != "" {
			return false
		}
	case "user":
		if c.AssigneeID != f.AssigneeID {
			return false
		}
	}
	if f.GroupID != "" && c.GroupID != f.GroupID {
		return false
	}
	if len(f.Priorities) > 0 && !slices.Contains(f.Priorities, c.Priority) {
		return false
	}
	if len(f.Channels) > 0 && !slices.Contains(f.Channels, c.Channel) {
		return false
	}
	if len(f.TagIDs) > 0 && !anyOf(f.TagIDs, c.TagIDs) {
		return false
	}
	return c.LastActivityAt >= f.Since
}

func anyOf(want, have []string) bool {
	for _, t := range have {
		if slices.Contains(want, t) {
			return true
		}
	}
	return false
}

// maxSearchContacts bounds the customers a text search matches by name,
// email or external id (the most recently seen first).
const maxSearchContacts = 200

// List pages through the workspace's conversations in the filter, most
// recently active first, each marked unread or not for the reader.
func (s *Service) List(ctx context.Context, workspaceID, reader string, f Filter, size int32, token string) ([]Conversation, string, error) {
	var (
		afterActivity int64
		afterID       string
	)
	resume, err := page.Decode(token, &afterActivity, &afterID)
	if err != nil {
		return nil, "", err
	}
	where := []string{"c.workspace_id = ?"}
	args := []any{workspaceID}
	in := func(col string, vals []string) {
		where = append(where, col+" IN ("+store.Placeholders(len(vals))+")")
		for _, v := range vals {
			args = append(args, v)
		}
	}
	if len(f.States) > 0 {
		states := make([]string, len(f.States))
		for i, st := range f.States {
			states[i] = string(st)
		}
		in("c.state", states)
	} else {
		where = append(where, "c.state NOT IN ('closed', 'spam')")
	}
	switch f.Assignee {
	case "me":
		where, args = append(where, "c.assignee_id = ?"), append(args, reader)
	case "unassigned":
		where = append(where, "c.assignee_id = ''")
	case "user":
		where, args = append(where, "c.assignee_id = ?"), append(args, f.AssigneeID)
	}
	if f.GroupID != "" {
		where, args = append(where, "c.group_id = ?"), append(args, f.GroupID)
	}
	if len(f.Priorities) > 0 {
		in("c.priority", f.Priorities)
	}
	if len(f.Channels) > 0 {
		in("c.channel", f.Channels)
	}
	if f.Since > 0 {
		where, args = append(where, "c.last_activity_at >= ?"), append(args, f.Since)
	}
	if len(f.TagIDs) > 0 {
		where = append(where, `EXISTS (SELECT 1 FROM conversation_tags ct WHERE ct.conversation_id = c.id AND ct.tag_id IN (`+
			store.Placeholders(len(f.TagIDs))+`))`)
		for _, t := range f.TagIDs {
			args = append(args, t)
		}
	}
	if f.Text != "" {
		// The text is in a message, or in the customer's name, email or
		// external id (the contact package finds those, in this workspace),
		// whatever the case of either: the body's collation is binary on
		// MySQL, so both sides are folded.
		matched, err := s.contacts.Search(ctx, workspaceID, f.Text, maxSearchContacts)
		if err != nil {
			return nil, "", err
		}
		// Whispers match only for those who may read them.
		whispers, more := f.Reader.whispers("m.")
		cond := `EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND m.kind <> 'activity'
			AND LOWER(m.body) LIKE ? ESCAPE '!'` + whispers + `)`
		args = append(args, "%"+store.LikeEscape(strings.ToLower(f.Text))+"%")
		args = append(args, more...)
		if len(matched) > 0 {
			cond += ` OR c.contact_id IN (` + store.Placeholders(len(matched)) + `)`
			for _, ct := range matched {
				args = append(args, ct.ID)
			}
		}
		where = append(where, "("+cond+")")
	}
	if resume {
		where = append(where, "(c.last_activity_at < ? OR (c.last_activity_at = ? AND c.id < ?))")
		args = append(args, afterActivity, afterActivity, afterID)
	}
	limit := page.Size(size)
	// Unread is something past the reader's marker that they may read: a
	// whisper to others moves last_seq, but is nothing new to them.
	unread, unreadArgs := `c.last_seq > COALESCE(r.last_read_seq, 0)`, []any{}
	if whispers, more := f.Reader.whispers("m."); whispers != "" {
		unread += ` AND EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id
			AND m.seq > COALESCE(r.last_read_seq, 0)` + whispers + `)`
		unreadArgs = more
	}
	query := `SELECT ` + store.Prefixed("c.", convColumns) + `,
		CASE WHEN ` + unread + ` THEN 1 ELSE 0 END AS unread
		FROM conversations c LEFT JOIN conversation_reads r ON r.conversation_id = c.id AND r.user_id = ?
		WHERE ` + strings.Join(where, " AND ") + ` ORDER BY c.last_activity_at DESC, c.id DESC LIMIT ?`
	args = append(append(unreadArgs, reader), args...)
	args = append(args, limit+1)
	var cs []Conversation
	if err := s.db.SelectContext(ctx, &cs, query, args...); err != nil {
		return nil, "", fmt.Errorf("list conversations: %w", err)
	}
	cs, next := page.Cut(cs, limit, func(c Conversation) []any { return []any{c.LastActivityAt, c.ID} })
	ptrs := make([]*Conversation, len(cs))
	for i := range cs {
		ptrs[i] = &cs[i]
	}
	return cs, next, loadRelations(ctx, s.db, ptrs, "")
}

// OfContact lists a contact's conversations, newest first.
func (s *Service) OfContact(ctx context.Context, contactID string) ([]Conversation, error) {
	var cs []Conversation
	err := s.db.SelectContext(ctx, &cs, `SELECT `+convColumns+` FROM conversations WHERE contact_id = ?
		ORDER BY created_at DESC, id DESC LIMIT 100`, contactID)
	if err != nil {
		return nil, fmt.Errorf("conversations of contact: %w", err)
	}
	return cs, nil
}

// WorkspaceOf resolves a conversation id to its workspace, for authorization.
func (s *Service) WorkspaceOf(ctx context.Context, id string) (string, error) {
	var ws string
	err := s.db.GetContext(ctx, &ws, `SELECT workspace_id FROM conversations WHERE id = ?`, id)
	if store.ErrNoRows(err) {
		return "", apperr.ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("resolve conversation: %w", err)
	}
	return ws, nil
}

// VisitorOwns checks that the conversation is the contact's, for the
// authorization of widget calls: any other answers NotFound.
func (s *Service) VisitorOwns(ctx context.Context, workspaceID, contactID, id string) error {
	var owner string
	err := s.db.GetContext(ctx, &owner, `SELECT contact_id FROM conversations WHERE id = ? AND workspace_id = ?`, id, workspaceID)
	if store.ErrNoRows(err) || (err == nil && owner != contactID) {
		return apperr.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("resolve conversation: %w", err)
	}
	return nil
}

// OpenChats counts, per agent, the conversations of the workspace they own
// that are not closed: their workload.
func (s *Service) OpenChats(ctx context.Context, workspaceID string) (map[string]int, error) {
	var rows []struct {
		UserID string `db:"assignee_id"`
		N      int    `db:"n"`
	}
	if err := s.db.SelectContext(ctx, &rows, `SELECT assignee_id, COUNT(*) AS n FROM conversations
		WHERE workspace_id = ? AND assignee_id <> '' AND state <> 'closed' GROUP BY assignee_id`, workspaceID); err != nil {
		return nil, fmt.Errorf("open chats: %w", err)
	}
	out := make(map[string]int, len(rows))
	for _, r := range rows {
		out[r.UserID] = r.N
	}
	return out, nil
}
