package push

import (
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/url"

	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// vapidSecret names the VAPID private key among the server's secrets.
const vapidSecret = "vapid_private_key"

// vapid is the server's VAPID key pair, base64url without padding: the
// public key as browsers take it (applicationServerKey, an uncompressed
// P-256 point) and the private scalar as webpush-go takes it.
type vapid struct {
	public, private string
}

// loadVAPID reads the server's VAPID key, generating it on first use. Every
// replica offers a fresh key and reads back the one stored first, so all
// sign with the same key. It is never replaced: browsers bind each
// subscription to the key it was made with, and a new key would silently
// orphan every one of them. A stored key that is not a P-256 scalar is an
// error, never a reason to make another.
func loadVAPID(ctx context.Context, db *store.DB) (vapid, error) {
	fresh, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		return vapid{}, fmt.Errorf("generate VAPID key: %w", err)
	}
	b, err := events.Secret(ctx, db, vapidSecret, fresh.Bytes())
	if err != nil {
		return vapid{}, err
	}
	key, err := ecdh.P256().NewPrivateKey(b)
	if err != nil {
		return vapid{}, fmt.Errorf("stored VAPID key %s is unusable (%d bytes): %w", vapidSecret, len(b), err)
	}
	return vapid{
		public:  base64.RawURLEncoding.EncodeToString(key.PublicKey().Bytes()),
		private: base64.RawURLEncoding.EncodeToString(key.Bytes()),
	}, nil
}

// defaultContact is the VAPID contact when the server has no https address.
const defaultContact = "admin@localhost"

// subscriber is the VAPID JWT's sub claim as webpush-go takes it: the
// server's public URL when it is https, else an email address. webpush-go
// prefixes "mailto:" to anything that is not an https URL itself, so the
// address goes without it ("mailto:mailto:..." otherwise).
func subscriber(publicURL string) string {
	if u, err := url.Parse(publicURL); err == nil && u.Scheme == "https" && u.Host != "" {
		return publicURL
	}
	return defaultContact
}
