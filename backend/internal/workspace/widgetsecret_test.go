package workspace_test

import (
	"testing"
	"time"

	"github.com/tandem-inbox/tandem/backend/internal/servicetest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
	"github.com/tandem-inbox/tandem/backend/internal/workspace"
)

// TestWidgetSecretGrace: a rotated secret is accepted until its grace
// period ends on the service's clock, and no longer.
func TestWidgetSecretGrace(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		base := servicetest.New(db, servicetest.Options{})
		c := base.Clock
		svc := workspace.NewService(db, base.Log, base.Accounts, workspace.Options{Now: c.Now, WidgetSecretGrace: time.Hour})
		e := &env{Env: base, svc: svc}
		owner := e.User(t, "owner")
		w, err := svc.Create(e.Ctx, servicetest.As(owner), "Acme")
		if err != nil {
			t.Fatal(err)
		}
		old := w.WidgetSecret
		r, err := svc.RotateWidgetSecret(e.Ctx, servicetest.As(owner), w.ID, false)
		if err != nil {
			t.Fatal(err)
		}
		if want := servicetest.T0.Add(time.Hour).UnixMilli(); r.PreviousExpiresAt != want {
			t.Fatalf("previous secret expires at %d, want %d", r.PreviousExpiresAt, want)
		}
		accepted := func() []string {
			t.Helper()
			w, err := svc.ByPublicKey(e.Ctx, w.PublicKey)
			if err != nil {
				t.Fatal(err)
			}
			return w.WidgetSecrets(store.NowMillis(c.Now()))
		}
		if got := accepted(); len(got) != 2 || got[0] != r.Secret || got[1] != old {
			t.Fatalf("in the grace period %v are accepted, want the new and the old secret", got)
		}
		c.Advance(time.Hour)
		if got := accepted(); len(got) != 1 || got[0] != r.Secret {
			t.Fatalf("after the grace period %v are accepted, want only the new secret", got)
		}
		if s, err := svc.GetWidgetSecret(e.Ctx, w.ID); err != nil || s.Secret != r.Secret || s.PreviousExpiresAt != 0 {
			t.Fatalf("GetWidgetSecret = %+v, %v", s, err)
		}
	})
}
