package bot

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// Budget bounds the model tokens the AI agent spends (AI-03, RATE-01): an
// anonymous widget flood must not run up a workspace's model bill. Zero is
// no cap.
type Budget struct {
	// PerDay is each workspace's tokens per UTC day.
	PerDay int64
	// PerConversation is each conversation's tokens in all.
	PerConversation int64
}

// warnNumerator / warnDenominator (80%) is the share of a workspace's day
// budget at which operators are warned, once per workspace and day: in time
// to raise the cap before the AI agent stops answering.
const (
	warnNumerator   = 4
	warnDenominator = 5
)

// completionReserve is what a call is assumed to answer, in tokens, until
// it has: its request's estimate plus this is held from both budgets while
// the call runs, so that calls running at once on several replicas see
// each other's spending. The answers asked for are a short JSON object, far
// below it; what the model reports replaces the reservation afterwards.
const completionReserve = 512

// ledgerTimeout bounds the bookkeeping after a call, which runs on even
// when the reply's deadline has passed (a timed-out call's reservation must
// still be given back).
const ledgerTimeout = 5 * time.Second

// budgetSpent refuses a model call for a spent budget: no call is made,
// and the AI agent hands off (HandoffAIBudget) with the detail, which says
// which budget. It is no errLLM: the model did not fail.
type budgetSpent struct{ detail string }

func (e budgetSpent) Error() string { return e.detail }

// spentBudget reports whether err refuses a call for a spent budget, and
// says which.
func spentBudget(err error) (string, bool) {
	var b budgetSpent
	if errors.As(err, &b) {
		return b.detail, true
	}
	return "", false
}

// usage is what one model call cost, in tokens.
type usage struct {
	prompt, completion int64
	// estimated: the server reported none, so bytes / 4 stands in.
	estimated bool
}

func (u usage) total() int64 { return u.prompt + u.completion }

// estimateTokens is the usual rule of thumb for a text's tokens (about four
// bytes each), rounded up, for servers that report no usage.
func estimateTokens(bytes int) int64 { return (int64(bytes) + 3) / 4 }

// ledger keeps the tokens spent in the database, shared by the replicas.
// Every change is an atomic UPDATE ... SET tokens = tokens + ?, so that two
// replicas adding at once never lose one's tokens, and the spent check is
// the same statement's WHERE: there is no read-then-write race.
type ledger struct {
	db      *store.DB
	budget  Budget
	now     func() time.Time
	metrics Meter
	logger  *slog.Logger
}

// spend is the budget one reply's model calls draw on: the workspace's and
// the conversation's. A nil spend is no budget (calls not made for a
// conversation).
type spend struct {
	l              *ledger
	workspaceID    string
	conversationID string
}

// reservation is the tokens held for one call, on the UTC day it started.
type reservation struct {
	day    int64
	tokens int64
}

// utcDay is the UTC midnight starting t's day, in unix ms.
func utcDay(t time.Time) int64 {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC).UnixMilli()
}

