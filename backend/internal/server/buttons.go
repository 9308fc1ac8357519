package server

import (
	"context"

	"github.com/tandem-inbox/tandem/backend/internal/automation"
	"github.com/tandem-inbox/tandem/backend/internal/widget"
)

// buttons serves the automation package's custom actions to the widget.
type buttons struct{ *automation.Service }

func (b buttons) WidgetButtons(ctx context.Context, workspaceID string) ([]widget.Button, error) {
	as, err := b.Buttons(ctx, workspaceID)
	out := make([]widget.Button, len(as))
	for i, a := range as {
		out[i] = widget.Button{ID: a.ID, Label: a.Label}
		for _, x := range a.Actions {
			out[i].HandsOff = out[i].HandsOff || x.Kind == automation.ActHandOff
		}
	}
	return out, err
}

// agentName is the display name the widget shows for the agent helping.
func (s *Server) agentName(ctx context.Context, userID string) (string, error) {
	u, err := s.domain.Accounts.User(ctx, userID)
	return u.DisplayName, err
}
