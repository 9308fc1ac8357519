package automation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/canned"
	"github.com/tandem-inbox/tandem/backend/internal/contact"
	"github.com/tandem-inbox/tandem/backend/internal/conversation"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/outbound"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/tag"
)

// HandOffFunc is the one handoff operation (bot.Service.HandOff).
type HandOffFunc func(ctx context.Context, p *access.Principal, workspaceID, conversationID string, reason conversation.HandoffReason, detail, question string) (bool, error)

// Deps are the services rules read and act through.
type Deps struct {
	Conversations *conversation.Service
	Contacts      *contact.Service
	Tags          *tag.Service
	Canned        *canned.Service
	// Directory checks the groups and members rules and buttons name.
	Directory Directory
	HandOff   HandOffFunc
}

// Options tune the service.
type Options struct {
	Now func() time.Time
	// Webhooks configure webhook calls.
	Webhooks Webhooks
	// MaxRunsPerMinute stops rules acting on one conversation more often
	// than this in a minute (loop protection); 0 means 20.
	MaxRunsPerMinute int
}

// Webhooks configure webhook calls.
type Webhooks struct {
	// Client makes the calls: the SSRF-safe outbound client. Without one
	// every call is refused (and dead-lettered).
	Client *http.Client
	// Timeout bounds a call (default 10 s); RetryBase is the first retry's
	// delay (default 30 s), doubled for each next one.
	Timeout, RetryBase time.Duration
	// Allow is the client's allowlist, which the save-time check of webhook
	// URLs applies too; Resolver looks hosts up for it (nil: the system's).
	Allow    []netip.Prefix
	Resolver outbound.Resolver
}

// checkDestinations refuses, when a rule or button is saved, webhook URLs
// whose host is or resolves to an address calls may not reach, or whose
// port is a non-web service's on a public address (the dialer refuses both
// again at call time). field prefixes the field named.
func (s *Service) checkDestinations(ctx context.Context, field string, as []Action) error {
	for i, a := range as {
		if a.Kind != ActWebhook {
			continue
		}
		err := outbound.CheckDestination(ctx, a.Value, s.hooks.Allow, s.hooks.Resolver)
		switch {
		case errors.Is(err, outbound.ErrPort):
			return apperr.Invalid(fmt.Sprintf("%s.actions[%d].call_webhook.url", field, i),
				"must use a web port: the port is that of a mail, database or other non-web service (80, 443, 8080, 8443 and high ports are fine)")
		case err != nil:
			return apperr.Invalid(fmt.Sprintf("%s.actions[%d].call_webhook.url", field, i),
				"must reach a public address: the host is or resolves to a loopback, private, link-local or metadata address")
		}
	}
	return nil
}

// Service runs automation rules and custom actions.
type Service struct {
	hooks   Webhooks
	db      *store.DB
	log     *events.Log
	deps    Deps
	logger  *slog.Logger
	now     func() time.Time
	maxRuns int
	reactor *events.Reactor
	calls   *deliverer
}

// NewService returns the automation service with its rule engine reactor.
func NewService(db *store.DB, log *events.Log, hub *events.Hub, deps Deps, opts Options, logger *slog.Logger) *Service {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxRunsPerMinute <= 0 {
		opts.MaxRunsPerMinute = 20
	}
	s := &Service{db: db, log: log, deps: deps, logger: logger, now: opts.Now, maxRuns: opts.MaxRunsPerMinute, hooks: opts.Webhooks,
		calls: newDeliverer()}
	s.reactor = events.NewReactor(ReactorName, log, hub, s.React, logger).Gated()
	return s
}

// Reactor is the rule engine's reactor (server.Run runs it; tests drain it).
func (s *Service) Reactor() *events.Reactor { return s.reactor }

// Settle lets the rules react to everything up to now in the event's
// workspace, before the AI agent answers a customer message: a rule that
// hands "refund" off must win over the AI agent answering it. Events the
// rules already saw are not acted on twice.
func (s *Service) Settle(ctx context.Context, ev events.Event) error {
	if ev.Type != events.MessageCreated {
		return nil
	}
	var n int
	if err := s.db.GetContext(ctx, &n, `SELECT COUNT(*) FROM automation_rules WHERE workspace_id = ? AND enabled = 1`, ev.WorkspaceID); err != nil {
		return fmt.Errorf("count rules: %w", err)
	}
	if n == 0 {
		return nil
	}
	return s.reactor.Drain(ctx, ev.WorkspaceID)
}

