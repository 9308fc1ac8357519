package outbound

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tandem-inbox/tandem/backend/internal/outbound/outboundtest"
)

// TestDNSRebinding: a name that resolves to a public address when its URL
// is saved (CheckDestination passes it) and to a loopback one when the
// call is made is refused at connect time, over IPv4 and IPv6, and the
// receiver on loopback hears nothing. Both lookups go to a real DNS server
// on loopback whose answers have TTL 0. The same name, resolved the same
// way, reaches the receiver once the allowlist opens loopback: the refusal
// is the dialer's check of the address it was about to connect to, not a
// name that failed to resolve.
func TestDNSRebinding(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	dns := outboundtest.StartDNS(t)
	resolver := dns.Resolver()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	get := func(c *http.Client, url string) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := c.Do(req)
		if err != nil {
			return err
		}
		return Drain(resp)
	}
	strict := NewClient(Options{Timeout: 2 * time.Second, Resolver: resolver})
	defer strict.CloseIdleConnections()

	for _, tc := range []struct{ name, public, private string }{
		{"hooks.rebind.test", "93.184.215.14", "127.0.0.1"},
		{"hooks6.rebind.test", "2606:4700::1111", "::1"},
		{"mapped.rebind.test", "93.184.215.14", "::ffff:127.0.0.1"},
	} {
		url := "http://" + tc.name + ":" + port + "/hook"
		dns.Set(tc.name, tc.public)
		if err := CheckDestination(ctx, url, nil, resolver); err != nil {
			t.Fatalf("%s at save time (%s): %v, want it saved", tc.name, tc.public, err)
		}
		dns.Set(tc.name, tc.private)
		before := dns.Lookups()
		err := get(strict, url)
		var dnsErr *net.DNSError
		if !Refused(err) || errors.As(err, &dnsErr) {
			t.Errorf("%s re-pointed to %s: %v, want a refusal at connect time", tc.name, tc.private, err)
		} else if !strings.Contains(err.Error(), netip.MustParseAddr(tc.private).Unmap().String()) {
			t.Errorf("%s: %v does not name the address it refused", tc.name, err)
		}
		if dns.Lookups() == before {
			t.Errorf("%s: the call did not look the name up again", tc.name)
		}
		// Saving it now is refused as well: the save-time check is live too.
		if err := CheckDestination(ctx, url, nil, resolver); !errors.Is(err, ErrPrivateHost) {
			t.Errorf("%s at save time (%s): %v, want ErrPrivateHost", tc.name, tc.private, err)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("the receiver got %d calls", n)
	}

	open := NewClient(Options{Timeout: 2 * time.Second, Resolver: resolver,
		Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
	defer open.CloseIdleConnections()
	if err := get(open, "http://hooks.rebind.test:"+port+"/hook"); err != nil || hits.Load() != 1 {
		t.Fatalf("allowlisted: %v (%d calls), want the receiver reached through the test's DNS", err, hits.Load())
	}
}
