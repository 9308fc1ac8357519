package access_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/apperr"
)

// TestSecurityArgon2Semaphore (issue 14 item 2): no more hashes run at
// once than the hasher's limit, and a caller who cannot get a slot in time
// gets ResourceExhausted instead of waiting forever.
func TestSecurityArgon2Semaphore(t *testing.T) {
	t.Parallel()
	// A long wait: eight hashes under -race on a busy machine take a while,
	// and the test is about how many run at once, not how fast.
	h := access.NewHasher(2, 2*time.Minute)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if _, err := h.Hash(context.Background(), "correct horse battery"); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if h.Peak() < 1 || h.Peak() > 2 {
		t.Errorf("peak of %d hashes at once, want 1 or 2", h.Peak())
	}

	one := access.NewHasher(1, 50*time.Millisecond)
	release, err := one.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	start := time.Now()
	if _, err := one.Check(context.Background(), "x", "y"); !errors.Is(err, access.ErrHasherBusy) {
		t.Errorf("check with every slot taken: %v, want ErrHasherBusy", err)
	}
	if d := time.Since(start); d < 40*time.Millisecond || d > 5*time.Second {
		t.Errorf("gave up after %v, want about the longest wait (50ms)", d)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
	defer cancel()
	if _, err := one.Hash(ctx, "correct horse battery"); apperr.KindOf(err) != apperr.ResourceExhausted {
		t.Errorf("hash past the caller's deadline: %v, want ResourceExhausted", err)
	}
}

// TestSecurityTrustedProxiesClientAddr (issue 14 item 10): X-Forwarded-For
// names the client only when the connection comes from a trusted proxy,
// and then only its right-most entry that is not a trusted proxy counts.
func TestSecurityTrustedProxiesClientAddr(t *testing.T) {
	t.Parallel()
	proxies := access.TrustedProxies{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("127.0.0.1/32")}
	for _, tc := range []struct {
		name    string
		proxies access.TrustedProxies
		remote  string
		xff     []string
		want    string
	}{
		{"no proxies configured", nil, "127.0.0.1:5000", []string{"203.0.113.9"}, "127.0.0.1"},
		{"untrusted peer", proxies, "198.51.100.1:5000", []string{"203.0.113.9"}, "198.51.100.1"},
		{"trusted peer", proxies, "127.0.0.1:5000", []string{"203.0.113.9"}, "203.0.113.9"},
		{"client-written entries on the left are ignored", proxies, "127.0.0.1:5000", []string{"1.2.3.4, 203.0.113.9"}, "203.0.113.9"},
		{"proxy chain", proxies, "127.0.0.1:5000", []string{"203.0.113.9, 10.1.2.3", "10.4.5.6"}, "203.0.113.9"},
		{"garbage stops at the last trusted hop", proxies, "127.0.0.1:5000", []string{"203.0.113.9, not-an-ip, 10.1.2.3"}, "10.1.2.3"},
		{"trusted peer without header", proxies, "10.9.9.9:5000", nil, "10.9.9.9"},
		{"ipv6 peer", proxies, "[2001:db8::1]:5000", []string{"203.0.113.9"}, "2001:db8::1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/", nil)
			r.RemoteAddr = tc.remote
			for _, v := range tc.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := tc.proxies.ClientAddr(r); got != tc.want {
				t.Errorf("client = %q, want %q", got, tc.want)
			}
		})
	}
}