var triggers = []string{TriggerConversationCreated, TriggerCustomerMessage, TriggerAgentMessage, TriggerStateChanged, //nolint:gochecknoglobals // read-only table
	TriggerTagAdded, TriggerHandoff, TriggerSLAWarning, TriggerSLABreach, TriggerNoAgentReply, TriggerNoCustomerReply, TriggerPendingFor}

// delayed reports whether a trigger is a delayed one.
func delayed(trigger string) bool {
	return trigger == TriggerNoAgentReply || trigger == TriggerNoCustomerReply || trigger == TriggerPendingFor
}

// checkSpec validates a rule.
func checkSpec(spec *RuleSpec) error {
	spec.Name = strings.TrimSpace(spec.Name)
	if spec.Name == "" || len(spec.Name) > 100 {
		return apperr.Invalid("rule.name", "must be 1 to 100 characters")
	}
	if !slices.Contains(triggers, spec.Trigger) {
		return apperr.Invalid("rule.trigger", "is not a trigger")
	}
	if delayed(spec.Trigger) != (spec.DelayMinutes > 0) || spec.DelayMinutes > 43200 {
		return apperr.Invalid("rule.delay_minutes", "delayed triggers need 1 to 43200 minutes, and only they take a delay")
	}
	if err := checkConditions(spec.Conditions, 0); err != nil {
		return err
	}
	if len(spec.Actions) == 0 {
		return apperr.Invalid("rule.actions", "a rule needs an action")
	}
	return checkActions(spec.Actions, false)
}

// CreateRule adds a rule at the end of the workspace's order.
func (s *Service) CreateRule(ctx context.Context, actor *access.Principal, workspaceID string, spec RuleSpec) (Rule, error) {
	if err := checkSpec(&spec); err != nil {
		return Rule{}, err
	}
	if err := s.checkRefs(ctx, workspaceID, "rule", spec.Conditions, spec.Actions); err != nil {
		return Rule{}, err
	}
	if err := s.checkDestinations(ctx, "rule", spec.Actions); err != nil {
		return Rule{}, err
	}
	now := store.NowMillis(s.now())
	r := Rule{ID: uuid.NewString(), WorkspaceID: workspaceID, Name: spec.Name, Enabled: spec.Enabled, Trigger: spec.Trigger,
		DelayMinutes: spec.DelayMinutes, Conditions: spec.Conditions, Actions: spec.Actions, CreatedAt: now, UpdatedAt: now}
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if r.Position, err = nextPosition(ctx, tx, "automation_rules", workspaceID); err != nil {
			return fmt.Errorf("rule position: %w", err)
		}
		if err := insertRule(ctx, tx, &r); err != nil {
			return fmt.Errorf("insert rule: %w", err)
		}
		return s.ruleEvent(ctx, tx, actor, events.AutomationRuleCreated, &r)
	})
	return r, err
}

// ruleEvent records a change to a rule for admins; a rule turned on reacts
// to what happens after it, and when the workspace's last enabled rule is
// turned off (or deleted) the engine, gated, stops reacting there. The
// workspace row the event locks serializes rule changes, and the count is a
// locking read, so two changes at once cannot both miss each other.
func (s *Service) ruleEvent(ctx context.Context, tx *store.Tx, actor *access.Principal, typ events.Type, r *Rule) error {
	payload, err := json.Marshal(map[string]any{"rule": r})
	if err != nil {
		return fmt.Errorf("encode %s: %w", typ, err)
	}
	kind, id := actor.Actor()
	ev := &events.Event{WorkspaceID: r.WorkspaceID, Type: typ, ActorKind: kind, ActorID: id, Visibility: events.Admins, Payload: payload}
	if err := s.log.Append(ctx, tx, ev); err != nil {
		return err
	}
	if r.Enabled {
		return events.StartCursor(ctx, tx, ReactorName, r.WorkspaceID, ev.Seq)
	}
	var enabled int
	if err := tx.GetContext(ctx, &enabled, `SELECT COUNT(*) FROM automation_rules WHERE workspace_id = ? AND enabled = 1`+
		tx.Dialect.ForUpdate(), r.WorkspaceID); err != nil {
		return fmt.Errorf("count enabled rules: %w", err)
	}
	if enabled > 0 {
		return nil
	}
	return events.StopCursor(ctx, tx, ReactorName, r.WorkspaceID)
}

