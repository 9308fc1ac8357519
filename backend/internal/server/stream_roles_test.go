package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/config"
	"github.com/tandem-inbox/tandem/backend/internal/conversation"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// TestResumeAcrossReplicasByRole (STR-01) runs three replicas on one
// MariaDB database (two woken through NATS, one polling the log only) and
// fifty subscribers at once: the owner, an admin, a supervisor and three
// agents watching the workspace (five devices each), and four widget
// visitors watching their own conversations (five devices each). Every
// subscriber's connection is cut at random, after a few events or a few
// hundred milliseconds, and resumed on a random replica over a random
// protocol from the last cursor it received (an event's or a heartbeat's).
// Meanwhile three writers, each call through a random replica, post
// visitor messages, replies, notes, notes mentioning an agent (for that
// agent only), whispers (for their author, the conversation's owner and
// supervisors and up), read markers (for the reader only) and invitations
// (for admins and up), and claim, transfer, close and reopen conversations.
//
// The event log is the oracle. Once the writers stop and a marker reply is
// posted in each visitor's conversation, every subscriber has received,
// across all its connections, exactly the events after its first cursor
// that it may see: staff every event their role and identity entitle them
// to (the same event id at each seq; a whisper they may not read as a bare
// "conversation changed"), a visitor every public event of its own
// conversation; nothing missing, nothing twice, seqs strictly increasing.
// Nobody receives an event they may not see: a visitor never a note's,
// whisper's or transfer note's text nor another conversation's event, and
// a staff-only change of its own conversation only as a bare "conversation
// changed".
func TestResumeAcrossReplicasByRole(t *testing.T) {
	t.Parallel()
	storetest.NeedMySQL(t)
	opts := storetest.Options(t, "mysql")
	natsURL := rpctest.NATS(t).URL()
	replica := func(nats string) func(*config.Config) {
		return func(c *config.Config) {
			rpctest.Quiet(c)
			c.NATSURL, c.PollInterval, c.Heartbeat = nats, 100*time.Millisecond, 250*time.Millisecond
		}
	}
	rs := []*rpctest.Server{rpctest.Start(t, opts, replica(natsURL))}
	rs = append(rs, rpctest.Start(t, opts, replica(natsURL)), rpctest.Start(t, opts, replica("")))
	w := worldOn(t, rs[0])
	ctx, cancel := context.WithTimeout(w.Ctx, 90*time.Second)
	defer cancel()
	ws := w.W1.ID

	// The people: the fixture's staff, two more agents, four visitors
	// each with a conversation.
	staff := map[string]*roleMember{}
	for _, name := range []string{"owner", "admin", "supervisor", "agent"} {
		staff[name] = &roleMember{userID: w.Users[name].ID, role: access.Role(name), token: w.Token(name)}
	}
	agents := []*roleMember{staff["agent"]}
	i := 0
	for id, token := range w.AgentTokens(2) {
		i++
		m := &roleMember{userID: id, role: access.RoleAgent, token: token}
		staff[fmt.Sprintf("agent%d", i+1)] = m
		agents = append(agents, m)
	}
	var visitors []*roleVisitor
	for _, p := range []*access.Principal{w.Visitor, w.Other, nil, nil} {
		token := w.TokenOf(p)
		if p == nil {
			p, token = w.NewVisitor(w.W1)
		}
		visitors = append(visitors, &roleVisitor{key: "v:" + p.VisitorID, token: token, conv: w.Conversation(p).ID})
	}

	// Five subscribers (devices) per person, fifty in all, each from its
	// own first cursor.
	const devices = 5
	cursors, err := events.LoadCursors(ctx, w.Srv.DB())
	if err != nil {
		t.Fatal(err)
	}
	var subs []*roleSub
	for name, m := range staff {
		for d := range devices {
			c := rs[rand.IntN(len(rs))].Clients(rpcclient.Connect)
			list, err := c.Conversation.ListConversations(rpcclient.WithToken(ctx, m.token), &tandemv1.ListConversationsRequest{WorkspaceId: ws})
			if err != nil {
				t.Fatal(err)
			}
			subs = append(subs, &roleSub{name: fmt.Sprintf("%s/%d", name, d), member: m, key: "u:" + m.userID, cursor: list.GetCursor()})
		}
	}
	for i, v := range visitors {
		for d := range devices {
			c := rs[rand.IntN(len(rs))].Clients(rpcclient.Connect)
			page, err := c.Widget.ListMessages(rpcclient.WithToken(ctx, v.token), &tandemv1.ListMessagesRequest{ConversationId: v.conv})
			if err != nil {
				t.Fatal(err)
			}
			subs = append(subs, &roleSub{name: fmt.Sprintf("visitor%d/%d", i, d), visitor: v, key: v.key, cursor: page.GetCursor()})
		}
	}
	for _, s := range subs {
		pos, err := cursors.Parse(s.cursor, ws, s.key)
		if err != nil {
			t.Fatalf("%s: first cursor: %v", s.name, err)
		}
		s.start = pos.Seq
		s.target.Store(1 << 62) // until the markers are written
	}

	var followers sync.WaitGroup
	for _, s := range subs {
		followers.Go(func() { s.err = s.follow(ctx, rs, ws) })
	}

	// The writers: each call through a random replica and protocol.
	wr := &roleWriter{rs: rs, staff: staff, agents: agents, visitors: visitors, ws: ws, secret: map[string]bool{}}
	var writers sync.WaitGroup
	for range 3 {
		writers.Go(func() {
			for _, op := range rand.Perm(30) {
				if ctx.Err() != nil {
					return
				}
				wr.write(ctx, op)
				time.Sleep(time.Duration(rand.IntN(10)) * time.Millisecond)
			}
		})
	}
	writers.Wait()
	owner := rpcclient.WithToken(ctx, staff["owner"].token)
	for i, v := range visitors {
		c := rs[rand.IntN(len(rs))].Clients(rpcclient.Connect)
		_, _ = c.Conversation.ReopenConversation(owner, &tandemv1.ReopenConversationRequest{ConversationId: v.conv}) // closed or not
		_, _ = c.Conversation.JoinConversation(owner, &tandemv1.JoinConversationRequest{ConversationId: v.conv})     // joined or not
		if _, err := c.Conversation.SendMessage(owner, &tandemv1.SendMessageRequest{ConversationId: v.conv, ClientId: uuid.NewString(),
			Body: fmt.Sprintf("marker %d", i)}); err != nil {
			t.Fatalf("marker %d: %v", i, err)
		}
	}

	// What each subscriber must end with, from the log up to the last marker.
	log := roleLog(ctx, t, w, ws)
	last := log[len(log)-1].Seq
	for _, s := range subs {
		target := s.start
		for _, e := range log {
			if v := s.sees(e); e.Seq > s.start && (v == roleMust || v == roleChanged) {
				target = e.Seq
			}
		}
		s.target.Store(target)
	}
	followers.Wait()

	// The log again, with anything written since the marker (nothing, with
	// the reactors off): every delivery must be allowed by it.
	log = roleLog(ctx, t, w, ws)
	bySeq := map[int64]roleEvent{}
	for _, e := range log {
		bySeq[e.Seq] = e
	}
	resumes := 0
	for _, s := range subs {
		if s.err != nil {
			t.Errorf("%s: %v", s.name, s.err)
			continue
		}
		resumes += s.resumes
		s.check(t, log, bySeq, last, wr.secrets())
	}
	checkRoleTraffic(t, log, visitors)
	t.Logf("%d subscribers, %d connections, log seqs up to %d; writes: %s", len(subs), resumes, last, wr.summary())
}

