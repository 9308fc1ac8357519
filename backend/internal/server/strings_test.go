package server_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"buf.build/gen/go/bufbuild/protovalidate/protocolbuffers/go/buf/validate"
	"buf.build/go/protovalidate"
	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/config"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// stringSlot is one string field reachable in a request message: the
// path of fields from the request to it, through nested messages, the
// first element of a repeated field and the one entry of a map.
type stringSlot struct {
	path  []protoreflect.FieldDescriptor
	mapIn mapPart // for a map<string, ...> field at the end: its key or its value
	rules *validate.StringRules
}

type mapPart int

const (
	notMap mapPart = iota
	mapKey
	mapValue
)

// name is the slot's dotted path, as the codec names a field holding
// invalid UTF-8.
func (s stringSlot) name() string {
	parts := make([]string, len(s.path))
	for i, fd := range s.path {
		parts[i] = string(fd.Name())
	}
	return strings.Join(parts, ".")
}

// last is the name of the slot's own field.
func (s stringSlot) last() string { return string(s.path[len(s.path)-1].Name()) }

// fieldRules are the protovalidate rules of a field, nil for none.
func fieldRules(fd protoreflect.FieldDescriptor) *validate.FieldRules {
	r, _ := proto.GetExtension(fd.Options(), validate.E_Field).(*validate.FieldRules)
	return r
}

// maxSlotDepth bounds how deep the walk follows nested messages.
const maxSlotDepth = 4

// stringSlots lists every string field of md and of the messages it holds,
// down to maxSlotDepth.
func stringSlots(md protoreflect.MessageDescriptor, prefix []protoreflect.FieldDescriptor) []stringSlot {
	if len(prefix) >= maxSlotDepth {
		return nil
	}
	var out []stringSlot
	fields := md.Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		path := append(slices.Clone(prefix), fd)
		rules := fieldRules(fd)
		switch {
		case fd.IsMap():
			if fd.MapKey().Kind() == protoreflect.StringKind {
				out = append(out, stringSlot{path: path, mapIn: mapKey, rules: rules.GetMap().GetKeys().GetString()})
			}
			switch fd.MapValue().Kind() {
			case protoreflect.StringKind:
				out = append(out, stringSlot{path: path, mapIn: mapValue, rules: rules.GetMap().GetValues().GetString()})
			case protoreflect.MessageKind:
				out = append(out, stringSlots(fd.MapValue().Message(), path)...)
			}
		case fd.Kind() == protoreflect.StringKind && fd.IsList():
			out = append(out, stringSlot{path: path, rules: rules.GetRepeated().GetItems().GetString()})
		case fd.Kind() == protoreflect.StringKind:
			out = append(out, stringSlot{path: path, rules: rules.GetString()})
		case fd.Kind() == protoreflect.MessageKind && fd.Message().ParentFile().Package() == "tandem.v1":
			out = append(out, stringSlots(fd.Message(), path)...)
		}
	}
	return out
}

// requestFiller gives the fields of a request plausible values: ids of
// real objects of the world where a field is an id, values that pass the
// field's rules elsewhere, one element in each list and map.
type requestFiller struct {
	w   *world
	ids map[string]string // made on demand, per procedure
	n   int               // makes names, shortcuts and addresses unique
}

