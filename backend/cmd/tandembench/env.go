package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/tandem-inbox/tandem/backend/internal/fleet"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/server"
	"github.com/tandem-inbox/tandem/backend/internal/store"
)

const (
	ownerEmail    = "bench-owner@example.test"
	ownerPassword = "bench password 1234"
)

// env is what every scenario shares: the options, a scratch directory and
// the tandemd binary.
type env struct {
	o      options
	logger *slog.Logger
	dir    string
	bin    string
	self   string // this binary, which also serves the bare baseline
	// lastOutput is the tail of what the last stage's processes printed,
	// for the report of a scenario that failed.
	lastOutput string
}

func newEnv(ctx context.Context, o options, logger *slog.Logger) (*env, error) {
	if _, err := store.MySQLConfig(o.dsn); err != nil {
		return nil, fmt.Errorf("-dsn: %w", err)
	}
	dir, err := os.MkdirTemp("", "tandembench-")
	if err != nil {
		return nil, err
	}
	e := &env{o: o, logger: logger, dir: dir, bin: o.tandemd}
	if e.self, err = os.Executable(); err != nil {
		e.close()
		return nil, err
	}
	switch {
	case o.pprofDir != "":
		logger.Info("building tandemd -tags pprof")
		if err := os.MkdirAll(o.pprofDir, 0o750); err != nil {
			e.close()
			return nil, err
		}
		if e.bin, err = buildProfiled(ctx, dir); err != nil {
			e.close()
			return nil, err
		}
	case e.bin == "":
		logger.Info("building tandemd")
		if e.bin, err = fleet.BuildTandemd(ctx, dir); err != nil {
			e.close()
			return nil, err
		}
	}
	return e, nil
}

func (e *env) close() { _ = os.RemoveAll(e.dir) } //nolint:gosec // its own temporary directory

// pick returns short in -short runs, full otherwise.
func pick[T any](e *env, full, short T) T {
	if e.o.short {
		return short
	}
	return full
}

// rounds is how many times the scenarios that alternate baseline and
// Tandem phases run each: twice (A B A B), once in -short runs, which only
// prove that the scenarios work.
func (e *env) rounds() int { return pick(e, 2, 1) }

// alternation describes rounds of alternating phases for a scenario's notes.
func alternation(rounds int) string { return strings.TrimSpace(strings.Repeat("A B ", rounds)) }

// stage is one scenario's world: its own database, and the processes it
// starts, all removed by close.
type stage struct {
	e        *env
	db       *fleet.Database
	nats     *fleet.NATS
	replicas []*fleet.Tandemd
	owner    *rpcclient.Owner
	bare     *fleet.Process
	inproc   *server.Server
	pprof    map[*fleet.Tandemd]string // profiler address of each replica, with -pprof
}

func (e *env) newStage(ctx context.Context) (*stage, error) {
	db, err := fleet.CreateDatabase(ctx, e.o.dsn, "tandem_bench")
	if err != nil {
		return nil, err
	}
	return &stage{e: e, db: db, pprof: map[*fleet.Tandemd]string{}}, nil
}

func (s *stage) close() {
	var out strings.Builder
	for _, r := range s.replicas {
		r.Kill()
		fmt.Fprintf(&out, "--- tandemd %s:\n%s\n", r.Addr, tail(r.Output(), 2000))
	}
	s.e.lastOutput = out.String()
	if s.bare != nil {
		s.bare.Kill()
	}
	if s.nats != nil {
		s.nats.Kill()
	}
	if s.inproc != nil {
		_ = s.inproc.Close()
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := s.db.Drop(ctx); err != nil {
		s.e.logger.Warn("drop database", "name", s.db.Name, "error", err)
	}
}

func (s *stage) startNATS(ctx context.Context) error {
	n, err := fleet.StartNATS(ctx)
	if err != nil {
		return err
	}
	s.nats = n
	return nil
}

// startReplicas starts n tandemd processes on the stage's database (and its
// NATS, if started) with production defaults but for the extra settings,
// then signs the bootstrap owner in. Widget rate limits and abuse caps are
// off (the load comes from one IP and a few principals), and so are the
// reactors.
func (s *stage) startReplicas(ctx context.Context, n int, extra map[string]string) error {
	for range n {
		env := map[string]string{
			"TANDEM_DATABASE_URL":       s.db.URL,
			"TANDEM_DATA_DIR":           s.e.dir,
			"TANDEM_BOOTSTRAP_EMAIL":    ownerEmail,
			"TANDEM_BOOTSTRAP_PASSWORD": ownerPassword,
			"TANDEM_WIDGET_RATE":        "0",
			// Nor are abuse limits made for the internet: the scenarios
			// open thousands of streams and sessions as a few principals.
			"TANDEM_WIDGET_SESSIONS_PER_MINUTE":    "0",
			"TANDEM_WORKSPACE_SESSIONS_PER_MINUTE": "0",
			"TANDEM_WIDGET_MAX_OPEN_CONVERSATIONS": "0",
			"TANDEM_MAX_STREAMS_PER_VISITOR":       "0",
			"TANDEM_MAX_STREAMS_PER_MEMBER":        "0",
			"TANDEM_MAX_STREAMS_PER_ADDRESS":       "0",
			// One owner makes every scenario's workspaces.
			"TANDEM_MAX_WORKSPACES_PER_USER": "1000000",
			"TANDEM_LOG_LEVEL":               "error",
			// The paths the scenarios measure, without the AI agent and
			// rules reacting to every customer message.
			"TANDEM_REACTORS": "false",
		}
		if s.nats != nil {
			env["TANDEM_NATS_URL"] = s.nats.URL()
		}
		for k, v := range extra {
			env[k] = v
		}
		var pprofAddr string
		if s.e.o.pprofDir != "" {
			a, err := fleet.FreeAddr(ctx)
			if err != nil {
				return err
			}
			pprofAddr, env["TANDEMBENCH_PPROF_ADDR"] = a, a
		}
		addr, err := fleet.FreeAddr(ctx)
		if err != nil {
			return err
		}
		r, err := fleet.StartTandemd(ctx, s.e.bin, addr, env)
		if err != nil {
			return err
		}
		s.replicas = append(s.replicas, r)
		s.pprof[r] = pprofAddr
	}
	var err error // (through one just started: an earlier one may be gone)
	s.owner, err = rpcclient.Login(ctx, s.replicas[len(s.replicas)-n].URL, ownerEmail, ownerPassword)
	return err
}

// inProcess builds Tandem's services in this process on the stage's
// database (a pool configured like tandemd's), without serving them: the
// baseline that runs the same transactions with no RPC layer.
func (s *stage) inProcess(ctx context.Context) (*server.Server, error) {
	cfg := fleet.InProcessConfig(store.Options{URL: s.db.URL})
	srv, err := server.New(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return nil, err
	}
	s.inproc = srv
	return srv, nil
}

// sqlDB opens a plain database/sql pool on the stage's database, sized
// like tandemd's.
func (s *stage) sqlDB() (*sql.DB, error) {
	cfg, err := store.MySQLConfig(s.db.URL)
	if err != nil {
		return nil, err
	}
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(32)
	db.SetMaxIdleConns(32)
	return db, nil
}

// tail is the end of s, at most n bytes.
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}

// commit is the checkout's commit, for the report.
func commit(ctx context.Context) string {
	_, file, _, _ := runtime.Caller(0)
	out, err := exec.CommandContext(ctx, "git", "-C", filepath.Dir(file), "rev-parse", "--short", "HEAD").Output() //nolint:gosec // git in this checkout's directory
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(out))
}
