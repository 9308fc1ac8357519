package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/config"
	"github.com/tandem-inbox/tandem/backend/internal/conversation"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// floodConfig is a server whose widget limits a test reaches in a few
// calls: three stored writes per chat, three new chats at once per website,
// the visitors' addresses from a trusted proxy's X-Forwarded-For.
func floodConfig(c *config.Config) {
	c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	c.WidgetRate, c.WidgetBurst = 20, 100
	c.WidgetWriteRate, c.WidgetWriteBurst = 0.001, 3
	c.WidgetSessionsPerMinute, c.WidgetSessionBurst = 60, 10
	c.WorkspaceSessionsPerMinute, c.WorkspaceSessionBurst = 0.06, 3
	c.SpamWindow = time.Minute
}

// widgetAs calls a widget procedure over Connect JSON as the visitor
// (token; "" for none) from the client address ip, and returns the HTTP
// status and the decoded answer.
func widgetAs(t *testing.T, srv, token, ip, method, body string) (int, map[string]any) {
	t.Helper()
	header := http.Header{"Content-Type": {"application/json"}, "X-Forwarded-For": {ip}}
	if token != "" {
		header.Set("Authorization", "Bearer "+token)
	}
	status, _, raw := postRaw(t, srv+"/tandem.v1.WidgetService/"+method, body, header)
	out := map[string]any{}
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s: %s: %v", method, raw, err)
	}
	return status, out
}

