package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/encoding/protojson"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/api/tandem/v1/tandemv1connect"
	"github.com/tandem-inbox/tandem/desktop/internal/apiclient"
	"github.com/tandem-inbox/tandem/desktop/internal/app"
	"github.com/tandem-inbox/tandem/desktop/internal/tandemtest"
)

func decodeDelivery(t *testing.T, raw json.RawMessage) *tandemv1.WebhookDelivery {
	t.Helper()
	d := &tandemv1.WebhookDelivery{}
	if err := protojson.Unmarshal(raw, d); err != nil {
		t.Fatal(err)
	}
	return d
}

// hookReceiver answers every webhook call 500 until up is set, then 200.
type hookReceiver struct {
	srv   *httptest.Server
	up    atomic.Bool
	calls atomic.Int32
}

func newHookReceiver(t *testing.T) *hookReceiver {
	t.Helper()
	r := &hookReceiver{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		r.calls.Add(1)
		if !r.up.Load() {
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// webhookRule makes, as the owner through the API (the app has no rules
// screen), a rule that calls url for every new conversation.
func webhookRule(t *testing.T, srv *tandemtest.Server, url string) *tandemv1.Rule {
	t.Helper()
	owner := srv.Login(t, tandemtest.OwnerEmail)
	auth := connect.UnaryInterceptorFunc(func(next connect.UnaryFunc) connect.UnaryFunc {
		return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
			req.Header().Set("Authorization", "Bearer "+owner.Token)
			return next(ctx, req)
		}
	})
	auto := tandemv1connect.NewAutomationServiceClient(http.DefaultClient, srv.URL, connect.WithInterceptors(auth))
	res, err := auto.CreateRule(context.Background(), &tandemv1.CreateRuleRequest{WorkspaceId: srv.WorkspaceID, Rule: &tandemv1.RuleSpec{
		Name: "Tell the shop", Enabled: true, Trigger: tandemv1.RuleTrigger_RULE_TRIGGER_CONVERSATION_CREATED,
		Actions: []*tandemv1.Action{{Kind: &tandemv1.Action_CallWebhook{CallWebhook: &tandemv1.CallWebhookAction{
			Url: url, Secret: "a secret of sixteen bytes or more"}}}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return res.GetRule()
}

// TestWebhookDeliveries: a rule's webhook whose receiver keeps failing is
// dead-lettered; the owner sees it in the dead letters (URL, attempts,
// the receiver's status, the rule and its trigger), redelivers it once the
// receiver is back (pending at once, then delivered); an unknown filter is
// refused before sending; an agent may neither list nor redeliver.
func TestWebhookDeliveries(t *testing.T) {
	recv := newHookReceiver(t)
	srv := tandemtest.Start(t, map[string]string{"TANDEM_WEBHOOK_ALLOW": "127.0.0.1/32", "TANDEM_WEBHOOK_RETRY_BASE": "1ms"})
	rule := webhookRule(t, srv, recv.srv.URL+"/hooks")
	boss := launch(t, "")
	if _, err := boss.app.SignIn(srv.URL, tandemtest.OwnerEmail, tandemtest.Password); err != nil {
		t.Fatal(err)
	}
	list := func(status string) app.WebhookPage {
		t.Helper()
		page, err := boss.app.WebhookDeliveries(status, "")
		if err != nil {
			t.Fatal(err)
		}
		return page
	}
	srv.StartConversation(t, "Ada", "Where is my parcel?")

	var dead *tandemv1.WebhookDelivery
	eventually(t, "a dead letter", func() bool {
		page := list("dead")
		if len(page.Deliveries) == 1 {
			dead = decodeDelivery(t, page.Deliveries[0])
		}
		return dead != nil
	})
	if dead.GetUrl() != recv.srv.URL+"/hooks" || dead.GetStatus() != tandemv1.WebhookDeliveryStatus_WEBHOOK_DELIVERY_STATUS_DEAD ||
		dead.GetAttempts() != 8 || dead.GetLastStatusCode() != 500 || dead.GetLastError() == "" || dead.GetSourceId() != rule.GetId() {
		t.Fatalf("dead letter %v", dead)
	}
	all := list("")
	want := app.WebhookSource{Kind: "rule", Name: "Tell the shop", Trigger: "RULE_TRIGGER_CONVERSATION_CREATED"}
	if len(all.Deliveries) != 1 || all.More != "" || all.Sources[rule.GetId()] != want {
		t.Fatalf("all deliveries: %d, more %q, sources %v", len(all.Deliveries), all.More, all.Sources)
	}
	if got := list("pending"); len(got.Deliveries) != 0 {
		t.Fatalf("%d pending, want none", len(got.Deliveries))
	}
	if _, err := boss.app.WebhookDeliveries("failed", ""); apiclient.KindOf(err) != apiclient.KindInvalid {
		t.Fatalf("an unknown filter = %v", err)
	}

	recv.up.Store(true)
	raw, err := boss.app.RedeliverWebhook(dead.GetId())
	if err != nil {
		t.Fatal(err)
	}
	if got := decodeDelivery(t, raw); got.GetId() != dead.GetId() || got.GetStatus() != tandemv1.WebhookDeliveryStatus_WEBHOOK_DELIVERY_STATUS_PENDING ||
		got.GetAttempts() != 0 {
		t.Fatalf("redelivered %v", got)
	}
	var done *tandemv1.WebhookDelivery
	eventually(t, "the redelivery delivered", func() bool {
		page := list("delivered")
		if len(page.Deliveries) == 1 {
			done = decodeDelivery(t, page.Deliveries[0])
		}
		return done != nil
	})
	if done.GetId() != dead.GetId() || done.GetAttempts() != 1 || done.GetLastStatusCode() != 200 || done.GetDeliveredTimeMs() == 0 {
		t.Fatalf("delivered %v", done)
	}
	if n := recv.calls.Load(); n != 9 {
		t.Errorf("the receiver was called %d times, want 8 failures and 1 success", n)
	}

	agent := launch(t, "")
	if _, err := agent.app.SignIn(srv.URL, tandemtest.AgentEmail, tandemtest.Password); err != nil {
		t.Fatal(err)
	}
	if _, err := agent.app.WebhookDeliveries("", ""); apiclient.KindOf(err) != apiclient.KindForbidden {
		t.Fatalf("an agent listing deliveries = %v", err)
	}
	if _, err := agent.app.RedeliverWebhook(dead.GetId()); apiclient.KindOf(err) != apiclient.KindForbidden {
		t.Fatalf("an agent redelivering = %v", err)
	}
}
