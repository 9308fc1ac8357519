package push_test

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/hkdf"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/config"
	"github.com/tandem-inbox/tandem/backend/internal/push"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// What the tests of this package share: a world whose server may push to
// loopback and runs no reactions of its own (the tests drain them), a
// browser's subscription keys and the decryption of what is pushed to it
// (RFC 8291), and a push service on loopback that records what it gets.

// newWorld starts a server that may push to loopback, its reactions
// driven by the test.
func newWorld(t *testing.T, opts store.Options) *rpctest.World {
	t.Helper()
	return rpctest.WorldOn(t, rpctest.Start(t, opts, rpctest.Quiet, func(c *config.Config) {
		c.PushAllow = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	}))
}

// react runs the notify and push reactors over W1's log.
func react(t *testing.T, w *rpctest.World) {
	t.Helper()
	if err := w.Srv.NotifyReactor().Drain(w.Ctx, w.W1.ID); err != nil {
		t.Fatal(err)
	}
	if err := w.Srv.PushReactor().Drain(w.Ctx, w.W1.ID); err != nil {
		t.Fatal(err)
	}
}

// browser is one browser's push subscription keys: its P-256 key pair and
// authentication secret, as PushManager.subscribe makes them.
type browser struct {
	key  *ecdh.PrivateKey
	auth []byte
}

func newBrowser(t *testing.T) browser {
	t.Helper()
	key, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	auth := make([]byte, 16)
	_, _ = rand.Read(auth)
	return browser{key: key, auth: auth}
}

func (b browser) p256dh() string  { return b64(b.key.PublicKey().Bytes()) }
func (b browser) authKey() string { return b64(b.auth) }

func b64(p []byte) string { return base64.RawURLEncoding.EncodeToString(p) }

// subscribe subscribes the browser at endpoint for the named member of W1.
func (b browser) subscribe(t *testing.T, w *rpctest.World, name, endpoint string) {
	t.Helper()
	if _, err := w.Srv.Clients(rpcclient.Connect).Notification.SubscribePush(w.As(name), &tandemv1.SubscribePushRequest{
		WorkspaceId: w.W1.ID, Endpoint: endpoint, P256Dh: b.p256dh(), Auth: b.authKey()}); err != nil {
		t.Fatalf("subscribe %s: %v", endpoint, err)
	}
}

// decrypt opens an aes128gcm body (RFC 8188) encrypted for the browser by
// RFC 8291: the header is salt (16), record size (4), key id length (1)
// and the key id, the sender's one-time public key.
func (b browser) decrypt(body []byte) ([]byte, error) {
	if len(body) < 21 {
		return nil, errors.New("body shorter than its header")
	}
	salt, rs, idlen := body[:16], binary.BigEndian.Uint32(body[16:20]), int(body[20])
	if idlen != 65 || len(body) < 21+idlen {
		return nil, fmt.Errorf("key id of %d bytes, want the sender's 65-byte public key", idlen)
	}
	senderPub, ciphertext := body[21:21+idlen], body[21+idlen:]
	if uint32(len(ciphertext)) > rs { //nolint:gosec // a test body's length
		return nil, fmt.Errorf("one record of %d bytes is over the record size %d", len(ciphertext), rs)
	}
	sender, err := ecdh.P256().NewPublicKey(senderPub)
	if err != nil {
		return nil, err
	}
	secret, err := b.key.ECDH(sender)
	if err != nil {
		return nil, err
	}
	// RFC 8291 3.4: the input keying material, from the ECDH secret and
	// the auth secret, bound to both public keys.
	info := append(append([]byte("WebPush: info\x00"), b.key.PublicKey().Bytes()...), senderPub...)
	ikm := derive(secret, b.auth, info, 32)
	cek := derive(ikm, salt, []byte("Content-Encoding: aes128gcm\x00"), 16)
	nonce := derive(ikm, salt, []byte("Content-Encoding: nonce\x00"), 12)
	block, err := aes.NewCipher(cek)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	plain, err := gcm.Open(nil, nonce, ciphertext, nil)
	if err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	// The last record ends with the delimiter 2, then zero padding.
	end := bytes.LastIndexFunc(plain, func(r rune) bool { return r != 0 })
	if end < 0 || plain[end] != 2 {
		return nil, errors.New("no last-record delimiter")
	}
	return plain[:end], nil
}

func derive(secret, salt, info []byte, n int) []byte {
	out := make([]byte, n)
	if _, err := io.ReadFull(hkdf.New(sha256.New, secret, salt, info), out); err != nil {
		panic(err)
	}
	return out
}

// received is one push as the push service got it.
type received struct {
	header http.Header
	body   []byte
}

