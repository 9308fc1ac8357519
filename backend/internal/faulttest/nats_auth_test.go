package faulttest_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/tandem-inbox/tandem/backend/internal/fleet"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
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
	withUser := rpctest.NATS(t, "--user", user, "--pass", password).Addr
	withToken := rpctest.NATS(t, "--auth", token).Addr
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