// TestFloodQuarantine (RATE-01): the chats a flood starts are held as spam
// instead of reaching the agents: a chat whose session or address went
// over the widget's limits, and, while a website's new chats go over
// theirs, a chat of a visitor first seen then whose identity the website
// did not sign. Nothing reacts to one (the AI agent, notifications, SLA
// clocks); its customer is not told; agents list it as SPAM, cannot reply
// to it or take it until someone releases it into the queue, which notifies
// the team as of a new conversation. A chat that floods after it started
// is moved into quarantine before its next words reach anyone.
func TestFloodQuarantine(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		srv := rpctest.Start(t, opts, rpctest.Quiet, floodConfig)
		w := rpctest.BotWorld(t, srv)
		c := srv.Clients(rpcclient.Connect)
		if _, err := c.SLA.CreateSlaPolicy(w.As("admin"), &tandemv1.CreateSlaPolicyRequest{WorkspaceId: w.W1.ID, Policy: slaInput()}); err != nil {
			t.Fatal(err)
		}
		members := []string{"owner", "admin", "supervisor", "agent"}
		start := func(token, ip, body string) string {
			t.Helper()
			status, out := widgetAs(t, srv.URL, token, ip, "StartConversation",
				fmt.Sprintf(`{"clientId":%q,"body":%q}`, uuid.NewString(), body))
			if status != http.StatusOK {
				t.Fatalf("start a chat from %s: %d %v", ip, status, out)
			}
			conv := out["conversation"].(map[string]any)
			if state := conv["state"]; state == "CONVERSATION_STATE_SPAM" {
				t.Errorf("the widget told its customer the chat is spam")
			}
			return conv["id"].(string)
		}
		send := func(token, ip, convID, body string) int {
			t.Helper()
			status, _ := widgetAs(t, srv.URL, token, ip, "SendMessage",
				fmt.Sprintf(`{"conversationId":%q,"clientId":%q,"body":%q}`, convID, uuid.NewString(), body))
			return status
		}
		flood := func(ip string) { // a session of the address's past its writes
			t.Helper()
			_, token := w.NewVisitor(w.W1)
			id := start(token, ip, "buy cheap watches")
			for i := range 3 {
				status := send(token, ip, id, "buy cheap watches")
				if i < 2 && status != http.StatusOK || i == 2 && status != http.StatusTooManyRequests {
					t.Fatalf("flood message %d from %s: %d", i+1, ip, status)
				}
			}
		}
		question := "How long do refunds take?"
		let := func(id, why string) {
			t.Helper()
			if got := w.State(id).State; got == conversation.StateSpam {
				t.Errorf("%s: held as spam", why)
			}
		}
		sla := func(id string) *tandemv1.ConversationSla {
			t.Helper()
			if err := srv.SLAReactor().Drain(w.Ctx, w.W1.ID); err != nil {
				t.Fatal(err)
			}
			return w.SLA(id)
		}
		// held checks that a chat is held as spam and nothing reacted to it
		// (but for what it had before: notifications, the AI agent's answer).
		held := func(id, why string, answered *conversation.Message, notified ...string) {
			t.Helper()
			if got := w.State(id).State; got != conversation.StateSpam {
				t.Errorf("%s: state %s, want spam", why, got)
			}
			if a := w.BotAnswer(id); a != nil && (answered == nil || a.ID != answered.ID) {
				t.Errorf("%s: the AI agent answered a chat held as spam: %q", why, a.Body)
			}
			for name, types := range w.Notified(id, members...) {
				if len(types) > len(notified) {
					t.Errorf("%s: %s was notified of a chat held as spam: %v", why, name, types)
				}
			}
			if sla := sla(id); sla.GetPolicyId() != "" {
				t.Errorf("%s: SLA clocks run on a chat held as spam: %v", why, sla)
			}
		}

		// An ordinary chat comes in and is answered: what the held ones
		// must not be.
		_, calm := w.NewVisitor(w.W1)
		ordinary := start(calm, "198.51.100.1", question)
		if w.State(ordinary).State != conversation.StateBot || w.BotAnswer(ordinary) == nil {
			t.Fatalf("an ordinary chat: %s, answered %v", w.State(ordinary).State, w.BotAnswer(ordinary) != nil)
		}

		// An agent's stream, open through the flood.
		watchCtx, stop := context.WithCancel(w.As("agent"))
		defer stop()
		stream, err := c.Conversation.Watch(watchCtx, &tandemv1.WatchRequest{WorkspaceId: w.W1.ID})
		if err != nil {
			t.Fatal(err)
		}
		seen := make(chan string, 1000)
		go func() {
			defer close(seen)
			for stream.Receive() {
				if ev := stream.Msg().GetEvent(); ev != nil {
					seen <- ev.GetConversationId()
				}
			}
		}()

		// A new session from an address that flooded.
		flood("198.51.100.2")
		_, again := w.NewVisitor(w.W1)
		fromFlood := start(again, "198.51.100.2", question)
		held(fromFlood, "a chat from a flooding address", nil)

		// The agents' streams never carry it: a chat started after it
		// arrives, and nothing of it before.
		_, marker := w.NewVisitor(w.W1)
		after := start(marker, "198.51.100.4", "hello")
		for id := range seen {
			if id == fromFlood {
				t.Fatal("an agent's stream carried a chat held as spam")
			}
			if id == after {
				break
			}
		}
		stop()

		// A chat that started calmly, whose address floods afterwards: its
		// next words go into quarantine with it.
		_, later := w.NewVisitor(w.W1)
		before := start(later, "198.51.100.3", "hello")
		greeting := w.BotAnswer(before)
		flood("198.51.100.3")
		if status := send(later, "198.51.100.3", before, question); status != http.StatusOK {
			t.Fatalf("the calm chat's message after its address flooded: %d", status)
		}
		held(before, "a chat whose address flooded after it started", greeting)

		// Agents see it as spam and must release it before taking it.
		agent := w.As("agent")
		states := func(f *tandemv1.ConversationFilter) map[string]tandemv1.ConversationState {
			t.Helper()
			list, err := c.Conversation.ListConversations(agent, &tandemv1.ListConversationsRequest{WorkspaceId: w.W1.ID, Filter: f})
			if err != nil {
				t.Fatal(err)
			}
			out := map[string]tandemv1.ConversationState{}
			for _, cv := range list.GetConversations() {
				out[cv.GetId()] = cv.GetState()
			}
			return out
		}
		if inbox := states(nil); inbox[ordinary] != tandemv1.ConversationState_CONVERSATION_STATE_BOT || inbox[fromFlood] != 0 || inbox[before] != 0 {
			t.Errorf("the agents' inbox (a list without a filter): %v; want the ordinary chat and none held as spam", inbox)
		}
		spam := states(&tandemv1.ConversationFilter{States: []tandemv1.ConversationState{tandemv1.ConversationState_CONVERSATION_STATE_SPAM}})
		if len(spam) != 2 || spam[fromFlood] == 0 || spam[before] == 0 {
			t.Errorf("the spam list: %v; want the two chats held", spam)
		}
		if _, err := c.Conversation.SendMessage(agent, &tandemv1.SendMessageRequest{ConversationId: fromFlood,
			ClientId: uuid.NewString(), Body: "hi"}); connect.CodeOf(err) != connect.CodeFailedPrecondition || !strings.Contains(err.Error(), "release") {
			t.Errorf("an agent's reply to a chat held as spam: %v, want FailedPrecondition saying to release it", err)
		}
		if _, err := c.Conversation.ClaimConversation(agent, &tandemv1.ClaimConversationRequest{ConversationId: fromFlood}); connect.CodeOf(err) != connect.CodeFailedPrecondition {
			t.Errorf("claiming a chat held as spam: %v, want FailedPrecondition", err)
		}
		for range 2 { // a retry whose answer was lost answers as the first did
			r, err := c.Conversation.ReleaseConversation(agent, &tandemv1.ReleaseConversationRequest{ConversationId: fromFlood})
			if err != nil || r.GetConversation().GetState() != tandemv1.ConversationState_CONVERSATION_STATE_PENDING {
				t.Fatalf("release: %v, %v", r.GetConversation().GetState(), err)
			}
		}
		if _, err := c.Conversation.ReleaseConversation(w.As("admin"), &tandemv1.ReleaseConversationRequest{ConversationId: fromFlood}); connect.CodeOf(err) != connect.CodeFailedPrecondition {
			t.Errorf("another member's release of a released chat: %v, want FailedPrecondition", err)
		}
		for name, types := range w.Notified(fromFlood, members...) {
			if want := []string{"new_conversation"}; name != "agent" && !slices.Equal(types, want) { // not the one who released it
				t.Errorf("released: %s's notifications %v, want %v", name, types, want)
			}
		}
		if sla(fromFlood).GetPolicyId() == "" {
			t.Errorf("released: no SLA")
		}
		if _, err := c.Conversation.SendMessage(agent, &tandemv1.SendMessageRequest{ConversationId: fromFlood,
			ClientId: uuid.NewString(), Body: "Refunds take 5 business days."}); err != nil {
			t.Errorf("replying to the released chat: %v", err)
		}

		// A person marks a chat as spam: unowned, out of the queue; again
		// changes nothing.
		for range 2 {
			r, err := c.Conversation.MarkSpam(agent, &tandemv1.MarkSpamRequest{ConversationId: fromFlood})
			if err != nil || r.GetConversation().GetState() != tandemv1.ConversationState_CONVERSATION_STATE_SPAM || r.GetConversation().GetAssigneeUserId() != "" {
				t.Fatalf("mark as spam: %v, %v", r.GetConversation(), err)
			}
		}
		status, out := widgetAs(t, srv.URL, again, "198.51.100.9", "ListMyConversations", `{}`)
		if status != http.StatusOK || !strings.Contains(fmt.Sprint(out), "CONVERSATION_STATE_PENDING") || strings.Contains(fmt.Sprint(out), "SPAM") {
			t.Errorf("the customer's own list of a chat marked as spam: %d %v", status, out)
		}

		// A website flood: its new sessions from many addresses meet the
		// website's budget. Chats of visitors first seen then are held;
		// those of known or signed customers, and other websites', are not.
		storetest.MustExec(t, srv.DB(), `UPDATE contacts SET created_at = created_at - ? WHERE id = (SELECT contact_id FROM (SELECT contact_id FROM conversations WHERE id = ?) x)`,
			time.Hour.Milliseconds(), ordinary)
		refused := 0
		for i := range 6 {
			if status, _ := widgetAs(t, srv.URL, "", fmt.Sprintf("203.0.113.%d", i+1), "StartSession",
				fmt.Sprintf(`{"publicKey":%q}`, w.W1.PublicKey)); status == http.StatusTooManyRequests {
				refused++
			}
		}
		if refused == 0 {
			t.Fatal("the website's budget of new sessions refused none")
		}
		_, fresh := w.NewVisitor(w.W1)
		held(start(fresh, "203.0.113.50", question), "a new visitor's chat during a website flood", nil)
		let(start(calm, "198.51.100.1", question), "a visitor seen an hour before the website flood")
		signed := w.SignedVisitor(nil)
		let(start(w.TokenOf(signed), "203.0.113.51", question), "a signed visitor's chat during a website flood")
		_, other := w.NewVisitor(w.W2)
		id := start(other, "203.0.113.52", question)
		if got, err := srv.Domain().Conversations.Get(w.Ctx, w.W2.ID, id); err != nil || got.State == conversation.StateSpam {
			t.Errorf("another website's chat during the first's flood: %s, %v", got.State, err)
		}
	})
}

