package knowledge

import (
	"bufio"
	"bytes"
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/tandem-inbox/tandem/backend/internal/apperr"
)

// A Worker parses documents in processes of their own: one for each
// document, started from Command, with a bounded resident memory, a CPU
// time limit and a lower CPU priority than the server's. A document is
// untrusted input, and the parsers are large: whatever one does with a
// hostile document, a runaway allocation, a crash or a loop, ends that
// process, never the server, and leaves the cores to the API first.
type Worker struct {
	// Command is the worker program and its arguments: a program that
	// calls ServeWorker (tandemd's is `tandemd parse-worker`).
	Command []string
	// Env is the worker's whole environment (nothing of the server's is
	// passed on: no secrets, no database address).
	Env []string
	// MaxMemory bounds the worker's resident memory in bytes; past it the
	// worker is killed and the document refused. 0 means 512 MiB.
	MaxMemory int64
}

// defaultWorkerMemory is a parse's memory bound: the parsers' own bounds
// (8 MiB of text, 16 MiB of rendered HTML, a PDF's decoded streams) keep
// a parse far under it; it is there for what they did not foresee.
const defaultWorkerMemory = 512 << 20

// errParseMemory and errParserCrashed answer a document whose worker was
// ended.
var (
	errParseMemory   = apperr.Invalid("content", "took more memory to read than a document may")
	errParserCrashed = apperr.Invalid("content", "could not be read: the parser stopped on it")
)

// request and response are what passes between the server and a worker,
// in gob.
type (
	request struct {
		Format   Format
		Filename string
		Content  []byte
	}
	response struct {
		Parsed Parsed
		Err    *wireError
	}
	wireError struct {
		Kind                  apperr.Kind
		Public, Field, Detail string
		Cause                 string // logged by the server, never sent
	}
)

// Parse is Parse in a worker. The worker is killed when ctx ends (and the
// call answers ctx's error), when its memory passes MaxMemory, and when it
// runs out of CPU time; a document that ends its worker is refused with
// InvalidArgument naming the content.
func (w Worker) Parse(ctx context.Context, format Format, filename string, content []byte) (Parsed, error) {
	if len(w.Command) == 0 {
		return Parsed{}, errors.New("knowledge: a worker needs a command")
	}
	var in bytes.Buffer
	if err := gob.NewEncoder(&in).Encode(request{Format: format, Filename: filename, Content: content}); err != nil {
		return Parsed{}, fmt.Errorf("knowledge: encode the parse request: %w", err)
	}
	cmd := exec.CommandContext(ctx, w.Command[0], w.Command[1:]...) //nolint:gosec // the server's own worker program
	cmd.Env = w.Env
	if cmd.Env == nil {
		cmd.Env = []string{}
	}
	cmd.Stdin = &in
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &limitedWriter{w: &stderr, n: 16 << 10}
	cmd.WaitDelay = time.Second
	if err := cmd.Start(); err != nil {
		return Parsed{}, fmt.Errorf("knowledge: start the parse worker: %w", err)
	}
	limit := w.MaxMemory
	if limit <= 0 {
		limit = defaultWorkerMemory
	}
	overMemory := watchMemory(cmd.Process, limit)
	err := cmd.Wait()
	over := overMemory()
	switch {
	case ctx.Err() != nil:
		return Parsed{}, ctx.Err()
	case over:
		return Parsed{}, errParseMemory
	case err != nil:
		e := apperr.Wrap(apperr.InvalidArgument, errParserCrashed.Public,
			fmt.Errorf("parse worker: %w: %s", err, strings.TrimSpace(stderr.String())))
		e.Field = errParserCrashed.Field
		return Parsed{}, e
	}
	var resp response
	if err := gob.NewDecoder(&out).Decode(&resp); err != nil {
		return Parsed{}, fmt.Errorf("knowledge: read the parse worker's answer: %w", err)
	}
	if e := resp.Err; e != nil {
		return Parsed{}, e.error()
	}
	return resp.Parsed, nil
}

// error is the worker's error again, its cause (for the log) as text.
func (e *wireError) error() error {
	if e.Cause == "" {
		return &apperr.Error{Kind: e.Kind, Public: e.Public, Field: e.Field, Detail: e.Detail}
	}
	out := apperr.Wrap(e.Kind, e.Public, errors.New(e.Cause)).WithDetail(e.Detail)
	out.Field = e.Field
	return out
}

// watchMemory checks the process's resident memory every 20 ms until it
// exits, and kills it once past limit. The function it returns, called
// after the process was waited for, reports whether it was killed so.
func watchMemory(p *os.Process, limit int64) (killed func() bool) {
	done, result := make(chan struct{}), make(chan bool, 1)
	go func() {
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				result <- false
				return
			case <-t.C:
			}
			if rss, ok := residentBytes(p.Pid); ok && rss > limit {
				_ = p.Kill()
				result <- true
				return
			}
		}
	}()
	return func() bool {
		close(done)
		return <-result
	}
}

// residentBytes is a process's resident memory, from /proc (Linux); false
// where that cannot be read (the worker's own limits still hold there).
func residentBytes(pid int) (int64, bool) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, false
	}
	defer func() { _ = f.Close() }()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10, err == nil
		}
	}
	return 0, false
}

// limitedWriter keeps the first n bytes written to it.
type limitedWriter struct {
	w io.Writer
	n int
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if keep := min(len(p), l.n); keep > 0 {
		_, _ = l.w.Write(p[:keep])
		l.n -= keep
	}
	return len(p), nil
}

// workerNice is the worker's CPU priority: where the API and parses want
// more CPU than there is, the API (nice 0) gets about three times a
// worker's share. Lower (10, a tenth) kept parses waiting tens of seconds
// behind a busy API (TestParsingLeavesAPIResponsive).
const workerNice = 5

// workerCPU is the CPU time a worker may use: past it the kernel ends it.
// Parse gives up after parseTimeout of wall time; this catches what
// spins where no deadline is checked.
const workerCPU = 2 * parseTimeout

// ServeWorker is a worker's side: it lowers its own priority and limits
// its CPU time and heap, reads one request from r, parses it and writes
// the answer to w. A program that is a worker calls it and exits.
func ServeWorker(r io.Reader, w io.Writer) error {
	if err := limitSelf(workerCPU.Seconds()); err != nil {
		return err
	}
	// The garbage collector works harder as the heap nears the bound,
	// well before the server's watch would kill the worker.
	debug.SetMemoryLimit(defaultWorkerMemory / 2)
	var req request
	if err := gob.NewDecoder(r).Decode(&req); err != nil {
		return fmt.Errorf("read the parse request: %w", err)
	}
	p, err := Parse(context.Background(), req.Format, req.Filename, req.Content)
	var resp response
	if err != nil {
		var e *apperr.Error
		if !errors.As(err, &e) {
			e = apperr.Wrap(apperr.Internal, "the document could not be read", err)
		}
		resp.Err = &wireError{Kind: e.Kind, Public: e.Public, Field: e.Field, Detail: e.Detail}
		if cause := e.Unwrap(); cause != nil {
			resp.Err.Cause = cause.Error()
		}
	} else {
		resp.Parsed = p
	}
	return gob.NewEncoder(w).Encode(resp)
}
