package fleet

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTicks is USER_HZ, the unit of the CPU times in /proc/<pid>/stat; it
// is 100 on every Linux that Go supports.
const clockTicks = 100

// CPUTime is the user plus system CPU time the process has used so far.
func CPUTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces: fields are counted after
	// its closing parenthesis. utime and stime are fields 14 and 15.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: too few fields", pid)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: bad cpu times", pid)
	}
	return time.Duration(utime+stime) * time.Second / clockTicks, nil
}

// RSS is the process's resident memory in bytes (VmRSS).
func RSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) < 1 {
				break
			}
			kb, err := strconv.ParseInt(f[0], 10, 64)
			if err != nil {
				return 0, err
			}
			return kb << 10, nil
		}
	}
	return 0, fmt.Errorf("/proc/%d/status: no VmRSS", pid)
}

// CPUMeter measures the CPU a set of processes use between Start and Stop.
type CPUMeter struct {
	pids  []int
	start time.Duration
	wall  time.Time
}

// StartCPU starts measuring the processes.
func StartCPU(pids ...int) *CPUMeter {
	m := &CPUMeter{pids: pids, wall: time.Now()}
	m.start = m.total()
	return m
}

func (m *CPUMeter) total() time.Duration {
	var sum time.Duration
	for _, pid := range m.pids {
		if d, err := CPUTime(pid); err == nil {
			sum += d
		}
	}
	return sum
}

// Stop returns the CPU time used since StartCPU and the wall time elapsed.
func (m *CPUMeter) Stop() (cpu, wall time.Duration) {
	return m.total() - m.start, time.Since(m.wall)
}
