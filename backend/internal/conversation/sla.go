package conversation

import (
	"context"

	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// SetSLA lets the SLA clocks change a conversation's deadlines and outcomes:
// change edits them and says what it did (nil: nothing), and the change is
// a conversation.sla_updated event with the conversation and those details,
// so inboxes show the time left.
func (s *Service) SetSLA(ctx context.Context, workspaceID, id string, change func(c *Conversation) map[string]string) (Conversation, error) {
	return s.SetSLAIn(ctx, workspaceID, id, func(_ *store.Tx, c *Conversation) (map[string]string, error) {
		return change(c), nil
	})
}

// SetSLAIn is SetSLA for a change that has more to do in the same
// transaction, under the conversation's lock: a breach claims its timer and
// appends its own event there, so that the missed outcome and the breach
// are one commit. change may run more than once (a retried transaction).
func (s *Service) SetSLAIn(ctx context.Context, workspaceID, id string, change func(tx *store.Tx, c *Conversation) (map[string]string, error)) (Conversation, error) {
	return s.change(ctx, access.System(workspaceID, "SLA"), workspaceID, id, func(tx *store.Tx, conv *Conversation, actor Actor) error {
		prev := before(conv)
		data, err := change(tx, conv)
		if err != nil || data == nil {
			return err
		}
		return s.record(ctx, tx, conv, prev, events.ConversationSLAUpdated, events.Agents, actor, nil, data)
	})
}
