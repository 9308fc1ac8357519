package main

import (
	"os"
	"strings"
	"time"

	"github.com/tandem-inbox/tandem/backend/internal/fleet"
)

// measure is one system's numbers from one or more phases.
type measure struct {
	ops     int64
	elapsed time.Duration
	lat     *Latency
	cpu     time.Duration // server CPU used
	rss     int64         // server resident memory at the end, bytes
	extra   map[string]float64
}

func newMeasure() *measure { return &measure{lat: NewLatency(), extra: map[string]float64{}} }

// merge adds another phase of the same system: counts and times add up,
// memory is the larger; extra values add up, but for those named max_*,
// which keep the larger.
func (m *measure) merge(o *measure) {
	m.ops += o.ops
	m.elapsed += o.elapsed
	m.cpu += o.cpu
	m.rss = max(m.rss, o.rss)
	m.lat.Merge(o.lat)
	for k, v := range o.extra {
		if strings.HasPrefix(k, "max_") {
			m.extra[k] = max(m.extra[k], v)
		} else {
			m.extra[k] += v
		}
	}
}

func (m *measure) perSecond() float64 {
	if m.elapsed <= 0 {
		return 0
	}
	return float64(m.ops) / m.elapsed.Seconds()
}

// phase turns the measure into a report phase.
func (m *measure) phase(name, system string) Phase {
	p := Phase{Name: name, System: system, Ops: m.ops, Seconds: m.elapsed.Seconds(), PerSecond: m.perSecond(),
		RSSMiB: float64(m.rss) / (1 << 20)}
	if m.lat.Count() > 0 {
		p.Latency = m.lat.Summary()
	}
	if m.ops > 0 && m.cpu > 0 {
		p.CPUPerOpMicros = float64(m.cpu.Microseconds()) / float64(m.ops)
	}
	if m.elapsed > 0 && m.cpu > 0 {
		p.CPUCores = m.cpu.Seconds() / m.elapsed.Seconds()
	}
	if len(m.extra) > 0 {
		p.Extra = m.extra
	}
	return p
}

// serverMeter measures the CPU of the processes that serve a phase (this
// process, for in-process baselines) and their memory at the end.
type serverMeter struct {
	pids []int
	cpu  *fleet.CPUMeter
}

func meterServer(pids ...int) *serverMeter {
	if len(pids) == 0 {
		pids = []int{os.Getpid()}
	}
	return &serverMeter{pids: pids, cpu: fleet.StartCPU(pids...)}
}

// stop fills the measure's CPU and memory.
func (s *serverMeter) stop(m *measure) {
	m.cpu, _ = s.cpu.Stop()
	m.rss = 0
	for _, pid := range s.pids {
		if r, err := fleet.RSS(pid); err == nil {
			m.rss += r
		}
	}
}

// abab runs the baseline and Tandem phases alternately, rounds times each
// (A B A B for two), and merges each system's phases.
func abab(rounds int, baseline, tandem func(round int) (*measure, error)) (*measure, *measure, error) {
	b, t := newMeasure(), newMeasure()
	for r := range rounds {
		mb, err := baseline(r)
		if err != nil {
			return nil, nil, err
		}
		b.merge(mb)
		mt, err := tandem(r)
		if err != nil {
			return nil, nil, err
		}
		t.merge(mt)
	}
	return b, t, nil
}
