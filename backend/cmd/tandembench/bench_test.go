package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tandem-inbox/tandem/backend/internal/fleet"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// TestShortRun builds the tool and runs every scenario with -short against
// the test MySQL server: each must run, print its result lines, and keep
// the correctness checks (nothing lost, doubled or out of order). The
// performance numbers of a short run mean nothing and are not checked.
//
// S7's scenarios must also have done what they claim: every question got
// its reactions within the wait (the AI agent's answers, not handoffs, from
// the uploaded document), and the stalled model was really called. S8's
// stalled streams must really have stalled: tandemd cut some. S9's flood
// must really have been refused, and no agent call.
func TestShortRun(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs the load tool with tandemd replicas")
	}
	storetest.NeedMySQL(t) // the scenarios run replicas on one database
	dsn := os.Getenv(storetest.EnvMySQL)
	if _, err := exec.LookPath("nats-server"); err != nil {
		if _, err := os.Stat("/usr/sbin/nats-server"); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatal("nats-server is not installed (CI installs Debian's nats-server): S2 and S6 need it")
			}
			t.Skip("nats-server is not installed: S2 and S6 need it")
		}
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "tandembench")
	if err := fleet.Build(t.Context(), bin, "./cmd/tandembench"); err != nil {
		t.Fatal(err)
	}
	jsonPath := filepath.Join(dir, "out.json")
	// End the tool (and, through it, its servers) before the test's own
	// deadline, so that a slow machine fails with the tool's output.
	ctx := t.Context()
	if deadline, ok := t.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline.Add(-30*time.Second))
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, bin, "-short", "-dsn", dsn, "-json", jsonPath)
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 20 * time.Second
	out, err := cmd.Output()
	t.Logf("tandembench -short:\n%s", out)
	if err != nil {
		var stderr []byte
		if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
			stderr = ee.Stderr
		}
		t.Fatalf("tandembench: %v\n%s", err, stderr)
	}

	// Every scenario printed result lines of the documented shape.
	lines := map[string][]string{}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 7 || (f[6] != "PASS" && f[6] != "MISS") {
			t.Errorf("malformed result line %q: want scenario metric baseline tandem ratio target PASS|MISS", line)
			continue
		}
		lines[f[0]] = append(lines[f[0]], line)
	}
	for _, s := range scenarios() {
		if len(lines[s.name]) == 0 {
			t.Errorf("%s printed no result lines", s.name)
		}
	}

	// The correctness checks hold even in a short run.
	var report Report
	b, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &report); err != nil {
		t.Fatalf("JSON report: %v", err)
	}
	if len(report.Errors) > 0 {
		t.Errorf("scenarios failed: %v", report.Errors)
	}
	correctness := map[string]bool{"lost": true, "duplicated": true, "out_of_order": true, "gaps": true, "duplicates": true,
		"not_in_log": true, "ai_reply_lost": true, "ai_reply_doubled": true, "rule_action_lost": true, "rule_action_doubled": true}
	seen := 0
	for _, r := range report.Results {
		for _, c := range r.Checks {
			if correctness[c.Metric] {
				seen++
				if !c.Pass {
					t.Errorf("%s %s = %v: nothing may be lost, doubled or reordered", r.Scenario, c.Metric, c.Tandem)
				}
			}
		}
		for _, c := range r.Checks {
			if (c.Metric == "model_stalls" || c.Metric == "stalled_handed_off") && !c.Pass {
				t.Errorf("%s %s = %v: the stalled model was not exercised as the scenario claims", r.Scenario, c.Metric, c.Tandem)
			}
		}
		for _, p := range r.Phases {
			if p.System != "tandem" {
				continue
			}
			if strings.HasPrefix(r.Scenario, "S7") && p.Extra["probes"] > 0 {
				if p.Extra["no_ai_reply"] != 0 || p.Extra["no_rule_action"] != 0 || p.Extra["failed_sends"] != 0 {
					t.Errorf("%s %s: questions without a reaction: %v", r.Scenario, p.Name, p.Extra)
				}
				if !strings.HasPrefix(p.Name, "stalled") && p.Extra["answers"] == 0 {
					t.Errorf("%s %s: the AI agent answered nothing (%v): the document or questions no longer match", r.Scenario, p.Name, p.Extra)
				}
			}
			// S8's stalled streams must really have stalled: tandemd cut
			// them (its send timeout is 1 s in a short run).
			if r.Scenario == "S8" && p.Extra["stalled_cut"] == 0 {
				t.Errorf("S8 %s: no stalled stream was cut (%v): the streams did not stall as the scenario claims", p.Name, p.Extra)
			}
			// S9's flood must really have met the limits, both a session's
			// budget and the workspace's budget of new sessions, while the
			// agents beside it were never refused.
			if r.Scenario == "S9" && (p.Extra["flood_calls_refused"] == 0 || p.Extra["flood_addrs_refused"] == 0 || p.Extra["agent_refused"] != 0) {
				t.Errorf("S9 %s: the flood was not refused, or an agent was (%v)", p.Name, p.Extra)
			}
			// (Failed sends are not counted: a send that times out on a
			// starved machine was never acknowledged, so nothing is lost.)
			for _, k := range []string{"lost", "duplicated", "out_of_order"} {
				if v := p.Extra[k]; v != 0 {
					t.Errorf("%s %s: %s = %v", r.Scenario, p.Name, k, v)
				}
			}
		}
	}
	if seen < 11 {
		t.Errorf("only %d correctness checks reported (S2 and S6 report lost/gaps, duplicates and order; S7d lost and doubled reactions)", seen)
	}
}
