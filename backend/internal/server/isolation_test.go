package server_test

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/email"
	"github.com/tandem-inbox/tandem/backend/internal/files"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
	"github.com/tandem-inbox/tandem/backend/internal/workspace"
)

// isoWorld is the matrix world with W2 seeded through the API with a canary
// token in every text a workspace can hold, and the ids of what was made, in
// W2 (foreign) and in W1 (own, the targets of W1's callers).
type isoWorld struct {
	*world
	canary string
	// w2 are W2's objects by kind ("group", "user", ...), w2ids every id
	// made in W2, which no answer to W1 may name.
	w2    map[string]string
	w2ids []string
	// w1 are W1's objects by kind, the targets of the reads.
	w1   map[string]string
	conv string // a conversation of W1's visitor, with messages and a note
}

// seedIsolation builds the world of the isolation tests.
func seedIsolation(t *testing.T, opts store.Options) *isoWorld {
	t.Helper()
	var b [8]byte
	_, _ = rand.Read(b[:])
	w := &isoWorld{world: worldOn(t, rpctest.Start(t, opts, rpctest.Quiet)), canary: "w2canary" + hex.EncodeToString(b[:]),
		w2: map[string]string{}, w1: map[string]string{}}
	w.seed(w.W2, "w2owner", w.canary, w.w2)
	w.seed(w.W1, "owner", "w1 text", w.w1)
	w.conv = w.w1["conversation"]
	for _, id := range w.w2 {
		w.w2ids = append(w.w2ids, id)
	}
	w.w2ids = append(w.w2ids, w.W2.ID, w.Users["w2owner"].ID, w.W2Visitor.VisitorID, w.W2.PublicKey)
	return w
}

// seed writes text into every field of ws the API lets its owner set, and
// records the ids of what it made.
func (w *isoWorld) seed(ws workspace.Workspace, ownerName, text string, ids map[string]string) {
	t := w.T
	t.Helper()
	c := w.Srv.Clients(rpcclient.Connect)
	ctx := w.As(ownerName)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	name := text + " name"
	_, err := c.Workspace.UpdateWorkspace(ctx, &tandemv1.UpdateWorkspaceRequest{WorkspaceId: ws.ID, Name: &name})
	must(err)
	g, err := c.Workspace.CreateGroup(ctx, &tandemv1.CreateGroupRequest{WorkspaceId: ws.ID, Name: text + " group", Description: text + " description"})
	must(err)
	ids["group"] = g.GetGroup().GetId()
	u := w.NewUser(text + " member")
	w.Join(ws, u, access.RoleAgent)
	ids["user"] = u.ID
	key, err := c.Auth.CreateApiKey(ctx, &tandemv1.CreateApiKeyRequest{WorkspaceId: ws.ID, Name: text + " key", Role: tandemv1.Role_ROLE_AGENT})
	must(err)
	ids["api_key"] = key.GetApiKey().GetId()
	tag, err := c.Tag.CreateTag(ctx, &tandemv1.CreateTagRequest{WorkspaceId: ws.ID, Name: text + " tag", Description: text + " tag description"})
	must(err)
	ids["tag"] = tag.GetTag().GetId()
	shortcut := strings.ReplaceAll(text, " ", "-")
	cr, err := c.Canned.CreateCannedResponse(ctx, &tandemv1.CreateCannedResponseRequest{WorkspaceId: ws.ID, Shortcut: shortcut,
		Title: text + " title", Body: text + " body"})
	must(err)
	ids["canned"] = cr.GetCannedResponse().GetId()
	act, err := c.Automation.CreateCustomAction(ctx, &tandemv1.CreateCustomActionRequest{WorkspaceId: ws.ID, Action: &tandemv1.CustomActionSpec{
		Label: text + " button", Enabled: true, Actions: []*tandemv1.Action{rpctest.AddTag(text + " tagged")}}})
	must(err)
	ids["action"] = act.GetAction().GetId()
	rule, err := c.Automation.CreateRule(ctx, &tandemv1.CreateRuleRequest{WorkspaceId: ws.ID, Rule: &tandemv1.RuleSpec{
		Name: text + " rule", Enabled: true, Trigger: tandemv1.RuleTrigger_RULE_TRIGGER_CUSTOMER_MESSAGE,
		Conditions: []*tandemv1.Condition{rpctest.Keywords(strings.Fields(text)[0])},
		Actions: []*tandemv1.Action{{Kind: &tandemv1.Action_AddNote{AddNote: text + " rule note"}},
			{Kind: &tandemv1.Action_CallWebhook{CallWebhook: &tandemv1.CallWebhookAction{Url: "https://" + shortcut + ".example.com/hook", Secret: text + "-webhook-secret"}}}}}})
	must(err)
	ids["rule"] = rule.GetRule().GetId()
	sla, err := c.SLA.CreateSlaPolicy(ctx, &tandemv1.CreateSlaPolicyRequest{WorkspaceId: ws.ID, Policy: &tandemv1.SlaPolicyInput{
		Name: text + " sla", FirstResponseSeconds: 600, WarningPercent: 80}})
	must(err)
	ids["sla"] = sla.GetPolicy().GetId()
	doc, err := c.Knowledge.UploadDocument(ctx, &tandemv1.UploadDocumentRequest{WorkspaceId: ws.ID, Filename: shortcut + ".md",
		Content: []byte("# " + text + " title\n\n## " + text + " heading\n" + text + " body of the document.\n")})
	must(err)
	ids["document"] = doc.GetDocument().GetId()
	inbox, err := c.Email.CreateEmailInbox(ctx, &tandemv1.CreateEmailInboxRequest{WorkspaceId: ws.ID, Name: text + " inbox",
		SupportAddress: shortcut + "@example.test", SmtpHost: "smtp.example.test", SmtpPort: 587,
		SmtpTlsMode: tandemv1.SmtpTlsMode_SMTP_TLS_MODE_STARTTLS, SmtpUsername: shortcut, SmtpPassword: text, Signature: text + " signature",
		GroupId: ids["group"]})
	must(err)
	ids["inbox"] = inbox.GetEmailInbox().GetId()
	// A mail to the inbox starts an email conversation: its thread, sender
	// and subject are texts of their own.
	d := w.Srv.Domain()
	in, err := d.Email.Get(w.Ctx, ws.ID, ids["inbox"])
	must(err)
	raw := "From: " + shortcut + "@mail.example.com\r\nSubject: " + text + " subject\r\nMessage-ID: <" + uuid.NewString() +
		"@mail.example.com>\r\n\r\n" + text + " email body\r\n"
	mail, err := email.NewInbound(d.Email, d.Conversations, d.Contacts, nil, nil, slog.New(slog.DiscardHandler), nil).
		Deliver(w.Ctx, in, "", shortcut+"@mail.example.com", []byte(raw))
	must(err)
	ids["email_conversation"] = mail.ConversationID
	botName := text + " bot"
	greeting := text + " greeting"
	_, err = c.Bot.UpdateBotSettings(ctx, &tandemv1.UpdateBotSettingsRequest{WorkspaceId: ws.ID, Name: &botName, Greeting: &greeting})
	must(err)

	visitor := w.Visitor
	if ws.ID == w.W2.ID {
		visitor = w.W2Visitor
	}
	conv := w.ConversationWith(visitor, text+" first message")
	ids["conversation"], ids["contact"] = conv.ID, visitor.VisitorID
	contactName, email := text+" contact", shortcut+"@customer.example.test"
	_, err = c.Contact.UpdateContact(ctx, &tandemv1.UpdateContactRequest{ContactId: visitor.VisitorID, Name: &contactName, Email: &email,
		Attributes: map[string]string{"plan": text + " plan"}})
	must(err)
	_, err = c.Conversation.TagConversation(ctx, &tandemv1.TagConversationRequest{ConversationId: conv.ID, TagId: ids["tag"]})
	must(err)
	note, err := c.Conversation.AddNote(ctx, &tandemv1.AddNoteRequest{ConversationId: conv.ID, ClientId: uuid.NewString(), Body: text + " note"})
	must(err)
	ids["note"] = note.GetNote().GetId()
	f, err := w.Srv.Domain().Files.Put(w.Ctx, files.Upload{WorkspaceID: ws.ID, ConversationID: conv.ID, UploaderKind: "user",
		UploaderID: w.Users[ownerName].ID, ClientID: uuid.NewString(), Name: shortcut + ".txt"}, strings.NewReader(text+" attachment"))
	must(err)
	ids["file"] = f.ID
	reply, err := c.Conversation.SendMessage(ctx, &tandemv1.SendMessageRequest{ConversationId: conv.ID, ClientId: uuid.NewString(),
		Body: text + " reply", FileIds: []string{f.ID}})
	must(err)
	ids["message"] = reply.GetMessage().GetId()
	// A notification of the group's member, for MarkNotificationsRead.
	ids["notification"] = uuid.NewString()
	storetest.MustExec(t, w.Srv.DB(), `INSERT INTO notifications (id, workspace_id, user_id, type, conversation_id, title, body, event_id, created_at)
		VALUES (?, ?, ?, 'mention', ?, ?, ?, ?, 1)`, ids["notification"], ws.ID, u.ID, conv.ID, text+" title", text+" body", uuid.NewString())
}

