package tandemtest

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes the child die with the test binary, even when a test
// timeout kills that without running cleanups.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