// roleMember is a member of the workspace watching it.
type roleMember struct {
	userID, token string
	role          access.Role
}

// roleVisitor is a widget visitor with its conversation.
type roleVisitor struct{ key, token, conv string }

// roleGot is one event as a subscriber received it.
type roleGot struct {
	seq                 int64
	id, typ, conv, body string
	message             bool
}

// roleSub is one subscriber: a member's or a visitor's stream, resumed
// across many connections.
type roleSub struct {
	name    string
	member  *roleMember  // a staff stream, or
	visitor *roleVisitor // a widget stream
	key     string       // the principal its cursors are bound to
	cursor  string       // the last cursor received
	start   int64        // the seq the first cursor stands at
	target  atomic.Int64 // stop after this seq (set once the markers are in)
	got     []roleGot
	resumes int
	err     error
}

// follow connects, reads, is cut and resumes from its last cursor, on a
// random replica over a random protocol each time, until it has passed
// its target. It fails only if a stream ends other than by its cut.
func (s *roleSub) follow(ctx context.Context, rs []*rpctest.Server, ws string) error {
	last := s.start
	for last < s.target.Load() {
		if ctx.Err() != nil {
			return fmt.Errorf("timed out at seq %d (target %d), after %d connections", last, s.target.Load(), s.resumes)
		}
		c := rs[rand.IntN(len(rs))].Clients(rpcclient.Protocols()[rand.IntN(3)])
		sctx, cut := context.WithCancel(rpcclient.WithToken(ctx, s.token()))
		timer := time.AfterFunc(time.Duration(50+rand.IntN(400))*time.Millisecond, cut)
		var err error
		if s.member != nil {
			err = s.readStaff(sctx, c, ws, 1+rand.IntN(12), &last)
		} else {
			err = s.readWidget(sctx, c, 1+rand.IntN(12), &last)
		}
		timer.Stop()
		cut()
		s.resumes++
		if err != nil && sctx.Err() == nil {
			return fmt.Errorf("connection %d ended: %w", s.resumes, err)
		}
	}
	return nil
}

