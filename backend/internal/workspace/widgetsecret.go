package workspace

import (
	"context"
	"fmt"
	"strconv"

	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// WidgetSecrets are the secrets whose signatures the workspace accepts at
// now (unix ms): the current one, and the one the last rotation replaced
// while its grace period lasts.
func (w Workspace) WidgetSecrets(now int64) []string {
	if w.PreviousWidgetSecret != "" && now < w.PreviousWidgetSecretExpiresAt {
		return []string{w.WidgetSecret, w.PreviousWidgetSecret}
	}
	return []string{w.WidgetSecret}
}

// WidgetSecret is what an admin reads of a workspace's widget secret.
type WidgetSecret struct {
	Secret string
	// PreviousExpiresAt is when the replaced secret stops being accepted
	// (unix ms), 0 when none is.
	PreviousExpiresAt int64
}

func (w Workspace) widgetSecret(now int64) WidgetSecret {
	ws := WidgetSecret{Secret: w.WidgetSecret}
	if w.PreviousWidgetSecret != "" && now < w.PreviousWidgetSecretExpiresAt {
		ws.PreviousExpiresAt = w.PreviousWidgetSecretExpiresAt
	}
	return ws
}

// GetWidgetSecret returns the workspace's widget secret.
func (s *Service) GetWidgetSecret(ctx context.Context, id string) (WidgetSecret, error) {
	w, err := s.Get(ctx, id)
	if err != nil {
		return WidgetSecret{}, err
	}
	return w.widgetSecret(store.NowMillis(s.now())), nil
}

// RotateWidgetSecret gives the workspace a new random widget secret. The
// replaced one stays accepted for the grace period, or not at all with
// revokePrevious; one replaced before it ends now either way, so two
// rotations in a row retire a leaked secret.
func (s *Service) RotateWidgetSecret(ctx context.Context, actor *access.Principal, id string, revokePrevious bool) (WidgetSecret, error) {
	var out WidgetSecret
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		w, err := workspaceForUpdate(ctx, tx, id)
		if store.ErrNoRows(err) {
			return apperr.ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("get workspace: %w", err)
		}
		now := s.now()
		w.PreviousWidgetSecret, w.PreviousWidgetSecretExpiresAt = w.WidgetSecret, store.NowMillis(now.Add(s.secretGrace))
		if revokePrevious || s.secretGrace <= 0 {
			w.PreviousWidgetSecret, w.PreviousWidgetSecretExpiresAt = "", 0
		}
		w.WidgetSecret = randomHex(32)
		w.UpdatedAt = store.NowMillis(now)
		if err := setWidgetSecret(ctx, tx, &w); err != nil {
			return fmt.Errorf("rotate widget secret: %w", err)
		}
		out = w.widgetSecret(w.UpdatedAt)
		// The event says that and when, never the secret.
		return s.appendEvent(ctx, tx, id, actor, events.WorkspaceWidgetSecretRotated, events.Admins,
			map[string]string{"previous_expire_time_ms": strconv.FormatInt(out.PreviousExpiresAt, 10)})
	})
	return out, err
}