// id is a real object's id for a field named name, made when first asked.
func (f *requestFiller) id(name string) string {
	if name == "client_id" {
		return uuid.Must(uuid.NewV7()).String() // a new one for each request
	}
	if id, ok := f.ids[name]; ok {
		return id
	}
	w := f.w
	var id string
	switch name {
	case "workspace_id":
		id = w.W1.ID
	case "conversation_id", "contact_id", "message_id":
		c, m, err := w.Srv.Domain().Conversations.Start(w.Ctx, w.Visitor, uuid.NewString(), "https://shop.example/", nil, "hello "+rpctest.Unique(""))
		if err != nil {
			w.T.Fatal(err)
		}
		f.ids["conversation_id"], f.ids["contact_id"], f.ids["message_id"] = c.ID, c.ContactID, m.ID
		return f.ids[name]
	case "tag_id":
		id = w.Tag(w.W1)
	case "group_id":
		id = w.Group(w.W1).ID
	case "canned_response_id":
		id = w.cannedResponse(own)
	case "email_inbox_id", "inbox_id":
		id = w.emailInbox(own)
	case "document_id":
		id = w.knowledgeDocument(own)
	case "policy_id", "sla_policy_id":
		id = w.slaPolicy(own)
	case "rule_id":
		id = w.automationRule(own)
	case "custom_action_id", "action_id":
		id = w.customAction(own)
	case "delivery_id":
		id = w.webhookDelivery(own)
	case "api_key_id":
		id = w.apiKey(w.W1)
	case "user_id", "agent_id", "member_id", "assignee_id":
		id = w.Users["agent"].ID
	default:
		id = uuid.Must(uuid.NewV7()).String() // client ids, and ids of nothing the world made
	}
	f.ids[name] = id
	return id
}

// candidates are tried in turn against a field's pattern.
var candidates = []string{"#e11d48", "https://example.test/", "2026-01-05", "someone@example.test", "plain text"}

// plain is a value that passes the string field's rules, "" to leave it out.
func (f *requestFiller) plain(fd protoreflect.FieldDescriptor, r *validate.StringRules, required bool) string {
	name := string(fd.Name())
	f.n++
	switch {
	case r.GetUuid() || strings.HasSuffix(name, "_id"):
		return f.id(name)
	case len(r.GetIn()) > 0:
		return r.GetIn()[0]
	case r.GetEmail() || name == "email":
		return fmt.Sprintf("someone%d@example.test", f.n)
	case r.GetUri() || r.GetUriRef():
		return "https://example.test/"
	case r.GetHostname() || r.GetAddress():
		return "smtp.example.test"
	case r.GetPattern() != "":
		re := regexp.MustCompile(r.GetPattern())
		if re.MatchString("") && !required {
			return ""
		}
		for _, c := range append([]string{fmt.Sprintf("s%d", f.n)}, candidates...) {
			if re.MatchString(c) {
				return c
			}
		}
		return ""
	case required || r.GetMinLen() > 0 || r.GetMinBytes() > 0:
		return fmt.Sprintf("plain text %d", f.n) + strings.Repeat(".", int(min(max(r.GetMinLen(), r.GetMinBytes()), 1<<20)))
	}
	return ""
}