// readCallers are the matrix's callers of W1: its members in every role,
// its API keys and its visitor.
func readCallers() []caller {
	var out []caller
	for _, c := range callers {
		if (c.member || c.visitor) && c.name != "removed" {
			out = append(out, c)
		}
	}
	return out
}

// token is the bearer token of the caller, or none.
func (w *isoWorld) token(c caller) string {
	switch {
	case c.anon:
		return ""
	case c.visitor:
		return w.VisitorToken
	case !c.user:
		return w.Keys[string(c.role)]
	}
	return w.Token(c.name)
}

// isoAnswer is what a procedure returned over Connect's JSON protocol.
type isoAnswer struct {
	code   connect.Code
	body   []byte
	header http.Header
	out    protoreflect.ProtoMessage
}

// invoke calls the procedure with the request as Connect JSON: any
// procedure, with no client of its own, and with the isoAnswer's bytes as they
// went over the wire.
func (w *isoWorld) invoke(t *testing.T, md protoreflect.MethodDescriptor, proc, token string, req proto.Message) isoAnswer {
	t.Helper()
	body, err := protojson.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	hr, err := http.NewRequestWithContext(w.Ctx, http.MethodPost, w.Srv.URL+proc, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	hr.Header.Set("Content-Type", "application/json")
	hr.Header.Set("Connect-Protocol-Version", "1")
	if token != "" {
		hr.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatalf("%s: %v", proc, err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	a := isoAnswer{body: b, header: resp.Header}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Code connect.Code `json:"code"`
		}
		if err := json.Unmarshal(b, &e); err != nil || e.Code == 0 {
			t.Fatalf("%s: HTTP %d with %q", proc, resp.StatusCode, b)
		}
		a.code = e.Code
		return a
	}
	out := dynamicpb.NewMessage(md.Output())
	if err := protojson.Unmarshal(b, out); err != nil {
		t.Fatalf("%s: isoAnswer %q: %v", proc, b, err)
	}
	a.out = out
	return a
}

// leaks lists what of W2 the isoAnswer holds: the canary or a W2 id, in its
// body, its headers or a bytes field of the decoded message (which JSON
// carries in base64).
func (w *isoWorld) leaks(a isoAnswer) []string {
	texts := []string{string(a.body)}
	for k, vs := range a.header {
		texts = append(texts, k+": "+strings.Join(vs, ", "))
	}
	if a.out != nil {
		texts = append(texts, bytesFields(a.out.ProtoReflect())...)
	}
	var out []string
	for _, s := range texts {
		if strings.Contains(s, w.canary) {
			out = append(out, "the canary in "+clip(s, w.canary))
		}
		for _, id := range w.w2ids {
			if strings.Contains(s, id) {
				out = append(out, "W2 id "+id+" in "+clip(s, id))
			}
		}
	}
	return out
}

// clip is the text around what was found in it.
func clip(s, found string) string {
	i := strings.Index(s, found)
	lo, hi := max(0, i-80), min(len(s), i+len(found)+80)
	return s[lo:hi]
}

// bytesFields are the contents of every bytes field of the message, as text.
func bytesFields(m protoreflect.Message) []string {
	var out []string
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsList():
			l := v.List()
			for i := range l.Len() {
				out = append(out, valueBytes(fd, l.Get(i))...)
			}
		case fd.IsMap():
			v.Map().Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool {
				out = append(out, valueBytes(fd.MapValue(), mv)...)
				return true
			})
		default:
			out = append(out, valueBytes(fd, v)...)
		}
		return true
	})
	return out
}

func valueBytes(fd protoreflect.FieldDescriptor, v protoreflect.Value) []string {
	switch fd.Kind() {
	case protoreflect.BytesKind:
		return []string{string(v.Bytes())}
	case protoreflect.MessageKind, protoreflect.GroupKind:
		return bytesFields(v.Message())
	}
	return nil
}

