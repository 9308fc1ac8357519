package conversation

import (
	"context"

	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// slaUpdated is the event of SetSLA.
const slaUpdated = "conversation.sla_updated"

// SetSLA lets the SLA clocks change a conversation's deadlines and outcomes:
// change edits them and says what it did (nil: nothing), and the change is
// a conversation.sla_updated event with the conversation and those details,
// so inboxes show the time left.
func (s *Service) SetSLA(ctx context.Context, workspaceID, id string, change func(c *Conversation) map[string]string) (Conversation, error) {
	return s.change(ctx, access.System(workspaceID, "SLA"), workspaceID, id, func(tx *store.Tx, conv *Conversation, actor Actor) error {
		prev := before(conv)
		data := change(conv)
		if data == nil {
			return nil
		}
		return s.record(ctx, tx, conv, prev, slaUpdated, events.Agents, actor, nil, data)
	})
}