// admit holds tokens for a call from both budgets, or refuses it with
// budgetSpent when either is spent (a call is admitted while what is spent
// and held stays under the cap: the last call admitted may end over it, by
// at most its own tokens when they stay within its reservation).
func (sp *spend) admit(ctx context.Context, tokens int64) (reservation, error) {
	l := sp.l
	now := l.now()
	r := reservation{day: utcDay(now), tokens: tokens}
	at := store.NowMillis(now)
	// The rows are opened outside the transaction: an INSERT IGNORE that
	// finds its row holds a shared lock on it, which two transactions
	// would each hold before both asking to update it (a deadlock).
	if _, err := l.db.ExecContext(ctx, l.db.Dialect.InsertIgnore()+` INTO ai_token_days (workspace_id, day, tokens, warned, updated_at)
		VALUES (?, ?, 0, 0, ?)`, sp.workspaceID, r.day, at); err != nil {
		return r, fmt.Errorf("open the day's tokens: %w", err)
	}
	if _, err := l.db.ExecContext(ctx, l.db.Dialect.InsertIgnore()+` INTO ai_token_conversations (conversation_id, workspace_id, tokens, updated_at)
		VALUES (?, ?, 0, ?)`, sp.conversationID, sp.workspaceID, at); err != nil {
		return r, fmt.Errorf("open the conversation's tokens: %w", err)
	}
	err := l.db.InTx(ctx, func(tx *store.Tx) error {
		// The day first, then the conversation: every transaction locks
		// them in this order, so two never wait on each other.
		res, err := tx.ExecContext(ctx, `UPDATE ai_token_days SET tokens = tokens + ?, updated_at = ?
			WHERE workspace_id = ? AND day = ? AND (? = 0 OR tokens < ?)`, tokens, at, sp.workspaceID, r.day, l.budget.PerDay, l.budget.PerDay)
		if err != nil {
			return fmt.Errorf("hold the day's tokens: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return budgetSpent{fmt.Sprintf("the workspace's AI token budget for the day (%d tokens) is spent", l.budget.PerDay)}
		}
		res, err = tx.ExecContext(ctx, `UPDATE ai_token_conversations SET tokens = tokens + ?, updated_at = ?
			WHERE conversation_id = ? AND (? = 0 OR tokens < ?)`, tokens, at, sp.conversationID, l.budget.PerConversation, l.budget.PerConversation)
		if err != nil {
			return fmt.Errorf("hold the conversation's tokens: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			// The transaction rolls back, and the day's hold with it.
			return budgetSpent{fmt.Sprintf("the conversation's AI token budget (%d tokens) is spent", l.budget.PerConversation)}
		}
		return nil
	})
	return r, err
}

// settle replaces a call's reservation by what it cost, counts the tokens,
// and warns, once per workspace and day across the replicas, when the day's
// total has crossed 80% of the cap. It runs on after the reply's deadline
// (ctx's cancellation is not inherited), and logs what it cannot record:
// the call was made either way.
func (sp *spend) settle(ctx context.Context, r reservation, u usage) {
	l := sp.l
	l.metrics.Tokens(u.prompt, u.completion, u.estimated)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ledgerTimeout)
	defer cancel()
	delta, at := u.total()-r.tokens, store.NowMillis(l.now())
	if _, err := l.db.ExecContext(ctx, `UPDATE ai_token_days SET tokens = tokens + ?, updated_at = ? WHERE workspace_id = ? AND day = ?`,
		delta, at, sp.workspaceID, r.day); err != nil {
		l.logger.ErrorContext(ctx, "record AI tokens", "workspace_id", sp.workspaceID, "tokens", u.total(), "err", err)
		return
	}
	if _, err := l.db.ExecContext(ctx, `UPDATE ai_token_conversations SET tokens = tokens + ?, updated_at = ? WHERE conversation_id = ?`,
		delta, at, sp.conversationID); err != nil {
		l.logger.ErrorContext(ctx, "record AI tokens", "workspace_id", sp.workspaceID, "conversation_id", sp.conversationID, "tokens", u.total(), "err", err)
		return
	}
	if l.budget.PerDay <= 0 || u.total() == 0 {
		return
	}
	// Whichever update first finds the total at 80% sets the flag: the
	// one replica it succeeds on warns, the others find it set.
	threshold := (l.budget.PerDay*warnNumerator + warnDenominator - 1) / warnDenominator
	res, err := l.db.ExecContext(ctx, `UPDATE ai_token_days SET warned = 1 WHERE workspace_id = ? AND day = ? AND warned = 0 AND tokens >= ?`,
		sp.workspaceID, r.day, threshold)
	if err != nil {
		l.logger.ErrorContext(ctx, "flag the AI budget warning", "workspace_id", sp.workspaceID, "err", err)
		return
	}
	if n, err := res.RowsAffected(); err == nil && n == 1 {
		l.metrics.BudgetWarning()
		l.logger.WarnContext(ctx, "a workspace has spent 80% of its AI token budget for the day",
			"workspace_id", sp.workspaceID, "budget_tokens", l.budget.PerDay, "day", time.UnixMilli(r.day).UTC().Format(time.DateOnly))
	}
}

// Spent is what a workspace's AI agent spent on the UTC day of at, in
// tokens, and whether its 80% warning went out.
func (s *Service) Spent(ctx context.Context, workspaceID string, at time.Time) (tokens int64, warned bool, err error) {
	var row struct {
		Tokens int64 `db:"tokens"`
		Warned bool  `db:"warned"`
	}
	err = s.db.GetContext(ctx, &row, `SELECT tokens, warned FROM ai_token_days WHERE workspace_id = ? AND day = ?`, workspaceID, utcDay(at))
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("read the day's AI tokens: %w", err)
	}
	return row.Tokens, row.Warned, nil
}
