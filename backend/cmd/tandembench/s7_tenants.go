package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/tandem-inbox/tandem/backend/internal/fleet"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
)

// tenantWorld is S7a's and S7b's stage: a database that grows to N
// workspaces (each with the AI agent on, a tenth with an SLA policy too),
// and a tandemd with its reactors on, started afresh at each size.
type tenantWorld struct {
	s      *stage
	db     *sql.DB
	seeder *tenantSeeder
	n      int
	busy   *aiWorkspace   // S7b's probed workspace, when asked for
	live   *fleet.Tandemd // the measured replica
}

// newTenantWorld makes the templates (and the busy workspace) through a
// tandemd whose reactors then catch up with them, as a long-running server
// would have (copies of a template that was never reacted to would all be
// caught up at once by the measured replica: not idle); it then stops, and
// the measured replicas start at each size.
func newTenantWorld(ctx context.Context, e *env, busy bool) (*tenantWorld, error) {
	s, err := e.newStage(ctx)
	if err != nil {
		return nil, err
	}
	w := &tenantWorld{s: s}
	if err := w.setup(ctx, busy); err != nil {
		w.close()
		return nil, err
	}
	return w, nil
}

func (w *tenantWorld) setup(ctx context.Context, busy bool) error {
	s := w.s
	if err := s.startReplicas(ctx, 1, map[string]string{"TANDEM_REACTORS": "true"}); err != nil {
		return err
	}
	r := s.replicas[0]
	plain, err := s7Template(ctx, r.URL, s.owner.Token, "S7 tenant", false)
	if err != nil {
		return err
	}
	withSLA, err := s7Template(ctx, r.URL, s.owner.Token, "S7 tenant with SLA", true)
	if err != nil {
		return err
	}
	w.n = 2
	if busy {
		if w.busy, err = newAIWorkspace(ctx, r.URL, s.owner.Token, "S7 busy shop", "Help", true); err != nil {
			return err
		}
		w.n++
	}
	if w.db, err = s.sqlDB(); err != nil {
		return err
	}
	if err := caughtUp(ctx, w.db); err != nil {
		return err
	}
	// Stopped, not killed: it gives its shards back, and the next replica
	// reacts at once instead of after their lease.
	if err := r.Stop(20 * time.Second); err != nil {
		return err
	}
	// Nine in ten copy the plain template, one the one with an SLA policy.
	w.seeder, err = newTenantSeeder(ctx, w.db, s.owner.UserID, []string{plain, withSLA}, []int{0, 0, 0, 0, 0, 0, 0, 0, 0, 1})
	return err
}

func (w *tenantWorld) close() {
	if w.db != nil {
		_ = w.db.Close()
	}
	w.s.close()
}

// grow stops the last tandemd (which gives its shards back), seeds
// workspaces up to n in all and starts a fresh tandemd (reactors on); it
// returns how long seeding took.
func (w *tenantWorld) grow(ctx context.Context, n int) (time.Duration, error) {
	if w.live != nil {
		if err := w.live.Stop(20 * time.Second); err != nil {
			return 0, err
		}
	}
	start := time.Now()
	if n > w.n {
		if err := w.seeder.seed(ctx, n-w.n); err != nil {
			return 0, err
		}
		w.n = n
	}
	took := time.Since(start)
	if err := w.s.startReplicas(ctx, 1, map[string]string{"TANDEM_REACTORS": "true"}); err != nil {
		return took, err
	}
	w.live = w.s.replicas[len(w.s.replicas)-1]
	return took, nil
}

// runS7a measures tandemd's CPU while nothing happens, as the number of
// workspaces grows from 10 to 100k: the reactors should cost nothing per
// idle workspace. Workspaces are copies (by SQL) of two made through the
// API. The baseline column shows the 10-workspace figure for reference.
func runS7a(ctx context.Context, e *env) (*Result, error) {
	var (
		sizes  = pick(e, []int{10, 1000, 10000, 100000}, []int{10, 100, 300})
		settle = pick(e, 20*time.Second, 2*time.Second)
		window = pick(e, 30*time.Second, 3*time.Second)
	)
	w, err := newTenantWorld(ctx, e, false)
	if err != nil {
		return nil, err
	}
	defer w.close()
	dbPid := processNamed("mariadbd", "mysqld")
	res := &Result{Notes: []string{fmt.Sprintf("workspaces %v, each with the AI agent on, one in ten with an SLA policy (copies by SQL of two made through the API); a fresh tandemd (reactors on) per size, %v to settle, then a %v idle window",
		sizes, settle, window)}}
	if dbPid == 0 {
		res.Notes = append(res.Notes, "no local mariadbd found: its CPU is not reported")
	}
	cpu := map[int]float64{}
	for _, n := range sizes {
		seeded, err := w.grow(ctx, n)
		if err != nil {
			return nil, fmt.Errorf("%d workspaces: %w", n, err)
		}
		time.Sleep(settle) // the first passes after a start are not idle
		meter := meterServer(w.live.Pid())
		var dbMeter *fleet.CPUMeter
		if dbPid != 0 {
			dbMeter = fleet.StartCPU(dbPid)
		}
		endProfile := w.s.profile("S7a-idle-"+sizeLabel(n), w.live, window)
		time.Sleep(window)
		m := newMeasure()
		meter.stop(m)
		endProfile()
		m.elapsed = window
		m.extra["workspaces"] = float64(n)
		m.extra["seed_s"] = seeded.Seconds()
		if dbMeter != nil {
			used, wall := dbMeter.Stop()
			m.extra["mariadb_cpu_pct_core"] = 100 * used.Seconds() / wall.Seconds()
		}
		cpu[n] = 100 * m.cpu.Seconds() / window.Seconds()
		m.extra["idle_cpu_pct_core"] = cpu[n]
		res.Phases = append(res.Phases, m.phase("idle_"+sizeLabel(n), "tandem"))
		e.logger.Info("S7a", "workspaces", n, "idle_cpu_pct_core", cpu[n])
	}
	lo, mid, hi := sizes[0], sizes[1], sizes[len(sizes)-1]
	res.Checks = []Check{
		absCheck("idle_cpu_pct_core_"+sizeLabel(hi), cpu[lo], cpu[hi], 5, false),
		ratioCheck(fmt.Sprintf("idle_cpu_%s_vs_%s", sizeLabel(hi), sizeLabel(mid)), cpu[mid], cpu[hi], 1.5, false),
	}
	return res, nil
}

