package sla_test

import (
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/conversation"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/notify"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/sla"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// everyDay is business hours of every day of the week, each span
// [start, end) in minutes after midnight.
func everyDay(zone string, spans ...[2]int) sla.Hours {
	h := sla.Hours{Zone: zone}
	for wd := time.Sunday; wd <= time.Saturday; wd++ {
		for _, sp := range spans {
			h.Spans = append(h.Spans, sla.Span{Weekday: wd, Start: sp[0], End: sp[1]})
		}
	}
	return h
}

func wall(t *testing.T, zone, s string) time.Time {
	t.Helper()
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatal(err)
	}
	v, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestHoursAcrossDST (CONC-03): business minutes are counted on the wall
// clock of the team's zone on the nights the clocks change. A span that
// opens at 9:00 opens at 9:00 local time on the Sunday of the change too
// (not 9 hours after midnight, which is 10:00 in spring and 8:00 in
// autumn); a span over the change holds the time that really passes in it:
// the hour that does not exist is not counted, the one that happens twice
// is counted twice.
func TestHoursAcrossDST(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, zone  string
		hours       sla.Hours
		start       string
		d           time.Duration
		want        string // wall clock in zone
		wantUTC     string // when set, the exact instant (for a wall clock that happens twice)
		wantElapsed time.Duration
	}{
		{name: "Berlin spring, day span", zone: "Europe/Berlin", hours: everyDay("Europe/Berlin", [2]int{9 * 60, 17 * 60}),
			start: "2027-03-27 16:00", d: 2 * time.Hour, want: "2027-03-28 10:00"},
		{name: "Berlin autumn, day span", zone: "Europe/Berlin", hours: everyDay("Europe/Berlin", [2]int{9 * 60, 17 * 60}),
			start: "2027-10-30 16:00", d: 2 * time.Hour, want: "2027-10-31 10:00"},
		{name: "New York spring, day span", zone: "America/New_York", hours: everyDay("America/New_York", [2]int{9 * 60, 17 * 60}),
			start: "2027-03-13 16:30", d: 90 * time.Minute, want: "2027-03-14 10:00"},
		{name: "New York autumn, day span", zone: "America/New_York", hours: everyDay("America/New_York", [2]int{9 * 60, 17 * 60}),
			start: "2027-11-06 16:30", d: 90 * time.Minute, want: "2027-11-07 10:00"},
		// A night shift 0:00-6:00: in spring 2:00-3:00 does not exist, so 3
		// working hours from 0:30 end at 4:30 (3 real hours later).
		{name: "Berlin spring, night span over the missing hour", zone: "Europe/Berlin", hours: everyDay("Europe/Berlin", [2]int{0, 6 * 60}),
			start: "2027-03-28 00:30", d: 3 * time.Hour, want: "2027-03-28 04:30", wantElapsed: 3 * time.Hour},
		// In autumn 2:00-3:00 happens twice: 3 working hours from 0:30 end
		// at the second 2:30 (CET, 01:30 UTC).
		{name: "Berlin autumn, night span over the repeated hour", zone: "Europe/Berlin", hours: everyDay("Europe/Berlin", [2]int{0, 6 * 60}),
			start: "2027-10-31 00:30", d: 3 * time.Hour, wantUTC: "2027-10-31 01:30", wantElapsed: 3 * time.Hour},
		// The night span holds 7 real hours that autumn night: 6 working
		// hours from its start run to 5:00 local, and 8 spill into the next
		// night (7 there, then 1 more).
		{name: "Berlin autumn, whole night span", zone: "Europe/Berlin", hours: everyDay("Europe/Berlin", [2]int{0, 6 * 60}),
			start: "2027-10-31 00:00", d: 8 * time.Hour, want: "2027-11-01 01:00"},
		{name: "Berlin spring, whole night span", zone: "Europe/Berlin", hours: everyDay("Europe/Berlin", [2]int{0, 6 * 60}),
			start: "2027-03-28 00:00", d: 6 * time.Hour, want: "2027-03-29 01:00"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			start := wall(t, tc.zone, tc.start)
			got := tc.hours.Add(start, tc.d)
			want := time.Time{}
			if tc.wantUTC != "" {
				want = wall(t, "UTC", tc.wantUTC)
			} else {
				want = wall(t, tc.zone, tc.want)
			}
			if !got.Equal(want) {
				t.Errorf("%s + %v = %s (%s), want %s", tc.start, tc.d, got.In(start.Location()).Format("2006-01-02 15:04 MST"),
					got.UTC().Format(time.DateTime), want.In(start.Location()).Format("2006-01-02 15:04 MST"))
			}
			if tc.wantElapsed != 0 && got.Sub(start) != tc.wantElapsed {
				t.Errorf("%v of working time took %v of real time, want %v", tc.d, got.Sub(start), tc.wantElapsed)
			}
		})
	}
}

