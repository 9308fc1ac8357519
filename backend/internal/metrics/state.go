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
	db                                                           *sql.DB
	conversations, agentsOnline, queueLength, queueWait, lagDesc *prometheus.Desc
	lag                                                          *lag
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
		lag: &lag{db: db},
		lagDesc: prometheus.NewDesc("tandem_reactor_lag_events",
			"Events the server's reactions (AI agent, rules, notifications, SLA, metrics) have yet to handle.", []string{"reactor"}, nil),
	}
}

// Describe implements prometheus.Collector.
func (s *State) Describe(ch chan<- *prometheus.Desc) {
	ch <- s.conversations
	ch <- s.agentsOnline
	ch <- s.queueLength
	ch <- s.queueWait
	ch <- s.lagDesc
}

// collectTimeout bounds the queries of one scrape. It is short so that a
// scrape still answers, with the pool's own metrics, when every database
// connection is taken: that is when an operator needs them most.
const collectTimeout = 2 * time.Second

// Collect implements prometheus.Collector. A failed query leaves its metric
// out of the scrape rather than failing it.
func (s *State) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), collectTimeout)
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
	lag, err := s.lag.read(ctx, s.reactors)
	if err != nil {
		return
	}
	for name, n := range lag {
		ch <- prometheus.MustNewConstMetric(s.lagDesc, prometheus.GaugeValue, float64(n), name)
	}
}