// readRequest is a request for a read procedure with every id field it has
// naming an object of W1 (the visitor's conversation for conversation ids),
// every query searching for the canary and every time range covering now.
func (w *isoWorld) readRequest(proc string, md protoreflect.MethodDescriptor) proto.Message {
	if proc == "/tandem.v1.AutomationService/DryRunRule" {
		// A dry run needs a rule: one that matches the canary.
		return &tandemv1.DryRunRuleRequest{WorkspaceId: w.W1.ID, Rule: ruleWith(rpctest.Keywords(w.canary), nil)}
	}
	req := dynamicpb.NewMessage(md.Input())
	fs := md.Input().Fields()
	for i := range fs.Len() {
		fd := fs.Get(i)
		var v protoreflect.Value
		switch fd.Name() {
		case "workspace_id":
			v = protoreflect.ValueOfString(w.W1.ID)
		case "conversation_id":
			v = protoreflect.ValueOfString(w.conv)
			if strings.HasPrefix(proc, "/tandem.v1.EmailService/") {
				v = protoreflect.ValueOfString(w.w1["email_conversation"])
			}
		case "contact_id":
			v = protoreflect.ValueOfString(w.w1["contact"])
		case "canned_response_id":
			v = protoreflect.ValueOfString(w.w1["canned"])
		case "document_id":
			v = protoreflect.ValueOfString(w.w1["document"])
		case "email_inbox_id":
			v = protoreflect.ValueOfString(w.w1["inbox"])
		case "query":
			v = protoreflect.ValueOfString(w.canary)
		case "end_time_ms":
			v = protoreflect.ValueOfInt64(time.Now().Add(time.Hour).UnixMilli())
		default:
			continue
		}
		req.Set(fd, v)
	}
	return req
}

// readOnly lists the procedures whose descriptors say they have no side
// effects, by name.
func readOnly(procs map[string]protoreflect.MethodDescriptor) []string {
	var out []string
	for proc, md := range procs {
		if md.Options().(*descriptorpb.MethodOptions).GetIdempotencyLevel() == descriptorpb.MethodOptions_NO_SIDE_EFFECTS {
			out = append(out, proc)
		}
	}
	slices.Sort(out)
	return out
}

// TestIsolationReads seeds W2 with a canary in every text it holds, then
// calls every procedure without side effects as every caller of W1 on W1's
// objects, and checks that no isoAnswer (body, headers, bytes fields) holds
// the canary or an id of W2. Each read must succeed for some caller, so that
// the scan reads real answers.
func TestIsolationReads(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := seedIsolation(t, opts)
		procs := procedures(t)
		table := fullAuthzTable(t)
		reads := readOnly(procs)
		if len(reads) < 30 {
			t.Fatalf("only %d procedures without side effects: %v", len(reads), reads)
		}
		n := 0
		for _, proc := range reads {
			md := procs[proc]
			pol, ok := table[proc]
			if !ok {
				t.Errorf("%s has no row in the authorization table", proc)
				continue
			}
			answered := false
			for _, c := range readCallers() {
				a := w.invoke(t, md, proc, w.token(c), w.readRequest(proc, md))
				n++
				for _, leak := range w.leaks(a) {
					t.Errorf("%s as %s: %s", proc, c.name, leak)
				}
				want := pol.expect(c, own)
				if a.code == 0 {
					answered = true
				}
				if a.code != want {
					t.Errorf("%s as %s: got %v (%.200s), want %v", proc, c.name, rpctest.CodeOrOK(a.code), a.body, rpctest.CodeOrOK(want))
				}
			}
			if !answered {
				t.Errorf("%s answered no caller: nothing was scanned", proc)
			}
		}
		t.Logf("%d reads of %d procedures scanned for %s", n, len(reads), w.canary)
		storetest.CheckTenancy(t, w.Srv.DB())
	})
}

// How a request field carrying an object id is covered.
type idCover int

const (
	// coverTarget: the procedure's target (its authz rule's id_field),
	// which TestAuthorizationMatrix gives a W2 id as its foreign target.
	coverTarget idCover = iota + 1
	// coverNested: TestIsolationForeignIds gives a W2 object of the kind
	// and wants NotFound or InvalidArgument and W2 unchanged; the same
	// request with a W1 object of the kind must succeed.
	coverNested
	// coverFilter: a read's filter; TestIsolationForeignIds gives a W2
	// object and wants either a refusal or an answer with nothing of W2.
	coverFilter
	// coverRefusedAny: the field is refused whatever it names (why says
	// so); TestIsolationForeignIds gives a W2 object and wants the refusal,
	// with no W1 call to compare.
	coverRefusedAny
	// coverIgnored: ids the caller has no object of are skipped, not
	// refused; TestIsolationForeignIds wants a W2 id answered exactly as a
	// missing one, and W2 unchanged.
	coverIgnored
	// coverNone: the field holds no object id; see why.
	coverNone
)

// idField is one row of foreignIDFields.
type idField struct {
	cover idCover
	// kind of object the field names (isoWorld.w1/w2 keys), for
	// coverNested and coverFilter.
	kind string
	// why the field is not an object id, or is covered elsewhere.
	why string
}

var (
	targetID  = idField{cover: coverTarget}
	clientKey = idField{cover: coverNone, why: "a key the client makes up to make a retry idempotent, scoped to the caller"}
)

func nestedID(kind string) idField { return idField{cover: coverNested, kind: kind} }

func refusedAny(kind, why string) idField {
	return idField{cover: coverRefusedAny, kind: kind, why: why}
}

const buttonCannotAssign = "a custom action cannot assign: the field is refused (InvalidArgument) whatever it names"

func filterID(kind string) idField { return idField{cover: coverFilter, kind: kind} }

// watchFilter is a Watch stream's filter: streams are TestWatchScoping's.
var watchFilter = idField{cover: coverNone, why: "a filter of the Watch stream, whose events TestWatchScoping checks for W2 data"}