// edgeWorld is a server without reactors whose SLA clocks the test drives:
// it delivers events to the SLA service at instants it picks, drains the
// reactors, and runs the firing pass with an injected clock.
type edgeWorld struct {
	*rpctest.World
	srv *rpctest.Server
}

func newEdgeWorld(t *testing.T, opts store.Options, policy *tandemv1.SlaPolicyInput, hours *tandemv1.BusinessHours) *edgeWorld {
	t.Helper()
	srv := rpctest.Start(t, opts, rpctest.Quiet)
	w := rpctest.WorldOn(t, srv)
	c := srv.Clients(rpcclient.Connect).SLA
	if hours != nil {
		if _, err := c.SetBusinessHours(w.As("admin"), &tandemv1.SetBusinessHoursRequest{WorkspaceId: w.W1.ID, Hours: hours}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.CreateSlaPolicy(w.As("admin"), &tandemv1.CreateSlaPolicyRequest{WorkspaceId: w.W1.ID, Policy: policy}); err != nil {
		t.Fatal(err)
	}
	return &edgeWorld{World: w, srv: srv}
}

// startAt starts a conversation whose clocks start at the instant: the SLA
// service sees its creation as made then (the log stamps events with the
// real clock), and the reactor then catches up with the real events, which
// leave clocks already started alone.
func (e *edgeWorld) startAt(at time.Time) conversation.Conversation {
	e.T.Helper()
	conv := e.Conversation(e.Visitor)
	e.deliver(conv.ID, events.ConversationCreated, at, conversation.Payload{})
	e.drain()
	return e.State(conv.ID)
}

// deliver hands the SLA service an event of the conversation made at the instant.
func (e *edgeWorld) deliver(convID string, typ events.Type, at time.Time, pl conversation.Payload) {
	e.T.Helper()
	raw, err := json.Marshal(pl)
	if err != nil {
		e.T.Fatal(err)
	}
	if err := e.srv.Domain().SLA.React(e.Ctx, events.Event{WorkspaceID: e.W1.ID, ConversationID: convID, Type: typ,
		CreatedAt: store.NowMillis(at), Payload: raw}); err != nil {
		e.T.Fatal(err)
	}
}

// agentRepliesAt is an agent's text reply as the SLA service sees it, made at the instant.
func (e *edgeWorld) agentRepliesAt(convID string, at time.Time) {
	e.T.Helper()
	e.deliver(convID, events.MessageCreated, at, conversation.Payload{Message: &conversation.Message{
		ConversationID: convID, Kind: conversation.KindText, AuthorKind: conversation.AuthorAgent, Body: "Here to help"}})
}

func (e *edgeWorld) drain() {
	e.T.Helper()
	if err := e.srv.SLAReactor().Drain(e.Ctx, e.W1.ID); err != nil {
		e.T.Fatal(err)
	}
}

// fireAt runs the firing pass as if the clock read at.
func (e *edgeWorld) fireAt(at time.Time) {
	e.T.Helper()
	e.srv.Domain().SLA.SetClock(func() time.Time { return at })
	if _, err := e.srv.Domain().SLA.FireDue(e.Ctx); err != nil {
		e.T.Fatal(err)
	}
}

func (e *edgeWorld) count(typ events.Type, convID string) int {
	e.T.Helper()
	return storetest.Count(e.T, e.srv.DB(), "events", "workspace_id = ? AND type = ? AND conversation_id = ?", e.W1.ID, typ, convID)
}

// TestSLADeadlineAcrossDST (CONC-03): with business hours in Berlin every
// day 9:00-17:00, a 2-hour first-response clock started at 16:00 on the
// Saturday before the clocks change ends at 10:00 wall-clock time on the
// Sunday of the change, in spring and in autumn; the breach fires at that
// instant, not before, and once.
func TestSLADeadlineAcrossDST(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		var ranges []*tandemv1.BusinessHours_Range
		for wd := range int32(7) {
			ranges = append(ranges, &tandemv1.BusinessHours_Range{Weekday: wd, StartMinute: 9 * 60, EndMinute: 17 * 60})
		}
		e := newEdgeWorld(t, opts, &tandemv1.SlaPolicyInput{Name: "Business hours", FirstResponseSeconds: 2 * 3600, WarningPercent: 50,
			BusinessHours: true}, &tandemv1.BusinessHours{TimeZone: "Europe/Berlin", Ranges: ranges})
		for _, tc := range []struct{ start, warn, due string }{
			{"2027-03-27 16:00", "2027-03-27 17:00", "2027-03-28 10:00"}, // spring forward that night
			{"2027-10-30 16:00", "2027-10-30 17:00", "2027-10-31 10:00"}, // fall back that night
		} {
			conv := e.startAt(wall(t, "Europe/Berlin", tc.start))
			due := wall(t, "Europe/Berlin", tc.due)
			if got := time.UnixMilli(conv.FirstResponseDue); !got.Equal(due) {
				t.Fatalf("started %s: first response due %s, want %s", tc.start, got.In(due.Location()).Format("2006-01-02 15:04 MST"), tc.due)
			}
			e.fireAt(wall(t, "Europe/Berlin", tc.warn))
			e.fireAt(due.Add(-time.Millisecond))
			if w, b := e.count(events.SLAWarning, conv.ID), e.count(events.SLABreach, conv.ID); w != 1 || b != 0 {
				t.Fatalf("started %s, just before the deadline: %d warnings, %d breaches, want 1 and 0", tc.start, w, b)
			}
			e.fireAt(due)
			e.fireAt(due.Add(time.Hour))
			if b := e.count(events.SLABreach, conv.ID); b != 1 {
				t.Fatalf("started %s, after the deadline: %d breaches, want 1", tc.start, b)
			}
		}
	})
}

