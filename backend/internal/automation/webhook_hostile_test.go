package automation

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/outbound"
	"github.com/tandem-inbox/tandem/backend/internal/outbound/outboundtest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// replicaWith is a replica of the kit's whose webhook calls go through
// hooks (their client and timeout, their save-time resolver).
func (k *hookKit) replicaWith(hooks Webhooks) *Service {
	hooks.RetryBase = testRetryBase
	return NewService(k.db, events.NewLog(k.db, nil, k.clock.Now), nil, Deps{}, Options{Now: k.clock.Now, Webhooks: hooks},
		slog.New(slog.DiscardHandler))
}

// TestWebhookHostileReceiver (HOOK-01): receivers that answer 200 and then
// a body that never ends, a body over the client's 64 KiB limit, or a body
// trickled a byte at a time, or that never answer, do not hold a delivery
// pass past the call's deadline, and every receiver's handler ends (no
// call is left hanging). The 200s are delivered once: the status is the
// answer, and the body is cut off, not retried. The silent one is a failed
// attempt (timed out), delivered on the retry once it answers.
func TestWebhookHostileReceiver(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		k := newHookKit(t, db)
		const timeout = time.Second
		s := k.replicaWith(Webhooks{Timeout: timeout, Client: outbound.NewClient(outbound.Options{Timeout: timeout,
			Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})})
		stop := newGate(t)
		// writeUntil writes chunks until the caller goes away, or until
		// stop opens.
		writeUntil := func(w http.ResponseWriter, r *http.Request, chunk []byte, pause time.Duration, stop <-chan struct{}) {
			rc := http.NewResponseController(w)
			for {
				if _, err := w.Write(chunk); err != nil || rc.Flush() != nil {
					return
				}
				select {
				case <-r.Context().Done():
					return
				case <-stop:
					return
				case <-time.After(pause):
				}
			}
		}
		endless := newHookReceiver(t, func(_ int, w http.ResponseWriter, r *http.Request) {
			writeUntil(w, r, bytes.Repeat([]byte("x"), 32<<10), 0, nil) // endless, always
		})
		large := newHookReceiver(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
			_, _ = w.Write(bytes.Repeat([]byte("x"), 1<<20))
		})
		trickle := newHookReceiver(t, func(_ int, w http.ResponseWriter, r *http.Request) {
			writeUntil(w, r, []byte("x"), 20*time.Millisecond, stop.ch)
		})
		silent := newHookReceiver(t, func(_ int, _ http.ResponseWriter, r *http.Request) { stop.wait(r.Context()) })
		fine := newHookReceiver(t, func(_ int, w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(`{"ok":true}`)) })

		cases := []struct {
			r      *hookReceiver
			status string
		}{{endless, DeliveryDelivered}, {large, DeliveryDelivered}, {trickle, DeliveryDelivered}, {silent, DeliveryPending}}
		ids := make([]string, len(cases))
		for i, c := range cases {
			ids[i] = k.queue(s, c.r.srv.URL+"/hook")
		}
		fineID := k.queue(s, fine.srv.URL+"/hook")

		start := time.Now()
		if n := k.pass(s); n != len(cases)+1 {
			t.Fatalf("%d calls, want %d", n, len(cases)+1)
		}
		if took := time.Since(start); took > 20*timeout { // a generous liveness bound
			t.Fatalf("the pass took %v; a call's deadline is %v", took, timeout)
		}
		for i, c := range cases {
			if d := k.delivery(ids[i]); d.Status != c.status || d.Attempts != 1 {
				t.Errorf("receiver %d: %s after %d attempts (%q), want %s after 1", i, d.Status, d.Attempts, d.LastError, c.status)
			}
		}
		if d := k.delivery(ids[3]); !strings.Contains(d.LastError, "timed out") {
			t.Errorf("the silent receiver's attempt failed with %q, want timed out", d.LastError)
		}
		if d := k.delivery(fineID); d.Status != DeliveryDelivered {
			t.Errorf("the well-behaved receiver's delivery is %s (%q)", d.Status, d.LastError)
		}
		waitFor(t, "every receiver's handler to end", func() bool {
			for _, c := range cases {
				if _, inFlight := c.r.calls(); inFlight != 0 {
					return false
				}
			}
			return true
		})

		// The silent one answers now, and is delivered on the retry; the
		// others are not called again.
		stop.open()
		k.clock.Add(time.Hour)
		k.pass(s)
		for i, c := range cases {
			want := 1
			if c.r == silent {
				want = 2
			}
			if d := k.delivery(ids[i]); d.Status != DeliveryDelivered || d.Attempts != want {
				t.Errorf("receiver %d: %s after %d attempts (%q), want delivered after %d", i, d.Status, d.Attempts, d.LastError, want)
			}
			if n := c.r.count(); n != want {
				t.Errorf("receiver %d got %d calls, want %d", i, n, want)
			}
		}
	})
}

// TestWebhookDNSRebinding (HOOK-01): a rule whose webhook names a host
// that resolves to a public address is saved; the name is then re-pointed
// at loopback (TTL 0, on a real DNS server the save-time check and the
// client both ask); the call is refused at connect time and dead-lettered
// at once, the receiver on loopback hearing nothing, and saving the rule
// again is refused now.
func TestWebhookDNSRebinding(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		k := newHookKit(t, db)
		dns := outboundtest.StartDNS(t)
		s := k.replicaWith(Webhooks{Timeout: 5 * time.Second, Resolver: dns.Resolver(),
			Client: outbound.NewClient(outbound.Options{Timeout: 5 * time.Second, Resolver: dns.Resolver()})})
		r := newHookReceiver(t, nil)
		port := r.srv.URL[strings.LastIndex(r.srv.URL, ":")+1:]
		url := "http://hooks.rebind.test:" + port + "/hook"
		spec := RuleSpec{Name: "Tell the shop", Enabled: true, Trigger: TriggerCustomerMessage,
			Actions: Actions{{Kind: ActWebhook, Value: url, Secret: "a webhook secret of some length"}}}
		admin := access.System(k.ws, "test")

		dns.Set("hooks.rebind.test", "93.184.215.14")
		if _, err := s.CreateRule(t.Context(), admin, k.ws, spec); err != nil {
			t.Fatalf("saving the rule while the name is public: %v", err)
		}
		dns.Set("hooks.rebind.test", "127.0.0.1")
		id := k.queue(s, url)
		if n := k.pass(s); n != 1 {
			t.Fatalf("%d calls, want 1", n)
		}
		if d := k.delivery(id); d.Status != DeliveryDead || d.Attempts != 1 || !strings.Contains(d.LastError, "not allowed") ||
			strings.Contains(d.LastError, "127.0.0.1") {
			t.Fatalf("delivery: %s after %d attempts (%q), want dead after one refused attempt, no address shown", d.Status, d.Attempts, d.LastError)
		}
		if n := r.count(); n != 0 {
			t.Fatalf("the receiver got %d calls", n)
		}
		if _, err := s.CreateRule(t.Context(), admin, k.ws, spec); !apperr.Is(err, apperr.InvalidArgument) ||
			!strings.Contains(err.Error(), "call_webhook.url") {
			t.Fatalf("saving it again once re-pointed: %v, want InvalidArgument naming the URL", err)
		}
	})
}
