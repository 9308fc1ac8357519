package faulttest_test

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tandem-inbox/tandem/backend/internal/automation"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
)

const (
	// failoverLease is the replicas' reactor lease: short, so that the
	// takeover comes soon after the kill.
	failoverLease = 2 * time.Second
	// failoverSlack is how much longer than the lease the reactions to the
	// messages sent at the kill may take. The takeover itself waits out
	// A's lease and B's next renewal round (a fifth of the lease); the
	// rest is for a loaded 2-core machine.
	failoverSlack = 10 * time.Second
	// failoverNote is the note the workspaces' rule adds for every
	// customer message.
	failoverNote = "Failover rule: a customer wrote"
)

// shardOf is the reactor shard of a workspace, as the replicas compute it
// (Of needs no database).
var shardOf = events.NewShards(nil, "", slog.New(slog.DiscardHandler), events.ShardOptions{}).Of

// TestReactorShardFailover SIGKILLs replica A while both replicas run the
// reactors, each holding half of the shards, and customers of several
// workspaces write through replica B; each workspace has a rule that notes
// every customer message. At the kill, one message goes to every
// workspace. B must take A's shards once A's lease has run out and react
// to whatever A left undone: afterwards every customer message has exactly
// one note from the rule (none lost, none doubled, even where A died in
// the middle of a reaction), those sent at the kill got theirs within the
// lease and some slack, and B holds all the shards.
func TestReactorShardFailover(t *testing.T) {
	needProcesses(t)
	t.Parallel()
	nats := rpctest.NATS(t)
	dbURL := sharedDatabase(t)
	c := startCluster(t, dbURL, 2, map[string]string{
		"TANDEM_NATS_URL":      nats.URL(),
		"TANDEM_REACTORS":      "true",
		"TANDEM_REACTOR_LEASE": failoverLease.String(),
		// Every message is a new customer's, all from this machine's IP.
		"TANDEM_WIDGET_SESSIONS_PER_MINUTE":    "0",
		"TANDEM_WORKSPACE_SESSIONS_PER_MINUTE": "0",
	})
	a, b := c.replicas[0], c.replicas[1]
	db := openDB(t, dbURL)
	ctx := t.Context()

	// The replicas share the shards out evenly before the workspaces are
	// made, so that each workspace's holder is known.
	var (
		divided []shardLease
		held    map[string]int
	)
	if !waitUntil(t, 30*time.Second, func() (bool, error) {
		var err error
		divided, err = readShards(ctx, db)
		held = heldBy(divided, time.Now())
		for _, n := range held {
			if n != events.DefaultShards/2 {
				return false, err
			}
		}
		return len(held) == 2, err
	}) {
		t.Fatalf("the replicas did not share out the shards: %v", held)
	}

	// At least 8 workspaces, and at least 2 in the shards of each replica:
	// A must hold some, or its death proves nothing.
	var wss []failoverWorkspace
	perOwner := map[string]int{}
	for owner := range held {
		perOwner[owner] = 0
	}
	for len(wss) < 8 || slices.Min(slices.Collect(maps.Values(perOwner))) < 2 {
		if len(wss) == 32 {
			t.Fatalf("32 workspaces and still not 2 in the shards of each replica: %v", perOwner)
		}
		ws, err := c.owner.CreateWorkspace(ctx, fmt.Sprintf("Failover %d", len(wss)))
		if err != nil {
			t.Fatal(err)
		}
		rule, err := c.owner.NoteRule(ctx, ws, "Note every customer message", failoverNote)
		if err != nil {
			t.Fatal(err)
		}
		wss = append(wss, failoverWorkspace{Workspace: ws, rule: rule})
		perOwner[divided[shardOf(ws.ID)].owner]++
	}

	// Customers write through B, one after another in each workspace, from
	// now until a little after the takeover.
	s := &sends{clients: rpcclient.New(b.URL, rpcclient.Connect)}
	load, stop := context.WithCancel(ctx)
	var writers sync.WaitGroup
	for k, w := range wss {
		writers.Go(func() {
			for i := 0; load.Err() == nil; i++ {
				s.send(context.WithoutCancel(load), k, w, fmt.Sprintf("Question %d", i), false)
				select {
				case <-load.Done():
				case <-time.After(200 * time.Millisecond):
				}
			}
		})
	}
	defer func() { stop(); writers.Wait() }()

	// Both replicas react before the kill: every workspace has had a note.
	if !waitUntil(t, 30*time.Second, func() (bool, error) {
		got, err := readReactions(ctx, db, wss)
		noted := map[string]bool{}
		for _, r := range got {
			if len(r.notes) > 0 {
				noted[r.workspace] = true
			}
		}
		return len(noted) == len(wss), err
	}) {
		t.Fatal("the rules did not react in every workspace before the kill")
	}

	atKillShards, err := readShards(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	a.Kill()
	killed := time.Now()
	var atKill sync.WaitGroup
	for k, w := range wss {
		atKill.Go(func() { s.send(ctx, k, w, "Question at the kill", true) })
	}
	atKill.Wait()
	byKill := len(s.sentList())

	// The messages sent at the kill get their notes within the lease and
	// the slack, in A's workspaces from B once it has taken A's shards.
	bound := failoverLease + failoverSlack
	var atKillConvs []string
	for _, m := range s.sentList() {
		if m.atKill {
			atKillConvs = append(atKillConvs, m.conv)
		}
	}
	var reactions map[string]reaction
	waitUntil(t, time.Until(killed.Add(bound)), func() (bool, error) {
		var err error
		reactions, err = readReactions(ctx, db, wss)
		return !slices.ContainsFunc(atKillConvs, func(conv string) bool { return len(reactions[conv].notes) == 0 }), err
	})
	var (
		takeover time.Duration // the latest first note, after the kill
		unnoted  int
	)
	for _, conv := range atKillConvs {
		if r := reactions[conv]; len(r.notes) > 0 {
			takeover = max(takeover, time.UnixMilli(slices.Min(r.notes)).Sub(killed))
		} else {
			unnoted++
		}
	}
	switch {
	case unnoted > 0:
		t.Errorf("%d of the %d messages sent at the kill still had no note %v after it; the lease is %v",
			unnoted, len(atKillConvs), bound, failoverLease)
	case takeover > bound:
		t.Errorf("the messages sent at the kill were noted up to %v after it; the lease is %v", takeover, failoverLease)
	default:
		t.Logf("the messages sent at the kill were noted within %v (lease %v)", takeover.Round(time.Millisecond), failoverLease)
	}

	// A second more on B's new shards, then the writers stop.
	time.Sleep(time.Second)
	stop()
	writers.Wait()
	sent, errs := s.sentList(), s.errList()
	if len(errs) > 0 {
		t.Errorf("%d of %d sends through B failed, the first: %v", len(errs), len(sent)+len(errs), errs[0])
	}

	// B holds every shard, with a lease that runs past any A could have
	// taken before it died.
	var (
		after []shardLease
		bID   string // B's replica id
	)
	if !waitUntil(t, 10*time.Second, func() (bool, error) {
		var err error
		after, err = readShards(ctx, db)
		past := killed.Add(failoverLease)
		if now := time.Now(); now.After(past) {
			past = now
		}
		bID = soleHolder(after, past)
		return bID != "", err
	}) {
		t.Errorf("B does not hold all %d shards after the kill: held by %v", events.DefaultShards, heldBy(after, time.Now()))
	} else {
		ofA := 0 // workspaces in the shards A held at the kill
		for _, w := range wss {
			if atKillShards[shardOf(w.ID)].owner != bID {
				ofA++
			}
		}
		if ofA == 0 {
			t.Errorf("A held none of the %d workspaces at the kill: its death proved nothing", len(wss))
		}
		t.Logf("A held %d of the %d workspaces at the kill", ofA, len(wss))
	}

	// Once the rules' reactor has handled each workspace's whole log on B,
	// no reaction is still to come: count them.
	if !waitUntil(t, 30*time.Second, func() (bool, error) {
		n, err := caughtUp(ctx, db, wss)
		return n == len(wss), err
	}) {
		t.Error("the rules' reactor did not catch up with every workspace's log within 30s")
	}
	if reactions, err = readReactions(ctx, db, wss); err != nil {
		t.Fatal(err)
	}
	var lost, doubled, odd []string
	for _, m := range sent {
		r := reactions[m.conv]
		switch {
		case r.customer != 1:
			odd = append(odd, m.conv)
		case len(r.notes) == 0:
			lost = append(lost, m.conv)
		case len(r.notes) > 1:
			doubled = append(doubled, m.conv)
		}
	}
	if len(odd) > 0 {
		t.Errorf("%d conversations do not hold their one customer message: %v", len(odd), first(odd))
	}
	if len(lost) > 0 {
		t.Errorf("%d of %d customer messages got no note from the rule: %v", len(lost), len(sent), first(lost))
	}
	if len(doubled) > 0 {
		t.Errorf("%d of %d customer messages got more than one note from the rule: %v", len(doubled), len(sent), first(doubled))
	}
	t.Logf("%d messages through B, %d of them by the kill", len(sent), byKill)
}

// failoverWorkspace is a workspace with its noting rule.
type failoverWorkspace struct {
	rpcclient.Workspace
	rule string // the rule's id: its notes' author
}

// customerMessage is a new visitor's first message, in a conversation of
// its own, so that each note is the reaction to one message (and the
// rules' loop protection, which counts runs per conversation, stays out
// of the way).
type customerMessage struct {
	conv   string
	atKill bool // sent at the instant A was killed
}

// sends is what the customers sent through B, and the sends that failed.
type sends struct {
	clients rpcclient.Clients

	mu   sync.Mutex
	sent []customerMessage
	errs []error
}

// send has a new visitor of workspace w (the k-th) open a conversation and
// write body.
func (s *sends) send(ctx context.Context, k int, w failoverWorkspace, body string, atKill bool) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	v, err := rpcclient.NewVisitor(ctx, s.clients, w.PublicKey, fmt.Sprintf("Customer of %d", k))
	if err == nil {
		_, err = v.Send(ctx, s.clients, uuid.NewString(), body)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.errs = append(s.errs, fmt.Errorf("workspace %d, %q: %w", k, body, err))
		return
	}
	s.sent = append(s.sent, customerMessage{conv: v.ConversationID, atKill: atKill})
}

