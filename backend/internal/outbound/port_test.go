package outbound

import (
	"context"
	"errors"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/tandem-inbox/tandem/backend/internal/outbound/outboundtest"
)

// TestPortPolicy: the ports of mail, shells, databases, caches, brokers and
// container control are refused on public addresses, when a URL is saved
// (CheckDestination: ErrPort, whether the host is a literal, a name that
// resolves, or one that does not) and when a call connects (the dialer's
// check, before any packet leaves: the targets are public addresses this
// test never reaches); the web's ports stay open; the allowlist opens every
// port of its ranges; an address that is not public is refused for its
// address first.
func TestPortPolicy(t *testing.T) {
	t.Parallel()
	refused := []uint16{25, 465, 587, 22, 23, 3306, 5432, 6379, 11211, 27017, 9200, 2375, 5672, 1883, 4222, 0}
	open := []uint16{80, 443, 8080, 8443, 3000, 5000, 8000, 8888, 9000, 32768, 65535}
	for _, p := range refused {
		if PortAllowed(p) {
			t.Errorf("PortAllowed(%d) = true", p)
		}
	}
	for _, p := range open {
		if !PortAllowed(p) {
			t.Errorf("PortAllowed(%d) = false", p)
		}
	}

	loopback := []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	for _, tc := range []struct {
		addr  string
		allow []netip.Prefix
		want  error // nil, ErrPort, or ErrRefused (the address, not the port)
	}{
		{"93.184.215.14:443", nil, nil},
		{"93.184.215.14:8080", nil, nil},
		{"93.184.215.14:25", nil, ErrPort},
		{"[2606:4700::1111]:6379", nil, ErrPort},
		{"[::ffff:93.184.215.14]:3306", nil, ErrPort},
		{"127.0.0.1:25", loopback, nil},
		{"127.0.0.1:25", nil, ErrRefused},
		{"10.0.0.1:443", nil, ErrRefused},
	} {
		err := checkAddrPort(netip.MustParseAddrPort(tc.addr), tc.allow)
		switch {
		case tc.want == nil && err != nil, tc.want != nil && !errors.Is(err, tc.want):
			t.Errorf("checkAddrPort(%s, %v) = %v, want %v", tc.addr, tc.allow, err, tc.want)
		case tc.want == ErrRefused && errors.Is(err, ErrPort): //nolint:errorlint // the table's sentinel
			t.Errorf("checkAddrPort(%s) = %v, want the address refused, not the port", tc.addr, err)
		}
	}

	dns := outboundtest.StartDNS(t)
	dns.Set("mail.example.test", "93.184.215.14")
	dns.Set("intranet.example.test", "127.0.0.1")
	resolver := dns.Resolver()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	for _, tc := range []struct {
		url   string
		allow []netip.Prefix
		want  error
	}{
		{"smtp://mail.example.test:25/", nil, ErrRefused},
		{"http://mail.example.test:25/", nil, ErrPort},
		{"https://mail.example.test:465/", nil, ErrPort},
		{"http://93.184.215.14:6379/", nil, ErrPort},
		{"http://[2606:4700::1111]:5432/", nil, ErrPort},
		{"https://unknown.example.test:3306/", nil, ErrPort}, // does not resolve: judged as public
		{"https://unknown.example.test:3306/", loopback, ErrPort},
		{"http://127.0.0.1:25/", nil, ErrPrivateHost},
		{"http://127.0.0.1:25/", loopback, nil},
		{"http://intranet.example.test:11211/", loopback, nil},
		{"http://mail.example.test:99999/", nil, ErrRefused},
		{"http://mail.example.test:0/", nil, ErrRefused},
		{"http://mail.example.test/", nil, nil},
		{"https://mail.example.test/", nil, nil},
		{"https://mail.example.test:8443/hook", nil, nil},
		{"http://93.184.215.14:8080/", nil, nil},
		{"https://unknown.example.test:9443/", nil, nil},
	} {
		err := CheckDestination(ctx, tc.url, tc.allow, resolver)
		if (tc.want == nil) != (err == nil) || !errors.Is(err, tc.want) {
			t.Errorf("CheckDestination(%s, %v) = %v, want %v", tc.url, tc.allow, err, tc.want)
		}
	}

	// At connect time, through a real dial: the refusal comes from the
	// dialer, for a literal and for a name that resolves to a public address.
	client := NewClient(Options{Timeout: 2 * time.Second, Resolver: resolver})
	defer client.CloseIdleConnections()
	for _, url := range []string{"http://93.184.215.14:25/", "http://mail.example.test:3306/", "https://mail.example.test:6379/"} {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := client.Do(req)
		if err == nil {
			_ = Drain(resp)
		}
		if !errors.Is(err, ErrPort) {
			t.Errorf("POST %s: %v, want ErrPort", url, err)
			continue
		}
		if d := Describe(err); !strings.Contains(d, "port is not allowed") || strings.Contains(d, "93.184") {
			t.Errorf("POST %s: Describe = %q, want the port named as the reason and no address", url, d)
		}
	}
}
