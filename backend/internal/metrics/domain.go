package metrics

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tandem-inbox/tandem/backend/internal/events"
)

// ReactorName names the metrics reactor (its cursors).
const ReactorName = "metrics"

// Domain counts what happens in the inboxes, from the event log: each event
// is counted by the one replica reacting in its workspace, so counters add
// up across replicas (sum them in queries). Labels are bounded: channels,
// reasons, targets, ratings, methods, and the workspace's name only when the
// operator asks for it.
type Domain struct {
	conversations *prometheus.CounterVec
	closed        *prometheus.CounterVec
	handoffs      *prometheus.CounterVec
	messages      *prometheus.CounterVec
	botReplies    *prometheus.CounterVec
	confidence    *prometheus.HistogramVec
	firstResponse *prometheus.HistogramVec
	resolution    *prometheus.HistogramVec
	sla           *prometheus.CounterVec
	csat          *prometheus.CounterVec
	tags          *prometheus.CounterVec
	spamHeld      *prometheus.CounterVec
	spamReleased  *prometheus.CounterVec

	// workspaceName names a workspace for the workspace label; nil leaves
	// the label out.
	workspaceName func(ctx context.Context, id string) (string, error)
	names         sync.Map // workspace id -> name
}

// responseBuckets span seconds to days.
var responseBuckets = []float64{5, 15, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600, 24 * 3600, 3 * 24 * 3600} //nolint:gochecknoglobals // read-only table

// NewDomain registers the inbox metrics. With workspaceName every metric
// also has a workspace label (the workspace's name: only for operators with
// few workspaces); without, every known label value (labels) starts at zero
// (so that dashboards show 0, not "no data").
func NewDomain(reg prometheus.Registerer, labels Labels, workspaceName func(ctx context.Context, id string) (string, error)) *Domain {
	extra := func(labels ...string) []string {
		if workspaceName != nil {
			return append(labels, "workspace")
		}
		return labels
	}
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, extra(labels...))
		reg.MustRegister(c)
		return c
	}
	histogram := func(name, help string, buckets []float64) *prometheus.HistogramVec {
		h := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: help, Buckets: buckets}, extra())
		reg.MustRegister(h)
		return h
	}
	d := &Domain{
		conversations: counter("tandem_conversations_created_total", "Conversations started, by channel.", "channel"),
		closed: counter("tandem_conversations_closed_total",
			"Conversations closed, by outcome: ai_resolved (never left the AI agent) or agent.", "outcome"),
		handoffs:   counter("tandem_handoffs_total", "Conversations handed from the AI agent to the team, by reason.", "reason"),
		messages:   counter("tandem_messages_total", "Messages written, by author: customer, agent, bot, system.", "author"),
		botReplies: counter("tandem_ai_replies_total", "Answers by the AI agent, by method: llm, extractive, small_talk.", "method"),
		confidence: histogram("tandem_ai_confidence", "Confidence of the AI agent's answers (0 to 1).", prometheus.LinearBuckets(0.1, 0.1, 10)),
		firstResponse: histogram("tandem_first_response_seconds", "Time from a conversation's start to an agent's first reply.",
			responseBuckets),
		resolution: histogram("tandem_resolution_seconds", "Time from a conversation's start to its close.", responseBuckets),
		sla:        counter("tandem_sla_events_total", "SLA warnings and breaches, by target and kind.", "target", "kind"),
		csat:       counter("tandem_csat_ratings_total", "Customer satisfaction ratings, by rating (1 to 5).", "rating"),
		tags:       counter("tandem_tags_applied_total", "Tags put on conversations (by people, rules and the AI agent)."),
		spamHeld: counter("tandem_spam_held_total",
			"Conversations held as spam, by reason: flood_visitor, flood_website (started during a flood) or marked_spam (by a person).", "reason"),
		spamReleased: counter("tandem_spam_released_total", "Conversations a person released from spam into the queue."),

		workspaceName: workspaceName,
	}
	if workspaceName != nil {
		return d
	}
	for _, ch := range labels.Channels {
		d.conversations.WithLabelValues(ch)
	}
	for _, o := range []string{"ai_resolved", "agent"} {
		d.closed.WithLabelValues(o)
	}
	for _, r := range labels.HandoffReasons {
		d.handoffs.WithLabelValues(r)
	}
	for _, a := range labels.Authors {
		d.messages.WithLabelValues(a)
	}
	for _, r := range labels.SpamReasons {
		d.spamHeld.WithLabelValues(r)
	}
	for _, m := range []string{"llm", "extractive", "small_talk"} {
		d.botReplies.WithLabelValues(m)
	}
	for _, t := range []string{"first_response", "next_response", "resolution"} {
		d.sla.WithLabelValues(t, "warning")
		d.sla.WithLabelValues(t, "breach")
	}
	for r := 1; r <= 5; r++ {
		d.csat.WithLabelValues(strconv.Itoa(r))
	}
	d.tags.WithLabelValues()
	for _, h := range []*prometheus.HistogramVec{d.confidence, d.firstResponse, d.resolution} {
		h.WithLabelValues()
	}
	return d
}