func (s *sends) sentList() []customerMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.sent)
}

func (s *sends) errList() []error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.errs)
}

// reaction is what a conversation holds: how many customer messages, and
// when each of the rule's notes was written.
type reaction struct {
	workspace string
	customer  int
	notes     []int64 // created_at, Unix ms
}

// readReactions reads the customer messages and the rules' notes of the
// workspaces' conversations, by conversation.
func readReactions(ctx context.Context, db *sql.DB, wss []failoverWorkspace) (map[string]reaction, error) {
	args := make([]any, len(wss))
	rules := map[string]bool{}
	for i, w := range wss {
		args[i] = w.ID
		rules[w.rule] = true
	}
	//nolint:gosec // placeholders only; the ids are arguments
	rows, err := db.QueryContext(ctx, `SELECT workspace_id, conversation_id, kind, author_kind, author_id, created_at
		FROM messages WHERE workspace_id IN (`+store.Placeholders(len(wss))+`)`, args...)
	if err != nil {
		return nil, err
	}
	defer func() { _ = rows.Close() }()
	out := map[string]reaction{}
	for rows.Next() {
		var ws, conv, kind, authorKind, authorID string
		var at int64
		if err := rows.Scan(&ws, &conv, &kind, &authorKind, &authorID, &at); err != nil {
			return nil, err
		}
		r := out[conv]
		r.workspace = ws
		switch {
		case kind == "text" && authorKind == "customer":
			r.customer++
		case kind == "note" && rules[authorID]:
			r.notes = append(r.notes, at)
		}
		out[conv] = r
	}
	return out, rows.Err()
}

