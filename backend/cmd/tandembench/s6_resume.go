package main

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/api/tandem/v1/tandemv1connect"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/fleet"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
)

// s6World is S6's fixture: workspaces with visitors, and the streams'
// starting points.
type s6World struct {
	workspaces []rpcclient.Workspace
	visitors   [][]*rpcclient.Visitor
	heads      []int64  // each workspace's last seq when the streams started
	cursors    []string // each stream's cursor when replica A died
	group      []int    // stream -> workspace
}

// runS6 is a resume storm: streams watch on replica A; A is killed; events
// are written through replica B; then every stream resumes on B from its
// last cursor at once. Tandem's time until every stream has caught up is
// compared with the raw catch-up SQL (each stream's "events after my seq"
// read in pages, on a pool like tandemd's). The storm runs twice (A B A B);
// then NATS is restarted while A, back, takes writes, and the streams on B
// must catch up with those too. Nothing may be missed or doubled.
func runS6(ctx context.Context, e *env) (*Result, error) {
	s, err := e.newStage(ctx)
	if err != nil {
		return nil, err
	}
	defer s.close()
	if err := s.startNATS(ctx); err != nil {
		return nil, err
	}
	if err := s.startReplicas(ctx, 2, nil); err != nil {
		return nil, err
	}
	db, err := s.sqlDB()
	if err != nil {
		return nil, err
	}
	defer func() { _ = db.Close() }()
	var (
		nws      = pick(e, 100, 10)
		perWS    = 50
		nEvents  = pick(e, 10000, 1000)
		nVisitor = pick(e, 4, 2)
		again    = pick(e, 1000, 200)
	)
	a, b := s.replicas[0], s.replicas[1]
	w := &s6World{}
	for i := range nws {
		ws, err := s.owner.CreateWorkspace(ctx, fmt.Sprintf("S6 shop %d", i))
		if err != nil {
			return nil, err
		}
		vs, err := visitors(ctx, b.URL, ws, nVisitor)
		if err != nil {
			return nil, err
		}
		var head int64
		if err := db.QueryRowContext(ctx, `SELECT last_seq FROM workspaces WHERE id = ?`, ws.ID).Scan(&head); err != nil {
			return nil, err
		}
		w.workspaces, w.visitors, w.heads = append(w.workspaces, ws), append(w.visitors, vs), append(w.heads, head)
	}
	// The streams open on A and receive their first heartbeat (a cursor);
	// then A dies.
	clientA := tandemv1connect.NewConversationServiceClient(httpClient(rpcclient.GRPC, 1), a.URL, rpcclient.ClientOptions(rpcclient.GRPC)...)
	var onA []*rpcclient.Stream
	for g, ws := range w.workspaces {
		cur, err := rpcclient.Cursor(ctx, a.URL, s.owner.Token, ws.ID)
		if err != nil {
			return nil, err
		}
		for range perWS {
			onA = append(onA, rpcclient.OpenStream(ctx, clientA, s.owner.Token, ws.ID, cur, nil))
			w.group = append(w.group, g)
		}
	}
	for _, st := range onA {
		<-st.Ready()
	}
	if err := firstErr(onA); err != nil {
		return nil, fmt.Errorf("open on A: %w", err)
	}
	a.Kill()
	for _, st := range onA {
		<-st.Done()
		w.cursors = append(w.cursors, st.Cursor())
	}

	// Events are written through B while A is down.
	written := newDelivery("s6", nEvents, nws, perWS)
	if err := s6Write(ctx, b.URL, w, written); err != nil {
		return nil, err
	}

	res := &Result{Notes: []string{fmt.Sprintf("%d streams (%d workspaces x %d, gRPC); %d messages written through B after A was killed; then NATS restarted while A (restarted) takes %d more",
		len(w.group), nws, perWS, nEvents, again)}}
	bm, tm := newMeasure(), newMeasure()
	var late, lost, dup, disorder int
	var last []*rpcclient.Stream
	var lastD *delivery
	for round := range 2 {
		m, err := s6SQL(ctx, db, w)
		if err != nil {
			return nil, err
		}
		bm.merge(m)
		for _, st := range last {
			st.Close()
		}
		d := written.fresh()
		endProfile := s.profile(fmt.Sprintf("S6-storm-%d", round), b, 10*time.Second)
		m, streams, err := s6Storm(ctx, b, s.owner.Token, w, d)
		endProfile()
		if err != nil {
			return nil, err
		}
		by := d.arrivals()
		if d.firsts.Load() < d.expected() {
			d.wait(lateGrace) // latecomers count as late, not lost
		}
		lt, l := d.lateAndLost(by)
		_, du, di, _ := d.tally()
		late, lost, dup, disorder = late+lt, lost+l, dup+du, disorder+di
		tm.merge(m)
		last, lastD = streams, d
		e.logger.Info("S6 storm", "round", round, "seconds", m.elapsed.Seconds(), "late", lt, "lost", l, "dup", du)
	}
	defer func() {
		for _, st := range last {
			st.Close()
		}
	}()
	tm.extra["late"], tm.extra["lost"] = float64(late), float64(lost)
	res.Phases = append(res.Phases, bm.phase("catch_up", "baseline"), tm.phase("catch_up", "tandem"))
	bs, ts := bm.elapsed.Seconds()/2, tm.elapsed.Seconds()/2

	// NATS restart: A comes back and takes writes while NATS is down; the
	// streams on B catch up through their poll, then NATS returns.
	if err := a.Restart(ctx); err != nil {
		return nil, err
	}
	s.nats.Kill()
	more := newDelivery("s6n", again, nws, perWS)
	lastD.next.Store(more)
	start := time.Now()
	if err := s6Write(ctx, a.URL, w, more); err != nil {
		return nil, err
	}
	if err := s.nats.Start(ctx); err != nil {
		return nil, err
	}
	more.wait(30 * time.Second)
	natsSecs := time.Since(start).Seconds()
	// What had not arrived within the wait is checked against the log and
	// given a grace: a delivery that comes in it is late, one that never
	// does is lost; an acknowledged message missing from the log is a lost
	// write, whatever the streams got.
	by := more.arrivals()
	if more.firsts.Load() < more.expected() {
		more.wait(lateGrace)
	}
	nLate, nLost := more.lateAndLost(by)
	_, du, di, _ := more.tally()
	lost, dup, disorder = lost+nLost, dup+du, disorder+di
	nm := newMeasure()
	nm.ops, nm.elapsed, nm.lat = more.firsts.Load(), time.Since(start), more.lat
	nm.extra["late"], nm.extra["lost"] = float64(nLate), float64(nLost)
	res.Phases = append(res.Phases, nm.phase("nats_restart", "tandem"))
	notInLog := 0
	for _, d := range []*delivery{written, more} {
		n, err := s6NotInLog(ctx, db, w, d)
		if err != nil {
			return nil, err
		}
		notInLog += n
	}
	if late+nLate > 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("%d deliveries arrived after the wait (late, not lost): %d in the storms, %d after the NATS restart",
			late+nLate, late, nLate))
	}

	res.Checks = []Check{
		ratioCheck("catch_up_s", bs, ts, 2, false),
		absCheck("catch_up_s", bs, ts, 10, false),
		countCheck("gaps", nanF(), float64(lost)),
		countCheck("not_in_log", nanF(), float64(notInLog)),
		countCheck("duplicates", nanF(), float64(dup)),
		countCheck("out_of_order", nanF(), float64(disorder)),
		absCheck("nats_restart_catch_up_s", nanF(), natsSecs, 10, false),
	}
	return res, nil
}

