package outbound

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"time"
)

// ErrPrivateHost is the save-time refusal of a URL whose host is, or
// resolves to, an address outbound calls may not reach. Its text names no
// resolved address.
var ErrPrivateHost = fmt.Errorf("%w: the host is or resolves to a loopback, private, link-local or metadata address", ErrRefused)

// Resolver looks up a host's addresses (net.DefaultResolver does).
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// CheckDestination is the save-time check of a URL users choose: CheckURL,
// then the host's addresses (the literal, or every address it resolves to)
// each through Allowed, the classification the dialer applies at call time
// (ErrPrivateHost), then the port: one PortAllowed refuses is refused
// (ErrPort) unless the allowlist opens every address of the host. A host
// that does not resolve now passes the address check: it cannot be
// classified, and the dialer still checks whatever it resolves to when
// called (which also defeats a name re-pointed after saving).
func CheckDestination(ctx context.Context, raw string, allow []netip.Prefix, r Resolver) error {
	if err := CheckURL(raw); err != nil {
		return err
	}
	u, _ := url.Parse(raw) // CheckURL parsed it
	host, port := u.Hostname(), urlPort(u)
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{a}
	} else {
		if r == nil {
			r = net.DefaultResolver
		}
		ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		// Unresolvable now: no address to refuse, the dial-time check
		// decides (and the port is checked as for a public address).
		addrs, _ = r.LookupNetIP(ctx, "ip", strings.TrimSuffix(host, "."))
	}
	for _, a := range addrs {
		if !Allowed(a, allow) {
			return ErrPrivateHost
		}
	}
	if PortAllowed(port) {
		return nil
	}
	for _, a := range addrs {
		if !opened(a, allow) {
			return ErrPort
		}
	}
	if len(addrs) == 0 {
		return ErrPort
	}
	return nil
}

// Describe says why a call failed in words fit for users: never the
// resolved addresses, ports or resolver details that the error's own text
// carries (log that for operators instead).
func Describe(err error) string {
	var (
		dnsErr *net.DNSError
		opErr  *net.OpError
	)
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrPort):
		return "the destination port is not allowed (that of a mail, database or other non-web service)"
	case Refused(err):
		return "the destination address is not allowed (loopback, private, link-local or metadata)"
	case errors.Is(err, ErrTooLarge):
		return "the receiver's answer was too large"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		return "the call timed out"
	case errors.As(err, &dnsErr):
		return "the host does not resolve"
	case errors.As(err, &opErr) && opErr.Op == "dial":
		return "could not connect to the receiver"
	case strings.Contains(err.Error(), "tls:") || strings.Contains(err.Error(), "x509:"):
		return "the TLS handshake with the receiver failed"
	}
	var te interface{ Timeout() bool }
	if errors.As(err, &te) && te.Timeout() {
		return "the call timed out"
	}
	return "the call failed"
}
