package config

import (
	"io"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestDefaults(t *testing.T) {
	c, err := Load(nil, env(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:8080" || c.DataDir != "./tandem-data" || c.DatabaseURL != "" || c.Demo ||
		c.ShutdownTimeout != 15*time.Second || c.MaxRequestBytes != 1<<20 {
		t.Fatalf("defaults = %+v", c)
	}
}

func TestFlagsOverrideEnv(t *testing.T) {
	c, err := Load([]string{"--addr", "127.0.0.1:9999", "--demo"}, env(map[string]string{
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
		_, err := Load(tc.args, env(tc.env), io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v %v: err = %v, want it to mention %q", tc.env, tc.args, err, tc.want)
		}
	}
}