// TestSLAReplyAtTheEdge (CONC-03): an agent's reply one second before the
// deadline stops the clock for good: however late the firing pass runs
// afterwards, no breach event, no breach notification, no breach in the
// metrics, and the target is met. A reply one second after the deadline,
// with the firing pass run in between, is exactly one breach (the late
// reply adds none), and the target is missed.
func TestSLAReplyAtTheEdge(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		e := newEdgeWorld(t, opts, &tandemv1.SlaPolicyInput{Name: "Everyone", FirstResponseSeconds: 600, WarningPercent: 50}, nil)
		base := time.Now().Add(-time.Hour).Truncate(time.Second)
		breachMetric := func() float64 {
			t.Helper()
			if err := e.srv.MetricsReactor().Drain(e.Ctx, e.W1.ID); err != nil {
				t.Fatal(err)
			}
			v, _ := rpctest.Find(rpctest.Scrape(t, e.srv), "tandem_sla_events_total", map[string]string{"target": "first_response", "kind": "breach"})
			return v
		}
		notified := func(convID string) int {
			t.Helper()
			if err := e.srv.NotifyReactor().Drain(e.Ctx, e.W1.ID); err != nil {
				t.Fatal(err)
			}
			return storetest.Count(t, e.srv.DB(), "notifications", "conversation_id = ? AND type = ?", convID, notify.SLABreach)
		}

		early := e.startAt(base)
		due := time.UnixMilli(early.FirstResponseDue)
		if !due.Equal(base.Add(10 * time.Minute)) {
			t.Fatalf("due %s, want %s", due, base.Add(10*time.Minute))
		}
		e.agentRepliesAt(early.ID, due.Add(-time.Second))
		e.drain()
		for _, at := range []time.Duration{0, time.Second, time.Minute, 2 * time.Minute, time.Hour} {
			e.fireAt(due.Add(at))
		}
		if b := e.count(events.SLABreach, early.ID); b != 0 {
			t.Fatalf("reply a second early: %d breaches", b)
		}
		if n := notified(early.ID); n != 0 {
			t.Fatalf("reply a second early: %d breach notifications", n)
		}
		if v := breachMetric(); v != 0 {
			t.Fatalf("reply a second early: tandem_sla_events_total{first_response, breach} = %v", v)
		}
		if s := e.SLA(early.ID); s.GetFirstResponse() != sla.Met {
			t.Fatalf("reply a second early: %v, want first_response met", s)
		}

		late := e.startAt(base)
		due = time.UnixMilli(late.FirstResponseDue)
		e.fireAt(due) // the firing pass runs at the deadline, before the reply
		e.agentRepliesAt(late.ID, due.Add(time.Second))
		e.drain()
		for _, at := range []time.Duration{time.Second, time.Minute, time.Hour} {
			e.fireAt(due.Add(at))
		}
		if b := e.count(events.SLABreach, late.ID); b != 1 {
			t.Fatalf("reply a second late: %d breaches, want 1", b)
		}
		if n := notified(late.ID); n == 0 {
			t.Fatal("reply a second late: nobody was told of the breach")
		}
		if v := breachMetric(); v != 1 {
			t.Fatalf("reply a second late: tandem_sla_events_total{first_response, breach} = %v, want 1", v)
		}
		if s := e.SLA(late.ID); s.GetFirstResponse() != sla.Missed {
			t.Fatalf("reply a second late: %v, want first_response missed", s)
		}

		// The same late reply, seen by the clocks before any firing pass ran
		// (the pass runs every second, and holds a breach back while the
		// clocks have yet to see the conversation's newest messages): the
		// deadline was still missed, so it is still one breach, told and
		// counted, not a missed outcome with no breach behind it.
		unseen := e.startAt(base)
		due = time.UnixMilli(unseen.FirstResponseDue)
		e.agentRepliesAt(unseen.ID, due.Add(time.Second))
		e.drain()
		for _, at := range []time.Duration{time.Second, time.Minute, time.Hour} {
			e.fireAt(due.Add(at))
		}
		if b := e.count(events.SLABreach, unseen.ID); b != 1 {
			t.Fatalf("reply a second late, before the firing pass: %d breaches, want 1", b)
		}
		if n := notified(unseen.ID); n == 0 {
			t.Fatal("reply a second late, before the firing pass: nobody was told of the breach")
		}
		if v := breachMetric(); v != 2 {
			t.Fatalf("after both late replies: tandem_sla_events_total{first_response, breach} = %v, want 2", v)
		}
		if s := e.SLA(unseen.ID); s.GetFirstResponse() != sla.Missed {
			t.Fatalf("reply a second late, before the firing pass: %v, want first_response missed", s)
		}
	})
}

