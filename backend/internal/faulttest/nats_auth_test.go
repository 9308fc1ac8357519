package faulttest_test

import (
	"bufio"
	"context"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tandem-inbox/tandem/backend/internal/fleet"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// TestNATSAuth runs two nats-servers that demand credentials, one a user
// and password, one a token. Replicas given the right ones in
// TANDEM_NATS_URL connect (tandem_nats_connected is 1). A replica given
// wrong ones, or none, stops at startup with an error that says NATS
// refused it and does not print the secret, instead of serving without
// wake-ups from the other replicas.
func TestNATSAuth(t *testing.T) {
	needProcesses(t)
	t.Parallel()
	const user, password, token = "tandem", "nats-pass-3c1d", "nats-token-9f2e"
	withUser := startAuthNATS(t, "--user", user, "--pass", password)
	withToken := startAuthNATS(t, "--auth", token)
	bin, err := fleet.BuildTandemd(t.Context(), binDir)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, url string
		ok        bool
		secret    string // must not be printed
	}{
		{"password", "nats://" + user + ":" + password + "@" + withUser, true, ""},
		{"token", "nats://" + token + "@" + withToken, true, ""},
		{"wrong password", "nats://" + user + ":not-" + password + "@" + withUser, false, "not-" + password},
		{"no credentials", "nats://" + withUser, false, ""},
		{"wrong token", "nats://not-" + token + "@" + withToken, false, "not-" + token},
		{"no token", "nats://" + withToken, false, ""},
	}
	// Every replica starts at once, each on its own database: only NATS
	// matters here.
	replicas, errs := make([]*fleet.Tandemd, len(cases)), make([]error, len(cases))
	var wg sync.WaitGroup
	for i, tc := range cases {
		wg.Go(func() {
			addr, err := fleet.FreeAddr(t.Context())
			if err == nil {
				replicas[i], err = fleet.StartTandemd(t.Context(), bin, addr, map[string]string{
					"TANDEM_DATA_DIR":  t.TempDir(), // its own SQLite database
					"TANDEM_REACTORS":  "false",
					"TANDEM_LOG_LEVEL": "warn",
					"TANDEM_NATS_URL":  tc.url,
				})
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := replicas[i], errs[i]
			if r != nil {
				t.Cleanup(r.Kill)
			}
			if tc.ok {
				if err != nil {
					t.Fatalf("tandemd with the right credentials: %v", err)
				}
				if v, err := fleet.Metric(t.Context(), r.MetricsURL, "tandem_nats_connected"); err != nil || v != 1 {
					t.Errorf("tandem_nats_connected %v (%v)", v, err)
				}
				return
			}
			if err == nil {
				t.Fatal("tandemd started and served although NATS refused its credentials")
			}
			msg := err.Error()
			if !strings.Contains(msg, "exited before it was ready") || !strings.Contains(strings.ToLower(msg), "authorization violation") {
				t.Errorf("tandemd did not stop at startup saying NATS refused it:\n%s", msg)
			}
			if tc.secret != "" && strings.Contains(msg, tc.secret) {
				t.Errorf("tandemd printed the NATS secret:\n%s", msg)
			}
		})
	}
}

// startAuthNATS starts a private nats-server with the further arguments
// (its authentication), killed when the test ends, and returns its address.
func startAuthNATS(t *testing.T, args ...string) string {
	t.Helper()
	bin, err := exec.LookPath("nats-server")
	if err != nil { // Debian installs it outside a user's PATH
		bin = "/usr/sbin/nats-server"
		if _, err := os.Stat(bin); err != nil {
			storetest.Missing(t, "nats-server is not installed")
		}
	}
	addr, err := fleet.FreeAddr(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(addr)
	p, err := fleet.StartProcess("nats-server "+addr, bin, append([]string{"-a", host, "-p", port}, args...), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Kill)
	for deadline := time.Now().Add(10 * time.Second); !greets(t.Context(), addr); {
		if p.Exited() || time.Now().After(deadline) {
			t.Fatalf("nats-server %v did not start:\n%s", args, p.Output())
		}
		time.Sleep(25 * time.Millisecond)
	}
	return addr
}

// greets reports whether a NATS server answers a connection with its INFO
// line.
func greets(ctx context.Context, addr string) bool {
	c, err := (&net.Dialer{Timeout: time.Second}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return false
	}
	defer func() { _ = c.Close() }()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && strings.HasPrefix(line, "INFO ")
}