func (s *roleSub) token() string {
	if s.member != nil {
		return s.member.token
	}
	return s.visitor.token
}

// roleEveryState is a staff filter that keeps every conversation event.
func roleEveryState() *tandemv1.ConversationFilter {
	return &tandemv1.ConversationFilter{States: []tandemv1.ConversationState{tandemv1.ConversationState_CONVERSATION_STATE_BOT,
		tandemv1.ConversationState_CONVERSATION_STATE_PENDING, tandemv1.ConversationState_CONVERSATION_STATE_ACTIVE,
		tandemv1.ConversationState_CONVERSATION_STATE_SNOOZED, tandemv1.ConversationState_CONVERSATION_STATE_CLOSED}}
}

// readStaff reads one connection of a member's Watch.
func (s *roleSub) readStaff(ctx context.Context, c rpcclient.Clients, ws string, n int, last *int64) error {
	stream, err := c.Conversation.Watch(ctx, &tandemv1.WatchRequest{WorkspaceId: ws, Cursor: s.cursor, Filter: roleEveryState()})
	if err != nil {
		return err
	}
	return roleRead(s, stream, n, last, func(m *tandemv1.WatchResponse) (roleGot, string) {
		ev := m.GetEvent()
		return roleGot{seq: ev.GetSeq(), id: ev.GetId(), typ: ev.GetType(), conv: ev.GetConversationId(), body: ev.GetMessage().GetBody(),
			message: ev.GetMessage() != nil}, m.GetCursor()
	})
}

// readWidget reads one connection of a visitor's Watch.
func (s *roleSub) readWidget(ctx context.Context, c rpcclient.Clients, n int, last *int64) error {
	stream, err := c.Widget.Watch(ctx, &tandemv1.WidgetServiceWatchRequest{ConversationId: s.visitor.conv, Cursor: s.cursor})
	if err != nil {
		return err
	}
	return roleRead(s, stream, n, last, func(m *tandemv1.WidgetServiceWatchResponse) (roleGot, string) {
		ev := m.GetEvent()
		return roleGot{seq: ev.GetSeq(), typ: ev.GetType(), conv: ev.GetConversationId(), body: ev.GetMessage().GetBody(),
			message: ev.GetMessage() != nil}, m.GetCursor()
	})
}

// roleRead reads a stream until n logged events (seq > 0) have come, the
// subscriber has passed its target or the stream ends (the cut), keeping
// each logged event and the last cursor (an event's or a heartbeat's).
func roleRead[T any](s *roleSub, stream *connect.ServerStreamForClient[T], n int, last *int64, view func(*T) (roleGot, string)) error {
	defer func() { _ = stream.Close() }()
	for n > 0 && *last < s.target.Load() && stream.Receive() {
		g, cursor := view(stream.Msg())
		if g.seq != 0 {
			s.got = append(s.got, g)
			*last = max(*last, g.seq)
			n--
		}
		if cursor != "" {
			s.cursor = cursor
		}
	}
	return stream.Err()
}

