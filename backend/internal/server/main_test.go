package server_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/tandem-inbox/tandem/backend/internal/knowledge"
)

// TestMain lets a test server with its parse worker on (config.ParseWorker)
// start this test binary as the worker, as tandemd starts itself: run with
// the argument parse-worker, it serves one parse and exits.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "parse-worker" {
		if err := knowledge.ServeWorker(os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}
