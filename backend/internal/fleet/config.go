package fleet

import (
	"log/slog"
	"time"

	"github.com/tandem-inbox/tandem/backend/internal/config"
	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// InProcessConfig is the configuration of a tandemd that a test or a tool
// runs inside its own process on the store: loopback, warnings only, the
// reactors on, routing by explicit calls (tests route by calling Route;
// TestRoutingLoop turns the loop on).
func InProcessConfig(opts store.Options) config.Config {
	blobURL := ""
	if opts.DataDir == "" {
		blobURL = "mem://" // MySQL tests have no data directory
	}
	return config.Config{
		BlobURL: blobURL,
		Addr:    "127.0.0.1:0", DataDir: opts.DataDir, DatabaseURL: opts.URL,
		LogLevel: slog.LevelWarn, LogFormat: "text", SessionTTL: time.Hour,
		ShutdownTimeout: 5 * time.Second, MaxRequestBytes: 1 << 20, MaxRequestBytesInFlight: 64 << 20, RequestTimeout: 30 * time.Second,
		PollInterval: 200 * time.Millisecond, Heartbeat: 2 * time.Second, EventRetention: 168 * time.Hour,
		RoutingInterval: time.Hour,
		Reactors:        true,
		IdentityMaxAge:  24 * time.Hour, IdentityClockSkew: 2 * time.Minute, WidgetSecretGrace: 24 * time.Hour,
	}
}