// s6MarkLogged sets found[i] for each of d's messages in the workspace's log.
func s6MarkLogged(ctx context.Context, db *sql.DB, workspaceID string, d *delivery, found []bool) error {
	rows, err := db.QueryContext(ctx, `SELECT body FROM messages WHERE workspace_id = ? AND body LIKE ?`, workspaceID, d.prefix+" %")
	if err != nil {
		return fmt.Errorf("check the log: %w", err)
	}
	defer func() { _ = rows.Close() }()
	for rows.Next() {
		var b string
		if err := rows.Scan(&b); err != nil {
			return err
		}
		if i, _, ok := parseBody(d.prefix, b); ok && i >= 0 && i < d.n {
			found[i] = true
		}
	}
	return rows.Err()
}

// lateGrace is how much longer S6 waits, after a wait ended with
// deliveries missing, for late ones (idle time: it restarts with each
// arrival).
const lateGrace = 30 * time.Second

// s6NotInLog counts d's acknowledged messages that are not in the log
// (the messages table, read directly): writes acknowledged and lost.
func s6NotInLog(ctx context.Context, db *sql.DB, w *s6World, d *delivery) (int, error) {
	found := make([]bool, d.n)
	for _, ws := range w.workspaces {
		if err := s6MarkLogged(ctx, db, ws.ID, d, found); err != nil {
			return 0, err
		}
	}
	n := 0
	for i, ok := range d.acked {
		if ok && !found[i] {
			n++
		}
	}
	return n, nil
}

