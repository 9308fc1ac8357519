//go:build !desktop && !dev && !bindings

// Command tandem is the Tandem desktop app for agents. This file is what
// builds without the Wails tags, so that go build, vet and test of the
// module work on any machine without a C toolchain or WebKit; the real app
// needs the tags (see README.md).
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "tandem: built without the desktop tags; build with: make -C desktop build (see desktop/README.md)")
	os.Exit(2)
}
