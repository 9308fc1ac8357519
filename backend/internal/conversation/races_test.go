package conversation_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"

	"connectrpc.com/connect"
	"github.com/google/uuid"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/contact"
	"github.com/tandem-inbox/tandem/backend/internal/conversation"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// raceRounds is how many times each race runs: enough for both orders to
// come up, few enough to keep the test to seconds on MySQL.
const raceRounds = 6

// claimRoundsVar sets TestClaimRaces' rounds, to run many more by hand.
const claimRoundsVar = "TANDEM_TEST_CLAIM_ROUNDS"

// claimRounds is how many rounds each of TestClaimRaces' races runs:
// claimRoundsVar, or raceRounds when it is unset.
func claimRounds(t *testing.T) int {
	v := os.Getenv(claimRoundsVar)
	if v == "" {
		return raceRounds
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("%s=%q: want a whole number of rounds, at least 1", claimRoundsVar, v)
	}
	return n
}

// raceRig is two replicas of one MySQL database (one server on SQLite,
// which serves one node), with their own reactions off so that nothing but
// the racing calls touches the conversations, and more agents, each with
// its own session.
type raceRig struct {
	t        *testing.T
	w        *world
	replicas []*rpctest.Server
	agents   []string          // user ids, sorted
	tokens   map[string]string // session token by user id
}

func newRaceRig(t *testing.T, opts store.Options, agents int) *raceRig {
	r := &raceRig{t: t}
	replicas := 1
	if opts.URL != "" {
		replicas = 2
	}
	for range replicas {
		r.replicas = append(r.replicas, rpctest.Start(t, opts, rpctest.Quiet))
	}
	return r.populate(r.replicas[0], agents)
}

// newRaceRigOn is a rig whose racing replicas open the database each with
// its own options (through a proxy, say), while the world is made, and
// every check reads, on a server of its own opened with opts.
func newRaceRigOn(t *testing.T, opts store.Options, replicas []store.Options, agents int) *raceRig {
	r := &raceRig{t: t}
	for _, o := range replicas {
		r.replicas = append(r.replicas, rpctest.Start(t, o, rpctest.Quiet))
	}
	return r.populate(rpctest.Start(t, opts, rpctest.Quiet), agents)
}

// populate builds the world on srv, with agents agents.
func (r *raceRig) populate(srv *rpctest.Server, agents int) *raceRig {
	r.w = worldOn(r.t, srv)
	r.tokens = r.w.AgentTokens(agents)
	r.agents = slices.Sorted(maps.Keys(r.tokens))
	return r
}

// fresh starts a conversation, waiting in the queue, of a new visitor (one
// visitor may hold only so many open conversations).
func (r *raceRig) fresh() conversation.Conversation {
	p, _ := r.w.NewVisitor(r.w.W1)
	return r.w.Conversation(p)
}

// api is the clients of the i-th caller of a race: callers alternate
// between the replicas, and between the protocols.
func (r *raceRig) api(i int) rpcclient.Clients {
	return r.replicas[i%len(r.replicas)].Clients(rpcclient.Protocols()[i%3])
}

// replica is the domain of the i-th caller's replica.
func (r *raceRig) replica(i int) *rpctest.Server { return r.replicas[i%len(r.replicas)] }

// race runs the calls at once: each waits on a barrier in its own goroutine
// until all have started, and the errors come back in the calls' order.
func race(calls ...func() error) []error {
	errs := make([]error, len(calls))
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	for i, call := range calls {
		ready.Add(1)
		done.Go(func() {
			ready.Done()
			<-start
			errs[i] = call()
		})
	}
	ready.Wait()
	close(start)
	done.Wait()
	return errs
}

// refused checks that err is a refusal with the code (FailedPrecondition)
// and not a failure: a deadlock the store did not retry answers Internal or
// Unavailable.
func refused(t *testing.T, what string, err error) {
	t.Helper()
	if connect.CodeOf(err) != connect.CodeFailedPrecondition {
		t.Fatalf("%s: %v, want FailedPrecondition", what, err)
	}
}