// foreignIDFields is every request field that carries an object id (named
// id, *_id or *_ids, string typed, at any depth), by procedure and path,
// with how it is covered. A field missing here fails
// TestIsolationForeignIds: decide how a W2 id in it is refused.
var foreignIDFields = map[string]idField{
	"AuthService/CreateApiKey workspace_id": targetID,
	"AuthService/ListApiKeys workspace_id":  targetID,
	"AuthService/RevokeApiKey api_key_id":   targetID,

	"AutomationService/CreateCustomAction workspace_id":                           targetID,
	"AutomationService/CreateCustomAction action.actions.assign_group_id":         refusedAny("group", buttonCannotAssign),
	"AutomationService/CreateCustomAction action.actions.assign_user_id":          refusedAny("user", buttonCannotAssign),
	"AutomationService/CreateCustomAction action.actions.send_canned_response_id": nestedID("canned"),
	"AutomationService/CreateRule workspace_id":                                   targetID,
	"AutomationService/CreateRule rule.conditions.group_id":                       nestedID("group"),
	"AutomationService/CreateRule rule.actions.assign_group_id":                   nestedID("group"),
	"AutomationService/CreateRule rule.actions.assign_user_id":                    nestedID("user"),
	"AutomationService/CreateRule rule.actions.send_canned_response_id":           nestedID("canned"),
	"AutomationService/DeleteCustomAction custom_action_id":                       targetID,
	"AutomationService/DeleteRule rule_id":                                        targetID,
	"AutomationService/DryRunRule workspace_id":                                   targetID,
	"AutomationService/DryRunRule rule.conditions.group_id":                       nestedID("group"),
	"AutomationService/DryRunRule rule.actions.assign_group_id":                   nestedID("group"),
	"AutomationService/DryRunRule rule.actions.assign_user_id":                    nestedID("user"),
	"AutomationService/DryRunRule rule.actions.send_canned_response_id":           nestedID("canned"),
	"AutomationService/ListCustomActions workspace_id":                            targetID,
	"AutomationService/ListRules workspace_id":                                    targetID,
	"AutomationService/ListWebhookDeliveries workspace_id":                        targetID,
	"AutomationService/RedeliverWebhook delivery_id":                              targetID,
	"AutomationService/ReorderRules workspace_id":                                 targetID,
	"AutomationService/ReorderRules rule_ids":                                     nestedID("rule"),
	"AutomationService/UpdateCustomAction custom_action_id":                       targetID,
	"AutomationService/UpdateCustomAction action.actions.assign_group_id":         refusedAny("group", buttonCannotAssign),
	"AutomationService/UpdateCustomAction action.actions.assign_user_id":          refusedAny("user", buttonCannotAssign),
	"AutomationService/UpdateCustomAction action.actions.send_canned_response_id": nestedID("canned"),
	"AutomationService/UpdateRule rule_id":                                        targetID,
	"AutomationService/UpdateRule rule.conditions.group_id":                       nestedID("group"),
	"AutomationService/UpdateRule rule.actions.assign_group_id":                   nestedID("group"),
	"AutomationService/UpdateRule rule.actions.assign_user_id":                    nestedID("user"),
	"AutomationService/UpdateRule rule.actions.send_canned_response_id":           nestedID("canned"),

	"BotService/GetBotSettings workspace_id":    targetID,
	"BotService/ListHandoffs workspace_id":      targetID,
	"BotService/ListKnowledgeGaps workspace_id": targetID,
	"BotService/UpdateBotSettings workspace_id": targetID,

	"CannedResponseService/CreateCannedResponse workspace_id":       targetID,
	"CannedResponseService/DeleteCannedResponse canned_response_id": targetID,
	"CannedResponseService/ListCannedResponses workspace_id":        targetID,
	"CannedResponseService/RenderCannedResponse canned_response_id": targetID,
	"CannedResponseService/RenderCannedResponse conversation_id":    nestedID("conversation"),
	"CannedResponseService/UpdateCannedResponse canned_response_id": targetID,

	"ContactService/GetContact contact_id":       targetID,
	"ContactService/SearchContacts workspace_id": targetID,
	"ContactService/UpdateContact contact_id":    targetID,

	"ConversationService/AddNote conversation_id":                   targetID,
	"ConversationService/AddNote client_id":                         clientKey,
	"ConversationService/AddNote mention_user_ids":                  nestedID("user"),
	"ConversationService/AssignConversation conversation_id":        targetID,
	"ConversationService/AssignConversation user_id":                nestedID("user"),
	"ConversationService/ClaimConversation conversation_id":         targetID,
	"ConversationService/CloseConversation conversation_id":         targetID,
	"ConversationService/GetConversation conversation_id":           targetID,
	"ConversationService/JoinConversation conversation_id":          targetID,
	"ConversationService/LeaveConversation conversation_id":         targetID,
	"ConversationService/ListConversations workspace_id":            targetID,
	"ConversationService/ListConversations filter.assignee_user_id": filterID("user"),
	"ConversationService/ListConversations filter.group_id":         filterID("group"),
	"ConversationService/ListConversations filter.tag_ids":          filterID("tag"),
	"ConversationService/MarkRead conversation_id":                  targetID,
	"ConversationService/ReopenConversation conversation_id":        targetID,
	"ConversationService/MarkSpam conversation_id":                  targetID,
	"ConversationService/ReleaseConversation conversation_id":       targetID,
	"ConversationService/SendMessage conversation_id":               targetID,
	"ConversationService/SendMessage client_id":                     clientKey,
	"ConversationService/SendMessage file_ids":                      nestedID("file"),
	"ConversationService/SetPriority conversation_id":               targetID,
	"ConversationService/SetRequiredSkills conversation_id":         targetID,
	"ConversationService/SetTyping conversation_id":                 targetID,
	"ConversationService/SnoozeConversation conversation_id":        targetID,
	"ConversationService/TagConversation conversation_id":           targetID,
	"ConversationService/TagConversation tag_id":                    nestedID("tag"),
	"ConversationService/TakeOverConversation conversation_id":      targetID,
	"ConversationService/TransferConversation conversation_id":      targetID,
	"ConversationService/TransferConversation user_id":              nestedID("user"),
	"ConversationService/TransferConversation group_id":             nestedID("group"),
	"ConversationService/UnassignConversation conversation_id":      targetID,
	"ConversationService/UntagConversation conversation_id":         targetID,
	"ConversationService/UntagConversation tag_id":                  nestedID("tag"),
	"ConversationService/Watch workspace_id":                        targetID,
	"ConversationService/Watch filter.assignee_user_id":             watchFilter,
	"ConversationService/Watch filter.group_id":                     watchFilter,
	"ConversationService/Watch filter.tag_ids":                      watchFilter,

	"EmailService/CreateEmailInbox workspace_id":     targetID,
	"EmailService/CreateEmailInbox group_id":         nestedID("group"),
	"EmailService/DeleteEmailInbox email_inbox_id":   targetID,
	"EmailService/GetEmailInbox email_inbox_id":      targetID,
	"EmailService/GetEmailThread conversation_id":    targetID,
	"EmailService/ListEmailInboxes workspace_id":     targetID,
	"EmailService/ListEmailMessages conversation_id": targetID,
	"EmailService/UpdateEmailInbox email_inbox_id":   targetID,
	"EmailService/UpdateEmailInbox group_id":         nestedID("group"),
	"EmailService/UpdateEmailThread conversation_id": targetID,

	"KnowledgeService/DeleteDocument document_id":   targetID,
	"KnowledgeService/GetDocument document_id":      targetID,
	"KnowledgeService/ListDocuments workspace_id":   targetID,
	"KnowledgeService/ReplaceDocument document_id":  targetID,
	"KnowledgeService/SearchKnowledge workspace_id": targetID,
	"KnowledgeService/UploadDocument workspace_id":  targetID,
	"KnowledgeService/UploadDocument client_id":     clientKey,

	"NotificationService/GetNotificationPreferences workspace_id":    targetID,
	"NotificationService/GetPushConfig workspace_id":                 targetID,
	"NotificationService/ListNotifications workspace_id":             targetID,
	"NotificationService/MarkNotificationsRead workspace_id":         targetID,
	"NotificationService/MarkNotificationsRead notification_ids":     {cover: coverIgnored, kind: "notification"},
	"NotificationService/SubscribePush workspace_id":                 targetID,
	"NotificationService/UnsubscribePush workspace_id":               targetID,
	"NotificationService/UpdateNotificationPreferences workspace_id": targetID,

	"PresenceService/ListAgents workspace_id":       targetID,
	"PresenceService/SetAgentSettings workspace_id": targetID,
	"PresenceService/SetAgentSettings user_id":      nestedID("user"),
	"PresenceService/SetPresence workspace_id":      targetID,

	"RoutingService/GetRoutingSettings workspace_id":    targetID,
	"RoutingService/UpdateRoutingSettings workspace_id": targetID,

	"SlaService/CreateSlaPolicy workspace_id":        targetID,
	"SlaService/DeleteSlaPolicy policy_id":           targetID,
	"SlaService/GetBusinessHours workspace_id":       targetID,
	"SlaService/GetFollowUpSettings workspace_id":    targetID,
	"SlaService/ListSlaPolicies workspace_id":        targetID,
	"SlaService/SetBusinessHours workspace_id":       targetID,
	"SlaService/UpdateFollowUpSettings workspace_id": targetID,
	"SlaService/UpdateSlaPolicy policy_id":           targetID,

	"StatsService/GetOverview workspace_id":            targetID,
	"StatsService/GetReport workspace_id":              targetID,
	"StatsService/GetReport group_id":                  filterID("group"),
	"StatsService/GetReport agent_user_id":             filterID("user"),
	"StatsService/GetReport tag_id":                    filterID("tag"),
	"TagService/CountTags workspace_id":                targetID,
	"TagService/CreateTag workspace_id":                targetID,
	"TagService/DeleteTag tag_id":                      targetID,
	"TagService/ListTags workspace_id":                 targetID,
	"TagService/UpdateTag tag_id":                      targetID,
	"WidgetService/CloseConversation conversation_id":  targetID,
	"WidgetService/EmailTranscript conversation_id":    targetID,
	"WidgetService/ListMessages conversation_id":       targetID,
	"WidgetService/MarkSeen conversation_id":           targetID,
	"WidgetService/PressCustomAction conversation_id":  targetID,
	"WidgetService/PressCustomAction custom_action_id": nestedID("action"),
	"WidgetService/RateConversation conversation_id":   targetID,
	"WidgetService/RequestHuman conversation_id":       targetID,
	"WidgetService/SendMessage conversation_id":        targetID,
	"WidgetService/SendMessage client_id":              clientKey,
	"WidgetService/SendMessage file_ids":               nestedID("file"),
	"WidgetService/SetTyping conversation_id":          targetID,
	"WidgetService/StartConversation client_id":        clientKey,
	"WidgetService/StartConversation group_id":         nestedID("group"),
	"WidgetService/Watch conversation_id":              targetID,

	"WorkspaceService/AddGroupMember group_id":         targetID,
	"WorkspaceService/AddGroupMember user_id":          nestedID("user"),
	"WorkspaceService/CreateGroup workspace_id":        targetID,
	"WorkspaceService/DeleteGroup group_id":            targetID,
	"WorkspaceService/GetWidgetSecret workspace_id":    targetID,
	"WorkspaceService/GetWorkspace workspace_id":       targetID,
	"WorkspaceService/InviteMember workspace_id":       targetID,
	"WorkspaceService/ListGroups workspace_id":         targetID,
	"WorkspaceService/ListMembers workspace_id":        targetID,
	"WorkspaceService/RemoveGroupMember group_id":      targetID,
	"WorkspaceService/RemoveGroupMember user_id":       nestedID("user"),
	"WorkspaceService/RemoveMember workspace_id":       targetID,
	"WorkspaceService/RemoveMember user_id":            nestedID("user"),
	"WorkspaceService/RotateWidgetSecret workspace_id": targetID,
	"WorkspaceService/UpdateGroup group_id":            targetID,
	"WorkspaceService/UpdateMemberRole workspace_id":   targetID,
	"WorkspaceService/UpdateWorkspace workspace_id":    targetID,
	"WorkspaceService/UpdateMemberRole user_id":        nestedID("user"),
}

