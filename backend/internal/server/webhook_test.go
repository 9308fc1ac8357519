package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/automation"
	"github.com/tandem-inbox/tandem/backend/internal/config"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

const hookSecret = "a webhook secret of some length"

// receiver is a webhook receiver that checks signatures and fails on demand.
type receiver struct {
	t   *testing.T
	srv *httptest.Server

	mu      sync.Mutex
	fail    int // answer 500 to this many more calls
	calls   []http.Header
	bodies  []string
	badSigs int
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{t: t}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		r.calls = append(r.calls, req.Header.Clone())
		r.bodies = append(r.bodies, string(body))
		if automation.Sign(hookSecret, req.Header.Get(automation.HeaderTimestamp), body) != req.Header.Get(automation.HeaderSignature) {
			r.badSigs++
		}
		if r.fail > 0 {
			r.fail--
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) setFail(n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fail = n
}

func (r *receiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.calls)
}

func webhookRule(name, word, url string) *tandemv1.RuleSpec {
	return &tandemv1.RuleSpec{Name: name, Enabled: true, Trigger: tandemv1.RuleTrigger_RULE_TRIGGER_CUSTOMER_MESSAGE,
		Conditions: []*tandemv1.Condition{keywords(word)},
		Actions: []*tandemv1.Action{{Kind: &tandemv1.Action_CallWebhook{CallWebhook: &tandemv1.CallWebhookAction{
			Url: url, Secret: hookSecret}}}}}
}

// deliveries lists W1's webhook deliveries through the API.
func (w *world) deliveries(status tandemv1.WebhookDeliveryStatus) []*tandemv1.WebhookDelivery {
	w.t.Helper()
	resp, err := w.srv.Clients(rpctest.Connect).Automation.ListWebhookDeliveries(w.as("admin"),
		&tandemv1.ListWebhookDeliveriesRequest{WorkspaceId: w.w1.ID, Status: status})
	if err != nil {
		w.t.Fatal(err)
	}
	return resp.GetDeliveries()
}

// settle delivers due webhooks until the delivery reaches the status.
func (w *world) settle(id string, status tandemv1.WebhookDeliveryStatus) *tandemv1.WebhookDelivery {
	w.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := w.srv.Automation.DeliverDue(w.ctx); err != nil {
			w.t.Fatal(err)
		}
		for _, d := range w.deliveries(0) {
			if d.GetId() == id && d.GetStatus() == status {
				return d
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	w.t.Fatalf("delivery %s never became %v: %v", id, status, w.deliveries(0))
	return nil
}

// TestWebhookDelivery: a rule's webhook is signed, carries a stable event
// id, is retried with backoff until the receiver takes it, and is made once
// however often the event is seen; one that keeps failing is dead-lettered,
// listed, and delivered by hand once the receiver is back.
func TestWebhookDelivery(t *testing.T) {
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		srv := rpctest.Start(t, opts, func(c *config.Config) {
			c.WebhookAllow = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
			c.WebhookRetryBase = time.Millisecond
		})
		w := worldOn(t, srv)
		r := newReceiver(t)
		w.rule(webhookRule("Tell the shop", "refund", r.srv.URL+"/hooks"))

		r.setFail(2)
		conv := w.conversation2(w.visitor, "I need a refund")
		w.runRules()
		if err := w.srv.Automation.Reactor().Drain(w.ctx, w.w1.ID); err != nil { // again: nothing new
			t.Fatal(err)
		}
		ds := w.deliveries(0)
		if len(ds) != 1 {
			t.Fatalf("%d deliveries, want 1", len(ds))
		}
		d := w.settle(ds[0].GetId(), tandemv1.WebhookDeliveryStatus_WEBHOOK_DELIVERY_STATUS_DELIVERED)
		r.mu.Lock()
		calls, bodies, badSigs := slices.Clone(r.calls), slices.Clone(r.bodies), r.badSigs
		r.mu.Unlock()
		if d.GetAttempts() != 3 || len(calls) != 3 || badSigs != 0 {
			t.Fatalf("attempts %d, calls %d, bad signatures %d: want 3, 3, 0", d.GetAttempts(), len(calls), badSigs)
		}
		for _, h := range calls {
			if h.Get(automation.HeaderEventID) != d.GetId() {
				t.Fatalf("event id %q, want the stable %q", h.Get(automation.HeaderEventID), d.GetId())
			}
		}
		var body struct {
			ID           string `json:"id"`
			Conversation struct {
				ID string `json:"id"`
			} `json:"conversation"`
			Message struct {
				Body string `json:"body"`
			} `json:"message"`
			Source struct {
				Kind string `json:"kind"`
			} `json:"source"`
		}
		if err := json.Unmarshal([]byte(bodies[0]), &body); err != nil {
			t.Fatal(err)
		}
		if body.ID != d.GetId() || body.Conversation.ID != conv.ID || body.Message.Body != "I need a refund" || body.Source.Kind != "rule" {
			t.Fatalf("body %s", bodies[0])
		}

		// A receiver that keeps failing: dead letter, then a redelivery.
		r.setFail(1000)
		w.conversation2(w.visitor, "another refund")
		w.runRules()
		dead := w.deliveries(tandemv1.WebhookDeliveryStatus_WEBHOOK_DELIVERY_STATUS_PENDING)
		if len(dead) != 1 {
			t.Fatalf("%d pending deliveries, want 1", len(dead))
		}
		d = w.settle(dead[0].GetId(), tandemv1.WebhookDeliveryStatus_WEBHOOK_DELIVERY_STATUS_DEAD)
		if d.GetAttempts() != 8 || d.GetLastStatusCode() != 500 {
			t.Fatalf("dead letter after %d attempts, last status %d", d.GetAttempts(), d.GetLastStatusCode())
		}
		var deadEvents int
		if err := w.srv.DB().GetContext(w.ctx, &deadEvents, `SELECT COUNT(*) FROM events WHERE workspace_id = ? AND type = ?`,
			w.w1.ID, "automation.webhook_dead"); err != nil {
			t.Fatal(err)
		}
		if deadEvents != 1 {
			t.Fatalf("%d webhook_dead events, want 1", deadEvents)
		}
		r.setFail(0)
		if _, err := w.srv.Clients(rpctest.GRPC).Automation.RedeliverWebhook(w.as("admin"),
			&tandemv1.RedeliverWebhookRequest{DeliveryId: d.GetId()}); err != nil {
			t.Fatal(err)
		}
		w.settle(d.GetId(), tandemv1.WebhookDeliveryStatus_WEBHOOK_DELIVERY_STATUS_DELIVERED)
		if _, err := w.srv.Clients(rpctest.Connect).Automation.RedeliverWebhook(w.as("agent"),
			&tandemv1.RedeliverWebhookRequest{DeliveryId: d.GetId()}); connect.CodeOf(err) != connect.CodePermissionDenied {
			t.Fatalf("an agent redelivering: %v, want PermissionDenied", err)
		}
	})
}

