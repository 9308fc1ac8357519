package config

import (
	"io"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestDefaults(t *testing.T) {
	t.Parallel()
	c, err := Load(t.Context(), nil, env(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:8080" || c.DataDir != "./tandem-data" || c.DatabaseURL != "" || c.Demo ||
		c.ShutdownTimeout != 15*time.Second || c.MaxRequestBytes != 1<<20 {
		t.Fatalf("defaults = %+v", c)
	}
}

func TestFlagsOverrideEnv(t *testing.T) {
	t.Parallel()
	c, err := Load(t.Context(), []string{"--addr", "127.0.0.1:9999", "--demo"}, env(map[string]string{
		"TANDEM_ADDR": "127.0.0.1:7777", "TANDEM_DATA_DIR": "/tmp/x", "TANDEM_CORS_ORIGINS": "https://shop.example/, http://localhost:5173",
	}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:9999" || c.DataDir != "/tmp/x" || !c.Demo {
		t.Fatalf("config = %+v", c)
	}
	if len(c.CORSOrigins) != 2 || c.CORSOrigins[0] != "https://shop.example" {
		t.Fatalf("cors = %v", c.CORSOrigins)
	}
}

func TestInvalid(t *testing.T) {
	t.Parallel()
	cases := []struct {
		env  map[string]string
		args []string
		want string
	}{
		{env: map[string]string{"TANDEM_ADDR": "nonsense"}, want: "TANDEM_ADDR"},
		{env: map[string]string{"TANDEM_ADDR": "127.0.0.1:99999"}, want: "TANDEM_ADDR"},
		{env: map[string]string{"TANDEM_DATABASE_URL": "postgres://x"}, want: "TANDEM_DATABASE_URL"},
		{env: map[string]string{"TANDEM_TLS_CERT": "/nonexistent.pem"}, want: "--tls-key go together"},
		{env: map[string]string{"TANDEM_CORS_ORIGINS": "shop.example"}, want: "TANDEM_CORS_ORIGINS"},
		{env: map[string]string{"TANDEM_BOOTSTRAP_EMAIL": "admin@example.test", "TANDEM_BOOTSTRAP_PASSWORD": "short"}, want: "TANDEM_BOOTSTRAP_PASSWORD"},
		{env: map[string]string{"TANDEM_BOOTSTRAP_EMAIL": "not an email", "TANDEM_BOOTSTRAP_PASSWORD": "long enough pw"}, want: "TANDEM_BOOTSTRAP_EMAIL"},
		{env: map[string]string{"TANDEM_LOG_LEVEL": "loud"}, want: "TANDEM_LOG_LEVEL"},
		{env: map[string]string{"TANDEM_SESSION_TTL": "forever"}, want: "TANDEM_SESSION_TTL"},
		{args: []string{"extra"}, want: "unexpected argument"},
	}
	for _, tc := range cases {
		_, err := Load(t.Context(), tc.args, env(tc.env), io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v %v: err = %v, want it to mention %q", tc.env, tc.args, err, tc.want)
		}
	}
}

// TestSecurityDemoLoopbackOnly (issue 14 item 18): --demo, whose passwords
// are public, starts only on a loopback address unless forced.
func TestSecurityDemoLoopbackOnly(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		env  map[string]string
		ok   bool
	}{
		{args: []string{"--demo"}, ok: true}, // the default address is loopback
		{args: []string{"--demo", "--addr", "127.0.0.1:8080"}, ok: true},
		{args: []string{"--demo", "--addr", "[::1]:8080"}, ok: true},
		{args: []string{"--demo", "--addr", "localhost:8080"}, ok: true},
		{args: []string{"--demo", "--addr", "0.0.0.0:8080"}},
		{args: []string{"--demo", "--addr", ":8080"}},
		{args: []string{"--demo", "--addr", "[::]:8080"}},
		{env: map[string]string{"TANDEM_DEMO": "true", "TANDEM_ADDR": "0.0.0.0:8080"}},
		{args: []string{"--demo", "--demo-force", "--addr", "0.0.0.0:8080"}, ok: true},
		{env: map[string]string{"TANDEM_DEMO": "true", "TANDEM_DEMO_FORCE": "true", "TANDEM_ADDR": ":8080"}, ok: true},
		{args: []string{"--addr", "0.0.0.0:8080"}, ok: true}, // no demo: no concern
	} {
		_, err := Load(t.Context(), tc.args, env(tc.env), io.Discard)
		if tc.ok && err != nil {
			t.Errorf("%v %v: %v", tc.args, tc.env, err)
		}
		if !tc.ok && (err == nil || !strings.Contains(err.Error(), "--demo-force")) {
			t.Errorf("%v %v: err = %v, want a refusal naming --demo-force", tc.args, tc.env, err)
		}
	}
}

// TestSecuritySettings checks the issue 14 settings' defaults and parsing.
func TestSecuritySettings(t *testing.T) {
	t.Parallel()
	c, err := Load(t.Context(), nil, env(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.TrustedProxies) != 0 || c.PasswordHashConcurrency != 0 || c.MaxWorkspacesPerUser != 20 || c.DemoForce {
		t.Fatalf("defaults: proxies %v, hash concurrency %d, workspaces %d, demo force %v",
			c.TrustedProxies, c.PasswordHashConcurrency, c.MaxWorkspacesPerUser, c.DemoForce)
	}
	c, err = Load(t.Context(), nil, env(map[string]string{"TANDEM_TRUSTED_PROXIES": "10.0.0.0/8, 127.0.0.1",
		"TANDEM_PASSWORD_HASH_CONCURRENCY": "3", "TANDEM_MAX_WORKSPACES_PER_USER": "5"}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.TrustedProxies) != 2 || c.TrustedProxies[1].String() != "127.0.0.1/32" || c.PasswordHashConcurrency != 3 || c.MaxWorkspacesPerUser != 5 {
		t.Fatalf("parsed: %v %d %d", c.TrustedProxies, c.PasswordHashConcurrency, c.MaxWorkspacesPerUser)
	}
	for k, v := range map[string]string{"TANDEM_TRUSTED_PROXIES": "proxy.local", "TANDEM_PASSWORD_HASH_CONCURRENCY": "-1",
		"TANDEM_MAX_WORKSPACES_PER_USER": "0"} {
		if _, err := Load(t.Context(), nil, env(map[string]string{k: v}), io.Discard); err == nil || !strings.Contains(err.Error(), k) {
			t.Errorf("%s=%s: %v, want an error naming it", k, v, err)
		}
	}
}

// TestDemoReset (issue 15 item 20): --demo-reset implies --demo and is
// refused with a database URL, whose data it would not reset.
func TestDemoReset(t *testing.T) {
	t.Parallel()
	c, err := Load(t.Context(), []string{"--demo-reset"}, env(nil), io.Discard)
	if err != nil || !c.DemoReset || !c.Demo {
		t.Fatalf("--demo-reset: %+v, %v; want DemoReset and Demo", c, err)
	}
	c, err = Load(t.Context(), nil, env(map[string]string{"TANDEM_DEMO_RESET": "true"}), io.Discard)
	if err != nil || !c.DemoReset || !c.Demo {
		t.Fatalf("TANDEM_DEMO_RESET: DemoReset %v, Demo %v, %v", c.DemoReset, c.Demo, err)
	}
	if c, err := Load(t.Context(), nil, env(nil), io.Discard); err != nil || c.DemoReset {
		t.Fatalf("default: DemoReset %v, %v", c.DemoReset, err)
	}
	_, err = Load(t.Context(), []string{"--demo-reset", "--database-url", "mysql://root@127.0.0.1:3306/tandem"}, env(nil), io.Discard)
	if err == nil || !strings.Contains(err.Error(), "--demo-reset (TANDEM_DEMO_RESET)") {
		t.Fatalf("--demo-reset with a database URL: %v, want a refusal naming the flag", err)
	}
}