// TestFloodQuarantineAcrossReplicas (RATE-01): a flood one replica refused
// holds the chats another replica starts: the marks are shared through the
// database, like the budgets.
func TestFloodQuarantineAcrossReplicas(t *testing.T) {
	t.Parallel()
	storetest.NeedMySQL(t)
	opts := storetest.Options(t, "mysql")
	a, b := rpctest.Start(t, opts, rpctest.Quiet, floodConfig), rpctest.Start(t, opts, rpctest.Quiet, floodConfig)
	w := worldOn(t, a)
	start := func(srv, token, ip string) string {
		t.Helper()
		status, out := widgetAs(t, srv, token, ip, "StartConversation", fmt.Sprintf(`{"clientId":%q,"body":"hello"}`, uuid.NewString()))
		if status != http.StatusOK {
			t.Fatalf("start a chat on %s: %d %v", srv, status, out)
		}
		return out["conversation"].(map[string]any)["id"].(string)
	}
	_, flooder := w.NewVisitor(w.W1)
	id := start(a.URL, flooder, "198.51.100.7")
	refused := false
	for range 4 {
		status, _ := widgetAs(t, a.URL, flooder, "198.51.100.7", "SendMessage",
			fmt.Sprintf(`{"conversationId":%q,"clientId":%q,"body":"spam"}`, id, uuid.NewString()))
		refused = refused || status == http.StatusTooManyRequests
	}
	if !refused {
		t.Fatal("the flood on the first replica was never refused")
	}
	_, next := w.NewVisitor(w.W1)
	if got := w.State(start(b.URL, next, "198.51.100.7")).State; got != conversation.StateSpam {
		t.Errorf("a chat from the flooding address on the other replica: %s, want spam", got)
	}
	_, calm := w.NewVisitor(w.W1)
	if got := w.State(start(b.URL, calm, "198.51.100.8")).State; got == conversation.StateSpam {
		t.Errorf("another address's chat on the other replica: held as spam")
	}
}
