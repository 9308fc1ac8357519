package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tandem-inbox/tandem/backend/internal/faulttest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// TestCommitHonoursDeadline: on MySQL, a COMMIT that the network swallows
// (a proxy holds every byte) ends the transaction's call at its context's
// deadline, as its statements do, rather than after the driver's 30 s read
// timeout; once the network heals, the pool serves again.
func TestCommitHonoursDeadline(t *testing.T) {
	t.Parallel()
	storetest.NeedMySQL(t)
	ctx := context.Background()
	opts := storetest.Options(t, "mysql")
	cfg, err := store.MySQLConfig(opts.URL)
	if err != nil {
		t.Fatal(err)
	}
	proxy, err := faulttest.StartProxy(ctx, cfg.Addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(proxy.Close)
	cfg.Addr = proxy.Addr()
	opts.URL = cfg.FormatDSN()
	db, err := store.Open(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })

	call, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	start := time.Now()
	heal := time.AfterFunc(3*time.Second, proxy.Heal) // well after the deadline
	defer heal.Stop()
	err = db.InTx(call, func(tx *store.Tx) error {
		var one int
		if err := tx.GetContext(call, &one, `SELECT 1`); err != nil {
			return err
		}
		proxy.Blackhole() // the COMMIT goes into it
		return nil
	})
	took := time.Since(start)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("InTx with its COMMIT held: %v, want DeadlineExceeded", err)
	}
	if took > 2*time.Second {
		t.Errorf("InTx with its COMMIT held returned after %v, past its 1 s deadline", took)
	}
	time.Sleep(time.Until(start.Add(3 * time.Second)))
	if err := db.InTx(ctx, func(tx *store.Tx) error {
		var one int
		return tx.GetContext(ctx, &one, `SELECT 1`)
	}); err != nil {
		t.Errorf("after the network healed: %v", err)
	}
}