// fill sets plausible values in m's fields, depth levels down at most.
func (f *requestFiller) fill(m protoreflect.Message, depth int) {
	if depth >= maxSlotDepth {
		return
	}
	fields := m.Descriptor().Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		if o := fd.ContainingOneof(); o != nil && !o.IsSynthetic() && o.Fields().Get(0) != fd {
			continue // the first of a oneof only
		}
		rules := fieldRules(fd)
		switch {
		case fd.IsMap():
			if fd.MapKey().Kind() != protoreflect.StringKind {
				continue
			}
			mp := m.Mutable(fd).Map()
			key := protoreflect.ValueOfString("k").MapKey()
			switch fd.MapValue().Kind() {
			case protoreflect.StringKind:
				mp.Set(key, protoreflect.ValueOfString("v"))
			case protoreflect.MessageKind:
				f.fill(mp.Mutable(key).Message(), depth+1)
			default:
				m.Clear(fd)
			}
		case fd.IsList():
			list := m.Mutable(fd).List()
			switch fd.Kind() {
			case protoreflect.StringKind:
				v := f.plain(fd, rules.GetRepeated().GetItems().GetString(), true)
				list.Append(protoreflect.ValueOfString(v))
			case protoreflect.MessageKind:
				e := list.NewElement()
				f.fill(e.Message(), depth+1)
				list.Append(e)
			case protoreflect.EnumKind:
				list.Append(protoreflect.ValueOfEnum(firstEnum(fd)))
			default:
				m.Clear(fd)
			}
		case fd.Kind() == protoreflect.StringKind:
			if v := f.plain(fd, rules.GetString(), rules.GetRequired()); v != "" {
				m.Set(fd, protoreflect.ValueOfString(v))
			}
		case fd.Kind() == protoreflect.EnumKind:
			m.Set(fd, protoreflect.ValueOfEnum(firstEnum(fd)))
		case fd.Kind() == protoreflect.MessageKind && fd.Message().ParentFile().Package() == "tandem.v1":
			f.fill(m.Mutable(fd).Message(), depth+1)
		case fd.Kind() == protoreflect.Int64Kind && strings.HasSuffix(string(fd.Name()), "_ms") && rules.GetInt64() != nil:
			m.Set(fd, protoreflect.ValueOfInt64(time.Now().Add(time.Hour).UnixMilli())) // a time to come
		case fd.Kind() == protoreflect.Int32Kind && rules.GetInt32() != nil:
			m.Set(fd, protoreflect.ValueOfInt32(max(rules.GetInt32().GetGte(), rules.GetInt32().GetGt()+1)))
		case fd.Kind() == protoreflect.Int64Kind && rules.GetInt64() != nil:
			m.Set(fd, protoreflect.ValueOfInt64(max(rules.GetInt64().GetGte(), rules.GetInt64().GetGt()+1)))
		case fd.Kind() == protoreflect.BytesKind && rules.GetBytes().GetMinLen() > 0:
			m.Set(fd, protoreflect.ValueOfBytes([]byte("Returns are free for 30 days.")))
		}
	}
}

// firstEnum is the first value of fd's enum after the unspecified one.
func firstEnum(fd protoreflect.FieldDescriptor) protoreflect.EnumNumber {
	values := fd.Enum().Values()
	if values.Len() > 1 {
		return values.Get(1).Number()
	}
	return values.Get(0).Number()
}

// set puts v into the slot of the request m, filling with f the messages
// on the way that m does not hold yet (another member of a oneof).
func (s stringSlot) set(f *requestFiller, m protoreflect.Message, v string) {
	for depth, fd := range s.path[:len(s.path)-1] {
		fresh := !m.Has(fd)
		switch {
		case fd.IsMap():
			mp := m.Mutable(fd).Map()
			var key protoreflect.MapKey
			mp.Range(func(k protoreflect.MapKey, _ protoreflect.Value) bool { key = k; return false })
			m = mp.Mutable(key).Message()
		case fd.IsList():
			list := m.Mutable(fd).List()
			if list.Len() == 0 {
				list.Append(list.NewElement())
			}
			m = list.Get(0).Message()
		default:
			m = m.Mutable(fd).Message()
		}
		if fresh {
			f.fill(m, depth+1)
		}
	}
	fd := s.path[len(s.path)-1]
	switch {
	case s.mapIn == mapKey:
		mp := m.Mutable(fd).Map()
		var old protoreflect.MapKey
		mp.Range(func(k protoreflect.MapKey, _ protoreflect.Value) bool { old = k; return false })
		val := mp.Get(old)
		mp.Clear(old)
		mp.Set(protoreflect.ValueOfString(v).MapKey(), val)
	case s.mapIn == mapValue:
		mp := m.Mutable(fd).Map()
		mp.Range(func(k protoreflect.MapKey, _ protoreflect.Value) bool {
			mp.Set(k, protoreflect.ValueOfString(v))
			return false
		})
	case fd.IsList():
		list := m.Mutable(fd).List()
		list.Truncate(0)
		list.Append(protoreflect.ValueOfString(v))
	default:
		m.Set(fd, protoreflect.ValueOfString(v))
	}
}

// hostile is a valid string the test sends, and why.
type hostile struct{ what, s string }

