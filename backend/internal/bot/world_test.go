package bot_test

import (
	"testing"

	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
)

// world is the shared test world, with this package's own fixtures as
// methods.
type world struct{ *rpctest.World }

func botWorld(t *testing.T, srv *rpctest.Server) *world { return &world{rpctest.BotWorld(t, srv)} }
