package main

import (
	"strings"
	"testing"
)

func TestCombineRuns(t *testing.T) {
	t.Parallel()
	run := func(msgs, base, lost, p99 float64) *Result {
		return &Result{Scenario: "SX", Seconds: 1, Notes: []string{"setup"},
			Phases: []Phase{{Name: "load", System: "tandem", Ops: 10}},
			Checks: []Check{
				ratioCheck("msgs_per_s", base, msgs, 0.70, true),
				countCheck("lost", nanF(), lost),
				absCheck("p99_ms", nanF(), p99, 25, false),
			}}
	}
	// Run 2 is the median for throughput (ratio 0.75) and for p99 (20 ms);
	// one run lost a message, which the median would hide.
	got, err := combineRuns([]*Result{run(60, 100, 0, 30), run(75, 100, 2, 20), run(90, 100, 0, 10)})
	if err != nil {
		t.Fatal(err)
	}
	byMetric := map[string]Check{}
	for _, c := range got.Checks {
		byMetric[c.Metric] = c
	}
	msgs := byMetric["msgs_per_s"]
	if msgs.Tandem != 75 || *msgs.Ratio != 0.75 || !msgs.Pass {
		t.Errorf("msgs_per_s = %v ratio %v pass %v, want the median run: 75, 0.75, PASS", msgs.Tandem, *msgs.Ratio, msgs.Pass)
	}
	if sp := msgs.Spread; sp == nil || sp.Runs != 3 || sp.TandemMin != 60 || sp.TandemMax != 90 || *sp.RatioMin != 0.6 || *sp.RatioMax != 0.9 {
		t.Errorf("msgs_per_s spread = %+v, want 3 runs, 60..90, ratio 0.6..0.9", msgs.Spread)
	}
	if lost := byMetric["lost"]; lost.Tandem != 2 || lost.Pass {
		t.Errorf("lost = %v pass %v, want the worst run: 2, MISS", lost.Tandem, lost.Pass)
	}
	if p99 := byMetric["p99_ms"]; p99.Tandem != 20 || !p99.Pass {
		t.Errorf("p99_ms = %v pass %v, want the median: 20, PASS", p99.Tandem, p99.Pass)
	}
	if len(got.Phases) != 3 || got.Phases[2].Run != 3 {
		t.Errorf("phases = %+v, want each run's, numbered", got.Phases)
	}
	out := got.text()
	if !strings.Contains(out, "# SX spread msgs_per_s: tandem 60..90, ratio 0.60x..0.90x over 3 runs (median shown)") ||
		!strings.Contains(out, "SX lost - 2 - <=0 MISS") {
		t.Errorf("printed:\n%s", out)
	}

	// Of two runs, the worse one shows (no optimistic median).
	two, _ := combineRuns([]*Result{run(60, 100, 0, 30), run(90, 100, 0, 10)})
	if c := two.Checks[0]; c.Tandem != 60 {
		t.Errorf("msgs_per_s of two runs = %v, want the worse, 60", c.Tandem)
	}
	if c := two.Checks[2]; c.Tandem != 30 {
		t.Errorf("p99_ms of two runs = %v, want the worse, 30", c.Tandem)
	}

	// Runs that report different checks cannot be combined.
	other := run(1, 1, 0, 1)
	other.Checks = other.Checks[1:]
	if _, err := combineRuns([]*Result{run(1, 1, 0, 1), other}); err == nil {
		t.Error("combined runs with different checks")
	}
	// One run is itself.
	one := run(1, 2, 0, 3)
	if got, _ := combineRuns([]*Result{one}); got != one || got.Checks[0].Spread != nil {
		t.Error("a single run was changed")
	}
}