// everyday are hard valid strings every field gets.
var everyday = []hostile{
	{"NUL", "a\x00b"},
	{"controls", "\x01\x07\x1b[31m\x7f\u0085\r\n\t"},
	{"bidi override", "\u202Eevil\u202C\u2066x\u2069"},
	{"zero-width", "\u200b\u200c\u200d\u2060\ufeff"},
	{"4-byte emoji", "👩🏽‍💻🏳️‍🌈"},
	{"combining marks", "Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǧ̗͚̚o̙̔ͮ̇͐̇"},
}

// hostiles are the valid strings slot s gets: the everyday ones, and the
// ones at its limits: just over max_len in code points, within max_len but
// over max_bytes, max_len 4-byte characters, or a long text where the field
// has no limit.
func hostiles(r *validate.StringRules) []hostile {
	out := slices.Clone(everyday)
	maxLen, maxBytes := int(min(r.GetMaxLen(), 1<<20)), int(min(r.GetMaxBytes(), 1<<20)) // both far below the message cap
	if maxLen > 0 {
		out = append(out, hostile{fmt.Sprintf("max_len+1 (%d) code points", maxLen+1), strings.Repeat("é", maxLen+1)},
			hostile{fmt.Sprintf("max_len (%d) 4-byte characters", maxLen), strings.Repeat("🙂", maxLen)})
	}
	if maxBytes > 0 {
		n := maxBytes/4 + 1 // over max_bytes, and within max_len where max_len > maxBytes/4
		if maxLen > 0 && n > maxLen {
			n = maxLen
		}
		out = append(out, hostile{fmt.Sprintf("%d 4-byte characters, max_bytes %d", n, maxBytes), strings.Repeat("🙂", n)},
			hostile{fmt.Sprintf("max_bytes+1 (%d) bytes", maxBytes+1), strings.Repeat("a", maxBytes+1)})
	}
	if maxLen == 0 && maxBytes == 0 {
		out = append(out, hostile{"70,000 bytes, no limit", strings.Repeat("é", 35000)})
	}
	return out
}

// stringAnswer is what the server answered a request.
type stringAnswer struct {
	status int
	code   string // the Connect error code, "" for none
	body   []byte
	err    error // the connection failed
}

// sendRaw posts the wire bytes of a request to md over the Connect protocol
// with the binary codec, as token ("" for none). A server stream is read
// for a moment: an accepted one stays open.
func sendRaw(ctx context.Context, srv string, md protoreflect.MethodDescriptor, token string, msg []byte) stringAnswer {
	procedure := fmt.Sprintf("/%s/%s", md.Parent().FullName(), md.Name())
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	body, contentType := msg, "application/proto"
	if md.IsStreamingServer() {
		ctx, cancel = context.WithTimeout(ctx, 300*time.Millisecond)
		defer cancel()
		body = append(binary.BigEndian.AppendUint32([]byte{0}, uint32(len(msg))), msg...) //nolint:gosec // a test's message, far under 4 GB
		contentType = "application/connect+proto"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv+procedure, bytes.NewReader(body))
	if err != nil {
		return stringAnswer{err: err}
	}
	req.Header.Set("Content-Type", contentType)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return stringAnswer{err: err}
	}
	defer func() { _ = resp.Body.Close() }()
	raw, err := io.ReadAll(resp.Body)
	if err != nil && (!md.IsStreamingServer() || !errors.Is(ctx.Err(), context.DeadlineExceeded)) {
		return stringAnswer{status: resp.StatusCode, err: err}
	}
	a := stringAnswer{status: resp.StatusCode, body: raw}
	if i := bytes.Index(raw, []byte(`"code":"`)); i >= 0 && (md.IsStreamingServer() || resp.StatusCode != http.StatusOK) {
		rest := raw[i+len(`"code":"`):]
		a.code = string(rest[:max(bytes.IndexByte(rest, '"'), 0)])
	}
	return a
}

