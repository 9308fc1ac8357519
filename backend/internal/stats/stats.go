// Package stats answers how a workspace's team and AI agent perform: the
// inbox overview and period reports. It is a read model: it reads the
// conversation, handoff and tag tables (through indexed ranges of
// conversations by creation or close time, never scanning messages) and
// writes nothing.
//
// Tables read: conversations, handoffs, conversation_tags, tags.
package stats

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tandem-inbox/tandem/backend/internal/conversation"
	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// Service computes statistics.
type Service struct {
	db *store.DB
	// OnlineAgents counts the agents online now (presence).
	online func(ctx context.Context, workspaceID string) (int, error)
	// names maps a workspace's members to display names.
	names func(ctx context.Context, workspaceID string) (map[string]string, error)
	now   func() time.Time
}

// NewService returns the statistics service.
func NewService(db *store.DB, online func(ctx context.Context, workspaceID string) (int, error),
	names func(ctx context.Context, workspaceID string) (map[string]string, error)) *Service {
	return &Service{db: db, online: online, names: names, now: time.Now}
}

// Overview is the inbox strip.
type Overview struct {
	AvgFirstResponse time.Duration
	Active, Waiting  int64
	CSATAverage      float64
	CSATCount        int64
	ResolvedToday    int64
	AgentsOnline     int64
}

// Overview computes the inbox strip for now.
func (s *Service) Overview(ctx context.Context, workspaceID string) (Overview, error) {
	now := s.now().UTC()
	var o Overview
	var avg float64
	if err := s.db.GetContext(ctx, &avg, `SELECT COALESCE(AVG(first_response_at - created_at), 0) FROM conversations
		WHERE workspace_id = ? AND created_at >= ? AND first_response_at > 0`, workspaceID, store.NowMillis(now.Add(-7*24*time.Hour))); err != nil {
		return o, fmt.Errorf("first responses: %w", err)
	}
	o.AvgFirstResponse = time.Duration(avg) * time.Millisecond
	var states []struct {
		State string `db:"state"`
		N     int64  `db:"n"`
	}
	if err := s.db.SelectContext(ctx, &states, `SELECT state, COUNT(*) AS n FROM conversations
		WHERE workspace_id = ? AND state IN ('bot', 'pending', 'active') GROUP BY state`, workspaceID); err != nil {
		return o, fmt.Errorf("active conversations: %w", err)
	}
	for _, st := range states {
		o.Active += st.N
		if st.State == "pending" {
			o.Waiting = st.N
		}
	}
	var csat struct {
		Avg float64 `db:"avg"`
		N   int64   `db:"n"`
	}
	if err := s.db.GetContext(ctx, &csat, `SELECT COALESCE(AVG(csat_rating), 0) AS avg, COUNT(*) AS n FROM conversations
		WHERE workspace_id = ? AND closed_at >= ? AND csat_rating > 0`, workspaceID, store.NowMillis(now.Add(-30*24*time.Hour))); err != nil {
		return o, fmt.Errorf("csat: %w", err)
	}
	o.CSATAverage, o.CSATCount = csat.Avg, csat.N
	midnight := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	if err := s.db.GetContext(ctx, &o.ResolvedToday, `SELECT COUNT(*) FROM conversations WHERE workspace_id = ? AND closed_at >= ?
		AND state = 'closed'`, workspaceID, store.NowMillis(midnight)); err != nil {
		return o, fmt.Errorf("resolved today: %w", err)
	}
	online, err := s.online(ctx, workspaceID)
	o.AgentsOnline = int64(online)
	return o, err
}

// Filter narrows a report.
type Filter struct {
	Start, End              int64 // unix ms, [Start, End)
	GroupID, AgentID, TagID string
}

