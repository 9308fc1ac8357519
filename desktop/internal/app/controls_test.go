package app_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/desktop/internal/apiclient"
	"github.com/tandem-inbox/tandem/desktop/internal/tandemtest"
)

// TestControls runs the conversation controls through the app as a
// supervisor-level member (the owner) and an agent, checking each result
// and each refusal's plain words.
func TestControls(t *testing.T) {
	srv := tandemtest.Start(t, nil)
	boss := launch(t, "")
	if _, err := boss.app.SignIn(srv.URL, tandemtest.OwnerEmail, tandemtest.Password); err != nil {
		t.Fatal(err)
	}
	agent := launch(t, "")
	av, err := agent.app.SignIn(srv.URL, tandemtest.AgentEmail, tandemtest.Password)
	if err != nil {
		t.Fatal(err)
	}
	dir, err := boss.app.Directory()
	if err != nil {
		t.Fatal(err)
	}
	tag := &tandemv1.Tag{}
	if err := protojson.Unmarshal(dir.Tags[0], tag); err != nil {
		t.Fatal(err)
	}
	group := &tandemv1.Group{}
	for _, raw := range dir.Groups {
		g := &tandemv1.Group{}
		if err := protojson.Unmarshal(raw, g); err != nil {
			t.Fatal(err)
		}
		if g.GetName() == "Billing" {
			group = g
		}
	}

	id := srv.StartConversation(t, "Uma", "Can I pay by invoice?").Conversation.GetId()
	step := func(name string, raw json.RawMessage, err error, check func(c *tandemv1.Conversation) bool) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		c := decodeConv(t, raw)
		if !check(c) {
			t.Fatalf("%s: conversation is now %v", name, c)
		}
	}
	raw, err := agent.app.Claim(id)
	step("claim", raw, err, func(c *tandemv1.Conversation) bool { return c.GetAssigneeUserId() == av.UserID })
	raw, err = agent.app.Tag(id, tag.GetId())
	step("tag", raw, err, func(c *tandemv1.Conversation) bool { return slices.Contains(c.GetTagIds(), tag.GetId()) })
	raw, err = agent.app.Untag(id, tag.GetId())
	step("untag", raw, err, func(c *tandemv1.Conversation) bool { return !slices.Contains(c.GetTagIds(), tag.GetId()) })
	raw, err = agent.app.SetPriority(id, int32(tandemv1.Priority_PRIORITY_URGENT))
	step("priority", raw, err, func(c *tandemv1.Conversation) bool { return c.GetPriority() == tandemv1.Priority_PRIORITY_URGENT })

	// A supervisor joins, whispers to the owner, leaves; the agent cannot
	// whisper or take over from a teammate.
	raw, err = boss.app.Join(id)
	step("join", raw, err, func(c *tandemv1.Conversation) bool { return len(c.GetParticipantUserIds()) == 1 })
	if _, err := boss.app.Note(id, "Offer the invoice option", nil, true); err != nil {
		t.Fatal(err)
	}
	raw, err = boss.app.Leave(id)
	step("leave", raw, err, func(c *tandemv1.Conversation) bool { return len(c.GetParticipantUserIds()) == 0 })
	_, err = agent.app.Note(id, "psst", nil, true)
	if err != nil {
		t.Fatal(err) // queued: the refusal comes back through the outbox
	}
	eventually(t, "the agent's whisper to fail", func() bool {
		for _, it := range agent.app.Outbox() {
			if it.Body == "psst" {
				return it.State == "failed" && strings.Contains(it.Reason, "supervisors")
			}
		}
		return false
	})

	raw, err = agent.app.Transfer(id, "", group.GetId(), "Billing knows invoices")
	step("transfer to a group", raw, err, func(c *tandemv1.Conversation) bool {
		return c.GetGroupId() == group.GetId() && c.GetAssigneeUserId() == "" && c.GetState() == tandemv1.ConversationState_CONVERSATION_STATE_PENDING
	})
	raw, err = boss.app.Transfer(id, av.UserID, "", "")
	step("transfer to an agent", raw, err, func(c *tandemv1.Conversation) bool { return c.GetAssigneeUserId() == av.UserID })
	raw, err = boss.app.TakeOver(id)
	step("supervisor takes over", raw, err, func(c *tandemv1.Conversation) bool { return c.GetAssigneeUserId() != av.UserID })
	_, err = agent.app.TakeOver(id)
	if e := apiclient.From(err); e.Kind != apiclient.KindForbidden || !strings.Contains(strings.ToLower(e.Message), "only supervisors") {
		t.Fatalf("agent takes over from a teammate = %+v", e)
	}
	until := time.Now().Add(time.Hour).UnixMilli()
	raw, err = boss.app.Snooze(id, until)
	step("snooze", raw, err, func(c *tandemv1.Conversation) bool { return c.GetSnoozeUntilTimeMs() == until })
	raw, err = boss.app.Close(id)
	step("close", raw, err, func(c *tandemv1.Conversation) bool {
		return c.GetState() == tandemv1.ConversationState_CONVERSATION_STATE_CLOSED
	})
	closed, err := agent.app.Closed()
	if err != nil || !slices.ContainsFunc(closed, func(r json.RawMessage) bool { return decodeConv(t, r).GetId() == id }) {
		t.Fatalf("Closed() = %d items, %v; want the closed conversation", len(closed), err)
	}
	raw, err = boss.app.Reopen(id)
	step("reopen", raw, err, func(c *tandemv1.Conversation) bool {
		return c.GetState() != tandemv1.ConversationState_CONVERSATION_STATE_CLOSED
	})

	found, err := agent.app.Search("pay by invoice")
	if err != nil || len(found) != 1 || decodeConv(t, found[0]).GetId() != id {
		t.Fatalf("Search = %d, %v", len(found), err)
	}
	if _, err := agent.app.Transfer(id, av.UserID, group.GetId(), ""); apiclient.KindOf(err) != apiclient.KindInvalid {
		t.Fatalf("transfer to both = %v", err)
	}

	// The history shows it all, in order, as the agent reads it.
	view, err := agent.app.Open(id)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, h := range view.History {
		m := decodeMsg(t, h)
		if a := m.GetActivity(); a != "" {
			kinds = append(kinds, a)
		} else if m.GetKind() == tandemv1.MessageKind_MESSAGE_KIND_NOTE {
			kinds = append(kinds, "note:"+m.GetBody())
		}
	}
	got := strings.Join(kinds, ",")
	for _, want := range []string{"agent_joined", "note:Offer the invoice option", "agent_left", "note:Billing knows invoices", "transferred", "state_changed"} {
		if !strings.Contains(got, want) {
			t.Errorf("history %s lacks %s", got, want)
		}
	}

	// Contact profile with past conversations; canned replies rendered.
	c := decodeConv(t, view.Conversation)
	contact, err := agent.app.Contact(c.GetContact().GetId())
	if err != nil || len(contact.Conversations) != 1 {
		t.Fatalf("Contact = %+v, %v", contact, err)
	}
	// A web chat carries no mails.
	if raw, err := agent.app.EmailMessages(id); err != nil || string(raw) != "{}" {
		t.Fatalf("EmailMessages of a chat = %s, %v", raw, err)
	}
	canned, err := agent.app.CannedResponses("ship")
	if err != nil || len(canned) != 1 {
		t.Fatalf("CannedResponses(ship) = %d, %v", len(canned), err)
	}
	cr := &tandemv1.CannedResponse{}
	if err := protojson.Unmarshal(canned[0], cr); err != nil {
		t.Fatal(err)
	}
	text, err := agent.app.RenderCanned(cr.GetId(), id)
	if err != nil || !strings.HasPrefix(text, "Hi Uma!") || !strings.Contains(text, "Alex Agent") {
		t.Fatalf("RenderCanned = %q, %v", text, err)
	}

	// Presence and capacity.
	if _, err := agent.app.SetStatus("away"); err != nil {
		t.Fatal(err)
	}
	raw, err = agent.app.SetCapacity(3)
	if err != nil {
		t.Fatal(err)
	}
	st := &tandemv1.AgentStatus{}
	if err := protojson.Unmarshal(raw, st); err != nil || st.GetMaxChats() != 3 || st.GetStatus() != tandemv1.PresenceStatus_PRESENCE_STATUS_AWAY {
		t.Fatalf("agent status = %v, %v", st, err)
	}
	if _, err := agent.app.SetCapacity(0); apiclient.KindOf(err) != apiclient.KindInvalid {
		t.Fatalf("capacity 0 = %v", err)
	}

	// Links: only http(s) reach the browser.
	for link, ok := range map[string]bool{"https://shop.example/orders/1": true, "javascript:alert(1)": false, "file:///etc/passwd": false, "data:text/html,x": false} {
		err := agent.app.OpenLink(link)
		if (err == nil) != ok {
			t.Errorf("OpenLink(%q) = %v", link, err)
		}
	}
	if len(agent.shell.opened) != 1 {
		t.Errorf("opened %v", agent.shell.opened)
	}
}