// idFieldPaths lists the paths of the fields of md that carry an object id,
// into nested messages (not into a message type already on the path, so a
// recursive condition is listed once).
func idFieldPaths(md protoreflect.MessageDescriptor, prefix string, onPath map[protoreflect.FullName]bool) []string {
	if onPath[md.FullName()] {
		return nil
	}
	onPath[md.FullName()] = true
	defer delete(onPath, md.FullName())
	var out []string
	fs := md.Fields()
	for i := range fs.Len() {
		fd := fs.Get(i)
		name := string(fd.Name())
		switch {
		case fd.Kind() == protoreflect.MessageKind && !fd.IsMap():
			out = append(out, idFieldPaths(fd.Message(), prefix+name+".", onPath)...)
		case fd.Kind() == protoreflect.StringKind && (name == "id" || strings.HasSuffix(name, "_id") || strings.HasSuffix(name, "_ids")):
			out = append(out, prefix+name)
		}
	}
	return out
}

// foreignCase is how TestIsolationForeignIds calls a procedure with an id
// in one field: as whom, and the request with id x in the field. own and
// foreign, when set, make a fresh object of W1 or W2 for the call instead
// of the seeded one (a file is attached once; a member removed once).
type foreignCase struct {
	as           string
	req          func(x string) proto.Message
	own, foreign func() string
}