// where is the report's conversation filter, as SQL on alias c.
func (f Filter) where(workspaceID string) (string, []any) {
	// Conversations held as spam are no one's work: a flood's would swamp the figures.
	q, args := `c.workspace_id = ? AND c.created_at >= ? AND c.created_at < ? AND c.state <> 'spam'`, []any{workspaceID, f.Start, f.End}
	if f.GroupID != "" {
		q, args = q+` AND c.group_id = ?`, append(args, f.GroupID)
	}
	if f.AgentID != "" {
		q, args = q+` AND c.assignee_id = ?`, append(args, f.AgentID)
	}
	if f.TagID != "" {
		q, args = q+` AND EXISTS (SELECT 1 FROM conversation_tags ct WHERE ct.conversation_id = c.id AND ct.tag_id = ?)`, append(args, f.TagID)
	}
	return q, args
}

// Percentiles summarize durations.
type Percentiles struct {
	Count              int64
	P50, P90, P99, Avg time.Duration
}

func percentiles(ms []int64) Percentiles {
	if len(ms) == 0 {
		return Percentiles{}
	}
	slices.Sort(ms)
	at := func(q float64) time.Duration {
		i := int(q*float64(len(ms)) + 0.5)
		return time.Duration(ms[min(max(i-1, 0), len(ms)-1)]) * time.Millisecond
	}
	var sum int64
	for _, v := range ms {
		sum += v
	}
	return Percentiles{Count: int64(len(ms)), P50: at(0.5), P90: at(0.9), P99: at(0.99),
		Avg: time.Duration(sum/int64(len(ms))) * time.Millisecond}
}

// Report is a period's report.
type Report struct {
	Conversations, Resolved   int64
	FirstResponse, Resolution Percentiles
	AIResolved, HandedOff     int64
	HandoffsByReason          map[conversation.HandoffReason]int64
	SLA                       map[string][2]int64 // target -> met, missed
	CSATAverage               float64
	CSAT                      [5]int64
	Agents                    []Workload
	Tags                      []TagCount
}

// Workload is an agent's load.
type Workload struct {
	UserID, Name string
	Open         int64
	Handled      int64
	AvgHandling  time.Duration
}

// TagCount is how often a tag was on the period's conversations.
type TagCount struct {
	TagID string `db:"tag_id"`
	Name  string `db:"name"`
	Count int64  `db:"n"`
}

// Report computes a period's report.
func (s *Service) Report(ctx context.Context, workspaceID string, f Filter) (Report, error) {
	where, args := f.where(workspaceID)
	var rows []struct {
		CreatedAt       int64  `db:"created_at"`
		FirstResponseAt int64  `db:"first_response_at"`
		ClosedAt        int64  `db:"closed_at"`
		State           string `db:"state"`
		ClosedFrom      string `db:"closed_from"`
		HandoffReason   string `db:"handoff_reason"`
		CSAT            int    `db:"csat_rating"`
		FirstResponse   string `db:"sla_first_response"`
		NextResponse    string `db:"sla_next_response"`
		Resolution      string `db:"sla_resolution"`
		AssigneeID      string `db:"assignee_id"`
		AssignedAt      int64  `db:"assigned_at"`
	}
	if err := s.db.SelectContext(ctx, &rows, `SELECT c.created_at, c.first_response_at, c.closed_at, c.state, c.closed_from,
		c.handoff_reason, c.csat_rating, c.sla_first_response, c.sla_next_response, c.sla_resolution, c.assignee_id, c.assigned_at
		FROM conversations c WHERE `+where, args...); err != nil {
		return Report{}, fmt.Errorf("report conversations: %w", err)
	}
	r := Report{HandoffsByReason: map[conversation.HandoffReason]int64{}, SLA: map[string][2]int64{}}
	var firsts, resolutions []int64
	var csatSum int64
	handled := map[string][]int64{}
	tally := func(target, outcome string) {
		v := r.SLA[target]
		switch outcome {
		case "met":
			v[0]++
		case "missed":
			v[1]++
		default:
			return
		}
		r.SLA[target] = v
	}
	for _, c := range rows {
		r.Conversations++
		if c.FirstResponseAt > 0 {
			firsts = append(firsts, c.FirstResponseAt-c.CreatedAt)
		}
		if c.State == "closed" {
			r.Resolved++
			resolutions = append(resolutions, c.ClosedAt-c.CreatedAt)
			if c.ClosedFrom == "bot" && c.HandoffReason == "" {
				r.AIResolved++
			}
			if c.AssigneeID != "" && c.AssignedAt > 0 {
				handled[c.AssigneeID] = append(handled[c.AssigneeID], c.ClosedAt-c.AssignedAt)
			}
		}
		if c.HandoffReason != "" {
			r.HandedOff++
		}
		if c.CSAT >= 1 && c.CSAT <= 5 {
			r.CSAT[c.CSAT-1]++
			csatSum += int64(c.CSAT)
		}
		tally("first_response", c.FirstResponse)
		tally("next_response", c.NextResponse)
		tally("resolution", c.Resolution)
	}
	r.FirstResponse, r.Resolution = percentiles(firsts), percentiles(resolutions)
	if n := r.CSAT[0] + r.CSAT[1] + r.CSAT[2] + r.CSAT[3] + r.CSAT[4]; n > 0 {
		r.CSATAverage = float64(csatSum) / float64(n)
	}
	if err := s.handoffs(ctx, where, args, &r); err != nil {
		return r, err
	}
	if err := s.tags(ctx, where, args, &r); err != nil {
		return r, err
	}
	return r, s.workloads(ctx, workspaceID, handled, &r)
}

