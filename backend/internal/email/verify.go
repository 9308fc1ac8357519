package email

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"strings"
	"time"

	"github.com/emersion/go-msgauth/authres"
	"github.com/emersion/go-msgauth/dkim"
)

// SenderCheck is what Tandem could tell about who sent a mail: whether the
// domain of its From address vouched for it, and how, or why not.
type SenderCheck struct {
	// Verified: the From domain signed the mail (DKIM, aligned) or a
	// trusted receiving server said it passed DMARC or an aligned DKIM.
	Verified bool
	// How says what verified it ("DKIM signature of example.com",
	// "DMARC pass at mx.google.com") or why nothing did.
	How string
}

// Verifier checks the senders of inbound mail. Its own check is DKIM: a
// valid signature whose domain is the From domain or a parent of it. A
// mail fetched from a mailbox (IMAP) was checked by the server that
// received it, whose Authentication-Results header says so: Tandem takes
// that header from the servers it is told to trust (TrustedServers, by
// their authserv-id), and only the topmost one, which such a server adds
// after removing any that claim its name. SPF is the receiving server's
// to check (Tandem sees no sending IP for mail from a mailbox, and
// forwarded mail fails SPF by design).
type Verifier struct {
	// LookupTXT looks up DKIM keys; nil uses the system's resolver.
	LookupTXT func(ctx context.Context, name string) ([]string, error)
	// TrustedServers are the authserv-ids whose Authentication-Results
	// are believed (the receiving server's own, e.g. mx.google.com).
	TrustedServers []string
	// Timeout bounds the DNS lookups of one mail (default 10 s).
	Timeout time.Duration
}

// Resolver returns a TXT lookup through the DNS server at addr (host:port),
// or through the system's resolver when addr is "".
func Resolver(addr string) func(ctx context.Context, name string) ([]string, error) {
	if addr == "" {
		return net.DefaultResolver.LookupTXT
	}
	r := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}}
	return r.LookupTXT
}

// maxSignatures caps the DKIM signatures checked on one mail.
const maxSignatures = 5

// Check verifies a raw mail's sender against its From address.
func (v Verifier) Check(ctx context.Context, raw []byte, fromAddress string) SenderCheck {
	_, fromDomain, ok := strings.Cut(strings.ToLower(fromAddress), "@")
	if !ok || fromDomain == "" {
		return SenderCheck{How: "no sender address"}
	}
	if c, ok := v.trustedResults(raw, fromDomain); ok {
		return c
	}
	return v.dkim(ctx, raw, fromDomain)
}

// trustedResults reads the topmost Authentication-Results header when a
// trusted server wrote it.
func (v Verifier) trustedResults(raw []byte, fromDomain string) (SenderCheck, bool) {
	if len(v.TrustedServers) == 0 {
		return SenderCheck{}, false
	}
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return SenderCheck{}, false
	}
	headers := m.Header["Authentication-Results"]
	if len(headers) == 0 {
		return SenderCheck{}, false
	}
	id, results, err := authres.Parse(headers[0])
	if err != nil || !v.trusts(id) {
		return SenderCheck{}, false
	}
	for _, r := range results { // DMARC first: it speaks for the From domain itself
		if r, ok := r.(*authres.DMARCResult); ok && r.Value == authres.ResultPass && aligned(r.From, fromDomain) {
			return SenderCheck{Verified: true, How: "DMARC pass at " + id}, true
		}
	}
	for _, r := range results {
		if r, ok := r.(*authres.DKIMResult); ok && r.Value == authres.ResultPass && aligned(r.Domain, fromDomain) {
			return SenderCheck{Verified: true, How: "DKIM pass for " + strings.ToLower(r.Domain) + " at " + id}, true
		}
	}
	return SenderCheck{How: "no DMARC or aligned DKIM pass at " + id}, true
}

func (v Verifier) trusts(id string) bool {
	for _, s := range v.TrustedServers {
		if strings.EqualFold(strings.TrimSpace(s), id) {
			return true
		}
	}
	return false
}

// dkim checks the mail's DKIM signatures itself.
func (v Verifier) dkim(ctx context.Context, raw []byte, fromDomain string) SenderCheck {
	timeout := v.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	lookup := v.LookupTXT
	if lookup == nil {
		lookup = net.DefaultResolver.LookupTXT
	}
	verifications, err := dkim.VerifyWithOptions(bytes.NewReader(raw), &dkim.VerifyOptions{
		LookupTXT:        func(name string) ([]string, error) { return lookup(ctx, name) },
		MaxVerifications: maxSignatures,
	})
	if err != nil {
		return SenderCheck{How: "unreadable DKIM signature"}
	}
	if len(verifications) == 0 {
		return SenderCheck{How: "no DKIM signature"}
	}
	why := ""
	for _, ver := range verifications {
		d := strings.ToLower(ver.Domain)
		switch {
		case ver.Err == nil && aligned(d, fromDomain):
			return SenderCheck{Verified: true, How: "DKIM signature of " + d}
		case ver.Err == nil:
			why = fmt.Sprintf("DKIM signature of %s, not of the sender's domain %s", d, fromDomain)
		case why == "":
			why = fmt.Sprintf("DKIM signature of %s does not verify: %s", d, failure(ver.Err))
		}
	}
	return SenderCheck{How: why}
}

// failure says briefly why a signature failed.
func failure(err error) string {
	switch {
	case errors.Is(err, context.DeadlineExceeded) || dkim.IsTempFail(err):
		return "its key could not be looked up"
	case dkim.IsPermFail(err):
		return "it is broken or its key is missing"
	default:
		return "the mail was changed after signing"
	}
}

// aligned says whether a signing domain speaks for the From domain: the
// same domain, or a parent of it with at least two labels (relaxed
// alignment, without the public suffix list: a bare "com" speaks for
// nobody).
func aligned(signer, fromDomain string) bool {
	signer = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(signer)), ".")
	if signer == "" || !strings.Contains(signer, ".") {
		return false
	}
	return fromDomain == signer || strings.HasSuffix(fromDomain, "."+signer)
}
