package server_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"connectrpc.com/connect"
	"github.com/google/uuid"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// hardTexts are valid UTF-8 that storage and transport like to change:
// 4-byte emoji with joiners and skin tones, combining marks, other planes,
// right-to-left scripts, zero-width characters, a BOM, NUL and other
// controls, SQL and markup, and edge whitespace.
var hardTexts = []string{
	"👩🏽‍💻 fixed it 👨‍👩‍👧‍👦🏳️‍🌈",
	"e\u0301 vs \u00e9, a\u030a vs \u00e5",
	"Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǧ̗͚̚o̙̔ͮ̇͐̇",
	"𝕳𝖊𝖑𝖑𝖔 𐍈 \U0010FFFD \uFFFD",
	"中文 日本語 한국어 ภาษาไทย",
	"مرحبا بك في المتجر",
	"\u200b\u200c\u200d\u2060zero\ufeffwidth",
	"a\x00b",
	"tab\tline\nreturn\r\nend",
	"'\"`;--/**/\\%_!",
	"<script>alert(1)</script><img src=x onerror=alert(1)>",
	"  spaced out  ",
	"\u202Eright-to-left override",
	strings.Repeat("🙂", 4096), // 16,384 bytes: a message body's cap
}

// textSink is one place a person's text is kept and shown: put stores s
// in the field it names and returns how to read it back. A name is kept
// without the whitespace at its ends; anything else as it came.
type textSink struct {
	name, field string
	isName      bool
	put         func(c rpcclient.Clients, s string) (read func(c rpcclient.Clients) (string, error), err error)
}

