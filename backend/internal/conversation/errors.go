package conversation

import (
	"fmt"

	"github.com/tandem-inbox/tandem/backend/internal/apperr"
)

// ErrClientIDReused answers a retry whose client id was used for different content.
var ErrClientIDReused = &apperr.Error{Kind: apperr.AlreadyExists, Field: "client_id", Public: "was already used for different content"}

func errIllegal(from, to State) error {
	return apperr.New(apperr.FailedPrecondition, fmt.Sprintf("a %s conversation cannot become %s", from, to))
}
