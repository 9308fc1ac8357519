package server_test

import (
	"context"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"buf.build/gen/go/bufbuild/protovalidate/protocolbuffers/go/buf/validate"
	"connectrpc.com/connect"
	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/config"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// hugeMapKeys and hugeListItems are INP-01's sizes: a 10,000-key map and a
// 100,000-item repeated field.
const (
	hugeMapKeys   = 10_000
	hugeListItems = 100_000
	// maxErrorBytes is the most an error answering them may say.
	maxErrorBytes = 1024
	// callTimeout is how long each may take to be refused.
	callTimeout = 20 * time.Second
)

// unboundedFields lists, for every message reachable from m (its fields'
// messages, map values and list items, recursively), the repeated fields
// without a protovalidate max_items and the maps without a max_pairs.
func unboundedFields(m protoreflect.MessageDescriptor, seen map[protoreflect.FullName]bool) []string {
	if seen[m.FullName()] {
		return nil
	}
	seen[m.FullName()] = true
	var out []string
	fields := m.Fields()
	for i := range fields.Len() {
		f := fields.Get(i)
		rules, _ := proto.GetExtension(f.Options(), validate.E_Field).(*validate.FieldRules)
		switch {
		case f.IsMap():
			if rules.GetMap() == nil || rules.GetMap().MaxPairs == nil {
				out = append(out, fmt.Sprintf("%s (map without max_pairs)", f.FullName()))
			}
			if v := f.MapValue(); v.Kind() == protoreflect.MessageKind {
				out = append(out, unboundedFields(v.Message(), seen)...)
			}
			continue
		case f.IsList() && (rules.GetRepeated() == nil || rules.GetRepeated().MaxItems == nil):
			out = append(out, fmt.Sprintf("%s (repeated without max_items)", f.FullName()))
		}
		if f.Kind() == protoreflect.MessageKind || f.Kind() == protoreflect.GroupKind {
			out = append(out, unboundedFields(f.Message(), seen)...)
		}
	}
	return out
}

// TestEdgeBoundedRequests (INP-01): every map and repeated field a client
// can send, in any procedure's request and the messages nested in it, has
// a bound that protovalidate checks before the handler runs, so a new field
// cannot ship that takes 10,000 keys or 100,000 items. The check is proven
// to see unbounded fields on the responses, which have none.
func TestEdgeBoundedRequests(t *testing.T) {
	t.Parallel()
	seen := map[protoreflect.FullName]bool{}
	for proc, md := range procedures(t) {
		for _, f := range unboundedFields(md.Input(), seen) {
			t.Errorf("%s: %s: add a bound to the proto", proc, f)
		}
	}
	// The walk itself finds an unbounded list where there is one.
	resp := (&tandemv1.ListConversationsResponse{}).ProtoReflect().Descriptor()
	if got := unboundedFields(resp, map[protoreflect.FullName]bool{}); len(got) == 0 {
		t.Fatalf("the walk found no unbounded field in %s, whose conversations are not bounded", resp.FullName())
	}
}

// TestEdgeHugeMapsAndLists (INP-01): requests holding a 10,000-key map
// (a visitor's attributes in StartSession and UpdateVisitor, a contact's,
// a conversation's custom fields) or a 100,000-item repeated field (message
// files, rule words, filter tags, notification and rule ids, skills), over
// Connect, gRPC and gRPC-web, are refused with InvalidArgument naming the
// field, or ResourceExhausted where the items pass the message cap; nothing
// is written, the server still answers, and its goroutines return to their
// baseline.
//
// Not parallel, and the databases one after the other: the goroutines it
// counts are the test process's, which parallel tests would share.
func TestEdgeHugeMapsAndLists(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) { hugeMapsAndLists(t, storetest.Options(t, d)) })
	}
}

