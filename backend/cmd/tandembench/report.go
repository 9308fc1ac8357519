package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"
)

// Report is everything one run measured.
type Report struct {
	Started time.Time `json:"started"`
	Short   bool      `json:"short"`
	Machine string    `json:"machine"`
	Commit  string    `json:"commit"`
	// Runs is how many times each scenario ran (see Check.Spread).
	Runs    int       `json:"runs"`
	Results []*Result `json:"results"`
	Errors  []string  `json:"errors,omitempty"`
}

// Result is what one scenario measured: its checked metrics and the details
// behind them.
type Result struct {
	Scenario string   `json:"scenario"`
	Seconds  float64  `json:"seconds"`
	Checks   []Check  `json:"checks"`
	Phases   []Phase  `json:"phases"`
	Notes    []string `json:"notes,omitempty"`
}

// Check is one result line: a metric measured on the baseline and on Tandem
// and the target Tandem must meet, as a ratio to the baseline or as an
// absolute value.
type Check struct {
	Metric   string   `json:"metric"`
	Baseline *float64 `json:"baseline"`
	Tandem   float64  `json:"tandem"`
	Ratio    *float64 `json:"ratio"`
	Target   string   `json:"target"`
	Pass     bool     `json:"pass"`
	// Spread is the range over the runs, when the scenario ran more than
	// once (Tandem and Ratio are then the median run's values, or the
	// worst run's for a count that must stay 0).
	Spread *Spread `json:"spread,omitempty"`

	// How the check is judged, kept to judge it again over several runs.
	bound   float64
	atLeast bool
	onRatio bool
	worst   bool // a correctness count: the worst run counts, not the median
}

// Spread is how far a check's values ranged over the runs.
type Spread struct {
	Runs      int      `json:"runs"`
	TandemMin float64  `json:"tandem_min"`
	TandemMax float64  `json:"tandem_max"`
	RatioMin  *float64 `json:"ratio_min,omitempty"`
	RatioMax  *float64 `json:"ratio_max,omitempty"`
}

// judge sets Pass from the values and the bound.
func (c *Check) judge() {
	v := c.Tandem
	if c.onRatio {
		if c.Ratio == nil {
			c.Pass = false
			return
		}
		v = *c.Ratio
	}
	if c.atLeast {
		c.Pass = v >= c.bound
	} else {
		c.Pass = v <= c.bound
	}
}

// Phase is one measured run of one system: the numbers behind the checks.
type Phase struct {
	Name string `json:"name"`
	// Run numbers the scenario's run (from 1) when it ran more than once.
	Run int `json:"run,omitempty"`
	// System is "baseline" or "tandem".
	System    string   `json:"system"`
	Ops       int64    `json:"ops"`
	Seconds   float64  `json:"seconds"`
	PerSecond float64  `json:"per_second"`
	Latency   *Summary `json:"latency_ms,omitempty"`
	// CPUPerOpMicros is server CPU (user+system) per operation.
	CPUPerOpMicros float64 `json:"server_cpu_us_per_op,omitempty"`
	// CPUCores is server CPU over wall time, in cores.
	CPUCores float64            `json:"server_cpu_cores,omitempty"`
	RSSMiB   float64            `json:"server_rss_mib,omitempty"`
	Extra    map[string]float64 `json:"extra,omitempty"`
}