func (s *Service) handoffs(ctx context.Context, where string, args []any, r *Report) error {
	var rows []struct {
		Reason conversation.HandoffReason `db:"reason"`
		N      int64                      `db:"n"`
	}
	if err := s.db.SelectContext(ctx, &rows, `SELECT h.reason, COUNT(*) AS n FROM handoffs h JOIN conversations c ON c.id = h.conversation_id
		WHERE `+where+` GROUP BY h.reason`, args...); err != nil {
		return fmt.Errorf("report handoffs: %w", err)
	}
	for _, x := range rows {
		r.HandoffsByReason[x.Reason] = x.N
	}
	return nil
}

func (s *Service) tags(ctx context.Context, where string, args []any, r *Report) error {
	if err := s.db.SelectContext(ctx, &r.Tags, `SELECT t.id AS tag_id, t.name AS name, COUNT(*) AS n
		FROM conversation_tags x JOIN conversations c ON c.id = x.conversation_id JOIN tags t ON t.id = x.tag_id
		WHERE `+where+` GROUP BY t.id, t.name ORDER BY n DESC, t.name`, args...); err != nil {
		return fmt.Errorf("report tags: %w", err)
	}
	return nil
}

// workloads are every member's open conversations now and what they handled
// in the period.
func (s *Service) workloads(ctx context.Context, workspaceID string, handled map[string][]int64, r *Report) error {
	var open []struct {
		UserID string `db:"assignee_id"`
		N      int64  `db:"n"`
	}
	if err := s.db.SelectContext(ctx, &open, `SELECT assignee_id, COUNT(*) AS n FROM conversations
		WHERE workspace_id = ? AND assignee_id <> '' AND state IN ('pending', 'active', 'snoozed') GROUP BY assignee_id`, workspaceID); err != nil {
		return fmt.Errorf("report open conversations: %w", err)
	}
	names, err := s.names(ctx, workspaceID)
	if err != nil {
		return err
	}
	byUser := map[string]*Workload{}
	for id, name := range names {
		byUser[id] = &Workload{UserID: id, Name: name}
	}
	for _, o := range open {
		if w := byUser[o.UserID]; w != nil {
			w.Open = o.N
		}
	}
	for id, times := range handled {
		if w := byUser[id]; w != nil {
			w.Handled = int64(len(times))
			w.AvgHandling = percentiles(times).Avg
		}
	}
	for _, w := range byUser {
		r.Agents = append(r.Agents, *w)
	}
	slices.SortFunc(r.Agents, func(a, b Workload) int {
		return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(a.UserID, b.UserID))
	})
	return nil
}
