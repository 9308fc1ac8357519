package access

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
)

// Credential prefixes tell credentials apart in logs and leaks scanners.
const (
	PrefixSession = "tds_"
	PrefixAPIKey  = "tdk_"
	PrefixVisitor = "tdv_"
	PrefixInvite  = "tdi_"
)

// NewSecret returns a new opaque credential with 256 random bits, and the
// hash under which it is stored. Credentials are never derived from user data
// and never stored in the clear.
func NewSecret(prefix string) (secret string, hash []byte) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	secret = prefix + base64.RawURLEncoding.EncodeToString(b[:])
	return secret, HashSecret(secret)
}

// HashSecret is the stored form of a credential. A fast hash suffices: the
// secret has 256 bits of entropy, so there is nothing to brute-force.
func HashSecret(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}
