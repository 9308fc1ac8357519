//go:build !linux

package fleet

import "os/exec"

// dieWithParent is Linux-only; elsewhere children of a crashed run may stay.
func dieWithParent(*exec.Cmd) {}