// TestSLASnoozeDoesNotPause (CONC-03) states what the clocks do with a
// snoozed conversation: nothing. The code promises no pause (the SLA
// reactor reacts to a state change only when it is the close): snoozing
// leaves the deadline and its timers as they were, and the breach fires at
// the original deadline while the conversation sleeps, once. When pauses
// come, this test is the one to change.
func TestSLASnoozeDoesNotPause(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		e := newEdgeWorld(t, opts, &tandemv1.SlaPolicyInput{Name: "Everyone", FirstResponseSeconds: 600, WarningPercent: 50}, nil)
		conv := e.startAt(time.Now().Truncate(time.Second))
		due := conv.FirstResponseDue
		timers := func() []int64 {
			t.Helper()
			var dues []int64
			if err := e.srv.DB().SelectContext(e.Ctx, &dues, `SELECT due_at FROM sla_timers WHERE conversation_id = ? AND target = ?
				ORDER BY due_at`, conv.ID, sla.FirstResponse); err != nil {
				t.Fatal(err)
			}
			return dues
		}
		before := timers()
		if _, err := e.srv.Clients(rpcclient.Connect).Conversation.SnoozeConversation(e.As("agent"), &tandemv1.SnoozeConversationRequest{
			ConversationId: conv.ID, UntilTimeMs: time.Now().Add(24 * time.Hour).UnixMilli()}); err != nil {
			t.Fatal(err)
		}
		e.drain()
		got := e.State(conv.ID)
		if got.State != conversation.StateSnoozed || got.FirstResponseDue != due {
			t.Fatalf("snoozed: state %s, first response due %d, want snoozed and due %d as before", got.State, got.FirstResponseDue, due)
		}
		if after := timers(); len(after) != 2 || after[0] != before[0] || after[1] != before[1] {
			t.Fatalf("timers %v after the snooze, want %v as before", after, before)
		}
		e.fireAt(time.UnixMilli(due).Add(-time.Millisecond))
		if b := e.count(events.SLABreach, conv.ID); b != 0 {
			t.Fatalf("%d breaches before the deadline", b)
		}
		e.fireAt(time.UnixMilli(due))
		e.fireAt(time.UnixMilli(due).Add(time.Hour))
		if b := e.count(events.SLABreach, conv.ID); b != 1 {
			t.Fatalf("snoozed past the deadline: %d breaches, want 1 at the original deadline", b)
		}
	})
}

