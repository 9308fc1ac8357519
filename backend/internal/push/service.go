package push

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/google/uuid"

	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/outbound"
	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// Options are the push service's settings; the zero Options are the
// defaults.
type Options struct {
	// Allow opens these address ranges to push endpoints, which otherwise
	// reach only public addresses (a test's push service on loopback).
	Allow []netip.Prefix
	// PublicURL is the server's address: the VAPID contact when it is
	// https (admin@localhost otherwise).
	PublicURL string
	// Client sends the pushes; nil is the outbound client, which refuses
	// every address Allow does not open that is not public.
	Client *http.Client
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Service keeps members' push subscriptions and sends them notifications.
type Service struct {
	db         *store.DB
	vapid      vapid
	subscriber string
	allow      []netip.Prefix
	client     *http.Client
	logger     *slog.Logger
	now        func() time.Time
}

// NewService returns the push service, loading (on first start, making)
// the server's VAPID key.
func NewService(ctx context.Context, db *store.DB, opts Options, logger *slog.Logger) (*Service, error) {
	keys, err := loadVAPID(ctx, db)
	if err != nil {
		return nil, err
	}
	if opts.Client == nil {
		opts.Client = outbound.NewClient(outbound.Options{Allow: opts.Allow, Timeout: sendTimeout})
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Service{db: db, vapid: keys, subscriber: subscriber(opts.PublicURL), allow: opts.Allow, client: opts.Client,
		logger: logger, now: opts.Now}, nil
}

// PublicKey is the server's VAPID public key: an uncompressed P-256 point
// in base64url without padding, browsers' applicationServerKey.
func (s *Service) PublicKey() string { return s.vapid.public }

// Subscribe stores a browser's subscription for the member in the
// workspace. The same endpoint again updates its keys; an endpoint another
// user had becomes this member's (in every workspace, the others' rows
// go). A member has at most MaxPerMember subscriptions in a workspace.
func (s *Service) Subscribe(ctx context.Context, workspaceID, userID string, sub Subscription) error {
	if err := checkEndpoint(sub.Endpoint, s.allow); err != nil {
		return err
	}
	var err error
	if sub.P256dh, sub.Auth, err = checkKeys(sub.P256dh, sub.Auth); err != nil {
		return err
	}
	now := store.NowMillis(s.now())
	sub.ID, sub.WorkspaceID, sub.UserID, sub.CreatedAt, sub.UpdatedAt = uuid.NewString(), workspaceID, userID, now, now
	hash := endpointHash(sub.Endpoint)
	save := func(tx *store.Tx) error {
		if err := moveEndpoint(ctx, tx, hash, userID); err != nil {
			return err
		}
		if found, err := refresh(ctx, tx, &sub, hash); err != nil || found {
			return err
		}
		n, err := countLocked(ctx, tx, workspaceID, userID)
		if err != nil {
			return err
		}
		if n >= MaxPerMember {
			return apperr.Newf(apperr.ResourceExhausted, "at most %d push subscriptions per member: unsubscribe a browser you no longer use", MaxPerMember)
		}
		return insert(ctx, tx, &sub, hash)
	}
	err = s.db.InTx(ctx, save)
	if s.db.Dialect.IsUniqueViolation(err) {
		// The same browser subscribed twice at once: the other insert won,
		// and a second run updates its row.
		err = s.db.InTx(ctx, save)
	}
	return err
}

// Unsubscribe removes the member's subscription of the endpoint in the
// workspace; one that is not there is no error.
func (s *Service) Unsubscribe(ctx context.Context, workspaceID, userID, endpoint string) error {
	return deleteMember(ctx, s.db, workspaceID, userID, endpointHash(endpoint))
}

// Subscriptions lists the member's subscriptions in the workspace.
func (s *Service) Subscriptions(ctx context.Context, workspaceID, userID string) ([]Subscription, error) {
	return memberSubscriptions(ctx, s.db, workspaceID, userID)
}
