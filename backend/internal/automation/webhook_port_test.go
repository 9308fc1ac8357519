package automation_test

import (
	"strings"
	"testing"

	"connectrpc.com/connect"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// TestWebhookPortRefusal (HOOK-01): rules and buttons whose webhook URL is
// on the port of a mail, shell, database, cache or broker service of a
// public address are refused when saved, as InvalidArgument naming the
// field and the port as the reason; the web's ports (80, 443, 8080, 8443,
// high ports) are saved. A delivery to such a port (saved before the
// policy) is refused at connect time, before any packet leaves, and
// dead-lettered at once with the port as the reason. (Only address
// literals: no test here looks a name up on the Internet.)
func TestWebhookPortRefusal(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := worldOn(t, rpctest.Start(t, opts))
		c := w.Srv.Clients(rpcclient.Connect)
		rule := w.Rule(webhookRule("public", "publicword", "https://93.184.215.14/tandem"))
		for _, target := range []string{"http://93.184.215.14:25/", "https://93.184.215.14:465/", "http://93.184.215.14:22/",
			"http://93.184.215.14:3306/", "http://93.184.215.14:5432/", "http://93.184.215.14:6379/", "http://93.184.215.14:11211/",
			"http://93.184.215.14:27017/", "http://93.184.215.14:9200/", "http://93.184.215.14:2375/", "http://[2606:4700::1111]:4222/"} {
			checks := map[string]error{}
			_, checks["create rule"] = c.Automation.CreateRule(w.As("admin"), &tandemv1.CreateRuleRequest{WorkspaceId: w.W1.ID,
				Rule: webhookRule("hook", "word", target)})
			_, checks["update rule"] = c.Automation.UpdateRule(w.As("admin"), &tandemv1.UpdateRuleRequest{RuleId: rule.GetId(),
				Rule: webhookRule("hook", "word", target)})
			_, checks["create button"] = c.Automation.CreateCustomAction(w.As("admin"), &tandemv1.CreateCustomActionRequest{WorkspaceId: w.W1.ID,
				Action: &tandemv1.CustomActionSpec{Label: "Hook", Enabled: true, Actions: webhookRule("", "", target).GetActions()}})
			for what, err := range checks {
				if connect.CodeOf(err) != connect.CodeInvalidArgument {
					t.Errorf("%s with %s: %v, want InvalidArgument", what, target, err)
				} else if msg := err.Error(); !strings.Contains(msg, "call_webhook.url") || !strings.Contains(msg, "port") {
					t.Errorf("%s with %s: %q does not name the field and the port", what, target, msg)
				}
			}
		}
		for i, target := range []string{"http://93.184.215.14/", "https://93.184.215.14:443/", "http://93.184.215.14:8080/hook",
			"https://93.184.215.14:8443/hook", "https://93.184.215.14:9443/", "http://[2606:4700::1111]:50000/"} {
			if _, err := c.Automation.CreateRule(w.As("admin"), &tandemv1.CreateRuleRequest{WorkspaceId: w.W1.ID,
				Rule: webhookRule("hook "+string(rune('a'+i)), "word", target)}); err != nil {
				t.Errorf("create rule with %s: %v", target, err)
			}
		}

		id := w.pendingDelivery("http://93.184.215.14:25/")
		d := w.settle(id, tandemv1.WebhookDeliveryStatus_WEBHOOK_DELIVERY_STATUS_DEAD)
		if d.GetAttempts() != 1 || !strings.Contains(d.GetLastError(), "port is not allowed") || strings.Contains(d.GetLastError(), "93.184") {
			t.Fatalf("delivery to port 25: %d attempts, error %q: want one refused attempt naming the port", d.GetAttempts(), d.GetLastError())
		}
	})
}
