package main

import (
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Latency is a concurrency-safe HDR histogram of durations, in
// microseconds from 1 us to 5 minutes at 3 significant digits.
type Latency struct {
	mu sync.Mutex
	h  *hdrhistogram.Histogram
}

// NewLatency returns an empty histogram.
func NewLatency() *Latency {
	return &Latency{h: hdrhistogram.New(1, int64(5*time.Minute/time.Microsecond), 3)}
}

// Record adds one duration (clamped into the histogram's range).
func (l *Latency) Record(d time.Duration) {
	us := max(d.Microseconds(), 1)
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.h.RecordValue(us); err != nil {
		_ = l.h.RecordValue(l.h.HighestTrackableValue())
	}
}

// Merge adds other's values.
func (l *Latency) Merge(other *Latency) {
	other.mu.Lock()
	snap := hdrhistogram.Import(other.h.Export())
	other.mu.Unlock()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.h.Merge(snap)
}

// Count is the number of values recorded.
func (l *Latency) Count() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.h.TotalCount()
}

// Summary is a histogram's percentiles, in milliseconds.
type Summary struct {
	Count int64   `json:"count"`
	P50   float64 `json:"p50"`
	P95   float64 `json:"p95"`
	P99   float64 `json:"p99"`
	P999  float64 `json:"p99_9"`
	Max   float64 `json:"max"`
	Mean  float64 `json:"mean"`
}

// Summary returns the percentiles.
func (l *Latency) Summary() *Summary {
	l.mu.Lock()
	defer l.mu.Unlock()
	ms := func(us int64) float64 { return float64(us) / 1000 }
	return &Summary{
		Count: l.h.TotalCount(),
		P50:   ms(l.h.ValueAtQuantile(50)),
		P95:   ms(l.h.ValueAtQuantile(95)),
		P99:   ms(l.h.ValueAtQuantile(99)),
		P999:  ms(l.h.ValueAtQuantile(99.9)),
		Max:   ms(l.h.Max()),
		Mean:  l.h.Mean() / 1000,
	}
}
