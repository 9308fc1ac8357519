package push

import (
	"crypto/ecdh"
	"encoding/base64"
	"errors"
	"net/netip"
	"net/url"
	"strings"

	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/outbound"
)

// checkEndpoint admits a push service's URL: https, or http on a loopback
// address (a test's push service; browsers' are all https), no address
// literal the outbound client would refuse to connect to, and no port of a
// non-web service (outbound.PortAllowed). Names are not
// resolved here: the client checks every address it connects to, and a
// browser's push service is a public name.
func checkEndpoint(raw string, allow []netip.Prefix) error {
	u, err := url.Parse(raw)
	if err != nil || outbound.CheckURL(raw) != nil {
		return apperr.Invalid("endpoint", "must be an https URL")
	}
	host := u.Hostname()
	addr, literal := netip.ParseAddr(host)
	if strings.EqualFold(host, "localhost") {
		addr, literal = netip.MustParseAddr("127.0.0.1"), nil
	}
	loopback := literal == nil && addr.IsLoopback()
	if u.Scheme != "https" && (u.Scheme != "http" || !loopback) {
		return apperr.Invalid("endpoint", "must be an https URL")
	}
	if literal == nil && !outbound.Allowed(addr, allow) {
		return apperr.Invalid("endpoint", "the push service's address is not allowed (loopback, private, link-local or metadata)")
	}
	// The client refuses these ports again, for every address a name
	// resolves to. (A loopback endpoint got here allowlisted.)
	if !loopback && errors.Is(outbound.CheckPort(raw, allow), outbound.ErrPort) {
		return apperr.Invalid("endpoint", "the push service's port is not allowed (that of a mail, database or other non-web service)")
	}
	return nil
}

// p256dhLen is the length of an uncompressed P-256 point: 0x04, X, Y.
const p256dhLen = 65

// checkKeys decodes a subscription's keys (base64url, padded or not, as
// PushSubscription.toJSON gives them) and returns them unpadded: p256dh
// must be a point on P-256 in uncompressed form, auth 16 bytes.
func checkKeys(p256dh, auth string) (string, string, error) {
	b, err := decode(p256dh)
	if err != nil || len(b) != p256dhLen {
		return "", "", apperr.Invalid("p256dh", "must be an uncompressed P-256 public key (65 bytes) in base64url")
	}
	if _, err := ecdh.P256().NewPublicKey(b); err != nil {
		return "", "", apperr.Invalid("p256dh", "is not a point on the P-256 curve")
	}
	a, err := decode(auth)
	if err != nil || len(a) != 16 {
		return "", "", apperr.Invalid("auth", "must be a 16-byte secret in base64url")
	}
	return base64.RawURLEncoding.EncodeToString(b), base64.RawURLEncoding.EncodeToString(a), nil
}

func decode(s string) ([]byte, error) {
	return base64.RawURLEncoding.Strict().DecodeString(strings.TrimRight(s, "="))
}