// history replays the conversation's events, in log order, and returns their
// types: each change's "before" must be where the event before it left the
// conversation (no event lost, none doubled), and the last one where the
// stored row stands.
func (r *raceRig) history(round int, id string) []events.Type {
	t := r.t
	t.Helper()
	var rows []struct {
		Seq     int64       `db:"seq"`
		Type    events.Type `db:"type"`
		Payload []byte      `db:"payload"`
	}
	if err := r.w.Srv.DB().SelectContext(t.Context(), &rows,
		`SELECT seq, type, payload FROM events WHERE workspace_id = ? AND conversation_id = ? ORDER BY seq`, r.w.W1.ID, id); err != nil {
		t.Fatal(err)
	}
	var (
		types []events.Type
		at    *conversation.Conversation
	)
	for _, row := range rows {
		var p conversation.Payload
		if err := json.Unmarshal(row.Payload, &p); err != nil {
			t.Fatalf("round %d: event %d: %v", round, row.Seq, err)
		}
		types = append(types, row.Type)
		if p.Conversation == nil {
			continue
		}
		if p.Before != nil && at != nil && (p.Before.State != at.State || p.Before.AssigneeID != at.AssigneeID) {
			t.Fatalf("round %d: event %d (%s) changed %s owned by %q, but the log left it %s owned by %q: %v",
				round, row.Seq, row.Type, p.Before.State, p.Before.AssigneeID, at.State, at.AssigneeID, types)
		}
		at = p.Conversation
	}
	got, err := r.w.Srv.Domain().Conversations.Get(t.Context(), r.w.W1.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	if at == nil || at.State != got.State || at.AssigneeID != got.AssigneeID {
		t.Fatalf("round %d: the log ends at %+v, the row stands %s owned by %q: %v", round, at, got.State, got.AssigneeID, types)
	}
	return types
}

func count(types []events.Type, typ events.Type) int {
	n := 0
	for _, t := range types {
		if t == typ {
			n++
		}
	}
	return n
}

// claimAtOnce has the first n agents, on both replicas and all three
// protocols, claim one waiting conversation at once: exactly one wins, every
// other is refused with FailedPrecondition naming the winner (never
// Internal or Unavailable: deadlocks are retried), the log holds one
// assigned event and replays to the stored row, owned by the winner.
func (r *raceRig) claimAtOnce(n, round int) {
	t := r.t
	t.Helper()
	ctx := t.Context()
	conv := r.fresh()
	calls := make([]func() error, n)
	for i, id := range r.agents[:n] {
		calls[i] = func() error {
			_, err := r.api(i).Conversation.ClaimConversation(rpcclient.WithToken(ctx, r.tokens[id]),
				&tandemv1.ClaimConversationRequest{ConversationId: conv.ID})
			return err
		}
	}
	errs := race(calls...)
	winner := ""
	for i, err := range errs {
		if err == nil {
			if winner != "" {
				t.Fatalf("%d agents, round %d: %s and %s both claimed", n, round, winner, r.agents[i])
			}
			winner = r.agents[i]
		}
	}
	if winner == "" {
		t.Fatalf("%d agents, round %d: no claim won: %v", n, round, errs)
	}
	for _, err := range errs {
		if err == nil {
			continue
		}
		refused(t, fmt.Sprintf("%d agents, round %d: a losing claim", n, round), err)
		var ce *connect.Error
		if !errors.As(err, &ce) || ce.Meta().Get(apperr.DetailHeader) != "ALREADY_CLAIMED:"+winner {
			t.Fatalf("%d agents, round %d: a losing claim: %v, want the detail ALREADY_CLAIMED:%s", n, round, err, winner)
		}
	}
	types := r.history(round, conv.ID)
	if c := count(types, events.ConversationAssigned); c != 1 {
		t.Fatalf("%d agents, round %d: %d assigned events: %v", n, round, c, types)
	}
	if got := r.w.State(conv.ID); got.AssigneeID != winner || got.State != conversation.StateActive {
		t.Fatalf("%d agents, round %d: %s owned by %q, want active owned by %s", n, round, got.State, got.AssigneeID, winner)
	}
}

// claim is the first agent's claim of the conversation, on the first
// replica.
func (r *raceRig) claim(id string) func() error {
	return func() error {
		_, err := r.api(0).Conversation.ClaimConversation(rpcclient.WithToken(r.t.Context(), r.tokens[r.agents[0]]),
			&tandemv1.ClaimConversationRequest{ConversationId: id})
		return err
	}
}

// claimOrClose races a claim against a supervisor's close, on the other
// replica: the close always goes through; the claim wins only if it came
// first, and then the log shows it before the close. It reports whether the
// claim won.
func (r *raceRig) claimOrClose(round int) bool {
	t, w := r.t, r.w
	t.Helper()
	conv := r.fresh()
	errs := race(r.claim(conv.ID), func() error {
		_, err := r.api(1).Conversation.CloseConversation(w.As("supervisor"), &tandemv1.CloseConversationRequest{ConversationId: conv.ID})
		return err
	})
	if errs[1] != nil {
		t.Fatalf("close, round %d: %v", round, errs[1])
	}
	types := r.history(round, conv.ID)
	if got := w.State(conv.ID); got.State != conversation.StateClosed {
		t.Fatalf("close, round %d: the conversation is %s", round, got.State)
	}
	assigned := count(types, events.ConversationAssigned)
	if errs[0] != nil {
		refused(t, fmt.Sprintf("close, round %d: the losing claim", round), errs[0])
		if assigned != 0 {
			t.Fatalf("close, round %d: a refused claim left an assigned event: %v", round, types)
		}
		return false
	}
	if assigned != 1 {
		t.Fatalf("close, round %d: the claim that won left %d assigned events: %v", round, assigned, types)
	}
	return true
}

// claimOrTransfer races a claim against a supervisor's transfer to another
// agent, on the other replica: the transfer always goes through and that
// agent ends up owning it; the claim wins only before it, and a later one
// is told who owns it. It reports whether the claim won.
func (r *raceRig) claimOrTransfer(round int) bool {
	t, w := r.t, r.w
	t.Helper()
	other := r.agents[1]
	conv := r.fresh()
	errs := race(r.claim(conv.ID), func() error {
		_, err := r.api(1).Conversation.TransferConversation(w.As("supervisor"),
			&tandemv1.TransferConversationRequest{ConversationId: conv.ID, To: &tandemv1.TransferConversationRequest_UserId{UserId: other}})
		return err
	})
	if errs[1] != nil {
		t.Fatalf("transfer, round %d: %v", round, errs[1])
	}
	types := r.history(round, conv.ID)
	if got := w.State(conv.ID); got.AssigneeID != other || got.State != conversation.StateActive {
		t.Fatalf("transfer, round %d: %s owned by %q, want active owned by %s", round, got.State, got.AssigneeID, other)
	}
	want := 1
	if errs[0] == nil {
		want = 2
	} else {
		refused(t, fmt.Sprintf("transfer, round %d: the losing claim", round), errs[0])
		var ce *connect.Error
		if !errors.As(errs[0], &ce) || ce.Meta().Get(apperr.DetailHeader) != "ALREADY_CLAIMED:"+other {
			t.Fatalf("transfer, round %d: the losing claim: %v, want the detail ALREADY_CLAIMED:%s", round, errs[0], other)
		}
	}
	if c := count(types, events.ConversationAssigned); c != want {
		t.Fatalf("transfer, round %d: %d assigned events, want %d: %v", round, c, want, types)
	}
	return errs[0] == nil
}

// claimOrRoute races a claim against the router's assignment to another
// agent (AutoAssign, what the routing reactor calls, here on the other
// replica): it never overrides a claim, and exactly one of the two gets the
// conversation. It reports whether the claim won.
func (r *raceRig) claimOrRoute(round int) bool {
	t, w := r.t, r.w
	t.Helper()
	agent, other := r.agents[0], r.agents[1]
	conv := r.fresh()
	var routed bool
	errs := race(r.claim(conv.ID), func() error {
		var err error
		routed, err = r.replica(1).Domain().Conversations.AutoAssign(t.Context(), w.W1.ID, conv.ID, other)
		return err
	})
	if errs[1] != nil {
		t.Fatalf("router, round %d: %v", round, errs[1])
	}
	owner := other
	if errs[0] == nil {
		owner = agent
		if routed {
			t.Fatalf("router, round %d: both the claim and the router assigned it", round)
		}
	} else {
		refused(t, fmt.Sprintf("router, round %d: the losing claim", round), errs[0])
		if !routed {
			t.Fatalf("router, round %d: neither the claim nor the router assigned it: %v", round, errs[0])
		}
	}
	types := r.history(round, conv.ID)
	if c := count(types, events.ConversationAssigned); c != 1 {
		t.Fatalf("router, round %d: %d assigned events: %v", round, c, types)
	}
	if got := w.State(conv.ID); got.AssigneeID != owner {
		t.Fatalf("router, round %d: owned by %q, want %s", round, got.AssigneeID, owner)
	}
	return errs[0] == nil
}

// claimAgainst races a claim against each other change of the
// conversation's owner or state (a close, a transfer, the router's
// assignment), rounds rounds each, and logs how often the claim won.
// Before each round it calls prepare with the round, when set.
func (r *raceRig) claimAgainst(rounds int, prepare func(round int)) {
	r.t.Helper()
	for _, rival := range []struct {
		name  string
		round func(int) bool
	}{{"a close", r.claimOrClose}, {"a transfer", r.claimOrTransfer}, {"the router", r.claimOrRoute}} {
		won := 0
		for round := range rounds {
			if prepare != nil {
				prepare(round)
			}
			if rival.round(round) {
				won++
			}
		}
		r.t.Logf("against %s, the claim won %d of %d rounds", rival.name, won, rounds)
	}
}

// TestClaimRaces is CONC-01 across replicas: agents on both replicas claim
// one waiting conversation at once (2, 8, then 50 of them, each with its
// own session), and a claim races a close, a transfer to another agent and
// the router's assignment. Each round, every call either succeeds or is
// refused with FailedPrecondition (never Internal or Unavailable: deadlocks
// are retried), the event log replays to the stored row, and the winner is
// the one the log says.
//
// Each race runs raceRounds rounds (the 50-agent one a tenth as many, at
// least 2) to keep CI to seconds. TANDEM_TEST_CLAIM_ROUNDS runs more, e.g.
// the catalog's 1,000 (20 minutes on both databases on a busy two-core
// machine), from backend/:
//
//	TANDEM_TEST_CLAIM_ROUNDS=1000 TANDEM_TEST_MYSQL_DSN='root@tcp(127.0.0.1:3306)/test' \
//		go test -race -count=1 -timeout 60m -run TestClaimRaces ./internal/conversation/
//
// No webhook is counted: webhooks come only from rules and custom actions,
// and no rule triggers on an assignment (automation's triggerOf), so a
// claim sends none.
func TestClaimRaces(t *testing.T) {
	t.Parallel()
	rounds := claimRounds(t)
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		r := newRaceRig(t, opts, 50)
		for _, size := range []struct{ agents, rounds int }{{2, rounds}, {8, rounds}, {50, max(2, rounds/10)}} {
			for round := range size.rounds {
				r.claimAtOnce(size.agents, round)
			}
		}
		r.claimAgainst(rounds, nil)
	})
}

