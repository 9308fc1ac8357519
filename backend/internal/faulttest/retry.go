package faulttest

import (
	"context"
	"time"
)

// Retry calls fn until it succeeds, ctx ends or the deadline passes,
// waiting a little longer after each failure (capped, with the error
// handed to onErr). It returns the last error when it gives up.
func Retry(ctx context.Context, within time.Duration, onErr func(error), fn func(ctx context.Context) error) error {
	deadline := time.Now().Add(within)
	wait := 20 * time.Millisecond
	for {
		callCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := fn(callCtx)
		cancel()
		if err == nil {
			return nil
		}
		if onErr != nil {
			onErr(err)
		}
		if ctx.Err() != nil || time.Now().Add(wait).After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
		wait = min(wait*2, 500*time.Millisecond)
	}
}
