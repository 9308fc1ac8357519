package metrics

import "github.com/prometheus/client_golang/prometheus"

// AI counts what the AI agent's model costs, where the calls are made: each
// model call and each budget decision happens on exactly one replica, so the
// counters add up across replicas (sum them in queries). There is no
// workspace label: a server may hold tens of thousands of workspaces, and
// the log names the workspace of each warning.
type AI struct {
	tokens   *prometheus.CounterVec
	warnings prometheus.Counter
	handoffs prometheus.Counter
}

// NewAI registers the AI agent's cost metrics.
func NewAI(reg prometheus.Registerer) *AI {
	m := &AI{
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tandem_ai_tokens_total",
			Help: "Model tokens the AI agent spent, by kind (prompt, completion) and source (reported by the model, or estimated from bytes when it reports none)."},
			[]string{"kind", "source"}),
		warnings: prometheus.NewCounter(prometheus.CounterOpts{Name: "tandem_ai_budget_warnings_total",
			Help: "Workspaces whose AI token budget for the UTC day crossed 80% (once per workspace and day, across replicas)."}),
		handoffs: prometheus.NewCounter(prometheus.CounterOpts{Name: "tandem_ai_budget_handoffs_total",
			Help: "Conversations the AI agent handed to the team without asking the model because a token budget was spent."}),
	}
	reg.MustRegister(m.tokens, m.warnings, m.handoffs)
	// Every series starts at zero, so that dashboards and alerts see 0,
	// not "no data".
	for _, kind := range []string{"prompt", "completion"} {
		for _, source := range []string{"reported", "estimated"} {
			m.tokens.WithLabelValues(kind, source)
		}
	}
	return m
}

// Tokens counts one model call's tokens. A nil AI counts nothing.
func (m *AI) Tokens(prompt, completion int64, estimated bool) {
	if m == nil {
		return
	}
	source := "reported"
	if estimated {
		source = "estimated"
	}
	m.tokens.WithLabelValues("prompt", source).Add(float64(prompt))
	m.tokens.WithLabelValues("completion", source).Add(float64(completion))
}

// BudgetWarning counts a workspace's day total crossing 80% of its cap.
func (m *AI) BudgetWarning() {
	if m != nil {
		m.warnings.Inc()
	}
}

// BudgetHandoff counts a handoff for a spent budget.
func (m *AI) BudgetHandoff() {
	if m != nil {
		m.handoffs.Inc()
	}
}
