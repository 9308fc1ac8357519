package app_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/desktop/internal/apiclient"
	"github.com/tandem-inbox/tandem/desktop/internal/notify"
	"github.com/tandem-inbox/tandem/desktop/internal/outbox"
	"github.com/tandem-inbox/tandem/desktop/internal/tandemtest"
)

// TestAgentShift signs in, sees a customer handed off by the AI agent
// arrive live (with a native notification), takes the conversation over
// and replies; the customer gets the reply through the widget API.
func TestAgentShift(t *testing.T) {
	srv := tandemtest.Start(t, nil)
	r := launch(t, "")
	if _, err := r.app.SignIn(srv.URL, tandemtest.AgentEmail, "wrong password"); apiclient.KindOf(err) != apiclient.KindSignedOut ||
		!strings.Contains(apiclient.From(err).Message, "don't match") {
		t.Fatalf("sign in with a wrong password = %v", err)
	}
	v, err := r.app.SignIn(srv.URL, tandemtest.AgentEmail, tandemtest.Password)
	if err != nil {
		t.Fatal(err)
	}
	if !v.SignedIn || !v.Ready || v.WorkspaceID != srv.WorkspaceID || v.Role != "agent" || v.TokenStorage != "file" {
		t.Fatalf("session = %+v", v)
	}
	list, err := r.app.Conversations()
	if err != nil {
		t.Fatal(err)
	}
	if len(list) < 3 { // the demo's queued, active and snoozed conversations
		t.Fatalf("inbox has %d conversations, want the demo's open ones", len(list))
	}
	dir, err := r.app.Directory()
	if err != nil || len(dir.Members) < 2 || len(dir.Groups) < 3 || len(dir.Tags) < 4 || len(dir.MyGroups) != 1 {
		t.Fatalf("directory = %d members, %d groups, %d tags, my groups %v; err %v", len(dir.Members), len(dir.Groups), len(dir.Tags), dir.MyGroups, err)
	}

	cust := srv.StartConversation(t, "Quinn", "My parcel never arrived")
	id := cust.Conversation.GetId()
	eventually(t, "the new conversation on the stream", func() bool {
		for _, ev := range r.shell.streamed(t) {
			if ev.GetConversationId() == id && ev.GetType() == "message.created" && ev.GetConversation().GetUnread() {
				return true
			}
		}
		return false
	})
	cust.HandOff(t)
	var n notify.Notification
	eventually(t, "the handoff notification", func() bool {
		for _, x := range r.shell.notifications() {
			if x.Kind == "handoff" && x.ConversationID == id {
				n = x
				return true
			}
		}
		return false
	})
	if n.ID == "" || n.Title == "" {
		t.Fatalf("notification = %+v", n)
	}
	if c, _ := r.app.Conversations(); !slices.ContainsFunc(c, func(raw json.RawMessage) bool {
		cv := decodeConv(t, raw)
		return cv.GetId() == id && cv.GetState() == tandemv1.ConversationState_CONVERSATION_STATE_PENDING
	}) {
		t.Fatal("the handed-off conversation is not pending in the inbox")
	}

	view, err := r.app.Open(id)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(view.History, func(raw json.RawMessage) bool { return decodeMsg(t, raw).GetBody() == "My parcel never arrived" }) {
		t.Fatalf("history lacks the customer's message: %s", view.History)
	}
	conv, err := r.app.TakeOver(id)
	if err != nil {
		t.Fatal(err)
	}
	if c := decodeConv(t, conv); c.GetAssigneeUserId() != v.UserID || c.GetState() != tandemv1.ConversationState_CONVERSATION_STATE_ACTIVE {
		t.Fatalf("after take over: %v", c)
	}
	it, err := r.app.Reply(id, "I'm on it, Quinn.", nil)
	if err != nil || it.State != outbox.Queued {
		t.Fatalf("Reply = %+v, %v", it, err)
	}
	eventually(t, "the customer to get the reply", func() bool { return customerSaw(t, cust, "I'm on it, Quinn.") == 1 })
	eventually(t, "the outbox to say delivered", func() bool {
		for _, o := range r.app.Outbox() {
			if o.ClientID == it.ClientID {
				return o.State == outbox.Delivered
			}
		}
		return false
	})

	// Someone else cannot claim what the agent owns: the error says who.
	other := launch(t, "")
	if _, err := other.app.SignIn(srv.URL, tandemtest.OwnerEmail, tandemtest.Password); err != nil {
		t.Fatal(err)
	}
	_, err = other.app.Claim(id)
	if e := apiclient.From(err); e.Kind != apiclient.KindConflict || !strings.Contains(e.Message, "Alex Agent has already claimed") {
		t.Fatalf("claim of a taken conversation = %+v", e)
	}
}