func hugeMapsAndLists(t *testing.T, opts store.Options) {
	// No reactors: their work on the fixtures (notifications of the new
	// conversation) would be writes the refused requests did not make.
	w := worldOn(t, rpctest.Start(t, opts, func(c *config.Config) { c.Reactors = false }))
	conv := w.Conversation(w.Visitor)
	// Each call's contexts, set before it with its deadline: a server that
	// took minutes over a request (as one answering 100,000 violations
	// does under the race detector) fails the call, not the test binary.
	var owner, agent, visitor, anon context.Context

	hugeMap := make(map[string]string, hugeMapKeys)
	for i := range hugeMapKeys {
		hugeMap[fmt.Sprintf("k%05d", i)] = "v"
	}
	// Short items keep the request under the 1 MiB message cap, so
	// that the bound, not the cap, refuses it.
	short := func(item string) []string {
		s := make([]string, hugeListItems)
		for i := range s {
			s[i] = item
		}
		return s
	}
	// Ids: 100,000 of them are 3.7 MB, past the cap.
	ids := func() []string {
		s := make([]string, hugeListItems)
		for i := range s {
			s[i] = uuid.NewString()
		}
		return s
	}
	states := make([]tandemv1.ConversationState, hugeListItems)
	for i := range states {
		states[i] = tandemv1.ConversationState_CONVERSATION_STATE_BOT
	}
	rule := func(words []string) *tandemv1.RuleSpec {
		return &tandemv1.RuleSpec{
			Name: "huge", Enabled: true, Trigger: tandemv1.RuleTrigger_RULE_TRIGGER_CUSTOMER_MESSAGE,
			Conditions: []*tandemv1.Condition{{Kind: &tandemv1.Condition_Text{Text: &tandemv1.TextCondition{ContainsAny: words}}}},
			Actions:    []*tandemv1.Action{{Kind: &tandemv1.Action_AddTag{AddTag: "t"}}},
		}
	}

	cases := []struct {
		name  string
		call  func(c rpcclient.Clients) error
		field string // "" for ResourceExhausted
	}{
		{"StartSession attributes", func(c rpcclient.Clients) error {
			_, err := c.Widget.StartSession(anon, &tandemv1.StartSessionRequest{PublicKey: w.W1.PublicKey, Name: "v", Attributes: hugeMap})
			return err
		}, "attributes"},
		{"UpdateVisitor attributes", func(c rpcclient.Clients) error {
			_, err := c.Widget.UpdateVisitor(visitor, &tandemv1.UpdateVisitorRequest{Attributes: hugeMap})
			return err
		}, "attributes"},
		{"StartConversation custom_fields", func(c rpcclient.Clients) error {
			_, err := c.Widget.StartConversation(visitor, &tandemv1.StartConversationRequest{ClientId: uuid.NewString(), CustomFields: hugeMap})
			return err
		}, "custom_fields"},
		{"UpdateContact attributes", func(c rpcclient.Clients) error {
			_, err := c.Contact.UpdateContact(owner, &tandemv1.UpdateContactRequest{ContactId: conv.ContactID, Attributes: hugeMap})
			return err
		}, "attributes"},
		{"SendMessage file_ids", func(c rpcclient.Clients) error {
			_, err := c.Conversation.SendMessage(agent, &tandemv1.SendMessageRequest{ConversationId: conv.ID, ClientId: uuid.NewString(), Body: "hi", FileIds: short("f")})
			return err
		}, "file_ids"},
		{"SendMessage file_ids past the cap", func(c rpcclient.Clients) error {
			_, err := c.Conversation.SendMessage(agent, &tandemv1.SendMessageRequest{ConversationId: conv.ID, ClientId: uuid.NewString(), Body: "hi", FileIds: ids()})
			return err
		}, ""},
		{"widget SendMessage file_ids", func(c rpcclient.Clients) error {
			_, err := c.Widget.SendMessage(visitor, &tandemv1.WidgetServiceSendMessageRequest{ConversationId: conv.ID, ClientId: uuid.NewString(), Body: "hi", FileIds: short("f")})
			return err
		}, "file_ids"},
		{"CreateRule words", func(c rpcclient.Clients) error {
			_, err := c.Automation.CreateRule(owner, &tandemv1.CreateRuleRequest{WorkspaceId: w.W1.ID, Rule: rule(short("w"))})
			return err
		}, "contains_any"},
		{"ListConversations tag_ids", func(c rpcclient.Clients) error {
			_, err := c.Conversation.ListConversations(agent, &tandemv1.ListConversationsRequest{WorkspaceId: w.W1.ID, Filter: &tandemv1.ConversationFilter{TagIds: short("t")}})
			return err
		}, "tag_ids"},
		{"ListConversations states", func(c rpcclient.Clients) error {
			_, err := c.Conversation.ListConversations(agent, &tandemv1.ListConversationsRequest{WorkspaceId: w.W1.ID, Filter: &tandemv1.ConversationFilter{States: states}})
			return err
		}, "states"},
		{"MarkNotificationsRead notification_ids", func(c rpcclient.Clients) error {
			_, err := c.Notification.MarkNotificationsRead(agent, &tandemv1.MarkNotificationsReadRequest{WorkspaceId: w.W1.ID, NotificationIds: short("n")})
			return err
		}, "notification_ids"},
		{"ReorderRules rule_ids past the cap", func(c rpcclient.Clients) error {
			_, err := c.Automation.ReorderRules(owner, &tandemv1.ReorderRulesRequest{WorkspaceId: w.W1.ID, RuleIds: ids()})
			return err
		}, ""},
		{"SetRequiredSkills skills", func(c rpcclient.Clients) error {
			_, err := c.Conversation.SetRequiredSkills(agent, &tandemv1.SetRequiredSkillsRequest{ConversationId: conv.ID, Skills: short("s")})
			return err
		}, "skills"},
	}

	written := func() string {
		var b strings.Builder
		for _, table := range []string{"events", "contacts", "visitor_sessions", "conversations", "messages", "automation_rules", "conversation_reads", "notifications"} {
			fmt.Fprintf(&b, "%s=%d ", table, storetest.Count(t, w.Srv.DB(), table, ""))
		}
		b.WriteString(w.Digest(w.W1.ID,
			`SELECT id, name, email, attributes, updated_at FROM contacts WHERE workspace_id = ? ORDER BY id`,
			`SELECT id, state, last_seq FROM conversations WHERE workspace_id = ? ORDER BY id`))
		return b.String()
	}
	// Each protocol's connections are made once before the baseline,
	// so that the goroutines counted after are the requests' only.
	for _, p := range rpcclient.Protocols() {
		if _, err := w.Srv.Clients(p).Auth.WhoAmI(w.As("owner"), &tandemv1.WhoAmIRequest{}); err != nil {
			t.Fatal(err)
		}
	}
	runtime.GC()
	goroutines := runtime.NumGoroutine()
	before := written()
	for _, p := range rpcclient.Protocols() {
		c := w.Srv.Clients(p)
		for _, tc := range cases {
			ctx, cancel := context.WithTimeout(w.Ctx, callTimeout)
			owner, agent = rpcclient.WithToken(ctx, w.Token("owner")), rpcclient.WithToken(ctx, w.Token("agent"))
			visitor, anon = rpcclient.WithToken(ctx, w.VisitorToken), ctx
			err := tc.call(c)
			cancel()
			want := connect.CodeInvalidArgument
			if tc.field == "" {
				want = connect.CodeResourceExhausted
			}
			if got := connect.CodeOf(err); err == nil || got != want {
				t.Errorf("%s over %s: %v, want %v", tc.name, p, errOrOK(err), want)
				continue
			}
			if tc.field != "" && !strings.Contains(err.Error(), tc.field) {
				t.Errorf("%s over %s: error does not name %q: %v", tc.name, p, tc.field, err)
			}
			// One violation is enough: a list of 100,000 bad items must
			// not be answered with 100,000 of them.
			if n := len(err.Error()); n > maxErrorBytes {
				t.Errorf("%s over %s: a %d-byte error", tc.name, p, n)
			}
		}
	}
	if after := written(); after != before {
		t.Errorf("refused requests wrote:\n%s\n->\n%s", before, after)
	}
	// The server is alive and serves the same callers.
	for _, p := range rpcclient.Protocols() {
		if _, err := w.Srv.Clients(p).Conversation.GetConversation(w.As("agent"), &tandemv1.GetConversationRequest{ConversationId: conv.ID}); err != nil {
			t.Errorf("after the huge requests, over %s: %v", p, err)
		}
	}
	waitGoroutines(t, goroutines)
}

// waitGoroutines waits up to 10 s for the process to be back to its
// goroutine baseline (two more allowed for the runtime's own), closing idle
// client connections so that the server's go with them.
func waitGoroutines(t *testing.T, baseline int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	for runtime.NumGoroutine() > baseline+2 && ctx.Err() == nil {
		http.DefaultClient.CloseIdleConnections()
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > baseline+2 {
		t.Errorf("%d goroutines after the requests, %d before", n, baseline)
	}
}
