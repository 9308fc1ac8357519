package limit_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tandem-inbox/tandem/backend/internal/limit"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// BenchmarkTake is the cost of one widget call's limit: kept in memory
// (one replica, the baseline), and shared through each database, allowed
// (a conditional UPDATE) and refused (the local cache of refusals). Run
// with `go test -bench Take -run ^$ ./internal/limit` (MySQL with
// TANDEM_TEST_MYSQL_DSN); compare each to memory in the same run.
func BenchmarkTake(b *testing.B) {
	allow := limit.Rule{Name: "bench", Every: time.Nanosecond, Burst: 1 << 30}
	refuse := limit.Rule{Name: "bench-refused", Every: time.Hour, Burst: 1}
	run := func(b *testing.B, l *limit.Limits, r limit.Rule) {
		ctx := context.Background()
		l.Take(ctx, r, "k") // the row exists, as for a visitor's later calls
		b.ResetTimer()
		for range b.N {
			l.Take(ctx, r, "k")
		}
	}
	b.Run("memory", func(b *testing.B) { run(b, limit.New(limit.Options{Logger: quiet}), allow) })
	for _, d := range storetest.Dialects() {
		db := storetest.New(b, d)
		l := limit.New(limit.Options{DB: db, Logger: quiet})
		b.Run(fmt.Sprintf("%s/allowed", d), func(b *testing.B) { run(b, l, allow) })
		b.Run(fmt.Sprintf("%s/refused", d), func(b *testing.B) { run(b, l, refuse) })
	}
}
