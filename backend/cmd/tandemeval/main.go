// Command tandemeval measures the AI agent end to end, as an outside tester
// would: it starts tandemd in this process on a fresh SQLite database, puts
// each of its own document sets (an online shop's and a SaaS product's help
// centers) into its own workspace through the API, turns the AI agent on,
// and asks every case of its evaluation set as a widget customer, in a new
// conversation each. It prints a table per mode, the headline figures
// against their targets, and every failure:
//
//	go run ./cmd/tandemeval [-mode extractive|model|both] [-json FILE] [-v]
//
// In the extractive mode tandemd has no model; in the model mode it calls a
// scripted, gullible OpenAI-compatible model served by this command on
// loopback (see scriptedModel). It exits with status 1 when a target is
// missed. See docs/AI.md, "Evaluation".
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/conversation"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	reports, err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "tandemeval:", err)
		os.Exit(2)
	}
	for _, r := range reports {
		if len(r.Missed) > 0 {
			os.Exit(1)
		}
	}
}

// options are the command line.
type options struct {
	modes     []string
	jsonPath  string
	verbose   bool
	parallel  int
	wait      time.Duration
	serverLog bool
}

func parse(args []string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("tandemeval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	mode := fs.String("mode", "both", "extractive (no model), model (the scripted model) or both")
	var o options
	fs.StringVar(&o.jsonPath, "json", "", "write every result to this JSON file")
	fs.BoolVar(&o.verbose, "v", false, "print the passes too, not only the failures")
	fs.IntVar(&o.parallel, "parallel", 4, "conversations asked at once")
	fs.DurationVar(&o.wait, "wait", 10*time.Second, "longest wait for the AI agent after each customer message")
	fs.BoolVar(&o.serverLog, "server-log", false, "print tandemd's warnings and errors on stderr")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	switch *mode {
	case "extractive", "model":
		o.modes = []string{*mode}
	case "both":
		o.modes = []string{"extractive", "model"}
	default:
		return o, fmt.Errorf("-mode: %q is not extractive, model or both", *mode)
	}
	if o.parallel < 1 {
		return o, errors.New("-parallel: must be at least 1")
	}
	if o.wait <= 0 {
		return o, errors.New("-wait: must be positive")
	}
	return o, nil
}

// run evaluates each mode asked for and prints the report.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) ([]ModeReport, error) {
	o, err := parse(args, stderr)
	if err != nil {
		return nil, err
	}
	suite, err := LoadSuite()
	if err != nil {
		return nil, err
	}
	var reports []ModeReport
	for _, mode := range o.modes {
		r, err := evaluate(ctx, suite, mode, o, stderr)
		if err != nil {
			return nil, fmt.Errorf("mode %s: %w", mode, err)
		}
		reports = append(reports, r)
	}
	var b strings.Builder
	for _, r := range reports {
		r.writeTable(&b)
		b.WriteString("\n")
	}
	for _, r := range reports {
		fmt.Fprintf(&b, "== mode %s: %s\n", r.Mode, map[bool]string{true: "every case", false: "failures"}[o.verbose])
		r.writeCases(&b, o.verbose)
		b.WriteString("\n")
	}
	if _, err := io.WriteString(stdout, b.String()); err != nil {
		return reports, fmt.Errorf("write the report: %w", err)
	}
	if o.jsonPath != "" {
		out, _ := json.MarshalIndent(map[string]any{"modes": reports}, "", "  ")
		if err := os.WriteFile(o.jsonPath, append(out, '\n'), 0o644); err != nil { //nolint:gosec // a report for people and CI to read
			return reports, err
		}
	}
	return reports, nil
}

// evaluate runs every case in one mode, on its own server, with one
// workspace per document set.
func evaluate(ctx context.Context, suite Suite, mode string, o options, stderr io.Writer) (_ ModeReport, err error) {
	var model *modelServer
	llmURL := ""
	if mode == "model" {
		if model, err = startModel(ctx); err != nil {
			return ModeReport{}, err
		}
		defer func() { err = errors.Join(err, model.close()) }()
		llmURL = model.url
	}
	logOut := io.Discard
	if o.serverLog {
		logOut = stderr
	}
	t, err := startTandem(ctx, llmURL, logOut)
	if err != nil {
		return ModeReport{}, err
	}
	defer func() { err = errors.Join(err, t.close()) }()
	spaces := map[string]workspace{}
	for _, set := range suite.setNames() {
		ws, err := t.newWorkspace(ctx, set, suite.Sets[set])
		if err != nil {
			return ModeReport{}, err
		}
		spaces[set] = ws
	}

	transcripts := make([]Transcript, len(suite.Cases))
	errs := make([]error, len(suite.Cases))
	next := make(chan int)
	var wg sync.WaitGroup
	for range o.parallel {
		wg.Go(func() {
			for i := range next {
				c := suite.Cases[i]
				transcripts[i], errs[i] = t.converse(ctx, spaces[c.Set], c, o.wait)
			}
		})
	}
	for i := range suite.Cases {
		next <- i
	}
	close(next)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return ModeReport{}, err
	}

	sc := scorer{canaries: suite.Canaries, documents: map[string]string{}}
	for set, docs := range suite.Sets {
		for _, d := range docs {
			sc.documents[set] += string(d.Content) + "\n"
		}
	}
	if model != nil {
		sc.prompts = model.model.SystemPrompts()
	}
	handoffs := map[string]map[string]*tandemv1.Handoff{}
	for _, set := range suite.setNames() {
		if handoffs[set], err = t.handoffs(ctx, spaces[set]); err != nil {
			return ModeReport{}, err
		}
	}
	results := make([]Result, len(suite.Cases))
	for i, c := range suite.Cases {
		results[i] = sc.score(c, transcripts[i])
		if h, ok := handoffs[c.Set][transcripts[i].ConversationID]; ok {
			results[i].HandoffReason, results[i].HandoffDetail = string(conversation.HandoffReasonFromProto(h.GetReason())), h.GetDetail()
		}
	}
	r := summarize(mode, results)
	if model != nil {
		r.ModelCalls = model.model.Calls()
	}
	return r, nil
}
