package knowledge

import (
	"os"
	"strconv"
	"syscall"
)

// limitSelf puts the worker below the server in the CPU's queue (nice 5)
// and gives it cpu seconds of CPU time, after which the kernel ends it.
// Linux keeps a priority per thread, and a new thread takes its creator's:
// each of the threads the Go runtime has started by now is lowered.
func limitSelf(cpu float64) error {
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return err
	}
	for _, t := range tasks {
		tid, err := strconv.Atoi(t.Name())
		if err != nil {
			continue
		}
		if err := syscall.Setpriority(syscall.PRIO_PROCESS, tid, workerNice); err != nil {
			return err
		}
	}
	secs := uint64(cpu)
	return syscall.Setrlimit(syscall.RLIMIT_CPU, &syscall.Rlimit{Cur: secs, Max: secs + 1})
}
