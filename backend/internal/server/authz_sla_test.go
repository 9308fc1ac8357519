package server_test

import (
	"context"

	"github.com/google/uuid"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/sla"
)

// SLA policies, business hours and follow-ups in the authorization matrix
// (members read them, admins change them), and statistics (members see the
// overview, supervisors the reports).
func init() {
	authzParts = append(authzParts, authzPart{
		table: map[string]policy{
			"/tandem.v1.SlaService/ListSlaPolicies":        member(access.RoleAgent),
			"/tandem.v1.SlaService/CreateSlaPolicy":        member(access.RoleAdmin),
			"/tandem.v1.SlaService/UpdateSlaPolicy":        member(access.RoleAdmin),
			"/tandem.v1.SlaService/DeleteSlaPolicy":        member(access.RoleAdmin),
			"/tandem.v1.SlaService/GetBusinessHours":       member(access.RoleAgent),
			"/tandem.v1.SlaService/SetBusinessHours":       member(access.RoleAdmin),
			"/tandem.v1.StatsService/GetOverview":          member(access.RoleAgent),
			"/tandem.v1.StatsService/GetReport":            member(access.RoleSupervisor),
			"/tandem.v1.SlaService/GetFollowUpSettings":    member(access.RoleAgent),
			"/tandem.v1.SlaService/UpdateFollowUpSettings": member(access.RoleAdmin),
		},
		fixtures: slaFixtures,
		digest: []string{
			`SELECT id, name, updated_at FROM sla_policies WHERE workspace_id = ? ORDER BY id`,
			`SELECT time_zone, ranges, updated_at FROM business_hours WHERE workspace_id = ?`,
			`SELECT remind_after_seconds, close_after_seconds, reminder_message FROM followup_settings WHERE workspace_id = ?`,
		},
	})
}

func slaInput() *tandemv1.SlaPolicyInput {
	return &tandemv1.SlaPolicyInput{Name: rpctest.Unique("policy "), FirstResponseSeconds: 600, WarningPercent: 80}
}

// slaPolicy is a policy of W1 (own), of W2 (foreign) or a missing id.
func (w *world) slaPolicy(tg target) string {
	w.T.Helper()
	owner, ws := w.Principal("owner"), w.W1.ID
	switch tg {
	case missing:
		return uuid.NewString()
	case foreign:
		owner, ws = w.Principal("w2owner"), w.W2.ID
	}
	p, err := w.Srv.Domain().SLA.Save(w.Ctx, owner, ws, sla.Policy{Name: rpctest.Unique("policy "), FirstResponse: 600, WarningPercent: 80})
	if err != nil {
		w.T.Fatal(err)
	}
	return p.ID
}

func slaFixtures(w *world) map[string]func(tg target) call {
	return map[string]func(tg target) call{
		"/tandem.v1.SlaService/ListSlaPolicies": func(tg target) call {
			id := w.targetWorkspace(tg)
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.SLA.ListSlaPolicies(ctx, &tandemv1.ListSlaPoliciesRequest{WorkspaceId: id})
				return err
			}
		},
		"/tandem.v1.SlaService/CreateSlaPolicy": func(tg target) call {
			id := w.targetWorkspace(tg)
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.SLA.CreateSlaPolicy(ctx, &tandemv1.CreateSlaPolicyRequest{WorkspaceId: id, Policy: slaInput()})
				return err
			}
		},
		"/tandem.v1.SlaService/UpdateSlaPolicy": func(tg target) call {
			id := w.slaPolicy(tg)
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.SLA.UpdateSlaPolicy(ctx, &tandemv1.UpdateSlaPolicyRequest{PolicyId: id, Policy: slaInput()})
				return err
			}
		},
		"/tandem.v1.SlaService/DeleteSlaPolicy": func(tg target) call {
			id := w.slaPolicy(tg)
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.SLA.DeleteSlaPolicy(ctx, &tandemv1.DeleteSlaPolicyRequest{PolicyId: id})
				return err
			}
		},
		"/tandem.v1.SlaService/GetBusinessHours": func(tg target) call {
			id := w.targetWorkspace(tg)
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.SLA.GetBusinessHours(ctx, &tandemv1.GetBusinessHoursRequest{WorkspaceId: id})
				return err
			}
		},
		"/tandem.v1.StatsService/GetOverview": func(tg target) call {
			id := w.targetWorkspace(tg)
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Stats.GetOverview(ctx, &tandemv1.GetOverviewRequest{WorkspaceId: id})
				return err
			}
		},
		"/tandem.v1.StatsService/GetReport": func(tg target) call {
			id := w.targetWorkspace(tg)
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Stats.GetReport(ctx, &tandemv1.GetReportRequest{WorkspaceId: id, EndTimeMs: 1 << 50})
				return err
			}
		},
		"/tandem.v1.SlaService/GetFollowUpSettings": func(tg target) call {
			id := w.targetWorkspace(tg)
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.SLA.GetFollowUpSettings(ctx, &tandemv1.GetFollowUpSettingsRequest{WorkspaceId: id})
				return err
			}
		},
		"/tandem.v1.SlaService/UpdateFollowUpSettings": func(tg target) call {
			id := w.targetWorkspace(tg)
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.SLA.UpdateFollowUpSettings(ctx, &tandemv1.UpdateFollowUpSettingsRequest{WorkspaceId: id,
					Settings: &tandemv1.FollowUpSettings{RemindAfterMinutes: 10, CloseAfterMinutes: 60}})
				return err
			}
		},
		"/tandem.v1.SlaService/SetBusinessHours": func(tg target) call {
			id := w.targetWorkspace(tg)
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.SLA.SetBusinessHours(ctx, &tandemv1.SetBusinessHoursRequest{WorkspaceId: id,
					Hours: &tandemv1.BusinessHours{TimeZone: "UTC"}})
				return err
			}
		},
	}
}