// manyTimers is how many breach timers TestSLAManyDueAtOnce fires:
// TANDEM_TEST_SLA_TIMERS, or 2,000 (ten full passes). The catalog's 10,000
// pass too, but take minutes under the race detector (each breach is its
// own transaction with two events), so they are run on demand.
func manyTimers(t *testing.T) int {
	t.Helper()
	v := os.Getenv("TANDEM_TEST_SLA_TIMERS")
	if v == "" {
		return 2000
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("TANDEM_TEST_SLA_TIMERS=%q: want a positive number", v)
	}
	return n
}

// TestSLAManyDueAtOnce (CONC-03): thousands of breach timers (10,000 with
// TANDEM_TEST_SLA_TIMERS=10000) due at the same instant, two replicas on
// one database running the firing pass at once (on SQLite, one replica):
// every breach fires, each exactly once, within a bounded number of passes.
// The conversations and their timers are written in bulk, as the service
// writes them: each conversation a copy of one the service started (its
// policy and deadline), each timer the breach row insertTimers writes for
// that deadline.
func TestSLAManyDueAtOnce(t *testing.T) {
	t.Parallel()
	n := manyTimers(t)
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		e := newEdgeWorld(t, opts, &tandemv1.SlaPolicyInput{Name: "Everyone", FirstResponseSeconds: 60, WarningPercent: 50}, nil)
		db := e.srv.DB()
		model := e.startAt(time.Now().Truncate(time.Second))
		due := model.FirstResponseDue
		// The model's own timers (its warning, its breach) go: only the copies' breaches are counted.
		if _, err := db.ExecContext(e.Ctx, `DELETE FROM sla_timers WHERE conversation_id = ?`, model.ID); err != nil {
			t.Fatal(err)
		}
		rows, err := db.QueryxContext(e.Ctx, `SELECT * FROM conversations WHERE 1 = 0`)
		if err != nil {
			t.Fatal(err)
		}
		cols, err := rows.Columns()
		_ = rows.Close()
		if err != nil {
			t.Fatal(err)
		}
		exprs := make([]string, len(cols))
		for i, c := range cols {
			exprs[i] = "c." + c
			if c == "id" || c == "client_id" {
				exprs[i] = "x.nid"
			}
		}
		ids := make([]string, n)
		for i := range ids {
			ids[i] = uuid.NewString()
		}
		const batch = 500
		for lo := 0; lo < n; lo += batch {
			part := ids[lo:min(lo+batch, n)]
			var sel, vals []string
			var convArgs, timerArgs []any
			for _, id := range part {
				sel = append(sel, "SELECT ? AS nid")
				convArgs = append(convArgs, id)
				vals = append(vals, "(?, ?, ?, ?, ?, ?)")
				timerArgs = append(timerArgs, uuid.NewString(), e.W1.ID, id, sla.FirstResponse, "breach", due)
			}
			convArgs = append(convArgs, model.ID)
			if _, err := db.ExecContext(e.Ctx, `INSERT INTO conversations (`+strings.Join(cols, ", ")+`) SELECT `+strings.Join(exprs, ", ")+
				` FROM conversations c JOIN (`+strings.Join(sel, " UNION ALL ")+`) x ON 1 = 1 WHERE c.id = ?`, convArgs...); err != nil {
				t.Fatal(err)
			}
			if _, err := db.ExecContext(e.Ctx, `INSERT INTO sla_timers (id, workspace_id, conversation_id, target, kind, due_at) VALUES `+
				strings.Join(vals, ", "), timerArgs...); err != nil {
				t.Fatal(err)
			}
		}

		replicas := []*sla.Service{e.srv.Domain().SLA}
		if db.Dialect.Name() == "mysql" {
			replicas = append(replicas, rpctest.Start(t, opts, rpctest.Quiet).Domain().SLA)
		}
		// Minutes late, as after a restart: past the wait for the SLA
		// reactor (see fire), so nothing but the claim keeps two replicas
		// from firing one timer twice.
		at := time.UnixMilli(due).Add(2 * time.Minute)
		for i, r := range replicas { // replicas' clocks differ a little
			r.SetClock(func() time.Time { return at.Add(time.Duration(i) * time.Millisecond) })
		}
		// Each replica runs passes until one finds nothing due; a pass
		// takes at most 200, so 10,000 need 50 passes of one replica, and
		// the bound leaves room for passes that lose every race.
		maxPasses := 2*n/200 + 10
		var wg sync.WaitGroup
		passes := make([]int, len(replicas))
		for i, r := range replicas {
			wg.Go(func() {
				for passes[i] < maxPasses {
					passes[i]++
					fired, err := r.FireDue(e.Ctx)
					if err != nil {
						t.Error(err)
						return
					}
					if fired == 0 && storetest.Count(t, db, "sla_timers", "workspace_id = ? AND fired_at = 0", e.W1.ID) == 0 {
						return
					}
				}
			})
		}
		wg.Wait()
		if left := storetest.Count(t, db, "sla_timers", "workspace_id = ? AND fired_at = 0", e.W1.ID); left != 0 {
			t.Fatalf("%d timers left unfired after %v passes", left, passes)
		}
		var perConv []struct {
			ID string `db:"conversation_id"`
			N  int    `db:"n"`
		}
		if err := db.SelectContext(e.Ctx, &perConv, `SELECT conversation_id, COUNT(*) AS n FROM events WHERE workspace_id = ? AND type = ?
			GROUP BY conversation_id`, e.W1.ID, events.SLABreach); err != nil {
			t.Fatal(err)
		}
		want := make(map[string]bool, n)
		for _, id := range ids {
			want[id] = true
		}
		for _, c := range perConv {
			if !want[c.ID] || c.N != 1 {
				t.Fatalf("conversation %s: %d breaches (one of the copies: %v), want 1", c.ID, c.N, want[c.ID])
			}
			delete(want, c.ID)
		}
		if len(want) != 0 {
			t.Fatalf("%d of %d breaches never fired", len(want), n)
		}
		t.Logf("%d replicas, passes %v", len(replicas), passes)
	})
}