// TestCreationRaces is CONC-02 across replicas: one widget visitor starting
// a conversation twice at once with one client id (a double submit, a retry
// on the other replica) makes one conversation, which both calls answer;
// the first mails of one sender arriving at once on both replicas make one
// contact for the workspace and address, whatever the address's case; one
// signed shopper opening four tabs at once is one contact; one tag put on a
// conversation by four agents at once is one tagging and one event.
func TestCreationRaces(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		r := newRaceRig(t, opts, 8)
		w := r.w
		ctx := t.Context()
		for round := range raceRounds {
			_, token := w.NewVisitor(w.W1)
			visitor := rpcclient.WithToken(ctx, token)
			clientID := uuid.NewString()
			ids := make([]string, 4)
			calls := make([]func() error, len(ids))
			for i := range calls {
				calls[i] = func() error {
					resp, err := r.api(i).Widget.StartConversation(visitor, &tandemv1.StartConversationRequest{ClientId: clientID, Body: "hello"})
					ids[i] = resp.GetConversation().GetId()
					return err
				}
			}
			for i, err := range race(calls...) {
				if err != nil {
					t.Fatalf("start, round %d, call %d: %v", round, i, err)
				}
			}
			if ids[0] == "" || slices.ContainsFunc(ids, func(id string) bool { return id != ids[0] }) {
				t.Fatalf("start, round %d: the calls answered %v, want one conversation", round, ids)
			}
			if n := storetest.Count(t, w.Srv.DB(), "conversations", "workspace_id = ? AND client_id = ?", w.W1.ID, clientID); n != 1 {
				t.Fatalf("start, round %d: %d conversations for one client id", round, n)
			}
		}

		for round := range raceRounds {
			address := rpctest.Unique("sender") + "@example.com"
			ids := make([]string, 4)
			calls := make([]func() error, len(ids))
			for i := range calls {
				spelled := address
				if i%2 == 1 {
					spelled = "  " + string(address[0]-'a'+'A') + address[1:]
				}
				calls[i] = func() error {
					c, err := r.replica(i).Domain().Contacts.ForEmail(ctx, w.W1.ID, spelled, "Sender")
					ids[i] = c.ID
					return err
				}
			}
			for i, err := range race(calls...) {
				if err != nil {
					t.Fatalf("contact, round %d, call %d: %v", round, i, err)
				}
			}
			if ids[0] == "" || slices.ContainsFunc(ids, func(id string) bool { return id != ids[0] }) {
				t.Fatalf("contact, round %d: the calls answered %v, want one contact", round, ids)
			}
			if n := storetest.Count(t, w.Srv.DB(), "contacts", "workspace_id = ? AND email = ?", w.W1.ID, address); n != 1 {
				t.Fatalf("contact, round %d: %d contacts for %s", round, n, address)
			}
		}

		// One shopper's signed identity opening the widget in four tabs at
		// once: four sessions, one contact.
		for round := range raceRounds {
			external := rpctest.Unique("shopper-")
			identity := rpctest.Stamped(`{"external_id":"` + external + `","name":"Vera"}`)
			calls := make([]func() error, 4)
			for i := range calls {
				calls[i] = func() error {
					_, err := r.api(i).Widget.StartSession(ctx, &tandemv1.StartSessionRequest{PublicKey: w.W1.PublicKey,
						IdentityJson: identity, IdentitySignature: contact.Sign(w.W1.WidgetSecret, identity)})
					return err
				}
			}
			for i, err := range race(calls...) {
				if err != nil {
					t.Fatalf("identity, round %d, call %d: %v", round, i, err)
				}
			}
			if n := storetest.Count(t, w.Srv.DB(), "contacts", "workspace_id = ? AND external_id = ?", w.W1.ID, external); n != 1 {
				t.Fatalf("identity, round %d: %d contacts for one external id", round, n)
			}
		}

		// Four agents putting one tag on one conversation at once: one
		// tagging, one event, every call answered OK (the later ones have
		// nothing to do).
		for round := range raceRounds {
			conv := r.fresh()
			tag := w.Tag(w.W1)
			calls := make([]func() error, 4)
			for i, id := range r.agents[:4] {
				calls[i] = func() error {
					_, err := r.api(i).Conversation.TagConversation(rpcclient.WithToken(ctx, r.tokens[id]),
						&tandemv1.TagConversationRequest{ConversationId: conv.ID, TagId: tag})
					return err
				}
			}
			for i, err := range race(calls...) {
				if err != nil {
					t.Fatalf("tag, round %d, call %d: %v", round, i, err)
				}
			}
			if n := storetest.Count(t, w.Srv.DB(), "conversation_tags", "conversation_id = ? AND tag_id = ?", conv.ID, tag); n != 1 {
				t.Fatalf("tag, round %d: %d taggings", round, n)
			}
			if n := storetest.Count(t, w.Srv.DB(), "events", "workspace_id = ? AND conversation_id = ? AND type = ?", w.W1.ID, conv.ID, string(events.ConversationTagged)); n != 1 {
				t.Fatalf("tag, round %d: %d tagged events", round, n)
			}
		}
	})
}
