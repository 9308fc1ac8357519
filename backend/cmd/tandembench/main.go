// Command tandembench measures Tandem against baselines run on the same
// machine in the same run, and prints one line per checked metric:
//
//	scenario metric baseline tandem ratio target PASS|MISS
//
// It builds tandemd, starts what each scenario needs on loopback (tandemd
// replicas, a private nats-server, a bare connect-go server), uses the
// MySQL/MariaDB server the DSN names (creating and dropping its own
// database per scenario), alternates baseline and Tandem phases (A B A B),
// and writes every number to a JSON file when asked. Latency scenarios send
// on a fixed schedule and time each operation from its scheduled start, so a
// stall shows in the latency instead of hiding it (no coordinated omission).
//
//	go run ./backend/cmd/tandembench [-short] [-scenario S1,S2] [-dsn DSN] [-json out.json] [-pprof DIR]
//
// Lines starting with "#" are details (percentiles, CPU, memory); the others
// are the result lines. See docs/BENCHMARKS.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"
)

// scenario is one benchmark: it returns its checks and details.
type scenario struct {
	name, title string
	run         func(ctx context.Context, e *env) (*Result, error)
}

func scenarios() []scenario {
	return []scenario{
		{"S1", "write path: SendMessage over Connect vs the same transaction in-process", runS1},
		{"S2", "delivery: widget message on replica A to agent streams on replica B vs commit + NATS", runS2},
		{"S3", "idle streams: memory and CPU of idle Watch streams vs a bare connect-go handler", runS3},
		{"S4", "fan-out: events to agent streams in one workspace vs a bare connect-go broadcaster", runS4},
		{"S5", "inbox reads: ListConversations and history vs hand-written SQL", runS5},
		{"S6", "resume storm: streams resume on B after A is killed vs raw catch-up SQL", runS6},
		{"S7a", "idle tenants: tandemd's idle CPU with 10 to 100k workspaces (AI on, a tenth with an SLA policy)", runS7a},
		{"S7b", "reaction latency: the AI agent's reply and a rule's action in one busy workspace among 10 to 100k", runS7b},
		{"S7c", "isolation: one workspace's model stalls; the AI agent answers 50 others", runS7c},
		{"S7d", "failover: two replicas, one SIGKILLed under load; every question reacted to once, work taken over", runS7d},
		{"S8", "stalled readers: agent streams' delivery p99 beside stalled streams vs without them", runS8},
		{"S9", "flood: agents' inbox reads and replies during a widget flood vs without it", runS9},
	}
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == bareCommand {
		if err := serveBare(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "bare server:", err)
			os.Exit(1)
		}
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "tandembench:", err)
		os.Exit(1)
	}
}

// options are the command line.
type options struct {
	short     bool
	scenarios []string
	dsn       string
	jsonPath  string
	tandemd   string
	pprofDir  string
	verbose   bool
	// runs is how many times each scenario runs; its figures are the
	// median run's, with the spread.
	runs int
	// lease is tandemd's reactor lease: S7d's takeover is held to it.
	lease time.Duration
}

