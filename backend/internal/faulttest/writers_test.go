package faulttest_test

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"

	"github.com/tandem-inbox/tandem/backend/internal/faulttest"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
)

// ledger is what the writers were told: every message acknowledged, with
// the id the server gave it, and every error on the way.
type ledger struct {
	mu      sync.Mutex
	acked   map[string]string // body -> message id
	byBody  map[string]string // body -> client id
	retried int               // sends that needed more than one attempt
	codes   map[connect.Code]int
	gaveUp  []string
}

func newLedger() *ledger {
	return &ledger{acked: map[string]string{}, byBody: map[string]string{}, codes: map[connect.Code]int{}}
}

// bodies lists the acknowledged messages.
func (l *ledger) bodies() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]string, 0, len(l.acked))
	for b := range l.acked {
		out = append(out, b)
	}
	sort.Strings(out)
	return out
}

func (l *ledger) summary() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return fmt.Sprintf("%d acknowledged, %d needed retries, errors by code %v, %d given up", len(l.acked), l.retried, l.codes, len(l.gaveUp))
}

// write runs one writer per visitor until ctx ends: each sends numbered
// messages one after another, through the replica url(attempt) names, and
// retries a failed send with the same client id until it is acknowledged
// (or a minute passes).
func (l *ledger) write(ctx context.Context, visitors []*rpcclient.Visitor, pause time.Duration, url func(attempt int) string) func() {
	var wg sync.WaitGroup
	for i, v := range visitors {
		wg.Go(func() {
			clients := map[string]rpcclient.Clients{}
			for n := 0; ctx.Err() == nil; n++ {
				body, clientID := fmt.Sprintf("v%d-%04d", i, n), uuid.NewString()
				attempt := 0
				var id string
				err := faulttest.Retry(context.WithoutCancel(ctx), time.Minute, func(err error) {
					l.mu.Lock()
					l.codes[connect.CodeOf(err)]++
					l.mu.Unlock()
				}, func(ctx context.Context) error {
					u := url(attempt)
					attempt++
					c, ok := clients[u]
					if !ok {
						c = rpcclient.New(u, rpcclient.Connect)
						clients[u] = c
					}
					m, err := v.Send(ctx, c, clientID, body)
					if err == nil {
						id = m.GetId()
					}
					return err
				})
				l.mu.Lock()
				l.byBody[body] = clientID
				if err != nil {
					l.gaveUp = append(l.gaveUp, body)
				} else {
					l.acked[body] = id
					if attempt > 1 {
						l.retried++
					}
				}
				l.mu.Unlock()
				if pause > 0 {
					select {
					case <-ctx.Done():
					case <-time.After(pause):
					}
				}
			}
		})
	}
	return wg.Wait
}
