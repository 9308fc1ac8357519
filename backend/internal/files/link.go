package files

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
	"time"

	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// LinkTTL is how long a link to the files origin works: long enough for a
// browser to fetch the file right after asking, short enough that a link
// copied out of a log is soon worthless.
const LinkTTL = 5 * time.Minute

// linkKeyName names the links' key in server_secrets: made by the first
// replica that starts, the same for every replica after it.
const linkKeyName = "files_link_key"

// ErrLink refuses a request to the files origin whose link is missing,
// forged, altered, for another file, or expired. One answer for all, so
// that it tells a prober nothing.
var ErrLink = apperr.New(apperr.PermissionDenied, "this file link is invalid or expired: ask the API for a new one (GET /files/{id}/link)")

// Links makes and checks the signed links of the files origin. A link is
// the only credential that origin takes: HMAC-SHA256 over the file id, the
// principal it was issued to and its expiry, under a key every replica
// shares through the database.
type Links struct {
	key  []byte
	base string
	now  func() time.Time
}

// LoadLinks reads (creating on first use) the links' key. base is the files
// origin's public URL, which the links start with.
func LoadLinks(ctx context.Context, db *store.DB, base string) (*Links, error) {
	fresh := make([]byte, 32)
	if _, err := rand.Read(fresh); err != nil {
		return nil, err
	}
	key, err := events.Secret(ctx, db, linkKeyName, fresh)
	if err != nil {
		return nil, err
	}
	return &Links{key: key, base: strings.TrimRight(base, "/"), now: time.Now}, nil
}

// Base is the files origin's public URL.
func (l *Links) Base() string { return l.base }

// Origin is the files origin's scheme, host and port, as a
// Content-Security-Policy names it.
func (l *Links) Origin() string {
	u, err := url.Parse(l.base)
	if err != nil {
		return l.base // config.Load checked it
	}
	return u.Scheme + "://" + u.Host
}

// Link is a signed URL of one file on the files origin.
type Link struct {
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// grant is what a link carries: who it was issued to (as much of the
// principal as authorization needs to check them again) and until when.
type grant struct {
	Kind      access.Kind `json:"k"`
	UserID    string      `json:"u,omitempty"`
	APIKeyID  string      `json:"a,omitempty"`
	VisitorID string      `json:"v,omitempty"`
	Workspace string      `json:"w,omitempty"`
	Role      access.Role `json:"r,omitempty"`
	Expires   int64       `json:"e"` // unix ms
}

// Issue signs a link to the file for p.
func (l *Links) Issue(fileID string, p *access.Principal) Link {
	exp := l.now().Add(LinkTTL).Truncate(time.Millisecond)
	g := grant{Kind: p.Kind, UserID: p.UserID, APIKeyID: p.APIKeyID, VisitorID: p.VisitorID, Workspace: p.WorkspaceID, Role: p.Role, Expires: exp.UnixMilli()}
	body, _ := json.Marshal(g) // strings and numbers always encode
	payload := base64.RawURLEncoding.EncodeToString(body)
	token := payload + "." + base64.RawURLEncoding.EncodeToString(l.mac(fileID, payload))
	return Link{URL: l.base + "/files/" + url.PathEscape(fileID) + "?t=" + token, ExpiresAt: exp.UTC()}
}

// Check verifies a link's token for the file and returns the principal it
// was issued to, for authorization to check again.
func (l *Links) Check(fileID, token string) (*access.Principal, error) {
	payload, sig, ok := strings.Cut(token, ".")
	if !ok {
		return nil, ErrLink
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, l.mac(fileID, payload)) {
		return nil, ErrLink
	}
	body, err := base64.RawURLEncoding.DecodeString(payload)
	var g grant
	if err != nil || json.Unmarshal(body, &g) != nil || l.now().UnixMilli() >= g.Expires {
		return nil, ErrLink
	}
	switch g.Kind {
	case access.KindUser, access.KindAPIKey, access.KindVisitor:
	default:
		return nil, ErrLink // only callers with a credential are issued links
	}
	return &access.Principal{Kind: g.Kind, UserID: g.UserID, APIKeyID: g.APIKeyID, VisitorID: g.VisitorID,
		WorkspaceID: g.Workspace, Role: g.Role}, nil
}

// mac binds the payload (principal and expiry) to the file id: a link of
// one file opens no other.
func (l *Links) mac(fileID, payload string) []byte {
	m := hmac.New(sha256.New, l.key)
	m.Write([]byte("tandem file link v1\x00"))
	m.Write([]byte(fileID))
	m.Write([]byte{0})
	m.Write([]byte(payload))
	return m.Sum(nil)
}