// TestSLACloseAtTheEdge (CONC-03): the resolution clock at its deadline. A
// close one second before it is met, with no breach however late the
// firing pass runs; a close one second after it, seen by the clocks before
// any firing pass ran, is one resolution breach and missed.
func TestSLACloseAtTheEdge(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		e := newEdgeWorld(t, opts, &tandemv1.SlaPolicyInput{Name: "Everyone", ResolutionSeconds: 3600, WarningPercent: 50}, nil)
		base := time.Now().Add(-2 * time.Hour).Truncate(time.Second)
		closeAt := func(convID string, at time.Time) {
			t.Helper()
			e.deliver(convID, events.ConversationStateChanged, at, conversation.Payload{Data: map[string]string{
				"from": string(conversation.StatePending), "to": string(conversation.StateClosed)}})
			e.drain()
		}
		for _, tc := range []struct {
			name     string
			by       time.Duration
			breaches int
			outcome  string
		}{{"a second early", -time.Second, 0, sla.Met}, {"a second late", time.Second, 1, sla.Missed}} {
			conv := e.startAt(base)
			due := time.UnixMilli(conv.ResolutionDue)
			closeAt(conv.ID, due.Add(tc.by))
			for _, at := range []time.Duration{time.Second, time.Minute, time.Hour} {
				e.fireAt(due.Add(at))
			}
			if b := e.count(events.SLABreach, conv.ID); b != tc.breaches {
				t.Fatalf("closed %s: %d breaches, want %d", tc.name, b, tc.breaches)
			}
			if s := e.SLA(conv.ID); s.GetResolution() != tc.outcome {
				t.Fatalf("closed %s: %v, want resolution %s", tc.name, s, tc.outcome)
			}
		}
	})
}