func ruleWith(cond *tandemv1.Condition, act *tandemv1.Action) *tandemv1.RuleSpec {
	r := &tandemv1.RuleSpec{Name: rpctest.Unique("iso rule "), Enabled: true, Trigger: tandemv1.RuleTrigger_RULE_TRIGGER_CUSTOMER_MESSAGE,
		Actions: []*tandemv1.Action{rpctest.AddTag("iso")}}
	if cond != nil {
		r.Conditions = []*tandemv1.Condition{cond}
	}
	if act != nil {
		r.Actions = []*tandemv1.Action{act}
	}
	return r
}

func groupCond(x string) *tandemv1.Condition {
	return &tandemv1.Condition{Kind: &tandemv1.Condition_GroupId{GroupId: x}}
}
func assignGroup(x string) *tandemv1.Action {
	return &tandemv1.Action{Kind: &tandemv1.Action_AssignGroupId{AssignGroupId: x}}
}
func assignUser(x string) *tandemv1.Action {
	return &tandemv1.Action{Kind: &tandemv1.Action_AssignUserId{AssignUserId: x}}
}
func sendCanned(x string) *tandemv1.Action {
	return &tandemv1.Action{Kind: &tandemv1.Action_SendCannedResponseId{SendCannedResponseId: x}}
}