// broken says what is wrong with an answer that no input may cause: a
// failed connection, a 5xx, Internal, Unknown or Unimplemented.
func (a stringAnswer) broken() string {
	switch {
	case a.err != nil:
		return a.err.Error()
	case a.status >= 500:
		return fmt.Sprintf("HTTP %d %s", a.status, a.body)
	case a.code == "internal" || a.code == "unknown" || a.code == "unimplemented" || a.code == "data_loss":
		return fmt.Sprintf("%s: %s", a.code, a.body)
	case a.status != http.StatusOK && a.code == "":
		return fmt.Sprintf("HTTP %d without a Connect error: %s", a.status, a.body)
	}
	return ""
}

// invalidUTF8 is the wire form of req with the slot's string replaced by
// bytes that are not UTF-8: the request is marshalled with a placeholder
// of the same length, which is then patched.
func invalidUTF8(t *testing.T, f *requestFiller, m proto.Message, s stringSlot) []byte {
	t.Helper()
	const placeholder = "QzQ9placeholder9QzQ"
	s.set(f, m.ProtoReflect(), placeholder)
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Count(b, []byte(placeholder)) != 1 {
		t.Fatalf("%s: placeholder not found once in the wire form", s.name())
	}
	bad := "Qz\xff\xfeplaceholder\xc0\x80zQ"
	if len(bad) != len(placeholder) || utf8.ValidString(bad) {
		t.Fatal("the patch must keep the length and not be UTF-8")
	}
	return bytes.Replace(b, []byte(placeholder), []byte(bad), 1)
}

// widgetUnlimited lifts the widget's budgets: a walk of every field calls
// the public procedures far more often than a visitor may.
func widgetUnlimited(c *config.Config) {
	c.WidgetRate, c.WidgetBurst = 1e6, 1e6
	c.WidgetSessionsPerMinute, c.WidgetSessionBurst = 1e6, 1e6
	c.WorkspaceSessionsPerMinute, c.WorkspaceSessionBurst = 1e6, 1e6
}