// Rules lists the workspace's rules in the order they run.
func (s *Service) Rules(ctx context.Context, workspaceID string) ([]Rule, error) {
	rs, err := rulesOf(ctx, s.db, workspaceID, "")
	if err != nil {
		return nil, fmt.Errorf("list rules: %w", err)
	}
	return rs, nil
}

// UpdateRule replaces a rule's spec.
func (s *Service) UpdateRule(ctx context.Context, actor *access.Principal, id string, spec RuleSpec) (Rule, error) {
	if err := checkSpec(&spec); err != nil {
		return Rule{}, err
	}
	ws, err := s.RuleWorkspace(ctx, id) // a rule never changes workspace
	if err != nil {
		return Rule{}, err
	}
	if err := s.checkRefs(ctx, ws, "rule", spec.Conditions, spec.Actions); err != nil {
		return Rule{}, err
	}
	if err := s.checkDestinations(ctx, "rule", spec.Actions); err != nil {
		return Rule{}, err
	}
	var r Rule
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if r, err = s.lockRule(ctx, tx, id); err != nil {
			return err
		}
		r.Name, r.Enabled, r.Trigger, r.Conditions, r.Actions = spec.Name, spec.Enabled, spec.Trigger, spec.Conditions, spec.Actions
		r.DelayMinutes = spec.DelayMinutes
		r.UpdatedAt = store.NowMillis(s.now())
		if err := updateRule(ctx, tx, &r); err != nil {
			return fmt.Errorf("update rule: %w", err)
		}
		return s.ruleEvent(ctx, tx, actor, events.AutomationRuleUpdated, &r)
	})
	return r, err
}

// DeleteRule removes a rule.
func (s *Service) DeleteRule(ctx context.Context, actor *access.Principal, id string) error {
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		r, err := s.lockRule(ctx, tx, id)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM automation_rules WHERE id = ?`, id); err != nil {
			return fmt.Errorf("delete rule: %w", err)
		}
		r.Enabled = false
		return s.ruleEvent(ctx, tx, actor, events.AutomationRuleDeleted, &r)
	})
}

// ReorderRules sets the order the workspace's rules run in: ids must name
// each of its rules once.
func (s *Service) ReorderRules(ctx context.Context, actor *access.Principal, workspaceID string, ids []string) ([]Rule, error) {
	var out []Rule
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		rs, err := rulesOf(ctx, tx, workspaceID, tx.Dialect.ForUpdate())
		if err != nil {
			return fmt.Errorf("list rules: %w", err)
		}
		byID := map[string]Rule{}
		for _, r := range rs {
			byID[r.ID] = r
		}
		if len(ids) != len(rs) {
			return apperr.Invalid("rule_ids", "must name each of the workspace's rules once")
		}
		now := store.NowMillis(s.now())
		for i, id := range ids {
			r, ok := byID[id]
			if !ok {
				return apperr.Invalid("rule_ids", "must name each of the workspace's rules once")
			}
			delete(byID, id)
			r.Position, r.UpdatedAt = i, now
			if err := updateRule(ctx, tx, &r); err != nil {
				return fmt.Errorf("move rule: %w", err)
			}
			out = append(out, r)
		}
		payload, _ := json.Marshal(map[string]any{"rule_ids": ids})
		kind, id := actor.Actor()
		return s.log.Append(ctx, tx, &events.Event{WorkspaceID: workspaceID, Type: events.AutomationRulesReordered,
			ActorKind: kind, ActorID: id, Visibility: events.Admins, Payload: payload})
	})
	return out, err
}

func (s *Service) lockRule(ctx context.Context, tx *store.Tx, id string) (Rule, error) {
	r, err := ruleByID(ctx, tx, id, tx.Dialect.ForUpdate())
	if store.ErrNoRows(err) {
		return Rule{}, apperr.ErrNotFound
	}
	if err != nil {
		return Rule{}, fmt.Errorf("load rule: %w", err)
	}
	return r, nil
}

// RuleWorkspace resolves a rule id to its workspace, for authorization.
func (s *Service) RuleWorkspace(ctx context.Context, id string) (string, error) {
	r, err := ruleByID(ctx, s.db, id, "")
	if store.ErrNoRows(err) {
		return "", apperr.ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("resolve rule: %w", err)
	}
	return r.WorkspaceID, nil
}
