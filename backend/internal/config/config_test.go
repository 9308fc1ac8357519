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
	// AI-03: the AI agent hands off within 10 s when the model is down,
	// and spends at most these tokens per workspace and day and per
	// conversation.
	if c.LLMTimeout != 10*time.Second || c.AITokensPerDay != 1_000_000 || c.AITokensPerConversation != 50_000 {
		t.Fatalf("AI defaults: timeout %s, %d tokens per day, %d per conversation", c.LLMTimeout, c.AITokensPerDay, c.AITokensPerConversation)
	}
	c, err = Load(t.Context(), nil, env(map[string]string{"TANDEM_LLM_TIMEOUT": "3s", "TANDEM_AI_TOKENS_PER_DAY": "0",
		"TANDEM_AI_TOKENS_PER_CONVERSATION": "1200"}), io.Discard)
	if err != nil || c.LLMTimeout != 3*time.Second || c.AITokensPerDay != 0 || c.AITokensPerConversation != 1200 {
		t.Fatalf("AI settings from the environment: %s, %d, %d (%v)", c.LLMTimeout, c.AITokensPerDay, c.AITokensPerConversation, err)
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
		{args: []string{"--no-such-flag"}, want: "no-such-flag"},
		{env: map[string]string{"TANDEM_LLM_URL": "ftp://model.example"}, want: "TANDEM_LLM_URL"},
		{env: map[string]string{"TANDEM_AI_TOKENS_PER_DAY": "-1"}, want: "TANDEM_AI_TOKENS_PER_DAY"},
		{env: map[string]string{"TANDEM_AI_TOKENS_PER_CONVERSATION": "lots"}, want: "TANDEM_AI_TOKENS_PER_CONVERSATION"},
		{env: map[string]string{"TANDEM_LLM_URL": "https://model.example"}, want: "--llm-url and --llm-model go together"},
		{env: map[string]string{"TANDEM_DATA_DIR": " ", "TANDEM_DATABASE_URL": "root@tcp(db:3306)/tandem"}, want: "TANDEM_DATA_DIR"},
		{env: map[string]string{"TANDEM_METRICS_WORKSPACE_LABEL": "maybe"}, want: "TANDEM_METRICS_WORKSPACE_LABEL"},
		{env: map[string]string{"TANDEM_REACTORS": "sometimes"}, want: "TANDEM_REACTORS"},
		{env: map[string]string{"TANDEM_DEMO": "yes please"}, want: "TANDEM_DEMO"},
		{env: map[string]string{"TANDEM_DEMO_RESET": "2"}, want: "TANDEM_DEMO_RESET"},
		{env: map[string]string{"TANDEM_DEMO_RESET": "true", "TANDEM_DATABASE_URL": "root@tcp(db:3306)/tandem"}, want: "drop and recreate"},
		{env: map[string]string{"TANDEM_DEMO_FORCE": "force"}, want: "TANDEM_DEMO_FORCE"},
		{env: map[string]string{"TANDEM_LOG_FORMAT": "xml"}, want: "TANDEM_LOG_FORMAT"},
		{env: map[string]string{"TANDEM_HEARTBEAT": "1ms"}, want: "TANDEM_HEARTBEAT"},
		{env: map[string]string{"TANDEM_WIDGET_RATE": "-1"}, want: "TANDEM_WIDGET_RATE"},
		{env: map[string]string{"TANDEM_WIDGET_BURST": "0"}, want: "TANDEM_WIDGET_BURST"},
		{env: map[string]string{"TANDEM_NATS_URL": "http://nats:4222"}, want: "TANDEM_NATS_URL"},
		{env: map[string]string{"TANDEM_MAX_REQUEST_BYTES": "10"}, want: "TANDEM_MAX_REQUEST_BYTES"},
		{env: map[string]string{"TANDEM_WEBHOOK_ALLOW": "not a range"}, want: "TANDEM_WEBHOOK_ALLOW"},
		{env: map[string]string{"TANDEM_PUSH_ALLOW": "not a range"}, want: "TANDEM_PUSH_ALLOW"},
		{env: map[string]string{"TANDEM_TRUSTED_PROXIES": "10.0.0.0/33"}, want: "TANDEM_TRUSTED_PROXIES"},
		{env: map[string]string{"TANDEM_UPLOADS_PER_MINUTE": "lots"}, want: "TANDEM_UPLOADS_PER_MINUTE"},
		{env: map[string]string{"TANDEM_UPLOAD_BURST": "0"}, want: "TANDEM_UPLOAD_BURST"},
		{env: map[string]string{"TANDEM_UPLOAD_QUOTA_VISITOR": "ten megs"}, want: "TANDEM_UPLOAD_QUOTA_VISITOR"},
		{env: map[string]string{"TANDEM_SMTP_ADDR": "nonsense"}, want: "TANDEM_SMTP_ADDR"},
		{env: map[string]string{"TANDEM_MAIL_SECRET": "too short"}, want: "TANDEM_MAIL_SECRET"},
		{env: map[string]string{"TANDEM_MAIL_DNS": "127.0.0.1"}, want: "TANDEM_MAIL_DNS"},
		{env: map[string]string{"TANDEM_PUBLIC_URL": "ftp://support.example"}, want: "TANDEM_PUBLIC_URL"},
		{env: map[string]string{"TANDEM_PUBLIC_URL": "https://support.example/?a=b"}, want: "TANDEM_PUBLIC_URL"},
		{env: map[string]string{"TANDEM_MAIL_DOMAIN": "a b"}, want: "TANDEM_MAIL_DOMAIN"},
		{env: map[string]string{"TANDEM_METRICS_ADDR": "nonsense"}, want: "TANDEM_METRICS_ADDR"},
		{env: map[string]string{"TANDEM_METRICS_ADDR": "127.0.0.1:8080"}, want: "must differ from --addr"},
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

// TestSettingsAndLogger: values from the environment land in the
// configuration, and the logger writes the format asked for.
func TestSettingsAndLogger(t *testing.T) {
	t.Parallel()
	c, err := Load(t.Context(), nil, env(map[string]string{
		"TANDEM_ADDR": "0.0.0.0:9090", "TANDEM_DEMO_FORCE": "true", "TANDEM_MAIL_DNS": "127.0.0.1:5353",
		"TANDEM_MAIL_TRUSTED_SERVERS": " mx.google.com, ,mx.example ", "TANDEM_METRICS_ADDR": "off", "TANDEM_LOG_FORMAT": "json",
		"TANDEM_UPLOAD_QUOTA_WORKSPACE": "5GiB",
	}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.PublicURL != "http://localhost:9090" {
		t.Errorf("public URL on an unspecified address = %q, want http://localhost:9090", c.PublicURL)
	}
	if len(c.MailTrustedServers) != 2 || c.MailTrustedServers[1] != "mx.example" || c.MetricsAddr != "" || c.UploadQuotaWorkspace != 5<<30 {
		t.Errorf("config = trusted %q, metrics %q, quota %d", c.MailTrustedServers, c.MetricsAddr, c.UploadQuotaWorkspace)
	}
	var out strings.Builder
	c.Logger(&out).Info("hello", "n", 1)
	if !strings.HasPrefix(out.String(), "{") || !strings.Contains(out.String(), `"msg":"hello"`) {
		t.Errorf("json log line = %q", out.String())
	}
	c.LogFormat = "text"
	out.Reset()
	c.Logger(&out).Info("hello")
	if !strings.Contains(out.String(), "msg=hello") {
		t.Errorf("text log line = %q", out.String())
	}
}

// TestUserCreateFlags: `tandemd user create` takes its flags and
// environment, and names what is missing.
func TestUserCreateFlags(t *testing.T) {
	t.Parallel()
	u, err := LoadUserCreate([]string{"--email", " ann@example.test ", "--role", "Admin", "--workspace", "Acme"},
		env(map[string]string{"TANDEM_USER_PASSWORD": "long enough pw", "TANDEM_DATA_DIR": "/tmp/d"}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if u.Email != "ann@example.test" || u.Role != "admin" || u.Password != "long enough pw" || u.DataDir != "/tmp/d" || u.Workspace != "Acme" {
		t.Fatalf("user create = %+v", u)
	}
	for _, tc := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{args: nil, want: "--email is required"},
		{args: []string{"--email", "a@example.test", "--data-dir", ""}, want: "--database-url"},
		{args: []string{"--email", "a@example.test", "extra"}, want: "unexpected argument"},
		{args: []string{"--bogus"}, want: "bogus"},
	} {
		if _, err := LoadUserCreate(tc.args, env(tc.env), io.Discard); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err = %v, want it to mention %q", tc.args, err, tc.want)
		}
	}
	var usage strings.Builder
	if _, err := LoadUserCreate([]string{"--help"}, env(nil), &usage); err == nil || !strings.Contains(usage.String(), "Usage: tandemd user create") {
		t.Errorf("--help: err = %v, usage = %q", err, usage.String())
	}
}