// pushService is a push service on loopback: it records each push by the
// endpoint's last path segment and answers the status set for it (201 by
// default). The endpoint "hang" answers only when the caller gives up;
// "endless" answers 201 and a body that never ends, "trickle" 201 and a
// body of a byte every 20 ms, until the caller goes away.
type pushService struct {
	*httptest.Server
	mu     sync.Mutex
	got    map[string][]received
	status map[string]int
}

func newPushService(t *testing.T) *pushService {
	t.Helper()
	p := &pushService{got: map[string][]received{}, status: map[string]int{}}
	p.Server = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		name := r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:]
		body, _ := io.ReadAll(r.Body)
		p.mu.Lock()
		p.got[name] = append(p.got[name], received{header: r.Header.Clone(), body: body})
		status, ok := p.status[name]
		p.mu.Unlock()
		if name == "hang" {
			select {
			case <-r.Context().Done():
			case <-time.After(30 * time.Second):
			}
			return
		}
		if name == "endless" || name == "trickle" {
			chunk, pause := bytes.Repeat([]byte("x"), 32<<10), time.Duration(0)
			if name == "trickle" {
				chunk, pause = []byte("x"), 20*time.Millisecond
			}
			rw.WriteHeader(http.StatusCreated)
			rc, until := http.NewResponseController(rw), time.After(30*time.Second)
			for {
				if _, err := rw.Write(chunk); err != nil || rc.Flush() != nil {
					return
				}
				select {
				case <-r.Context().Done():
					return
				case <-until:
					return
				case <-time.After(pause):
				}
			}
		}
		if !ok {
			status = http.StatusCreated
		}
		rw.WriteHeader(status)
	}))
	t.Cleanup(p.Close)
	return p
}

// endpoint is the push endpoint named name.
func (p *pushService) endpoint(name string) string { return p.URL + "/push/v1/" + name }

// answer makes the endpoint named name answer status.
func (p *pushService) answer(name string, status int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.status[name] = status
}

// pushes returns what the endpoint named name got.
func (p *pushService) pushes(name string) []received {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]received(nil), p.got[name]...)
}

// checkVAPID verifies a push's Authorization header (RFC 8292): "vapid
// t=<JWT>, k=<key>", the key the server's public key, the JWT signed with
// it by ES256 for the endpoint's origin, expiring in the future but within
// a day, its subject a contact URI.
func checkVAPID(t *testing.T, header, publicKey, origin string) {
	t.Helper()
	token, key, ok := strings.Cut(strings.TrimPrefix(header, "vapid t="), ", k=")
	if !strings.HasPrefix(header, "vapid t=") || !ok {
		t.Fatalf("Authorization = %q, want vapid t=..., k=...", header)
	}
	if key != publicKey {
		t.Errorf("VAPID k = %s, want the server's public key %s", key, publicKey)
	}
	raw, err := base64.RawURLEncoding.DecodeString(publicKey)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), raw)
	if err != nil {
		t.Fatalf("public key: %v", err)
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("JWT %q has %d parts", token, len(parts))
	}
	var head struct {
		Alg string `json:"alg"`
	}
	var claims struct {
		Aud string `json:"aud"`
		Exp int64  `json:"exp"`
		Sub string `json:"sub"`
	}
	for i, v := range []any{&head, &claims} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatal(err)
		}
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || len(sig) != 64 {
		t.Fatalf("ES256 signature of %d bytes: %v", len(sig), err)
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if head.Alg != "ES256" || !ecdsa.Verify(pub, digest[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
		t.Errorf("JWT (alg %s) is not signed with the server's VAPID key", head.Alg)
	}
	now := time.Now()
	if claims.Aud != origin {
		t.Errorf("aud = %q, want the endpoint's origin %q", claims.Aud, origin)
	}
	if exp := time.Unix(claims.Exp, 0); !exp.After(now) || exp.After(now.Add(24*time.Hour)) {
		t.Errorf("exp = %v, want within a day from now", exp)
	}
	if claims.Sub != "mailto:admin@localhost" {
		t.Errorf("sub = %q, want mailto:admin@localhost (no https public URL)", claims.Sub)
	}
}

// subscriptions lists the member's subscriptions in W1.
func subscriptions(t *testing.T, w *rpctest.World, name string) map[string]push.Subscription {
	t.Helper()
	subs, err := w.Srv.Domain().Push.Subscriptions(context.Background(), w.W1.ID, w.Users[name].ID)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]push.Subscription{}
	for _, s := range subs {
		out[s.Endpoint[strings.LastIndexByte(s.Endpoint, '/')+1:]] = s
	}
	return out
}