func parse(args []string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("tandembench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	var list string
	fs.BoolVar(&o.short, "short", false, "run each scenario for a few seconds at reduced sizes (proves they work; numbers are not meaningful)")
	fs.StringVar(&list, "scenario", "", "comma-separated scenarios to run (S1..S6, S7a..S7d, S8, S9); all when empty")
	fs.StringVar(&o.dsn, "dsn", envOr("TANDEM_TEST_MYSQL_DSN", "root@tcp(127.0.0.1:3306)/test"), "MySQL/MariaDB server to use (a database is created and dropped per scenario)")
	fs.StringVar(&o.jsonPath, "json", "", "write every result and detail to this JSON file")
	fs.StringVar(&o.tandemd, "tandemd", "", "tandemd binary to run (built from this checkout when empty)")
	fs.StringVar(&o.pprofDir, "pprof", "", "run tandemd with net/http/pprof and save CPU and heap profiles of the Tandem phases in this directory")
	fs.BoolVar(&o.verbose, "v", false, "log progress to stderr")
	fs.DurationVar(&o.lease, "reactor-lease", 3*time.Second, "the reactor lease S7d gives its replicas (TANDEM_REACTOR_LEASE): it expects a killed replica's work taken over within it (plus one 1 s reactor pass)")
	fs.IntVar(&o.runs, "runs", 0, "runs of each scenario, reported as the median run with the spread (0: 3, or 1 with -short)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	switch {
	case o.runs < 0:
		return o, fmt.Errorf("-runs %d: at least 1", o.runs)
	case o.runs == 0 && o.short:
		o.runs = 1
	case o.runs == 0:
		o.runs = 3
	}
	known := map[string]string{}
	for _, s := range scenarios() {
		known[strings.ToUpper(s.name)] = s.name
	}
	for _, s := range strings.Split(list, ",") {
		if s = strings.ToUpper(strings.TrimSpace(s)); s == "" {
			continue
		}
		name, ok := known[s]
		if !ok {
			return o, fmt.Errorf("unknown scenario %q (S1..S6, S7a..S7d, S8, S9)", s)
		}
		o.scenarios = append(o.scenarios, name)
	}
	return o, nil
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parse(args, stderr)
	if err != nil {
		return err
	}
	level := slog.LevelWarn
	if o.verbose {
		level = slog.LevelInfo
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	e, err := newEnv(ctx, o, logger)
	if err != nil {
		return err
	}
	defer e.close()
	report := &Report{Started: time.Now().UTC(), Short: o.short, Machine: machine(), Commit: commit(ctx), Runs: o.runs}
	out, errOut := &lines{w: stdout}, &lines{w: stderr}
	out.printf("# tandembench %s, commit %s, %s, short=%v, %d run(s) per scenario\n", report.Started.Format(time.RFC3339), report.Commit, report.Machine, o.short, o.runs)
	out.printf("# scenario metric baseline tandem ratio target result\n")
	var failed []string
	for _, s := range scenarios() {
		if len(o.scenarios) > 0 && !slices.Contains(o.scenarios, s.name) {
			continue
		}
		out.printf("# %s %s\n", s.name, s.title)
		if err := errors.Join(out.err, errOut.err); err != nil {
			return fmt.Errorf("write the report: %w", err)
		}
		res, err := runScenario(ctx, e, s, out)
		if err != nil {
			out.printf("# %s FAILED: %v\n", s.name, err)
			errOut.printf("%s: what its processes printed last:\n%s", s.name, e.lastOutput)
			failed = append(failed, s.name)
			report.Errors = append(report.Errors, fmt.Sprintf("%s: %v", s.name, err))
			if ctx.Err() != nil {
				break
			}
			continue
		}
		out.printf("%s", res.text())
		report.Results = append(report.Results, res)
	}
	if err := errors.Join(out.err, errOut.err); err != nil {
		return fmt.Errorf("write the report: %w", err)
	}
	if o.jsonPath != "" {
		if err := report.write(o.jsonPath); err != nil {
			return err
		}
	}
	if len(failed) > 0 {
		return errors.New("scenarios failed to run: " + strings.Join(failed, ", "))
	}
	return nil
}

// runScenario runs the scenario e.o.runs times and combines the runs; a
// run that fails fails the scenario.
func runScenario(ctx context.Context, e *env, s scenario, out *lines) (*Result, error) {
	var runs []*Result
	for i := range e.o.runs {
		if e.o.runs > 1 {
			out.printf("# %s run %d of %d\n", s.name, i+1, e.o.runs)
		}
		start := time.Now()
		res, err := s.run(ctx, e)
		if err != nil {
			return nil, fmt.Errorf("run %d after %v: %w", i+1, time.Since(start).Round(time.Second), err)
		}
		res.Scenario, res.Seconds = s.name, time.Since(start).Seconds()
		runs = append(runs, res)
	}
	return combineRuns(runs)
}

// lines writes the report as the run goes and keeps the first write error,
// which ends the run after the scenario that hit it: a report nobody
// receives is not worth the minutes of measuring.
type lines struct {
	w   io.Writer
	err error
}

func (l *lines) printf(format string, a ...any) {
	if l.err == nil {
		_, l.err = fmt.Fprintf(l.w, format, a...)
	}
}
