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
)

// TestAllowed: the address check on a table of targets, IPv4-mapped and
// IPv4-translated forms included.
func TestAllowed(t *testing.T) {
	t.Parallel()
	for addr, want := range map[string]bool{
		"127.0.0.1": false, "127.1.2.3": false, "10.1.2.3": false, "172.16.0.1": false, "172.31.255.255": false,
		"192.168.1.1": false, "169.254.169.254": false, "100.64.0.1": false, "0.0.0.0": false, "255.255.255.255": false,
		"224.0.0.1": false, "::1": false, "::": false, "::ffff:127.0.0.1": false, "::ffff:a9fe:a9fe": false,
		"::ffff:10.0.0.1": false, "fe80::1": false, "fc00::1": false, "fd00:ec2::254": false, "64:ff9b::7f00:1": false,
		"2002:7f00:1::": false, "::7f00:1": false,
		"8.8.8.8": true, "93.184.215.14": true, "2606:4700::1111": true, "::ffff:8.8.8.8": true, "172.32.0.1": true,
	} {
		if got := Allowed(netip.MustParseAddr(addr), nil); got != want {
			t.Errorf("Allowed(%s) = %v, want %v", addr, got, want)
		}
	}
	allow := []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("10.20.0.0/16")}
	for addr, want := range map[string]bool{"127.0.0.1": true, "::ffff:127.0.0.1": true, "127.0.0.2": false,
		"10.20.3.4": true, "10.21.0.1": false} {
		if got := Allowed(netip.MustParseAddr(addr), allow); got != want {
			t.Errorf("allowlisted: Allowed(%s) = %v, want %v", addr, got, want)
		}
	}
}

// TestClientRefuses sends real requests: loopback in all its spellings, a
// name resolving to loopback, private and metadata addresses are refused
// at connect time; the allowlist opens loopback; a redirect to a refused
// address is refused too; only http(s) goes out.
func TestClientRefuses(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/redirect" {
			http.Redirect(w, r, r.URL.Query().Get("to"), http.StatusFound) //nolint:gosec // the test's redirect to the targets it checks
			return
		}
		hits.Add(1)
	}))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	get := func(c *http.Client, url string) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := c.Do(req)
		if err == nil {
			_ = resp.Body.Close()
		}
		return err
	}

	strict := NewClient(Options{Timeout: 2 * time.Second, MaxRedirects: 3})
	for _, target := range []string{
		"http://127.0.0.1:" + port + "/", "http://localhost:" + port + "/", "http://[::1]:" + port + "/",
		"http://[::ffff:127.0.0.1]:" + port + "/", "http://2130706433:" + port + "/", "http://0x7f.1:" + port + "/",
		"http://0177.0.0.1:" + port + "/", "http://0.0.0.0:" + port + "/", "http://10.0.0.1:" + port + "/",
		"http://169.254.169.254/latest/meta-data/", "http://[::ffff:a9fe:a9fe]/", "http://100.64.0.1/",
	} {
		err := get(strict, target)
		if err == nil {
			t.Errorf("%s: reached", target)
			continue
		}
		var dnsErr *net.DNSError
		if !Refused(err) && !errors.As(err, &dnsErr) { // odd spellings fail to resolve, which is a refusal too
			t.Errorf("%s: %v, want a refusal", target, err)
		}
	}
	for _, target := range []string{"file:///etc/passwd", "gopher://127.0.0.1:" + port + "/", "http://user:pw@example.com/"} {
		if err := CheckURL(target); !Refused(err) {
			t.Errorf("CheckURL(%s) = %v, want a refusal", target, err)
		}
	}
	if hits.Load() != 0 {
		t.Fatalf("%d requests reached the server", hits.Load())
	}

	allow := []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	open := NewClient(Options{Timeout: 2 * time.Second, Allow: allow, MaxRedirects: 3})
	if err := get(open, srv.URL+"/"); err != nil || hits.Load() != 1 {
		t.Fatalf("allowlisted: %v (%d hits)", err, hits.Load())
	}
	// 127.0.0.2 is loopback too, and not on the allowlist.
	err := get(open, srv.URL+"/redirect?to=http://127.0.0.2:"+port+"/")
	if !Refused(err) || hits.Load() != 1 {
		t.Fatalf("redirect to 127.0.0.2: %v (%d hits), want a refusal", err, hits.Load())
	}
	if err := get(open, srv.URL+"/redirect?to=file:///etc/passwd"); err == nil || !strings.Contains(err.Error(), "not allowed") {
		t.Fatalf("redirect to file: %v, want a refusal", err)
	}
}