// roleEvent is a row of the log with its payload read.
type roleEvent struct {
	events.Event
	pl conversation.Payload
}

// roleLog reads the workspace's whole log.
func roleLog(ctx context.Context, t *testing.T, w *world, ws string) []roleEvent {
	t.Helper()
	var rows []events.Event
	if err := w.Srv.DB().SelectContext(ctx, &rows, `SELECT workspace_id, seq, id, type, conversation_id, actor_kind, actor_id, visibility,
		payload, created_at FROM events WHERE workspace_id = ? ORDER BY seq`, ws); err != nil {
		t.Fatal(err)
	}
	out := make([]roleEvent, len(rows))
	for i, r := range rows {
		out[i].Event = r
		if err := json.Unmarshal(r.Payload, &out[i].pl); err != nil {
			t.Fatalf("event %d (%s): %v", r.Seq, r.Type, err)
		}
	}
	return out
}

// What a subscriber receives of an event.
const (
	roleMustNot = iota // nothing
	roleMay            // a bare "conversation changed", or nothing
	roleChanged        // a bare "conversation changed" (whisper, non-reader)
	roleMust           // the event itself
)

// sees says what the subscriber receives of the event: the entitlement
// rules of the staff's and the widget's Watch, restated. A visitor's
// stream passes a staff-only change of its conversation on as a bare
// "conversation changed" only when what the customer sees of it changed
// since the connection opened, so those are optional.
func (s *roleSub) sees(e roleEvent) int {
	if v := s.visitor; v != nil {
		switch {
		case e.ConversationID != v.conv:
			return roleMustNot
		case e.Visibility != events.Public:
			return roleMay
		case e.pl.Message == nil || e.pl.Message.Visibility == string(events.Public):
			return roleMust
		}
		return roleMustNot
	}
	m := s.member
	ok := false
	switch e.Visibility {
	case events.Public, events.Agents:
		ok = true
	case events.Admins:
		ok = m.role.AtLeast(access.RoleAdmin)
	case events.Self:
		ok = e.ActorKind == events.ActorUser && e.ActorID == m.userID
	case events.Direct:
		ok = e.pl.UserID == m.userID
	case conversation.Whisper:
		msg := e.pl.Message
		ok = msg != nil && (m.role.AtLeast(access.RoleSupervisor) || m.userID == msg.AuthorID || m.userID == msg.Addressee())
		if !ok && e.pl.Conversation != nil {
			return roleChanged
		}
	}
	if ok {
		return roleMust
	}
	return roleMustNot
}

// check compares what the subscriber received with the log: up to the
// marker, everything it must see; nothing it must not; nothing twice and
// in seq order.
func (s *roleSub) check(t *testing.T, log []roleEvent, bySeq map[int64]roleEvent, last int64, secret map[string]bool) {
	t.Helper()
	got := map[int64]roleGot{}
	var prev int64
	for _, g := range s.got {
		if _, twice := got[g.seq]; twice {
			t.Errorf("%s: seq %d (%s) delivered twice", s.name, g.seq, g.typ)
		} else if g.seq <= prev {
			t.Errorf("%s: seq %d delivered after %d", s.name, g.seq, prev)
		}
		got[g.seq], prev = g, max(prev, g.seq)
		e, ok := bySeq[g.seq]
		if !ok {
			t.Errorf("%s: seq %d (%s) is not in the log", s.name, g.seq, g.typ)
			continue
		}
		bare := g.typ == string(events.ConversationChanged) && !g.message && g.conv == e.ConversationID
		switch v := s.sees(e); {
		case g.seq <= s.start:
			t.Errorf("%s: seq %d (%s) is at or before its first cursor (%d)", s.name, g.seq, g.typ, s.start)
		case v == roleMustNot:
			t.Errorf("%s: received seq %d, a %s event (visibility %s, conversation %q) it may not see, as %s with body %q", s.name,
				g.seq, e.Type, e.Visibility, e.ConversationID, g.typ, g.body)
		case s.visitor != nil && secret[g.body]:
			t.Errorf("%s: received the staff-only text %q at seq %d, a %s event (visibility %s), as %s", s.name, g.body, g.seq,
				e.Type, e.Visibility, g.typ)
		case v != roleMust && !bare:
			t.Errorf("%s: received the %s event seq %d (%s) as %s, with a message: %v, not as a bare %s", s.name, e.Type, g.seq,
				e.Visibility, g.typ, g.message, events.ConversationChanged)
		case v == roleMust && g.typ != string(e.Type):
			t.Errorf("%s: seq %d is a %s event, the log has %s", s.name, g.seq, g.typ, e.Type)
		case s.member != nil && g.id != e.ID:
			t.Errorf("%s: seq %d is event %s, the log has %s", s.name, g.seq, g.id, e.ID)
		}
	}
	var missing []string
	for _, e := range log {
		if v := s.sees(e); e.Seq > s.start && e.Seq <= last && (v == roleMust || v == roleChanged) {
			if _, ok := got[e.Seq]; !ok {
				missing = append(missing, fmt.Sprintf("%d %s", e.Seq, e.Type))
			}
		}
	}
	if len(missing) > 0 {
		t.Errorf("%s: missing %d events after its first cursor (seq %d), over %d connections: %s", s.name, len(missing), s.start,
			s.resumes, strings.Join(missing, ", "))
	}
}