// textSinks are the fields that customers and agents write and others
// read, in w's first workspace.
func textSinks(w *world) []textSink {
	owner, agent := rpcclient.WithToken(w.Ctx, w.Token("owner")), rpcclient.WithToken(w.Ctx, w.Token("agent"))
	_, visitorToken := w.NewVisitor(w.W1)
	visitor := rpcclient.WithToken(w.Ctx, visitorToken)
	c := w.Srv.Clients(rpcclient.Connect)
	start, err := c.Widget.StartConversation(visitor, &tandemv1.StartConversationRequest{ClientId: uuid.NewString(), Body: "hello"})
	if err != nil {
		w.T.Fatal(err)
	}
	convID := start.GetConversation().GetId()
	conv, err := c.Conversation.GetConversation(agent, &tandemv1.GetConversationRequest{ConversationId: convID})
	if err != nil {
		w.T.Fatal(err)
	}
	contactID := conv.GetConversation().GetContact().GetId()

	// message reads a message of the conversation by id, as an agent and,
	// unless it is a note, as the customer: both must show the same text.
	message := func(id string, public bool) func(c rpcclient.Clients) (string, error) {
		return func(c rpcclient.Clients) (string, error) {
			h, err := c.Conversation.GetConversation(agent, &tandemv1.GetConversationRequest{ConversationId: convID, PageSize: 200})
			if err != nil {
				return "", err
			}
			i := slices.IndexFunc(h.GetHistory(), func(m *tandemv1.Message) bool { return m.GetId() == id })
			if i < 0 {
				return "", fmt.Errorf("message %s not in the history", id)
			}
			body := h.GetHistory()[i].GetBody()
			if !public {
				return body, nil
			}
			v, err := c.Widget.ListMessages(visitor, &tandemv1.ListMessagesRequest{ConversationId: convID, PageSize: 200})
			if err != nil {
				return "", err
			}
			j := slices.IndexFunc(v.GetMessages(), func(m *tandemv1.WidgetMessage) bool { return m.GetId() == id })
			if j < 0 || v.GetMessages()[j].GetBody() != body {
				return "", fmt.Errorf("the customer sees %q, the agent %q", v.GetMessages()[max(j, 0)].GetBody(), body)
			}
			return body, nil
		}
	}
	contactAttr := func(c rpcclient.Clients) (string, error) {
		r, err := c.Contact.GetContact(agent, &tandemv1.GetContactRequest{ContactId: contactID})
		return r.GetContact().GetUnverifiedAttributes()["note"], err
	}
	return []textSink{
		{"customer's message", "body", false, func(c rpcclient.Clients, s string) (func(rpcclient.Clients) (string, error), error) {
			r, err := c.Widget.SendMessage(visitor, &tandemv1.WidgetServiceSendMessageRequest{ConversationId: convID, ClientId: uuid.NewString(), Body: s})
			return message(r.GetMessage().GetId(), true), err
		}},
		{"agent's reply", "body", false, func(c rpcclient.Clients, s string) (func(rpcclient.Clients) (string, error), error) {
			r, err := c.Conversation.SendMessage(agent, &tandemv1.SendMessageRequest{ConversationId: convID, ClientId: uuid.NewString(), Body: s})
			return message(r.GetMessage().GetId(), true), err
		}},
		{"internal note", "body", false, func(c rpcclient.Clients, s string) (func(rpcclient.Clients) (string, error), error) {
			r, err := c.Conversation.AddNote(agent, &tandemv1.AddNoteRequest{ConversationId: convID, ClientId: uuid.NewString(), Body: s})
			return message(r.GetNote().GetId(), false), err
		}},
		{"tag name", "name", true, func(c rpcclient.Clients, s string) (func(rpcclient.Clients) (string, error), error) {
			r, err := c.Tag.CreateTag(owner, &tandemv1.CreateTagRequest{WorkspaceId: w.W1.ID, Name: s, Color: "#e11d48"})
			id := r.GetTag().GetId()
			return func(c rpcclient.Clients) (string, error) {
				l, err := c.Tag.ListTags(agent, &tandemv1.ListTagsRequest{WorkspaceId: w.W1.ID})
				i := slices.IndexFunc(l.GetTags(), func(t *tandemv1.Tag) bool { return t.GetId() == id })
				if i < 0 {
					return "", fmt.Errorf("tag %s not listed (%w)", id, err)
				}
				return l.GetTags()[i].GetName(), err
			}, err
		}},
		{"canned reply", "body", false, func(c rpcclient.Clients, s string) (func(rpcclient.Clients) (string, error), error) {
			r, err := c.Canned.CreateCannedResponse(owner, &tandemv1.CreateCannedResponseRequest{WorkspaceId: w.W1.ID,
				Shortcut: strings.ReplaceAll(rpctest.Unique("t"), " ", ""), Title: "Reply", Body: s})
			id := r.GetCannedResponse().GetId()
			return func(c rpcclient.Clients) (string, error) {
				l, err := c.Canned.ListCannedResponses(agent, &tandemv1.ListCannedResponsesRequest{WorkspaceId: w.W1.ID, PageSize: 200})
				i := slices.IndexFunc(l.GetCannedResponses(), func(r *tandemv1.CannedResponse) bool { return r.GetId() == id })
				if i < 0 {
					return "", fmt.Errorf("canned reply %s not listed (%w)", id, err)
				}
				return l.GetCannedResponses()[i].GetBody(), err
			}, err
		}},
		{"group name", "name", true, func(c rpcclient.Clients, s string) (func(rpcclient.Clients) (string, error), error) {
			r, err := c.Workspace.CreateGroup(owner, &tandemv1.CreateGroupRequest{WorkspaceId: w.W1.ID, Name: s})
			id := r.GetGroup().GetId()
			return func(c rpcclient.Clients) (string, error) {
				l, err := c.Workspace.ListGroups(agent, &tandemv1.ListGroupsRequest{WorkspaceId: w.W1.ID})
				i := slices.IndexFunc(l.GetGroups(), func(g *tandemv1.Group) bool { return g.GetId() == id })
				if i < 0 {
					return "", fmt.Errorf("group %s not listed (%w)", id, err)
				}
				return l.GetGroups()[i].GetName(), err
			}, err
		}},
		{"customer's name", "name", true, func(c rpcclient.Clients, s string) (func(rpcclient.Clients) (string, error), error) {
			_, err := c.Contact.UpdateContact(agent, &tandemv1.UpdateContactRequest{ContactId: contactID, Name: &s})
			return func(c rpcclient.Clients) (string, error) {
				r, err := c.Contact.GetContact(agent, &tandemv1.GetContactRequest{ContactId: contactID})
				return r.GetContact().GetName(), err
			}, err
		}},
		{"customer's attribute", "attributes", false, func(c rpcclient.Clients, s string) (func(rpcclient.Clients) (string, error), error) {
			_, err := c.Widget.UpdateVisitor(visitor, &tandemv1.UpdateVisitorRequest{Attributes: map[string]string{"note": s}})
			return contactAttr, err
		}},
	}
}