// s6Write sends d's messages through the replica at url, 32 at a time,
// round-robin over the visitors of every workspace.
func s6Write(ctx context.Context, url string, w *s6World, d *delivery) error {
	widget := widgetClients(url, rpcclient.Connect, 32)
	var all [][2]int
	for g, vs := range w.visitors {
		for v := range vs {
			all = append(all, [2]int{g, v})
		}
	}
	for i := range d.group {
		d.group[i] = all[i%len(all)][0]
	}
	next := make(chan int)
	errs := make(chan error, 32)
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			for i := range next {
				gv := all[i%len(all)]
				cctx, cancel := context.WithTimeout(ctx, time.Minute)
				_, err := w.visitors[gv[0]][gv[1]].Send(cctx, widget, uuid.NewString(), body(d.prefix, i, time.Now()))
				cancel()
				if err != nil {
					errs <- err
					return
				}
				d.acked[i] = true
			}
		})
	}
	for i := range d.n {
		select {
		case next <- i:
		case err := <-errs:
			close(next)
			wg.Wait()
			return err
		}
	}
	close(next)
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
		return nil
	}
}

// s6Storm resumes every stream on B from its cursor at once and measures
// the time until each has received everything written.
func s6Storm(ctx context.Context, b *fleet.Tandemd, token string, w *s6World, d *delivery) (*measure, []*rpcclient.Stream, error) {
	client := tandemv1connect.NewConversationServiceClient(httpClient(rpcclient.GRPC, 1), b.URL, rpcclient.ClientOptions(rpcclient.GRPC)...)
	meter := meterServer(b.Pid())
	start := time.Now()
	streams := make([]*rpcclient.Stream, len(w.cursors))
	perGroup := map[int]int{}
	for i, cur := range w.cursors {
		g := w.group[i]
		k := perGroup[g]
		perGroup[g]++
		streams[i] = rpcclient.OpenStream(ctx, client, token, w.workspaces[g].ID, cur, func(m *tandemv1.WatchResponse, at time.Time) {
			if ev := m.GetEvent(); ev.GetType() == string(events.MessageCreated) {
				d.receive(g, k, ev.GetMessage().GetBody(), ev.GetSeq(), at)
				if n := d.next.Load(); n != nil {
					n.receive(g, k, ev.GetMessage().GetBody(), ev.GetSeq(), at)
				}
			}
		})
	}
	d.wait(60 * time.Second)
	m := newMeasure()
	m.elapsed = time.Since(start)
	meter.stop(m)
	m.ops = d.firsts.Load()
	if want := d.expected(); m.ops < want {
		if err := firstErr(streams); err != nil {
			return nil, nil, fmt.Errorf("resumed streams: %d of %d deliveries; %w", m.ops, want, err)
		}
	}
	return m, streams, nil
}

// s6SQL is the baseline: each stream's catch-up as raw SQL, pages of 256
// events after its seq, 32 streams at a time (tandemd's pool size).
func s6SQL(ctx context.Context, db *sql.DB, w *s6World) (*measure, error) {
	start := time.Now()
	jobs := make(chan int)
	var (
		mu    sync.Mutex
		rows  int64
		first error
		wg    sync.WaitGroup
	)
	for range 32 {
		wg.Go(func() {
			for i := range jobs {
				g := w.group[i]
				n, err := catchUp(ctx, db, w.workspaces[g].ID, w.heads[g])
				mu.Lock()
				rows += n
				if err != nil && first == nil {
					first = err
				}
				mu.Unlock()
			}
		})
	}
	for i := range w.group {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	m := newMeasure()
	m.ops, m.elapsed = rows, time.Since(start)
	return m, first
}

func catchUp(ctx context.Context, db *sql.DB, workspaceID string, after int64) (int64, error) {
	var n int64
	for {
		page := 0
		var err error
		if after, page, err = eventPage(ctx, db, workspaceID, after); err != nil {
			return n, err
		}
		n += int64(page)
		if page < 256 {
			return n, nil
		}
	}
}

// eventPage reads up to 256 of the workspace's events after the sequence
// number, as a follower does, and returns the last one read and how many.
func eventPage(ctx context.Context, db *sql.DB, workspaceID string, after int64) (last int64, page int, err error) {
	rs, err := db.QueryContext(ctx, `SELECT workspace_id, seq, id, type, conversation_id, actor_kind, actor_id, visibility, payload, created_at
		FROM events WHERE workspace_id = ? AND seq > ? ORDER BY seq LIMIT 256`, workspaceID, after)
	if err != nil {
		return after, 0, err
	}
	defer func() { _ = rs.Close() }()
	for rs.Next() {
		var (
			ws, id, typ, conv, kind, actor, vis string
			payload                             []byte
			seq, at                             int64
		)
		if err := rs.Scan(&ws, &seq, &id, &typ, &conv, &kind, &actor, &vis, &payload, &at); err != nil {
			return after, page, err
		}
		after = seq
		page++
	}
	return after, page, rs.Err()
}
