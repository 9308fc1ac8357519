package metrics

import (
	"context"
	"database/sql"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// State reports what the inboxes hold now, read from the database at
// scrape time through indexed counts. Every replica reports the same
// values: take max(), not sum(), across replicas.
type State struct {
	db                                                       *sql.DB
	conversations, agentsOnline, queueLength, queueWait, lag *prometheus.Desc
	// reactors are the reactors whose lag is always reported (0 where
	// none has a cursor: a gated reactor whose feature is off everywhere).
	reactors []string
}

// NewState returns the collector (register it on the server's registry),
// reporting the lag of the named reactors.
func NewState(db *sql.DB, reactors ...string) *State {
	return &State{
		db: db, reactors: reactors,
		conversations: prometheus.NewDesc("tandem_conversations_open", "Conversations not closed, by state.",
			[]string{"state"}, nil),
		agentsOnline: prometheus.NewDesc("tandem_agents_online", "Agents whose status is online.", nil, nil),
		queueLength:  prometheus.NewDesc("tandem_queue_length", "Conversations waiting for a person, unassigned.", nil, nil),
		queueWait: prometheus.NewDesc("tandem_queue_oldest_wait_seconds",
			"How long the longest-waiting unassigned conversation has waited.", nil, nil),
		lag: prometheus.NewDesc("tandem_reactor_lag_events",
			"Events the server's reactions (AI agent, rules, notifications, SLA, metrics) have yet to handle.", []string{"reactor"}, nil),
	}
}

// Describe implements prometheus.Collector.
func (s *State) Describe(ch chan<- *prometheus.Desc) {
	ch <- s.conversations
	ch <- s.agentsOnline
	ch <- s.queueLength
	ch <- s.queueWait
	ch <- s.lag
}

// Collect implements prometheus.Collector. A failed query leaves its metric
// out of the scrape rather than failing it.
func (s *State) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, state := range []string{"bot", "pending", "active", "snoozed"} {
		var n float64
		if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM conversations WHERE state = ?`, state).Scan(&n); err == nil {
			ch <- prometheus.MustNewConstMetric(s.conversations, prometheus.GaugeValue, n, state)
		}
	}
	var online float64
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM agent_status WHERE status = 'online'`).Scan(&online); err == nil {
		ch <- prometheus.MustNewConstMetric(s.agentsOnline, prometheus.GaugeValue, online)
	}
	var queued float64
	var oldest sql.NullInt64
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*), MIN(created_at) FROM conversations WHERE state = 'pending' AND assignee_id = ''`).Scan(&queued, &oldest); err == nil {
		ch <- prometheus.MustNewConstMetric(s.queueLength, prometheus.GaugeValue, queued)
		wait := 0.0
		if oldest.Valid {
			wait = time.Since(time.UnixMilli(oldest.Int64)).Seconds()
		}
		ch <- prometheus.MustNewConstMetric(s.queueWait, prometheus.GaugeValue, wait)
	}
	// A reactor lags by the events past its cursors; it has cursors only
	// where it has work (gated reactors drop theirs where their feature is
	// off), so a reactor with nothing to do lags by 0.
	rows, err := s.db.QueryContext(ctx, `SELECT r.name, SUM(w.last_seq - r.seq) FROM reactor_cursors r JOIN workspaces w ON w.id = r.workspace_id
		GROUP BY r.name`)
	if err != nil {
		return
	}
	defer rows.Close()
	lag := make(map[string]float64, len(s.reactors))
	for _, name := range s.reactors {
		lag[name] = 0
	}
	for rows.Next() {
		var name string
		var n float64
		if rows.Scan(&name, &n) == nil {
			lag[name] = n
		}
	}
	if rows.Err() != nil {
		return
	}
	for name, n := range lag {
		ch <- prometheus.MustNewConstMetric(s.lag, prometheus.GaugeValue, n, name)
	}
}