// foreignCases builds the calls of every coverNested and coverFilter row of
// foreignIDFields.
func (w *isoWorld) foreignCases() map[string]foreignCase {
	cases := map[string]foreignCase{}
	// The rule and button procedures take the same actions.
	actions := map[string]func(string) *tandemv1.Action{
		"assign_group_id": assignGroup, "assign_user_id": assignUser, "send_canned_response_id": sendCanned,
	}
	for field, act := range actions {
		cases["AutomationService/CreateCustomAction action.actions."+field] = foreignCase{as: "admin", req: func(x string) proto.Message {
			return &tandemv1.CreateCustomActionRequest{WorkspaceId: w.W1.ID, Action: &tandemv1.CustomActionSpec{Label: rpctest.Unique("iso "),
				Enabled: true, Actions: []*tandemv1.Action{act(x)}}}
		}}
		cases["AutomationService/UpdateCustomAction action.actions."+field] = foreignCase{as: "admin", req: func(x string) proto.Message {
			return &tandemv1.UpdateCustomActionRequest{CustomActionId: w.customAction(own), Action: &tandemv1.CustomActionSpec{
				Label: rpctest.Unique("iso "), Enabled: true, Actions: []*tandemv1.Action{act(x)}}}
		}}
	}
	rules := map[string]func(string) *tandemv1.RuleSpec{
		"rule.conditions.group_id":             func(x string) *tandemv1.RuleSpec { return ruleWith(groupCond(x), nil) },
		"rule.actions.assign_group_id":         func(x string) *tandemv1.RuleSpec { return ruleWith(nil, assignGroup(x)) },
		"rule.actions.assign_user_id":          func(x string) *tandemv1.RuleSpec { return ruleWith(nil, assignUser(x)) },
		"rule.actions.send_canned_response_id": func(x string) *tandemv1.RuleSpec { return ruleWith(nil, sendCanned(x)) },
	}
	for field, spec := range rules {
		cases["AutomationService/CreateRule "+field] = foreignCase{as: "admin", req: func(x string) proto.Message {
			return &tandemv1.CreateRuleRequest{WorkspaceId: w.W1.ID, Rule: spec(x)}
		}}
		cases["AutomationService/UpdateRule "+field] = foreignCase{as: "admin", req: func(x string) proto.Message {
			return &tandemv1.UpdateRuleRequest{RuleId: w.automationRule(own), Rule: spec(x)}
		}}
		cases["AutomationService/DryRunRule "+field] = foreignCase{as: "admin", req: func(x string) proto.Message {
			return &tandemv1.DryRunRuleRequest{WorkspaceId: w.W1.ID, Rule: spec(x)}
		}}
	}
	cases["AutomationService/ReorderRules rule_ids"] = foreignCase{as: "admin", req: func(x string) proto.Message {
		rs, err := w.Srv.Domain().Automation.Rules(w.Ctx, w.W1.ID)
		if err != nil {
			w.T.Fatal(err)
		}
		var ids []string
		for _, r := range rs {
			ids = append(ids, r.ID)
		}
		if !slices.Contains(ids, x) {
			ids = append(ids, x)
		}
		return &tandemv1.ReorderRulesRequest{WorkspaceId: w.W1.ID, RuleIds: ids}
	}}
	cases["CannedResponseService/RenderCannedResponse conversation_id"] = foreignCase{as: "agent", req: func(x string) proto.Message {
		return &tandemv1.RenderCannedResponseRequest{CannedResponseId: w.w1["canned"], ConversationId: x}
	}}
	cases["ConversationService/AddNote mention_user_ids"] = foreignCase{as: "agent", req: func(x string) proto.Message {
		return &tandemv1.AddNoteRequest{ConversationId: w.conv, ClientId: uuid.NewString(), Body: "iso note", MentionUserIds: []string{x}}
	}, own: func() string { return w.Users["supervisor"].ID }}
	cases["ConversationService/AssignConversation user_id"] = foreignCase{as: "admin", req: func(x string) proto.Message {
		return &tandemv1.AssignConversationRequest{ConversationId: w.Conversation(w.Visitor).ID, UserId: x}
	}, own: func() string { return w.Users["agent"].ID }}
	cases["ConversationService/SendMessage file_ids"] = foreignCase{as: "owner", req: func(x string) proto.Message {
		return &tandemv1.SendMessageRequest{ConversationId: w.conv, ClientId: uuid.NewString(), FileIds: []string{x}}
	}, own: func() string { return w.upload(w.W1.ID, w.conv, "user", w.Users["owner"].ID) },
		foreign: func() string { return w.upload(w.W2.ID, w.w2["conversation"], "user", w.Users["w2owner"].ID) }}
	cases["ConversationService/TagConversation tag_id"] = foreignCase{as: "agent", req: func(x string) proto.Message {
		return &tandemv1.TagConversationRequest{ConversationId: w.conv, TagId: x}
	}, own: func() string { return w.Tag(w.W1) }}
	cases["ConversationService/UntagConversation tag_id"] = foreignCase{as: "agent", req: func(x string) proto.Message {
		return &tandemv1.UntagConversationRequest{ConversationId: w.conv, TagId: x}
	}}
	cases["ConversationService/TransferConversation user_id"] = foreignCase{as: "admin", req: func(x string) proto.Message {
		return &tandemv1.TransferConversationRequest{ConversationId: w.Conversation(w.Visitor).ID, To: &tandemv1.TransferConversationRequest_UserId{UserId: x}}
	}, own: func() string { return w.Users["agent"].ID }}
	cases["ConversationService/TransferConversation group_id"] = foreignCase{as: "admin", req: func(x string) proto.Message {
		return &tandemv1.TransferConversationRequest{ConversationId: w.Conversation(w.Visitor).ID, To: &tandemv1.TransferConversationRequest_GroupId{GroupId: x}}
	}}
	cases["EmailService/CreateEmailInbox group_id"] = foreignCase{as: "admin", req: func(x string) proto.Message {
		return &tandemv1.CreateEmailInboxRequest{WorkspaceId: w.W1.ID, Name: rpctest.Unique("iso inbox "), SupportAddress: rpctest.Unique("iso") + "@example.test",
			SmtpHost: "smtp.example.test", SmtpPort: 587, SmtpTlsMode: tandemv1.SmtpTlsMode_SMTP_TLS_MODE_STARTTLS, GroupId: x}
	}}
	cases["EmailService/UpdateEmailInbox group_id"] = foreignCase{as: "admin", req: func(x string) proto.Message {
		return &tandemv1.UpdateEmailInboxRequest{EmailInboxId: w.w1["inbox"], GroupId: &x}
	}}
	cases["NotificationService/MarkNotificationsRead notification_ids"] = foreignCase{as: "admin", req: func(x string) proto.Message {
		return &tandemv1.MarkNotificationsReadRequest{WorkspaceId: w.W1.ID, NotificationIds: []string{x}}
	}, own: func() string {
		id := uuid.NewString()
		storetest.MustExec(w.T, w.Srv.DB(), `INSERT INTO notifications (id, workspace_id, user_id, type, conversation_id, title, body, event_id, created_at)
			VALUES (?, ?, ?, 'mention', ?, 't', 'b', ?, 1)`, id, w.W1.ID, w.Users["admin"].ID, w.conv, uuid.NewString())
		return id
	}}
	cases["PresenceService/SetAgentSettings user_id"] = foreignCase{as: "admin", req: func(x string) proto.Message {
		return &tandemv1.SetAgentSettingsRequest{WorkspaceId: w.W1.ID, UserId: x, MaxChats: 3}
	}}
	cases["WidgetService/PressCustomAction custom_action_id"] = foreignCase{as: "visitor", req: func(x string) proto.Message {
		return &tandemv1.PressCustomActionRequest{ConversationId: w.conv, CustomActionId: x}
	}}
	cases["WidgetService/SendMessage file_ids"] = foreignCase{as: "visitor", req: func(x string) proto.Message {
		return &tandemv1.WidgetServiceSendMessageRequest{ConversationId: w.conv, ClientId: uuid.NewString(), FileIds: []string{x}}
	}, own: func() string { return w.upload(w.W1.ID, w.conv, "visitor", w.Visitor.VisitorID) },
		foreign: func() string { return w.upload(w.W2.ID, w.w2["conversation"], "visitor", w.W2Visitor.VisitorID) }}
	cases["WidgetService/StartConversation group_id"] = foreignCase{as: "visitor", req: func(x string) proto.Message {
		return &tandemv1.StartConversationRequest{ClientId: uuid.NewString(), Body: "iso start", GroupId: x}
	}}
	member := func() string { return w.QuickMember(w.W1, access.RoleAgent) }
	cases["WorkspaceService/AddGroupMember user_id"] = foreignCase{as: "admin", req: func(x string) proto.Message {
		return &tandemv1.AddGroupMemberRequest{GroupId: w.w1["group"], UserId: x}
	}, own: member}
	cases["WorkspaceService/RemoveGroupMember user_id"] = foreignCase{as: "admin", req: func(x string) proto.Message {
		return &tandemv1.RemoveGroupMemberRequest{GroupId: w.w1["group"], UserId: x}
	}, own: func() string {
		id := member()
		if _, err := w.Srv.Domain().Workspaces.AddGroupMember(w.Ctx, nil, w.w1["group"], id); err != nil {
			w.T.Fatal(err)
		}
		return id
	}}
	cases["WorkspaceService/RemoveMember user_id"] = foreignCase{as: "admin", req: func(x string) proto.Message {
		return &tandemv1.RemoveMemberRequest{WorkspaceId: w.W1.ID, UserId: x}
	}, own: member}
	cases["WorkspaceService/UpdateMemberRole user_id"] = foreignCase{as: "admin", req: func(x string) proto.Message {
		return &tandemv1.UpdateMemberRoleRequest{WorkspaceId: w.W1.ID, UserId: x, Role: tandemv1.Role_ROLE_SUPERVISOR}
	}, own: member}
	// Filters of reads.
	cases["ConversationService/ListConversations filter.assignee_user_id"] = foreignCase{as: "agent", req: func(x string) proto.Message {
		return &tandemv1.ListConversationsRequest{WorkspaceId: w.W1.ID, Filter: &tandemv1.ConversationFilter{
			Assignee: tandemv1.ConversationFilter_ASSIGNEE_USER, AssigneeUserId: x}}
	}}
	cases["ConversationService/ListConversations filter.group_id"] = foreignCase{as: "agent", req: func(x string) proto.Message {
		return &tandemv1.ListConversationsRequest{WorkspaceId: w.W1.ID, Filter: &tandemv1.ConversationFilter{GroupId: x}}
	}}
	cases["ConversationService/ListConversations filter.tag_ids"] = foreignCase{as: "agent", req: func(x string) proto.Message {
		return &tandemv1.ListConversationsRequest{WorkspaceId: w.W1.ID, Filter: &tandemv1.ConversationFilter{TagIds: []string{x}}}
	}}
	report := func(set func(r *tandemv1.GetReportRequest, x string)) foreignCase {
		return foreignCase{as: "owner", req: func(x string) proto.Message {
			r := &tandemv1.GetReportRequest{WorkspaceId: w.W1.ID, EndTimeMs: time.Now().Add(time.Hour).UnixMilli()}
			set(r, x)
			return r
		}}
	}
	cases["StatsService/GetReport group_id"] = report(func(r *tandemv1.GetReportRequest, x string) { r.GroupId = x })
	cases["StatsService/GetReport agent_user_id"] = report(func(r *tandemv1.GetReportRequest, x string) { r.AgentUserId = x })
	cases["StatsService/GetReport tag_id"] = report(func(r *tandemv1.GetReportRequest, x string) { r.TagId = x })
	return cases
}