// checkRoleTraffic makes sure the run proved something: the log holds
// events of every visibility the roles tell apart (public, staff, admins
// only, a whisper's readers, the mentioned member, the reader's own), and
// every visitor's conversation has traffic.
func checkRoleTraffic(t *testing.T, log []roleEvent, visitors []*roleVisitor) {
	t.Helper()
	types := map[string]int{} // by visibility and type
	perConv := map[string]int{}
	for _, e := range log {
		types[string(e.Visibility)+" "+string(e.Type)]++
		perConv[e.ConversationID]++
	}
	for _, kind := range []string{"public " + string(events.MessageCreated), "agents " + string(events.NoteCreated),
		"whisper " + string(events.NoteCreated), "public " + string(events.ConversationStateChanged), "self " + string(events.ConversationRead),
		"direct " + string(events.MemberMentioned), "admins " + string(events.MemberInvited)} {
		if types[kind] == 0 {
			t.Errorf("the writers made no %s event (all: %v)", kind, types)
		}
	}
	for i, v := range visitors {
		if perConv[v.conv] < 5 {
			t.Errorf("visitor %d's conversation has only %d events", i, perConv[v.conv])
		}
	}
}

// roleWriter makes traffic through random replicas and counts the
// outcomes (a claim of a claimed conversation fails, and so on: the log,
// not the answers, is the oracle).
type roleWriter struct {
	rs       []*rpctest.Server
	staff    map[string]*roleMember
	agents   []*roleMember
	visitors []*roleVisitor

	ws string

	mu     sync.Mutex
	secret map[string]bool // the texts of notes, whispers and transfer notes
	ok     map[string]int
	codes  map[string]int
}