// labels are the label values for an event, with its workspace's name when
// the label is on.
func (d *Domain) labels(ctx context.Context, workspaceID string, values ...string) []string {
	if d.workspaceName == nil {
		return values
	}
	name, ok := d.names.Load(workspaceID)
	if !ok {
		n, err := d.workspaceName(ctx, workspaceID)
		if err != nil {
			n = workspaceID
		}
		d.names.Store(workspaceID, n)
		name = n
	}
	return append(values, name.(string))
}

// React counts one event (the metrics reactor's handler).
func (d *Domain) React(ctx context.Context, ev events.Event) error {
	switch ev.Type {
	case events.ConversationCreated, events.ConversationStateChanged, events.ConversationHandoff, events.MessageCreated,
		events.SLAWarning, events.SLABreach, events.CSATReceived, events.ConversationTagged, events.ConversationSLAUpdated,
		events.ConversationAssigned:
	default:
		return nil
	}
	var pl payload
	if err := json.Unmarshal(ev.Payload, &pl); err != nil {
		return fmt.Errorf("decode event: %w", err)
	}
	c := pl.Conversation
	l := func(values ...string) []string { return d.labels(ctx, ev.WorkspaceID, values...) }
	// A person taking a conversation from the AI agent is a handoff too
	// (agent_takeover), recorded on the assignment or the state change it
	// is: one count for each handoff ListHandoffs lists.
	if r := pl.Data[dataHandoff]; r != "" && ev.Type != events.ConversationHandoff {
		d.handoffs.WithLabelValues(l(r)...).Inc()
	}
	switch ev.Type {
	case events.ConversationCreated:
		if c != nil {
			d.conversations.WithLabelValues(l(c.Channel)...).Inc()
			if c.State == stateSpam {
				d.spamHeld.WithLabelValues(l(pl.Data["reason"])...).Inc()
			}
		}
	case events.ConversationStateChanged:
		switch {
		case pl.Data["to"] == stateSpam:
			d.spamHeld.WithLabelValues(l(pl.Data["reason"])...).Inc()
		case pl.Data["from"] == stateSpam:
			d.spamReleased.WithLabelValues(l()...).Inc()
		}
		if pl.Data["to"] == stateClosed && c != nil {
			outcome := "agent"
			if pl.Data["from"] == stateBot && c.HandoffReason == "" {
				outcome = "ai_resolved"
			}
			d.closed.WithLabelValues(l(outcome)...).Inc()
			d.resolution.WithLabelValues(l()...).Observe(seconds(c.ClosedAt - c.CreatedAt))
		}
	case events.ConversationHandoff:
		d.handoffs.WithLabelValues(l(pl.Data["reason"])...).Inc()
	case events.MessageCreated:
		if m := pl.Message; m != nil && m.Kind == kindText {
			d.messages.WithLabelValues(l(m.AuthorKind)...).Inc()
			if m.Meta.Bot != nil {
				d.botReplies.WithLabelValues(l(m.Meta.Bot.Method)...).Inc()
				d.confidence.WithLabelValues(l()...).Observe(m.Meta.Bot.Confidence)
			}
		}
	case events.ConversationSLAUpdated:
		// The first response is recorded once, when the SLA clocks see it.
		if at, err := strconv.ParseInt(pl.Data["first_response_at"], 10, 64); err == nil && c != nil {
			d.firstResponse.WithLabelValues(l()...).Observe(seconds(at - c.CreatedAt))
		}
	case events.SLAWarning, events.SLABreach:
		d.sla.WithLabelValues(l(pl.Data["target"], pl.Data["kind"])...).Inc()
	case events.CSATReceived:
		if r, err := strconv.Atoi(pl.Data["rating"]); err == nil && r >= 1 && r <= 5 {
			d.csat.WithLabelValues(l(pl.Data["rating"])...).Inc()
		}
	case events.ConversationTagged:
		d.tags.WithLabelValues(l()...).Inc()
	}
	return nil
}

func seconds(ms int64) float64 { return time.Duration(ms * int64(time.Millisecond)).Seconds() }