func ptr(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

// ratioCheck compares tandem/baseline with a bound: atLeast for "higher is
// better" metrics, else at most.
func ratioCheck(metric string, baseline, tandem, bound float64, atLeast bool) Check {
	c := Check{Metric: metric, Baseline: ptr(baseline), Tandem: tandem, Ratio: ptr(tandem / baseline),
		bound: bound, atLeast: atLeast, onRatio: true}
	if atLeast {
		c.Target = fmt.Sprintf(">=%.2fx", bound)
	} else {
		c.Target = fmt.Sprintf("<=%.2fx", bound)
	}
	c.judge()
	if baseline == 0 && tandem == 0 && !atLeast { // both perfect (a count of errors, a latency of nothing)
		c.Ratio, c.Pass = ptr(1), true
	}
	return c
}

// absCheck compares Tandem's value with an absolute bound; the baseline's
// value (NaN when there is none) is shown for reference.
func absCheck(metric string, baseline, tandem, bound float64, atLeast bool) Check {
	c := Check{Metric: metric, Baseline: ptr(baseline), Tandem: tandem, bound: bound, atLeast: atLeast}
	if atLeast {
		c.Target = fmt.Sprintf(">=%s", num(bound))
	} else {
		c.Target = fmt.Sprintf("<=%s", num(bound))
	}
	c.judge()
	return c
}

// countCheck is a correctness count that must be 0 (lost, doubled, out of
// order): over several runs the worst run decides, never the median.
func countCheck(metric string, baseline, tandem float64) Check {
	c := absCheck(metric, baseline, tandem, 0, false)
	c.worst = true
	return c
}

// nanF is "no value", shown as "-".
func nanF() float64 { return math.NaN() }

func num(v float64) string {
	switch {
	case math.IsNaN(v):
		return "-"
	case v == math.Trunc(v) && math.Abs(v) < 1e9:
		return fmt.Sprintf("%.0f", v)
	case math.Abs(v) >= 100:
		return fmt.Sprintf("%.0f", v)
	case math.Abs(v) >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}

func opt(p *float64) string {
	if p == nil {
		return "-"
	}
	return num(*p)
}

// text is the result's lines in the report: its phases, notes, spreads and
// checks.
func (r *Result) text() string {
	var w strings.Builder
	for _, p := range r.Phases {
		var b strings.Builder
		name := p.Name
		if p.Run > 0 {
			name = fmt.Sprintf("%s(run%d)", p.Name, p.Run)
		}
		fmt.Fprintf(&b, "# %s %-22s %-8s %8s ops %7.1fs %9s/s", r.Scenario, name, p.System, num(float64(p.Ops)), p.Seconds, num(p.PerSecond))
		if p.Latency != nil {
			l := p.Latency
			fmt.Fprintf(&b, "  ms p50 %s p95 %s p99 %s p99.9 %s max %s", num(l.P50), num(l.P95), num(l.P99), num(l.P999), num(l.Max))
		}
		if p.CPUPerOpMicros > 0 {
			fmt.Fprintf(&b, "  cpu/op %sus", num(p.CPUPerOpMicros))
		}
		if p.CPUCores > 0 {
			fmt.Fprintf(&b, "  cpu %s cores", num(p.CPUCores))
		}
		if p.RSSMiB > 0 {
			fmt.Fprintf(&b, "  rss %sMiB", num(p.RSSMiB))
		}
		for _, k := range slices.Sorted(maps.Keys(p.Extra)) {
			fmt.Fprintf(&b, "  %s %s", k, num(p.Extra[k]))
		}
		w.WriteString(b.String() + "\n")
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&w, "# %s note: %s\n", r.Scenario, n)
	}
	for _, c := range r.Checks {
		if sp := c.Spread; sp != nil && (!c.worst || sp.TandemMin != sp.TandemMax) {
			how := "median"
			if c.worst {
				how = "worst"
			}
			line := fmt.Sprintf("# %s spread %s: tandem %s..%s", r.Scenario, c.Metric, num(sp.TandemMin), num(sp.TandemMax))
			if sp.RatioMin != nil && sp.RatioMax != nil {
				line += fmt.Sprintf(", ratio %.2fx..%.2fx", *sp.RatioMin, *sp.RatioMax)
			}
			fmt.Fprintf(&w, "%s over %d runs (%s shown)\n", line, sp.Runs, how)
		}
	}
	for _, c := range r.Checks {
		result := "MISS"
		if c.Pass {
			result = "PASS"
		}
		ratio := "-"
		if c.Ratio != nil {
			ratio = fmt.Sprintf("%.2fx", *c.Ratio)
		}
		fmt.Fprintf(&w, "%s %s %s %s %s %s %s\n", r.Scenario, c.Metric, opt(c.Baseline), num(c.Tandem), ratio, c.Target, result)
	}
	return w.String()
}

func (r *Report) write(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644) //nolint:gosec // a report for people and CI to read
}

// machine describes where the run happened.
func machine() string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "model name"); ok {
				model = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	host, _ := os.Hostname()
	return fmt.Sprintf("%s, %d cores (%s), %s/%s, %s", host, runtime.NumCPU(), model, runtime.GOOS, runtime.GOARCH, runtime.Version())
}