// write makes one call through a random replica, its kind chosen by deck
// (0 to 29): each writer plays every number once, in random order, so that
// every kind of event is made a few times.
func (wr *roleWriter) write(ctx context.Context, deck int) {
	c := wr.rs[rand.IntN(len(wr.rs))].Clients(rpcclient.Protocols()[rand.IntN(3)])
	v := wr.visitors[rand.IntN(len(wr.visitors))]
	agent := wr.agents[rand.IntN(len(wr.agents))]
	as := func(m *roleMember) context.Context { return rpcclient.WithToken(ctx, m.token) }
	body := uuid.NewString()
	var (
		op  string
		err error
	)
	secret := func(body string) string { // a text no visitor may ever read
		wr.mu.Lock()
		defer wr.mu.Unlock()
		wr.secret[body] = true
		return body
	}
	sup, owner := as(wr.staff["supervisor"]), as(wr.staff["owner"])
	switch r := deck; {
	case r < 8:
		op = "visitor message"
		_, err = c.Widget.SendMessage(rpcclient.WithToken(ctx, v.token), &tandemv1.WidgetServiceSendMessageRequest{ConversationId: v.conv,
			ClientId: uuid.NewString(), Body: body})
	case r < 14:
		// The agent replies if the conversation is theirs or nobody's;
		// else the supervisor joins and replies.
		op = "reply"
		_, err = c.Conversation.SendMessage(as(agent), &tandemv1.SendMessageRequest{ConversationId: v.conv, ClientId: uuid.NewString(), Body: body})
		if connect.CodeOf(err) == connect.CodeFailedPrecondition {
			op = "supervisor's reply"
			_, _ = c.Conversation.JoinConversation(sup, &tandemv1.JoinConversationRequest{ConversationId: v.conv})
			_, err = c.Conversation.SendMessage(sup, &tandemv1.SendMessageRequest{ConversationId: v.conv, ClientId: uuid.NewString(), Body: body})
		}
	case r < 18:
		op = "note"
		_, err = c.Conversation.AddNote(as(agent), &tandemv1.AddNoteRequest{ConversationId: v.conv, ClientId: uuid.NewString(), Body: secret(body)})
	case r < 20:
		op = "note mentioning an agent" // member.mentioned, for that agent only
		_, err = c.Conversation.AddNote(sup, &tandemv1.AddNoteRequest{ConversationId: v.conv, ClientId: uuid.NewString(), Body: secret(body),
			MentionUserIds: []string{agent.userID}})
	case r < 22:
		op = "whisper" // to the conversation's owner, read by supervisors and up
		whisper := func() error {
			_, err := c.Conversation.AddNote(sup, &tandemv1.AddNoteRequest{ConversationId: v.conv, ClientId: uuid.NewString(), Body: secret(body),
				Whisper: true})
			return err
		}
		if err = whisper(); connect.CodeOf(err) == connect.CodeFailedPrecondition { // nobody owns it: an agent claims it
			_, _ = c.Conversation.ReopenConversation(owner, &tandemv1.ReopenConversationRequest{ConversationId: v.conv})
			_, _ = c.Conversation.ClaimConversation(as(agent), &tandemv1.ClaimConversationRequest{ConversationId: v.conv})
			err = whisper()
		}
	case r < 23:
		op = "read" // conversation.read, for the reader's own streams
		_, err = c.Conversation.MarkRead(as(agent), &tandemv1.MarkReadRequest{ConversationId: v.conv})
	case r < 24:
		op = "invite" // member.invited, for admins and up
		_, err = c.Workspace.InviteMember(owner, &tandemv1.InviteMemberRequest{WorkspaceId: wr.ws, Email: rpctest.Unique("invitee") + "@example.test",
			Role: tandemv1.Role_ROLE_AGENT})
	case r < 26:
		op = "claim"
		_, err = c.Conversation.ClaimConversation(as(agent), &tandemv1.ClaimConversationRequest{ConversationId: v.conv})
	case r < 28:
		op = "transfer"
		_, err = c.Conversation.TransferConversation(sup, &tandemv1.TransferConversationRequest{ConversationId: v.conv,
			To: &tandemv1.TransferConversationRequest_UserId{UserId: agent.userID}, Note: secret("over to you " + body)})
	case r < 29:
		op = "close"
		_, err = c.Conversation.CloseConversation(owner, &tandemv1.CloseConversationRequest{ConversationId: v.conv})
	default:
		op = "reopen"
		_, err = c.Conversation.ReopenConversation(owner, &tandemv1.ReopenConversationRequest{ConversationId: v.conv})
	}
	wr.mu.Lock()
	defer wr.mu.Unlock()
	if wr.ok == nil {
		wr.ok, wr.codes = map[string]int{}, map[string]int{}
	}
	if err != nil {
		wr.codes[op+" "+connect.CodeOf(err).String()]++
		return
	}
	wr.ok[op]++
}

func (wr *roleWriter) secrets() map[string]bool {
	wr.mu.Lock()
	defer wr.mu.Unlock()
	return wr.secret
}

func (wr *roleWriter) summary() string {
	wr.mu.Lock()
	defer wr.mu.Unlock()
	return fmt.Sprintf("ok %v, refused %v", wr.ok, wr.codes)
}