// shardLease is who holds a reactor shard, and until when.
type shardLease struct {
	owner string
	until time.Time
}

// readShards reads the leases of the server's reactor shards (the group
// package server names "reactors"), indexed by shard.
func readShards(ctx context.Context, db *sql.DB) ([]shardLease, error) {
	rows, err := db.QueryContext(ctx, `SELECT shard, owner, lease_until FROM reactor_shards WHERE name = 'reactors' ORDER BY shard`)
	if err != nil {
		return nil, err
	}
	defer func() { _ = rows.Close() }()
	var out []shardLease
	for rows.Next() {
		var shard int
		var l shardLease
		var until int64
		if err := rows.Scan(&shard, &l.owner, &until); err != nil {
			return nil, err
		}
		if shard != len(out) {
			return nil, fmt.Errorf("reactor shard %d follows shard %d", shard, len(out)-1)
		}
		l.until = time.UnixMilli(until)
		out = append(out, l)
	}
	return out, rows.Err()
}

// soleHolder is the replica that holds every shard with a lease that runs
// past the time given, if one does ("" if not).
func soleHolder(shards []shardLease, past time.Time) string {
	if len(shards) != events.DefaultShards {
		return ""
	}
	owner := shards[0].owner
	for _, l := range shards {
		if owner == "" || l.owner != owner || !l.until.After(past) {
			return ""
		}
	}
	return owner
}

// heldBy counts the shards each replica holds at now (its lease not run
// out).
func heldBy(shards []shardLease, now time.Time) map[string]int {
	out := map[string]int{}
	for _, l := range shards {
		if l.owner != "" && l.until.After(now) {
			out[l.owner]++
		}
	}
	return out
}

// caughtUp counts the workspaces where the rules' reactor has handled
// every event of the log.
func caughtUp(ctx context.Context, db *sql.DB, wss []failoverWorkspace) (int, error) {
	args := []any{automation.ReactorName}
	for _, w := range wss {
		args = append(args, w.ID)
	}
	var n int
	err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM workspaces w JOIN reactor_cursors c ON c.name = ? AND c.workspace_id = w.id
		WHERE w.id IN (`+store.Placeholders(len(wss))+`) AND c.seq >= w.last_seq`, args...).Scan(&n)
	return n, err
}

// waitUntil polls cond until it holds (true) or within has passed
// (false). An error from cond fails the test.
func waitUntil(t *testing.T, within time.Duration, cond func() (bool, error)) bool {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		ok, err := cond()
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// first is at most the first five of ids, for an error message.
func first(ids []string) []string { return ids[:min(len(ids), 5)] }
