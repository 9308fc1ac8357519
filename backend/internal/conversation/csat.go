package conversation

import (
	"context"
	"strconv"
	"time"

	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// CSATWindow is how long after close a customer may rate a conversation.
const CSATWindow = 7 * 24 * time.Hour

// Errors of ratings.
var (
	ErrRated       = apperr.New(apperr.AlreadyExists, "this conversation was already rated")
	ErrNotClosed   = apperr.New(apperr.FailedPrecondition, "a conversation is rated after it is closed")
	ErrRatingLapse = apperr.New(apperr.FailedPrecondition, "the time to rate this conversation has passed")
)

// Rate records the customer's satisfaction with a closed conversation, once,
// within CSATWindow of its close.
func (s *Service) Rate(ctx context.Context, p *access.Principal, workspaceID, id string, rating int, comment string) (Conversation, error) {
	if rating < 1 || rating > 5 {
		return Conversation{}, apperr.Invalid("rating", "must be from 1 to 5")
	}
	return s.change(ctx, p, workspaceID, id, func(tx *store.Tx, conv *Conversation, actor Actor) error {
		prev := before(conv)
		switch now := s.now(); {
		case conv.CSATRating != 0:
			return ErrRated
		case conv.State != StateClosed:
			return ErrNotClosed
		case now.Sub(time.UnixMilli(conv.ClosedAt)) > CSATWindow:
			return ErrRatingLapse
		default:
			conv.CSATRating, conv.CSATComment, conv.CSATAt = rating, comment, store.NowMillis(now)
		}
		data := map[string]string{"rating": strconv.Itoa(rating), "comment": comment}
		return s.record(ctx, tx, conv, prev, events.CSATReceived, events.Agents, actor,
			activity(conv, actor, "rated", data, events.Agents), data)
	})
}
