package canned_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"connectrpc.com/connect"
	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"google.golang.org/protobuf/testing/protocmp"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/api/tandem/v1/tandemv1connect"
	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/canned"
	"github.com/tandem-inbox/tandem/backend/internal/handlertest"
	"github.com/tandem-inbox/tandem/backend/internal/servicetest"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// TestHandler runs the generated client against the handler behind the
// validation interceptor, on SQLite (the service tests cover both databases).
func TestHandler(t *testing.T) {
	t.Parallel()
	e := newEnv(t, storetest.New(t, "sqlite"))
	who := &handlertest.Caller{P: servicetest.As(e.sup), Scope: servicetest.Scope(e.w1, access.RoleSupervisor)}
	url, hc := handlertest.Serve(t, who, func(opts ...connect.HandlerOption) (string, http.Handler) {
		return tandemv1connect.NewCannedResponseServiceHandler(canned.NewHandler(e.svc), opts...)
	})
	client := tandemv1connect.NewCannedResponseServiceClient(hc, url)
	ctx := context.Background()
	code := func(err error) connect.Code {
		if err == nil {
			return 0
		}
		return connect.CodeOf(err)
	}

	created, err := client.CreateCannedResponse(ctx, &tandemv1.CreateCannedResponseRequest{WorkspaceId: e.w1.ID,
		Shortcut: "refund", Title: "Refund", Body: "Hi {{customer.name}}"})
	if err != nil {
		t.Fatal(err)
	}
	r := created.GetCannedResponse()
	want := &tandemv1.CannedResponse{Id: r.GetId(), WorkspaceId: e.w1.ID, Shortcut: "refund", Title: "Refund",
		Body: "Hi {{customer.name}}", CreatedBy: e.sup.ID, CreateTimeMs: servicetest.T0.UnixMilli(), UpdateTimeMs: servicetest.T0.UnixMilli()}
	if diff := cmp.Diff(want, r, protocmp.Transform()); diff != "" {
		t.Errorf("created (-want +got):\n%s", diff)
	}
	mine, err := client.CreateCannedResponse(ctx, &tandemv1.CreateCannedResponseRequest{WorkspaceId: e.w1.ID,
		Shortcut: "mine", Title: "Mine", Body: "Only mine", Personal: true})
	if err != nil || mine.GetCannedResponse().GetOwnerUserId() != e.sup.ID {
		t.Fatalf("personal: %v, %v", mine, err)
	}

	// Only the fields given change.
	updated, err := client.UpdateCannedResponse(ctx, &tandemv1.UpdateCannedResponseRequest{CannedResponseId: r.GetId(),
		Title: new("Refunds")})
	if err != nil || updated.GetCannedResponse().GetTitle() != "Refunds" || updated.GetCannedResponse().GetBody() != r.GetBody() ||
		updated.GetCannedResponse().GetShortcut() != "refund" {
		t.Errorf("update: %v, %v", updated, err)
	}
	list, err := client.ListCannedResponses(ctx, &tandemv1.ListCannedResponsesRequest{WorkspaceId: e.w1.ID, PageSize: 1})
	if err != nil || len(list.GetCannedResponses()) != 1 || list.GetCannedResponses()[0].GetShortcut() != "mine" || list.GetNextPageToken() == "" {
		t.Errorf("list: %v, %v", list, err)
	}
	conv := e.conversation(t, e.w1)
	rendered, err := client.RenderCannedResponse(ctx, &tandemv1.RenderCannedResponseRequest{CannedResponseId: r.GetId(), ConversationId: conv.ID})
	if err != nil || rendered.GetText() != "Hi Ada Lovelace" || len(rendered.GetUnresolved()) != 0 {
		t.Errorf("render: %v, %v", rendered, err)
	}
	// Fallbacks, and empty variables named for the agent to check.
	gaps, err := client.CreateCannedResponse(ctx, &tandemv1.CreateCannedResponseRequest{WorkspaceId: e.w1.ID, Shortcut: "gaps",
		Title: "Gaps", Body: "Hi {{customer.nickname | there}}, order {{customer.order_id}}!"})
	if err != nil {
		t.Fatal(err)
	}
	rendered, err = client.RenderCannedResponse(ctx, &tandemv1.RenderCannedResponseRequest{CannedResponseId: gaps.GetCannedResponse().GetId(), ConversationId: conv.ID})
	if err != nil || rendered.GetText() != "Hi there, order!" || !slices.Equal(rendered.GetUnresolved(), []string{"customer.order_id"}) {
		t.Errorf("render with gaps: %v, %v", rendered, err)
	}

	for _, tt := range []struct {
		name string
		call func() error
		want connect.Code
	}{
		{"shortcut pattern", func() error {
			_, err := client.CreateCannedResponse(ctx, &tandemv1.CreateCannedResponseRequest{WorkspaceId: e.w1.ID, Shortcut: "Re fund", Title: "T", Body: "B"})
			return err
		}, connect.CodeInvalidArgument},
		{"long title", func() error {
			_, err := client.CreateCannedResponse(ctx, &tandemv1.CreateCannedResponseRequest{WorkspaceId: e.w1.ID, Shortcut: "a", Title: strings.Repeat("t", 101), Body: "B"})
			return err
		}, connect.CodeInvalidArgument},
		{"body bytes", func() error {
			_, err := client.CreateCannedResponse(ctx, &tandemv1.CreateCannedResponseRequest{WorkspaceId: e.w1.ID, Shortcut: "a", Title: "T", Body: strings.Repeat("é", 8193)})
			return err
		}, connect.CodeInvalidArgument},
		{"empty update shortcut", func() error {
			_, err := client.UpdateCannedResponse(ctx, &tandemv1.UpdateCannedResponseRequest{CannedResponseId: r.GetId(), Shortcut: new("")})
			return err
		}, connect.CodeInvalidArgument},
		{"id not a uuid", func() error {
			_, err := client.DeleteCannedResponse(ctx, &tandemv1.DeleteCannedResponseRequest{CannedResponseId: "refund"})
			return err
		}, connect.CodeInvalidArgument},
		{"long query", func() error {
			_, err := client.ListCannedResponses(ctx, &tandemv1.ListCannedResponsesRequest{WorkspaceId: e.w1.ID, Query: strings.Repeat("q", 101)})
			return err
		}, connect.CodeInvalidArgument},
		{"NUL in query", func() error {
			_, err := client.ListCannedResponses(ctx, &tandemv1.ListCannedResponsesRequest{WorkspaceId: e.w1.ID, Query: "re\x00"})
			return err
		}, connect.CodeInvalidArgument},
		{"taken shortcut", func() error {
			_, err := client.CreateCannedResponse(ctx, &tandemv1.CreateCannedResponseRequest{WorkspaceId: e.w1.ID, Shortcut: "refund", Title: "T", Body: "B"})
			return err
		}, connect.CodeAlreadyExists},
		{"foreign conversation", func() error {
			_, err := client.RenderCannedResponse(ctx, &tandemv1.RenderCannedResponseRequest{CannedResponseId: r.GetId(), ConversationId: uuid.NewString()})
			return err
		}, connect.CodeInvalidArgument},
		{"missing response", func() error {
			_, err := client.DeleteCannedResponse(ctx, &tandemv1.DeleteCannedResponseRequest{CannedResponseId: uuid.NewString()})
			return err
		}, connect.CodeNotFound},
		{"delete", func() error {
			_, err := client.DeleteCannedResponse(ctx, &tandemv1.DeleteCannedResponseRequest{CannedResponseId: r.GetId()})
			return err
		}, 0},
	} {
		if got := code(tt.call()); got != tt.want {
			t.Errorf("%s: code %v, want %v", tt.name, got, tt.want)
		}
	}

	// An agent may not create workspace-wide responses, and does not see
	// the supervisor's personal one.
	who.P, who.Scope = servicetest.As(e.agent), servicetest.Scope(e.w1, access.RoleAgent)
	if _, err := client.CreateCannedResponse(ctx, &tandemv1.CreateCannedResponseRequest{WorkspaceId: e.w1.ID,
		Shortcut: "wide", Title: "T", Body: "B"}); code(err) != connect.CodePermissionDenied {
		t.Errorf("agent creating workspace-wide: %v", err)
	}
	if _, err := client.UpdateCannedResponse(ctx, &tandemv1.UpdateCannedResponseRequest{CannedResponseId: mine.GetCannedResponse().GetId(),
		Title: new("x")}); code(err) != connect.CodeNotFound {
		t.Errorf("agent updating another's personal: %v", err)
	}
}
