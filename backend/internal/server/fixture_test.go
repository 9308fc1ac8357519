package server_test

import (
	"testing"

	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// world is the shared test world, with the server tests' own fixtures as
// methods.
type world struct{ *rpctest.World }

func newWorld(t testing.TB, opts store.Options) *world { return &world{rpctest.NewWorld(t, opts)} }

func worldOn(t testing.TB, srv *rpctest.Server) *world { return &world{rpctest.WorldOn(t, srv)} }
