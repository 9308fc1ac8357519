package access_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"math/bits"
	"strings"
	"testing"

	"github.com/tandem-inbox/tandem/backend/internal/access"
)

// secretBytes is what every credential carries after its prefix: 32 random
// bytes, base64url without padding (43 characters).
const secretBytes = 32

// decodeSecret checks one credential's shape and returns its random part.
func decodeSecret(t *testing.T, prefix, secret string) []byte {
	t.Helper()
	body, ok := strings.CutPrefix(secret, prefix)
	if !ok {
		t.Fatalf("%q does not start with %q", secret, prefix)
	}
	if len(body) != base64.RawURLEncoding.EncodedLen(secretBytes) {
		t.Fatalf("%q: %d characters after the prefix, want %d", secret, len(body), base64.RawURLEncoding.EncodedLen(secretBytes))
	}
	if i := strings.IndexFunc(body, func(r rune) bool {
		return (r < 'A' || r > 'Z') && (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '-' && r != '_'
	}); i >= 0 {
		t.Fatalf("%q: %q is not base64url", secret, body[i])
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(body)
	if err != nil || len(b) != secretBytes {
		t.Fatalf("%q: decodes to %d bytes (%v), want %d", secret, len(b), err, secretBytes)
	}
	return b
}

// TestSecretEntropy (AUTH-03): every credential access.NewSecret makes
// (session tokens, API keys, visitor and invite tokens, the setup link) is
// its prefix and 256 bits in base64url; thousands are all different; every
// one of the 256 bit positions is set in about half of them, and two made
// one after the other differ in about half their bits (a counter, a clock
// or a hash of user data would not); the stored hash is SHA-256 of the whole
// credential. The bounds are generous (over ten standard deviations), so
// only a broken generator fails them: a stuck or biased bit, text instead
// of random bytes, fewer than 32 bytes, a repeat.
func TestSecretEntropy(t *testing.T) {
	t.Parallel()
	prefixes := []string{access.PrefixSession, access.PrefixAPIKey, access.PrefixVisitor, access.PrefixInvite}
	const perPrefix = 2048
	n := perPrefix * len(prefixes)
	seen := make(map[string]bool, n)
	var ones [secretBytes * 8]int
	for _, prefix := range prefixes {
		var prev []byte
		for range perPrefix {
			secret, hash := access.NewSecret(prefix)
			b := decodeSecret(t, prefix, secret)
			if seen[string(b)] {
				t.Fatalf("%q repeats an earlier secret", secret)
			}
			seen[string(b)] = true
			if want := sha256.Sum256([]byte(secret)); !bytes.Equal(hash, want[:]) || !bytes.Equal(access.HashSecret(secret), hash) {
				t.Fatalf("%q: the stored hash is not SHA-256 of the credential", secret)
			}
			for i := range ones {
				ones[i] += int(b[i/8] >> (7 - i%8) & 1)
			}
			if prev != nil {
				// Expected 128 differing bits, standard deviation 8.
				diff := 0
				for i := range b {
					diff += bits.OnesCount8(b[i] ^ prev[i])
				}
				if diff < 40 || diff > 216 {
					t.Fatalf("%q differs from the one before in %d of 256 bits, want about 128", secret, diff)
				}
			}
			prev = b
		}
	}
	// Expected n/2 = 4096 per position, standard deviation about 45.
	for i, c := range ones {
		if c < n/2-n/16 || c > n/2+n/16 {
			t.Errorf("bit %d is set in %d of %d secrets, want about half", i, c, n)
		}
	}
}