// runS7b measures how fast the AI agent replies and a rule acts in one
// busy workspace while the other N-1 are idle, from 10 to 100k workspaces:
// each probe is a customer opening a conversation with a question on a
// fixed schedule, timed from its scheduled start to the reply (or handoff)
// and to the rule's note on an agent stream. The AI agent answers from an
// uploaded document without a model. The baseline is the 10-workspace run.
func runS7b(ctx context.Context, e *env) (*Result, error) {
	var (
		sizes  = pick(e, []int{10, 1000, 10000, 100000}, []int{10, 300})
		settle = pick(e, 20*time.Second, 2*time.Second)
		rate   = pick(e, 10.0, 10.0)
		dur    = pick(e, 30*time.Second, 2*time.Second)
		idle   = pick(e, 90*time.Second, 20*time.Second)
	)
	w, err := newTenantWorld(ctx, e, true)
	if err != nil {
		return nil, err
	}
	defer w.close()
	res := &Result{Notes: []string{fmt.Sprintf("workspaces %v (as in S7a); in one, customers ask %.0f questions/s for %v, each in a new conversation; its rule notes every customer message; a reaction not seen %v after the last counts as the time waited",
		sizes, rate, dur, idle)}}
	ai, rule := map[int]float64{}, map[int]float64{}
	for _, n := range sizes {
		if _, err := w.grow(ctx, n); err != nil {
			return nil, fmt.Errorf("%d workspaces: %w", n, err)
		}
		time.Sleep(settle)
		p := newProbes(true)
		streams, err := watchAll(ctx, w.live.URL, w.s.owner.Token, []*aiWorkspace{w.busy}, p)
		if err != nil {
			return nil, err
		}
		widget := widgetClients(w.live.URL, rpcclient.Connect, 64)
		endProfile := w.s.profile("S7b-busy-"+sizeLabel(n), w.live, dur)
		openLoop(ctx, rate, dur, 64, func(ctx context.Context, i int, at time.Time) {
			p.send(ctx, widget, 0, w.busy, i, at)
		})
		p.wait(ctx, idle)
		endProfile()
		closeAll(streams)
		t := p.tally(nil)
		am, rm := newMeasure(), newMeasure()
		am.ops, am.elapsed, am.lat = int64(t.sent), dur, t.ai
		rm.ops, rm.elapsed, rm.lat = int64(t.sent), dur, t.rule
		t.extra(am)
		am.extra["workspaces"] = float64(n)
		res.Phases = append(res.Phases, am.phase("ai_reply_"+sizeLabel(n), "tandem"), rm.phase("rule_action_"+sizeLabel(n), "tandem"))
		ai[n], rule[n] = t.ai.Summary().P99, t.rule.Summary().P99
		if t.failed > 0 {
			return nil, fmt.Errorf("%d workspaces: %d of %d questions failed to send", n, t.failed, t.sent)
		}
		e.logger.Info("S7b", "workspaces", n, "ai_p99_ms", ai[n], "rule_p99_ms", rule[n])
	}
	lo, hi := sizes[0], sizes[len(sizes)-1]
	vs := sizeLabel(hi) + "_vs_" + sizeLabel(lo)
	res.Checks = []Check{
		ratioCheck("ai_reply_p99_ms_"+vs, ai[lo], ai[hi], 1.2, false),
		ratioCheck("rule_action_p99_ms_"+vs, rule[lo], rule[hi], 1.2, false),
	}
	return res, nil
}

// processNamed finds a local process by its command name (the first of the
// names that runs), 0 when none does: MariaDB's CPU is reported beside
// tandemd's when the database runs here.
func processNamed(names ...string) int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0
	}
	for _, name := range names {
		for _, ent := range entries {
			pid, err := strconv.Atoi(ent.Name())
			if err != nil {
				continue
			}
			b, err := os.ReadFile("/proc/" + ent.Name() + "/comm")
			if err == nil && strings.TrimSpace(string(b)) == name {
				return pid
			}
		}
	}
	return 0
}

// caughtUp waits until every reactor has reacted to every event: no cursor
// behind its workspace's log, and the cursors unchanged for a second (an
// ungated reactor makes its cursor where it first reacts).
func caughtUp(ctx context.Context, db *sql.DB) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	last, stable := int64(-1), 0
	for {
		var behind, sum int64
		if err := db.QueryRowContext(ctx, `SELECT COUNT(CASE WHEN c.seq < w.last_seq THEN 1 END), COALESCE(SUM(c.seq), 0) + COUNT(*)
			FROM reactor_cursors c JOIN workspaces w ON w.id = c.workspace_id`).Scan(&behind, &sum); err != nil {
			return fmt.Errorf("reactors catching up with the templates: %w", err)
		}
		if behind == 0 && sum == last {
			if stable++; stable >= 5 {
				return nil
			}
		} else {
			stable = 0
		}
		last = sum
		select {
		case <-ctx.Done():
			return fmt.Errorf("reactors catching up with the templates: %w", ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}