// TestEveryStringField (INP-02) walks every procedure's request, and every
// string field in it (nested messages, lists and maps included), as the
// caller the procedure needs, with the other fields holding ids of real
// objects and values that pass their rules. In each field: bytes that are
// not UTF-8 are refused InvalidArgument naming the field; NUL, controls,
// direction overrides, zero-width characters, 4-byte emoji, combining marks
// and texts at and past the field's limits never end in Internal, Unknown,
// Unimplemented, a 5xx or a dropped connection; and a text past a limit
// (max_len counted in code points, max_bytes in bytes) is refused
// InvalidArgument naming the field.
func TestEveryStringField(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		srv := rpctest.Start(t, opts, rpctest.Quiet, widgetUnlimited)
		w := worldOn(t, srv)
		validator, err := protovalidate.New()
		if err != nil {
			t.Fatal(err)
		}
		procs := procedures(t)
		f := &requestFiller{w: w}
		nProcs, nSlots, nCalls, nValidBase, nReached := 0, 0, 0, 0, 0
		began := time.Now()
		codes := map[string]int{}
		var unbounded []string // fields without a length rule that kept 70,000 bytes
		for _, name := range slices.Sorted(maps.Keys(procs)) {
			md := procs[name]
			mt, err := protoregistry.GlobalTypes.FindMessageByName(md.Input().FullName())
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			slots := stringSlots(md.Input(), nil)
			if len(slots) == 0 {
				continue
			}
			nProcs++
			f.ids = map[string]string{}       // new objects for each procedure: one may delete its own
			request := func() proto.Message { // made anew for each call: new client ids and names
				m := mt.New()
				f.fill(m, 0)
				return m.Interface()
			}
			if err := validator.Validate(request()); err != nil {
				t.Errorf("%s: the filled request is not valid: %v", name, err)
			} else {
				nValidBase++
			}
			var token string
			switch ruleOf(md).GetAccess() {
			case tandemv1.Access_ACCESS_PUBLIC:
			case tandemv1.Access_ACCESS_VISITOR:
				token = w.VisitorToken
			default:
				token = w.Token("owner") // fresh for each procedure: Logout ends it
			}
			public := ruleOf(md).GetAccess() == tandemv1.Access_ACCESS_PUBLIC
			for _, s := range slots {
				nSlots++
				where := fmt.Sprintf("%s %s", name, s.name())
				if s.mapIn == mapKey {
					where += " (key)"
				}

				a := sendRaw(w.Ctx, srv.URL, md, token, invalidUTF8(t, f, request(), s))
				nCalls++
				switch {
				case a.broken() != "":
					t.Errorf("%s = invalid UTF-8: %s", where, a.broken())
				case public && a.code == "resource_exhausted":
				case a.code != "invalid_argument":
					t.Errorf("%s = invalid UTF-8: HTTP %d %q, want invalid_argument: %s", where, a.status, a.code, a.body)
				case !bytes.Contains(a.body, []byte(s.name())):
					t.Errorf("%s = invalid UTF-8: refused without naming %s: %s", where, s.name(), a.body)
				}

				values := hostiles(s.rules)
				if md.IsStreamingServer() { // each accepted call waits: the limits and one more
					values = append(values[len(everyday):], values[nSlots%len(everyday)])
				}
				for _, h := range values {
					req := request()
					s.set(f, req.ProtoReflect(), h.s)
					b, err := proto.Marshal(req)
					if err != nil {
						t.Fatalf("%s = %s: %v", where, h.what, err)
					}
					verr := validator.Validate(req)
					a := sendRaw(w.Ctx, srv.URL, md, token, b)
					nCalls++
					if a.code != "invalid_argument" {
						nReached++
					}
					codes[a.code]++
					if a.status == http.StatusOK && a.code == "" && s.rules.GetMaxLen() == 0 && s.rules.GetMaxBytes() == 0 && len(h.s) > 65535 {
						unbounded = append(unbounded, where)
					}
					// The field's rules refuse the value (a length past a
					// limit, or a pattern) when a violation is this field's;
					// the server stops at the first violation, so it must
					// name this field when no other field has one.
					var violation *protovalidate.ValidationError
					overLimit, onlyThis := false, true
					if errors.As(verr, &violation) {
						for _, v := range violation.Violations {
							mine := strings.Contains(protovalidate.FieldPathString(v.Proto.GetField()), s.last())
							overLimit = overLimit || mine
							onlyThis = onlyThis && mine
						}
					}
					switch {
					case a.broken() != "":
						t.Errorf("%s = %s: %s", where, h.what, a.broken())
					case public && a.code == "resource_exhausted":
					case overLimit && a.code != "invalid_argument":
						t.Errorf("%s = %s: HTTP %d %q, want invalid_argument (%v)", where, h.what, a.status, a.code, verr)
					case overLimit && onlyThis && !bytes.Contains(a.body, []byte(s.last())):
						t.Errorf("%s = %s: refused without naming %s: %s", where, h.what, s.last(), a.body)
					}
				}
			}
		}
		t.Logf("%d procedures, %d string fields, %d calls (%d not refused as invalid); %d filled requests valid; answers %v; %v",
			nProcs, nSlots, nCalls, nReached, nValidBase, codes, time.Since(began).Round(time.Millisecond))
		if len(unbounded) > 0 { // the message cap is the only bound left: give the field a max_len or max_bytes
			t.Errorf("fields without a length rule took a 70,000-byte text: %s", strings.Join(unbounded, ", "))
		}
		if nProcs < 80 || nSlots < 250 || nValidBase < nProcs*3/4 {
			t.Fatalf("%d procedures with %d string fields, %d of them filled validly: the walk found too few", nProcs, nSlots, nValidBase)
		}
	})
}
