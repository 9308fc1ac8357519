package push_test

import (
	"context"
	"crypto/ecdh"
	"encoding/base64"
	"log/slog"
	"sync"
	"testing"

	"github.com/tandem-inbox/tandem/backend/internal/push"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// TestPushVAPIDKey: replicas starting at once on one database, each with
// its own pool, agree on one VAPID key, a P-256 public key as browsers take
// it; a restart keeps it.
func TestPushVAPIDKey(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		ctx := context.Background()
		logger := slog.New(slog.DiscardHandler)
		start := func() (*push.Service, *store.DB) {
			db, err := store.Open(ctx, opts)
			if err != nil {
				t.Error(err)
				return nil, nil
			}
			svc, err := push.NewService(ctx, db, push.Options{}, logger)
			if err != nil {
				t.Error(err)
			}
			return svc, db
		}
		const replicas = 4
		keys := make([]string, replicas)
		dbs := make([]*store.DB, replicas)
		var wg sync.WaitGroup
		for i := range replicas {
			wg.Go(func() {
				var svc *push.Service
				if svc, dbs[i] = start(); svc != nil {
					keys[i] = svc.PublicKey()
				}
			})
		}
		wg.Wait()
		for _, db := range dbs {
			if db != nil {
				_ = db.Close()
			}
		}
		if t.Failed() {
			return
		}
		raw, err := base64.RawURLEncoding.DecodeString(keys[0])
		if err != nil || len(raw) != 65 || raw[0] != 4 {
			t.Fatalf("public key %q: %d bytes (%v), want an uncompressed P-256 point", keys[0], len(raw), err)
		}
		if _, err := ecdh.P256().NewPublicKey(raw); err != nil {
			t.Fatal(err)
		}
		for i, k := range keys {
			if k != keys[0] {
				t.Errorf("replica %d has key %s, replica 0 %s", i, k, keys[0])
			}
		}
		svc, db := start()
		if db == nil {
			return
		}
		defer func() { _ = db.Close() }()
		if svc.PublicKey() != keys[0] {
			t.Errorf("after a restart the key is %s, was %s", svc.PublicKey(), keys[0])
		}
	})
}
