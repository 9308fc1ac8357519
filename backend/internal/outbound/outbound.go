// Package outbound is Tandem's one HTTP client for calls to addresses that
// users choose (webhooks today; link previews, avatars and AI tools later).
// It refuses, at connect time, every address that is not on the public
// internet: loopback, private, link-local (and so cloud metadata), CGNAT,
// unique-local, multicast, unspecified and other reserved ranges, checking
// the resolved IP after unmapping IPv4-mapped IPv6, and on public addresses
// the ports of well-known non-web services (mail, databases, brokers; see
// PortAllowed). That check sits in the dialer, so it holds for every DNS
// answer (a name re-pointed after it was saved included) and every redirect
// hop. Every response body is capped (ErrTooLarge) and every call, body
// included, has a deadline. An allowlist from the server's configuration
// can open chosen ranges, all ports (a test receiver on loopback, an
// intranet service).
package outbound

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"syscall"
	"time"
)

// ErrRefused is the error (wrapped) of a call to an address that is not allowed.
var ErrRefused = errors.New("destination address is not allowed")

// blocked lists the ranges no outbound call may reach unless allowlisted.
var blocked = mustPrefixes( //nolint:gochecknoglobals // parsed once, read-only
	"0.0.0.0/8",          // "this network", 0.0.0.0
	"10.0.0.0/8",         // private
	"100.64.0.0/10",      // CGNAT
	"127.0.0.0/8",        // loopback
	"169.254.0.0/16",     // link-local, cloud metadata (169.254.169.254)
	"172.16.0.0/12",      // private
	"192.0.0.0/24",       // IETF protocol assignments
	"192.0.2.0/24",       // documentation
	"192.168.0.0/16",     // private
	"198.18.0.0/15",      // benchmarking
	"198.51.100.0/24",    // documentation
	"203.0.113.0/24",     // documentation
	"224.0.0.0/4",        // multicast
	"240.0.0.0/4",        // reserved, broadcast
	"::/96",              // unspecified, loopback, IPv4-compatible
	"64:ff9b::/96",       // NAT64: would reach any IPv4 address
	"64:ff9b:1::/48",     // local NAT64
	"100::/64",           // discard
	"2001:db8::/32",      // documentation
	"2002::/16",          // 6to4: embeds an IPv4 address
	"fc00::/7",           // unique local (and fd00:ec2::254, metadata)
	"fe80::/10",          // link-local
	"ff00::/8",           // multicast
	"::ffff:0:0/96",      // IPv4-mapped, should Unmap ever be skipped
	"::ffff:0:0:0/96",    // IPv4-translated
	"2001::/32",          // Teredo: embeds an IPv4 address
	"2001:10::/28",       // ORCHID
	"2001:20::/28",       // ORCHIDv2
	"3fff::/20",          // documentation
	"5f00::/16",          // segment routing
	"fec0::/10",          // site-local (deprecated)
	"255.255.255.255/32", // broadcast
)

func mustPrefixes(ss ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}

// Allowed reports whether a call may connect to the address: a public
// address, or one the allowlist opens.
func Allowed(addr netip.Addr, allow []netip.Prefix) bool {
	addr = addr.Unmap().WithZone("")
	if opened(addr, allow) {
		return true
	}
	if !addr.IsValid() || addr.IsLoopback() || addr.IsPrivate() || addr.IsLinkLocalUnicast() ||
		addr.IsLinkLocalMulticast() || addr.IsInterfaceLocalMulticast() || addr.IsMulticast() || addr.IsUnspecified() {
		return false
	}
	for _, p := range blocked {
		if p.Contains(addr) {
			return false
		}
	}
	return true
}

// CheckURL refuses what is not an absolute http(s) URL with a host, no
// credentials and a valid port, if any: the checks that can be made before
// any DNS lookup.
func CheckURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%w: not a URL", ErrRefused)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%w: only http and https", ErrRefused)
	}
	if u.Hostname() == "" || u.User != nil {
		return fmt.Errorf("%w: a URL needs a host and no credentials", ErrRefused)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.ParseUint(p, 10, 16); err != nil || n == 0 {
			return fmt.Errorf("%w: not a valid port", ErrRefused)
		}
	}
	return nil
}

// Options configure a client.
type Options struct {
	// Allow opens these ranges despite the block list.
	Allow []netip.Prefix
	// Timeout bounds a whole call, body included; 0 means 10 s.
	Timeout time.Duration
	// MaxRedirects bounds the redirects followed (each re-checked); 0 follows none.
	MaxRedirects int
	// MaxResponseBytes caps every response body: a read past it fails with
	// ErrTooLarge. 0 means 64 KiB.
	MaxResponseBytes int64
	// Resolver looks names up when calls connect (nil: the system's). Tests
	// point it at a DNS server of their own.
	Resolver *net.Resolver
}

// NewClient returns the SSRF-safe client. It never uses an environment
// proxy (the proxy would connect, not the checked dialer).
func NewClient(opts Options) *http.Client {
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
	}
	if opts.MaxResponseBytes <= 0 {
		opts.MaxResponseBytes = 64 << 10
	}
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second, Resolver: opts.Resolver,
		// Control sees the address the socket is about to connect to,
		// whatever name, DNS answer or redirect led there.
		Control: func(_, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("%w: %s", ErrRefused, address)
			}
			return checkAddrPort(ap, opts.Allow)
		}}
	transport := &http.Transport{
		Proxy:                  nil,
		DialContext:            dialer.DialContext,
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           50,
		MaxIdleConnsPerHost:    4,
		IdleConnTimeout:        60 * time.Second,
		TLSHandshakeTimeout:    5 * time.Second,
		ResponseHeaderTimeout:  opts.Timeout,
		MaxResponseHeaderBytes: 64 << 10,
	}
	return &http.Client{Transport: capTransport{base: transport, max: opts.MaxResponseBytes}, Timeout: opts.Timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > opts.MaxRedirects {
				return http.ErrUseLastResponse
			}
			return CheckURL(req.URL.String())
		}}
}

// Refused reports whether err is a refusal by the address check (as
// opposed to a failure worth retrying).
func Refused(err error) bool { return errors.Is(err, ErrRefused) }