// TestWebhookSSRF: with no allowlist, webhooks to loopback (in every
// spelling), private, link-local and metadata addresses, and names that
// resolve to loopback, are refused at connect time and dead-lettered at
// once; the receiver hears nothing.
func TestWebhookSSRF(t *testing.T) {
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := worldOn(t, rpctest.Start(t, opts))
		r := newReceiver(t)
		port := r.srv.URL[strings.LastIndex(r.srv.URL, ":")+1:]
		targets := []string{"http://127.0.0.1:" + port + "/", "http://localhost:" + port + "/", "http://[::1]:" + port + "/",
			"http://[::ffff:127.0.0.1]:" + port + "/", "http://[::ffff:7f00:1]:" + port + "/", "http://10.0.0.1/", "http://169.254.169.254/latest/meta-data/",
			"http://[::ffff:a9fe:a9fe]/", "http://192.168.0.1/", "http://100.64.0.1/"}
		for i, target := range targets {
			// Through the service: the API's URI check already refuses some of these spellings.
			word := "case" + string(rune('a'+i))
			if _, err := w.srv.Automation.CreateRule(w.ctx, w.principal("admin"), w.w1.ID, automation.RuleSpec{Name: "hook " + target,
				Enabled: true, Trigger: automation.TriggerCustomerMessage,
				Conditions: automation.Conditions{{Kind: automation.CondText, Words: []string{word}}},
				Actions:    automation.Actions{{Kind: automation.ActWebhook, Value: target, Secret: hookSecret}}}); err != nil {
				t.Fatalf("%s: %v", target, err)
			}
			w.conversation2(w.visitor, word)
		}
		w.runRules()
		ds := w.deliveries(0)
		if len(ds) != len(targets) {
			t.Fatalf("%d deliveries, want %d", len(ds), len(targets))
		}
		for _, d := range ds {
			got := w.settle(d.GetId(), tandemv1.WebhookDeliveryStatus_WEBHOOK_DELIVERY_STATUS_DEAD)
			if got.GetAttempts() != 1 || !strings.Contains(got.GetLastError(), "not allowed") {
				t.Errorf("%s: %d attempts, error %q: want one refused attempt", got.GetUrl(), got.GetAttempts(), got.GetLastError())
			}
		}
		if r.count() != 0 {
			t.Fatalf("the receiver got %d calls", r.count())
		}
	})
}
