package main

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// openLoop starts op number i at start + i/rate, whatever earlier ops are
// doing, for the duration, and waits for all of them. Each op gets the time
// it was scheduled for: latency counts from there, so a server that falls
// behind shows it (no coordinated omission). At most maxInFlight ops run at
// once; past that the schedule keeps its times and ops start late.
func openLoop(ctx context.Context, rate float64, duration time.Duration, maxInFlight int, op func(ctx context.Context, i int, scheduled time.Time)) int {
	n := int(rate * duration.Seconds())
	interval := time.Duration(float64(time.Second) / rate)
	sem := make(chan struct{}, maxInFlight)
	var wg sync.WaitGroup
	start := time.Now()
	i := 0
	for ; i < n && ctx.Err() == nil; i++ {
		at := start.Add(time.Duration(i) * interval)
		if d := time.Until(at); d > 0 {
			select {
			case <-ctx.Done():
			case <-time.After(d):
			}
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			continue
		}
		idx := i // i outlives the iteration
		wg.Go(func() {
			defer func() { <-sem }()
			op(ctx, idx, at)
		})
	}
	wg.Wait()
	return i
}

// closedLoop runs workers that each call op back to back until the
// duration passes, and returns how many calls completed and the time taken
// (calls in flight at the end finish and count). The first error stops it.
func closedLoop(ctx context.Context, workers int, duration time.Duration, op func(ctx context.Context, worker, n int) error) (int64, time.Duration, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		done     atomic.Int64
		firstErr error
		once     sync.Once
		wg       sync.WaitGroup
	)
	start := time.Now()
	deadline := start.Add(duration)
	for w := range workers {
		wg.Go(func() {
			for n := 0; ctx.Err() == nil && time.Now().Before(deadline); n++ {
				if err := op(ctx, w, n); err != nil {
					once.Do(func() { firstErr = err; cancel() })
					return
				}
				done.Add(1)
			}
		})
	}
	wg.Wait()
	return done.Load(), time.Since(start), firstErr
}