// TestRestartWhileOffline: a reply written while the server is down is on
// disk before Reply returns, survives an app restart, and reaches the
// customer once when the server is back.
func TestRestartWhileOffline(t *testing.T) {
	srv := tandemtest.Start(t, nil)
	cust := srv.StartConversation(t, "Rita", "Hello?")
	first := launch(t, "")
	if _, err := first.app.SignIn(srv.URL, tandemtest.AgentEmail, tandemtest.Password); err != nil {
		t.Fatal(err)
	}
	srv.Stop(t)
	eventually(t, "the app to see it is offline", func() bool {
		v, _ := first.shell.lastSession()
		return v.Connection == "offline"
	})
	it, err := first.app.Reply(cust.Conversation.GetId(), "Back with you shortly", nil)
	if err != nil || it.State != outbox.Queued {
		t.Fatalf("Reply while offline = %+v, %v", it, err)
	}
	first.stop()

	second := launch(t, first.dir) // the app restarted, still offline
	if got := second.app.Outbox(); len(got) != 1 || got[0].ClientID != it.ClientID || got[0].State != outbox.Queued {
		t.Fatalf("outbox after restart = %+v", got)
	}
	if v := second.app.State(); !v.SignedIn || v.Ready {
		t.Fatalf("session after restart = %+v, want signed in, not ready (offline)", v)
	}
	srv.Restart(t)
	eventually(t, "the reply to reach the customer", func() bool { return customerSaw(t, cust, "Back with you shortly") == 1 })
	eventually(t, "the session to be ready", func() bool { return second.app.State().Ready })
	if n := customerSaw(t, cust, "Back with you shortly"); n != 1 {
		t.Fatalf("customer got the reply %d times", n)
	}
}

// TestDeadTokenKeepsOutbox: the app restarts with a token the server no
// longer accepts. The session ends with a notice and the dead token is
// forgotten; the agent's queued reply waits, is not sent while someone else
// is signed in on this computer, and goes out once the agent signs back in.
func TestDeadTokenKeepsOutbox(t *testing.T) {
	srv := tandemtest.Start(t, nil)
	cust := srv.StartConversation(t, "Sol", "Hi")
	first := launch(t, "")
	if _, err := first.app.SignIn(srv.URL, tandemtest.AgentEmail, tandemtest.Password); err != nil {
		t.Fatal(err)
	}
	srv.Stop(t)
	it, err := first.app.Reply(cust.Conversation.GetId(), "queued by the agent", nil)
	if err != nil {
		t.Fatal(err)
	}
	first.stop()
	tokens := filepath.Join(first.dir, "tokens.json")
	b, err := os.ReadFile(tokens)
	if err != nil {
		t.Fatal(err)
	}
	dead := strings.Replace(string(b), readToken(t, first.dir), "revoked-token", 1)
	if err := os.WriteFile(tokens, []byte(dead), 0o600); err != nil {
		t.Fatal(err)
	}
	srv.Restart(t)

	r := launch(t, first.dir)
	eventually(t, "the app to end the dead session", func() bool {
		v, _ := r.shell.lastSession()
		return !v.SignedIn && strings.Contains(v.Notice, "Sign in again")
	})
	// Its token is forgotten as the session ends (another goroutine may
	// show the session ended a moment before the file is rewritten).
	eventually(t, "the dead token to be forgotten", func() bool {
		b, _ := os.ReadFile(tokens)
		return !strings.Contains(string(b), "revoked-token")
	})
	if got := r.app.Outbox(); len(got) != 1 || got[0].ClientID != it.ClientID || got[0].State != outbox.Queued {
		t.Fatalf("outbox while signed out = %+v, want the reply still queued", got)
	}
	if _, err := r.app.Reply(cust.Conversation.GetId(), "x", nil); apiclient.KindOf(err) != apiclient.KindSignedOut {
		t.Fatalf("Reply while signed out = %v", err)
	}

	if _, err := r.app.SignIn(srv.URL, tandemtest.OwnerEmail, tandemtest.Password); err != nil {
		t.Fatal(err)
	}
	another := srv.StartConversation(t, "Tom", "Hi")
	if _, err := r.app.Reply(another.Conversation.GetId(), "from the owner", nil); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the owner's reply", func() bool { return customerSaw(t, another, "from the owner") == 1 })
	if n := customerSaw(t, cust, "queued by the agent"); n != 0 {
		t.Fatalf("the agent's reply went out under the owner's session")
	}
	r.app.SignOut()
	if _, err := r.app.SignIn(srv.URL, tandemtest.AgentEmail, tandemtest.Password); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the agent's reply", func() bool { return customerSaw(t, cust, "queued by the agent") == 1 })
	if got, ok := itemOf(r, it.ClientID); !ok || got.State != outbox.Delivered {
		t.Fatalf("item = %+v", got)
	}
}

func itemOf(r *running, clientID string) (outbox.Item, bool) {
	for _, it := range r.app.Outbox() {
		if it.ClientID == clientID {
			return it, true
		}
	}
	return outbox.Item{}, false
}

func readToken(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "tokens.json"))
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	if err := json.Unmarshal(b, &m); err != nil || len(m) != 1 {
		t.Fatalf("tokens file %s: %v", b, err)
	}
	for _, tok := range m {
		return tok
	}
	return ""
}