// checkRoundTrip puts s into every sink and reads it back over each
// protocol in protocols: refused as InvalidArgument naming the sink's
// field, or kept byte for byte. Nothing else: no other code, no text
// changed on the way through the database or a protocol.
func checkRoundTrip(t *testing.T, w *world, sinks []textSink, s string, protocols []rpcclient.Protocol) {
	t.Helper()
	c := w.Srv.Clients(rpcclient.Connect)
	for _, sink := range sinks {
		read, err := sink.put(c, s)
		if err != nil {
			if connect.CodeOf(err) != connect.CodeInvalidArgument || !strings.Contains(err.Error(), sink.field) {
				t.Errorf("%s = %q: %v, want OK or InvalidArgument naming %s", sink.name, s, err, sink.field)
			}
			continue
		}
		want := s
		if sink.isName {
			want = strings.TrimSpace(s)
		}
		for _, p := range protocols {
			got, err := read(w.Srv.Clients(p))
			if err != nil {
				t.Errorf("%s = %q, read over %s: %v", sink.name, s, p, err)
			} else if got != want {
				t.Errorf("%s over %s: stored %q (%d bytes), read %q (%d bytes)", sink.name, p, want, len(want), got, len(got))
			}
		}
	}
}

// TestTextRoundTrip (INP-02): hard but valid texts in every field people
// write are kept byte for byte through each database and read back the
// same over Connect, gRPC and gRPC-web, by agents and customers alike, or
// refused naming the field (names refuse controls and direction
// overrides, as naming.Check says, and are kept without edge whitespace).
func TestTextRoundTrip(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := newWorld(t, opts)
		sinks := textSinks(w)
		for _, s := range hardTexts {
			checkRoundTrip(t, w, sinks, s, rpcclient.Protocols())
		}
		// What must be refused is refused, and what must be kept, kept.
		refusedName, keptBody := "\u202Eright-to-left override", "a\x00b"
		if _, err := sinks[3].put(w.Srv.Clients(rpcclient.Connect), refusedName); connect.CodeOf(err) != connect.CodeInvalidArgument {
			t.Errorf("a tag named with a direction override: %v, want InvalidArgument", err)
		}
		if _, err := sinks[1].put(w.Srv.Clients(rpcclient.Connect), keptBody); err != nil {
			t.Errorf("a reply holding a NUL: %v, want it kept", err)
		}
	})
}

// FuzzTextFields puts any valid UTF-8 into every field people write, on
// SQLite: refused as InvalidArgument naming the field, or kept byte for
// byte; never another error. `go test` runs its seeds (hardTexts); run
// `go test -run '^$' -fuzz FuzzTextFields ./internal/server/` to search.
func FuzzTextFields(f *testing.F) {
	for _, s := range hardTexts {
		f.Add(s)
	}
	w := newWorld(f, storetest.Options(f, "sqlite"))
	sinks := textSinks(w)
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			t.Skip("protobuf strings are UTF-8; TestBadInput sends invalid bytes")
		}
		checkRoundTrip(t, w, sinks, s, []rpcclient.Protocol{rpcclient.Connect})
	})
}
