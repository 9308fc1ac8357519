package bot_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/bot"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/servicetest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// settingsEnv is the AI agent's service on one fresh database, with a
// workspace to configure.
func settingsEnv(t *testing.T, db *store.DB) (*bot.Service, *access.Principal, string) {
	t.Helper()
	e := servicetest.New(db, servicetest.Options{})
	owner := servicetest.As(e.User(t, "Olivia"))
	w, err := e.Workspaces.Create(e.Ctx, owner, "Shop")
	if err != nil {
		t.Fatal(err)
	}
	return bot.NewService(db, e.Log, bot.Deps{}, bot.Options{}, nil), owner, w.ID
}

type intentView struct {
	Name    string
	Enabled bool
	Phrases []string
}

func view(st bot.Settings) []intentView {
	var out []intentView
	for _, in := range st.Intents {
		out = append(out, intentView{in.Name, in.Enabled, in.Phrases})
	}
	return out
}

// TestIntentSettings: a workspace starts with every intent on, with its
// description and examples; updates change only the intents they name, in
// the bot.settings_updated event, and survive a reload; bad updates are
// refused naming the field, and change nothing.
func TestIntentSettings(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		svc, owner, wsID := settingsEnv(t, db)

		st, err := svc.Settings(ctx, wsID)
		if err != nil {
			t.Fatal(err)
		}
		names := bot.IntentNames()
		if len(st.Intents) != len(names) {
			t.Fatalf("intents %v", st.Intents)
		}
		for i, in := range st.Intents {
			if in.Name != names[i] || !in.Enabled || len(in.Phrases) != 0 || in.Description == "" || len(in.Examples) < 6 {
				t.Errorf("default intent %d: %+v", i, in)
			}
		}

		off := false
		ev := storetest.Appends(t, db, events.BotSettingsUpdated, func() error {
			_, err := svc.Update(ctx, owner, wsID, bot.Patch{Intents: []bot.IntentPatch{
				{Name: bot.IntentHuman, Enabled: &off},
				{Name: bot.IntentRefund, Phrases: []string{"  extended warranty ", "Extended Warranty", "garantía extendida"}},
			}})
			return err
		})
		want := []intentView{
			{bot.IntentHuman, false, []string{}},
			{bot.IntentRefund, true, []string{"extended warranty", "garantía extendida"}},
			{bot.IntentChargeback, true, []string{}},
			{bot.IntentFraud, true, []string{}},
			{bot.IntentLegal, true, []string{}},
			{bot.IntentCancellation, true, []string{}},
			{bot.IntentAnger, true, []string{}},
		}
		var payload struct {
			Intents []intentView `json:"escalation_intents"`
		}
		if err := json.Unmarshal([]byte(ev.Payload), &payload); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, payload.Intents); diff != "" {
			t.Errorf("event payload (-want +got):\n%s", diff)
		}
		st, err = svc.Settings(ctx, wsID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, view(st)); diff != "" {
			t.Errorf("reloaded (-want +got):\n%s", diff)
		}
		if st.Intents[1].Description == "" || len(st.Intents[1].Examples) == 0 {
			t.Errorf("a changed intent lost its description or examples: %+v", st.Intents[1])
		}

		// A patch without the intents keeps them; absent fields stay.
		on := true
		if _, err := svc.Update(ctx, owner, wsID, bot.Patch{Enabled: &on, Intents: []bot.IntentPatch{{Name: bot.IntentHuman, Enabled: &on},
			{Name: bot.IntentAnger, Phrases: []string{"disappointed"}}}}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Update(ctx, owner, wsID, bot.Patch{Intents: []bot.IntentPatch{{Name: bot.IntentAnger, Clear: true}}}); err != nil {
			t.Fatal(err)
		}
		st, _ = svc.Settings(ctx, wsID)
		want[0].Enabled = true
		if diff := cmp.Diff(want, view(st)); diff != "" || !st.Enabled {
			t.Errorf("after later updates (-want +got):\n%s", diff)
		}

		for _, tc := range []struct {
			name    string
			patches []bot.IntentPatch
			field   string
		}{
			{"duplicate", []bot.IntentPatch{{Name: bot.IntentHuman, Enabled: &off}, {Name: bot.IntentHuman, Enabled: &on}}, "escalation_intents"},
			{"unknown", []bot.IntentPatch{{Name: "weather"}}, "escalation_intents[0].name"},
			{"blank phrase", []bot.IntentPatch{{Name: bot.IntentLegal}, {Name: bot.IntentFraud, Phrases: []string{"phishing mail", "   "}}},
				"escalation_intents[1].phrases"},
			{"short phrase", []bot.IntentPatch{{Name: bot.IntentFraud, Phrases: []string{" x "}}}, "escalation_intents[0].phrases"},
			{"no letters", []bot.IntentPatch{{Name: bot.IntentFraud, Phrases: []string{"?!?"}}}, "escalation_intents[0].phrases"},
			{"clear and set", []bot.IntentPatch{{Name: bot.IntentFraud, Phrases: []string{"phishing mail"}, Clear: true}},
				"escalation_intents[0].clear_phrases"},
		} {
			storetest.Appends(t, db, "", func() error {
				_, err := svc.Update(ctx, owner, wsID, bot.Patch{Enabled: &off, Intents: tc.patches})
				var ae *apperr.Error
				if !errors.As(err, &ae) || ae.Kind != apperr.InvalidArgument || ae.Field != tc.field {
					t.Errorf("%s: %v, want InvalidArgument on %s", tc.name, err, tc.field)
				}
				return nil
			})
		}
		st, _ = svc.Settings(ctx, wsID)
		if diff := cmp.Diff(want, view(st)); diff != "" || !st.Enabled {
			t.Errorf("a refused update changed the settings (-want +got):\n%s", diff)
		}
	})
}