// upload stores a file not yet sent in the conversation, as its uploader.
func (w *isoWorld) upload(workspaceID, conversationID, kind, uploaderID string) string {
	w.T.Helper()
	f, err := w.Srv.Domain().Files.Put(w.Ctx, files.Upload{WorkspaceID: workspaceID, ConversationID: conversationID, UploaderKind: kind,
		UploaderID: uploaderID, ClientID: uuid.NewString(), Name: "iso.txt"}, strings.NewReader("iso attachment"))
	if err != nil {
		w.T.Fatal(err)
	}
	return f.ID
}

// callerNamed is the matrix caller of the name.
func callerNamed(t *testing.T, name string) caller {
	for _, c := range callers {
		if c.name == name {
			return c
		}
	}
	t.Fatalf("no caller %q", name)
	return caller{}
}

// TestIsolationForeignIds walks every request field of every procedure that
// carries an object id and holds it to foreignIDFields: a new one without a
// row fails. Each nested id field is then given a W2 object of its kind by a
// W1 caller, with every other field naming W1's: the call must be refused
// (NotFound or InvalidArgument) and leave W2 as it was, while the same call
// with a W1 object of the kind succeeds, so the refusal is the foreign id's.
// A read's filter may instead answer, with nothing of W2.
func TestIsolationForeignIds(t *testing.T) {
	t.Parallel()
	procs := procedures(t)
	seen := map[string]bool{}
	var names []string
	for proc := range procs {
		names = append(names, proc)
	}
	slices.Sort(names)
	for _, proc := range names {
		md := procs[proc]
		short := strings.TrimPrefix(proc, "/tandem.v1.")
		for _, path := range idFieldPaths(md.Input(), "", map[protoreflect.FullName]bool{}) {
			key := short + " " + path
			seen[key] = true
			row, ok := foreignIDFields[key]
			switch {
			case !ok:
				t.Errorf("%s carries an id with no row in foreignIDFields: say how a W2 id in it is refused", key)
			case row.cover == coverTarget:
				// A rule naming no id field targets the workspace_id field.
				if rule := access.RuleOf(md); rule.GetIdField() != path && (path != "workspace_id" || rule.GetIdField() != "") {
					t.Errorf("%s: foreignIDFields says it is the target, the authz rule names %q", key, rule.GetIdField())
				}
			case row.cover == coverNone && row.why == "":
				t.Errorf("%s: say why it needs no test", key)
			}
		}
	}
	for key := range foreignIDFields {
		if !seen[key] {
			t.Errorf("foreignIDFields names %s, which no request has", key)
		}
	}
	if t.Failed() {
		return
	}
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := seedIsolation(t, opts)
		cases := w.foreignCases()
		keys := make([]string, 0, len(foreignIDFields))
		for key := range foreignIDFields {
			keys = append(keys, key)
		}
		slices.Sort(keys)
		n := 0
		for _, key := range keys {
			row := foreignIDFields[key]
			if row.cover != coverNested && row.cover != coverFilter && row.cover != coverRefusedAny && row.cover != coverIgnored {
				continue
			}
			fc, ok := cases[key]
			if !ok {
				t.Errorf("%s: no case in foreignCases", key)
				continue
			}
			short, _, _ := strings.Cut(key, " ")
			proc := "/tandem.v1." + short
			md := procs[proc]
			token := w.token(callerNamed(t, fc.as))
			theirs := w.w2[row.kind]
			if fc.foreign != nil {
				theirs = fc.foreign()
			}
			if theirs == "" {
				t.Fatalf("%s: W2 has no %s", key, row.kind)
			}
			before := w.Digest(w.W2.ID, isoDigest()...)
			a := w.invoke(t, md, proc, token, fc.req(theirs))
			n++
			for _, leak := range w.leaks(a) {
				t.Errorf("%s with W2's %s: %s", key, row.kind, leak)
			}
			refused := a.code == connect.CodeNotFound || a.code == connect.CodeInvalidArgument
			switch {
			case row.cover == coverIgnored:
				if b := w.invoke(t, md, proc, token, fc.req(uuid.NewString())); b.code != a.code || !bytes.Equal(b.body, a.body) {
					t.Errorf("%s: W2's %s answers %v %s, a missing one %v %s", key, row.kind, a.code, a.body, b.code, b.body)
				}
			case !refused && (row.cover != coverFilter || a.code != 0):
				t.Errorf("%s with W2's %s as %s: got %v (%.300s), want NotFound or InvalidArgument", key, row.kind, fc.as, rpctest.CodeOrOK(a.code), a.body)
			}
			if after := w.Digest(w.W2.ID, isoDigest()...); after != before {
				t.Errorf("%s with W2's %s changed W2", key, row.kind)
			}
			if row.cover == coverRefusedAny || row.cover == coverIgnored {
				continue
			}
			ours := w.w1[row.kind]
			if fc.own != nil {
				ours = fc.own()
			}
			if a := w.invoke(t, md, proc, token, fc.req(ours)); a.code != 0 {
				t.Errorf("%s with W1's %s as %s: got %v (%.300s), want OK: the case does not show that W2's is refused for being W2's",
					key, row.kind, fc.as, a.code, a.body)
			}
		}
		t.Logf("%d calls with a W2 id in a nested field", n)
		storetest.CheckTenancy(t, w.Srv.DB())
	})
}

// isoDigest fingerprints W2 for TestIsolationForeignIds: the matrix's
// queries and the tables the nested ids point into.
func isoDigest() []string {
	return append(authzDigest(),
		`SELECT id, read_at FROM notifications WHERE workspace_id = ? ORDER BY id`,
		`SELECT id, conversation_id, message_id FROM files WHERE workspace_id = ? ORDER BY id`,
		`SELECT conversation_id, tag_id FROM conversation_tags WHERE workspace_id = ? ORDER BY conversation_id, tag_id`,
		`SELECT id, name, group_id FROM email_inboxes WHERE workspace_id = ? ORDER BY id`,
		`SELECT user_id, max_chats, skills FROM agent_status WHERE workspace_id = ? ORDER BY user_id`,
	)
}
