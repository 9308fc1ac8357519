package metrics_test

import (
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/tandem-inbox/tandem/backend/internal/config"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// TestSecurityMetricsOwnListener (issue 14, item 9): /metrics is served on
// its own listener (TANDEM_METRICS_ADDR, loopback by default) and nowhere
// else: the API port answers 404 without a byte of the exposition, in
// process and in the real tandemd binary.
func TestSecurityMetricsOwnListener(t *testing.T) {
	t.Parallel()
	cfg, err := config.Load(t.Context(), nil, func(string) string { return "" }, nil)
	if err != nil {
		t.Fatal(err)
	}
	if host, _, err := net.SplitHostPort(cfg.MetricsAddr); err != nil || !net.ParseIP(host).IsLoopback() {
		t.Errorf("default metrics address %q is not on loopback", cfg.MetricsAddr)
	}
	for _, env := range []map[string]string{{"TANDEM_METRICS_ADDR": "off"}, {"TANDEM_METRICS_ADDR": "127.0.0.1:8080"}} {
		cfg, err := config.Load(t.Context(), nil, func(k string) string { return env[k] }, nil)
		if env["TANDEM_METRICS_ADDR"] == "off" && (err != nil || cfg.MetricsAddr != "") {
			t.Errorf("metrics-addr off: %q, %v", cfg.MetricsAddr, err)
		}
		if env["TANDEM_METRICS_ADDR"] == cfg.Addr && err == nil {
			t.Error("metrics-addr equal to addr was accepted")
		}
	}

	check := func(t *testing.T, apiURL, metricsURL string) {
		t.Helper()
		resp, body := rpctest.Do(t, http.DefaultClient, http.MethodGet, apiURL+"/metrics", nil, "")
		if resp.StatusCode != http.StatusNotFound || strings.Contains(body, "tandem_") || strings.Contains(body, "go_") {
			t.Errorf("GET /metrics on the API port: %d %.200s", resp.StatusCode, body)
		}
		resp, body = rpctest.Do(t, http.DefaultClient, http.MethodGet, metricsURL+"/metrics", nil, "")
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "go_goroutines") {
			t.Errorf("GET /metrics on the metrics listener: %d %.200s", resp.StatusCode, body)
		}
		// The metrics listener serves nothing else.
		if resp, _ := rpctest.Do(t, http.DefaultClient, http.MethodGet, metricsURL+"/readyz", nil, ""); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET /readyz on the metrics listener: %d", resp.StatusCode)
		}
	}
	t.Run("in process", func(t *testing.T) {
		srv := rpctest.Start(t, storetest.Options(t, "sqlite"))
		check(t, srv.URL, srv.MetricsURL)
	})
	t.Run("tandemd", func(t *testing.T) {
		p := rpctest.StartProcess(t, rpctest.FreeAddr(t), map[string]string{"TANDEM_DATA_DIR": t.TempDir()})
		check(t, p.URL, p.MetricsURL)
	})
}
