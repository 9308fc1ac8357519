package bot_test

import (
	"context"
	"testing"

	"github.com/tandem-inbox/tandem/backend/internal/bot"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// TestSwitch: the switch the conversations ask answers as the settings do,
// the defaults where none are saved, and for the one workspace asked.
func TestSwitch(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		svc, owner, wsID := settingsEnv(t, db)
		_, _, other := settingsEnv(t, db)
		sw := bot.NewSwitch(db)
		enabled := func(ws string) bool {
			t.Helper()
			on, err := sw.Enabled(ctx, ws)
			if err != nil {
				t.Fatal(err)
			}
			return on
		}
		if got, want := enabled(wsID), bot.Defaults(wsID).Enabled; got != want {
			t.Fatalf("no settings saved: enabled %v, want the default %v", got, want)
		}
		for _, on := range []bool{!bot.Defaults(wsID).Enabled, bot.Defaults(wsID).Enabled} {
			if _, err := svc.Update(ctx, owner, wsID, bot.Patch{Enabled: &on}); err != nil {
				t.Fatal(err)
			}
			st, err := svc.Settings(ctx, wsID)
			if err != nil {
				t.Fatal(err)
			}
			if got := enabled(wsID); got != on || got != st.Enabled {
				t.Errorf("saved enabled %v: switch says %v, settings say %v", on, got, st.Enabled)
			}
		}
		off := !bot.Defaults(wsID).Enabled
		if _, err := svc.Update(ctx, owner, wsID, bot.Patch{Enabled: &off}); err != nil {
			t.Fatal(err)
		}
		if got := enabled(other); got != bot.Defaults(other).Enabled {
			t.Errorf("another workspace's switch followed: %v", got)
		}
	})
}
