package server_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"buf.build/go/protovalidate"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// unit is what a client counts when it limits a text.
type unit int

const (
	utf16Units unit = iota // maxlength attributes, String.length, String.slice
	codePoints             // [...s].length
	utf8Bytes              // TextEncoder().encode(s).length
)

// clientLimit is one place a web client limits the length of a text that it
// then sends in the request fields named "tandem.v1.Message.field".
type clientLimit struct {
	file, literal string // the source that sets the limit, and the text that says it
	unit          unit
	n             int
	fields        []string
}

// clientLimits are the web clients' text limits (paths from the repository's root).
var clientLimits = []clientLimit{
	// The composer's maxlength (16,000 UTF-16 units) lets through up to
	// 48,000 bytes; the widget checks the bytes before it sends.
	{"backend/webwidget/src/frame/logic/send.ts", `export const maxBodyBytes = 16384;`, utf8Bytes, 16384,
		[]string{"tandem.v1.WidgetServiceSendMessageRequest.body", "tandem.v1.StartConversationRequest.body"}},
	{"backend/webwidget/src/frame/ui/layout.ts", `id: "tw-name", type: "text", autocomplete: "name", maxlength: "100"`, utf16Units, 100,
		[]string{"tandem.v1.UpdateVisitorRequest.name"}},
	{"backend/webwidget/src/frame/ui/layout.ts", `id: "tw-email", type: "email", autocomplete: "email", maxlength: "254"`, utf16Units, 254,
		[]string{"tandem.v1.UpdateVisitorRequest.email"}},
	{"backend/webwidget/src/frame/ui/layout.ts", `id: "tw-queue-email", type: "email", autocomplete: "email", maxlength: "254"`, utf16Units, 254,
		[]string{"tandem.v1.UpdateVisitorRequest.email"}},
	{"backend/webwidget/src/frame/ui/layout.ts", `id: "tw-transcript-email", type: "email", autocomplete: "email", maxlength: "254"`, utf16Units, 254,
		[]string{"tandem.v1.EmailTranscriptRequest.email"}},
	{"backend/webwidget/src/frame/ui/csat.ts", `class: "csat-comment", rows: "2", maxlength: "2000"`, utf16Units, 2000,
		[]string{"tandem.v1.RateConversationRequest.comment"}},
	{"backend/webwidget/src/protocol.ts", `k.length > 64`, utf16Units, 64,
		[]string{"tandem.v1.StartSessionRequest.attributes[key]", "tandem.v1.UpdateVisitorRequest.attributes[key]"}},
	{"backend/webwidget/src/protocol.ts", `String(val).slice(0, 1024)`, utf16Units, 1024,
		[]string{"tandem.v1.StartSessionRequest.attributes[value]", "tandem.v1.UpdateVisitorRequest.attributes[value]"}},
	{"desktop/frontend/src/web/outboxitem.ts", `export const maxBodyBytes = 16384;`, utf8Bytes, 16384,
		[]string{"tandem.v1.SendMessageRequest.body", "tandem.v1.AddNoteRequest.body"}},
	{"desktop/frontend/src/ui/Knowledge.tsx", `value={title} maxLength={200}`, utf16Units, 200,
		[]string{"tandem.v1.UploadDocumentRequest.title", "tandem.v1.ReplaceDocumentRequest.title"}},
	{"desktop/frontend/src/ui/Knowledge.tsx", `value={url} maxLength={2048}`, utf16Units, 2048,
		[]string{"tandem.v1.UploadDocumentRequest.source_url"}},
	{"desktop/frontend/src/ui/Mail.tsx", `value={subject} maxLength={998}`, utf16Units, 998,
		[]string{"tandem.v1.UpdateEmailThreadRequest.subject"}},
	{"desktop/frontend/src/logic/agent.ts", `limits = { name: 100,`, utf16Units, 100,
		[]string{"tandem.v1.UpdateBotSettingsRequest.name"}},
	{"desktop/frontend/src/logic/agent.ts", `handoffMessage: 1000,`, utf16Units, 1000,
		[]string{"tandem.v1.UpdateBotSettingsRequest.handoff_message"}},
	{"desktop/frontend/src/logic/agent.ts", `phraseMax: 100,`, codePoints, 100, // phraseProblem counts [...p].length
		[]string{"tandem.v1.EscalationIntentUpdate.phrases"}},
}

// worstCases are the texts a client limit of n lets through that are the
// longest in code points and in bytes.
func worstCases(u unit, n int) []string {
	switch u {
	case utf16Units: // a BMP character is one unit and up to 3 bytes; one above is two units and 4 bytes
		return []string{strings.Repeat("a", n), strings.Repeat("中", n), strings.Repeat("🙂", n/2)}
	case codePoints:
		return []string{strings.Repeat("a", n), strings.Repeat("🙂", n)}
	default:
		return []string{strings.Repeat("a", n), strings.Repeat("🙂", n/4)}
	}
}

// TestClientTextLimits (INP-02): whatever text a web client's length limit
// lets through, the server's rules accept in the field it is sent in. The
// clients count UTF-16 units (maxlength, String.length), code points or
// bytes; the server max_len in code points and max_bytes in bytes. Each
// client limit's longest texts, in code points and in bytes, are checked
// with the server's own validator against the field's rules, and the
// client's source must still say the limit the table holds.
func TestClientTextLimits(t *testing.T) {
	t.Parallel()
	validator, err := protovalidate.New()
	if err != nil {
		t.Fatal(err)
	}
	for _, cl := range clientLimits {
		src, err := os.ReadFile(filepath.Join("..", "..", "..", cl.file))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(src, []byte(cl.literal)) {
			t.Errorf("%s no longer says %s: update clientLimits", cl.file, cl.literal)
		}
		var refused []string
		for _, field := range cl.fields {
			msgName, fieldName, _ := strings.Cut(strings.TrimPrefix(field, "tandem.v1."), ".")
			fieldName, part, _ := strings.Cut(strings.TrimSuffix(fieldName, "]"), "[")
			mt, err := protoregistry.GlobalTypes.FindMessageByName(protoreflect.FullName("tandem.v1." + msgName))
			if err != nil {
				t.Fatalf("%s: %v", field, err)
			}
			fd := mt.Descriptor().Fields().ByName(protoreflect.Name(fieldName))
			if fd == nil {
				t.Fatalf("%s: no such field", field)
			}
			for _, s := range worstCases(cl.unit, cl.n) {
				m := mt.New()
				switch {
				case part == "key":
					m.Mutable(fd).Map().Set(protoreflect.ValueOfString(s).MapKey(), protoreflect.ValueOfString("v"))
				case part == "value":
					m.Mutable(fd).Map().Set(protoreflect.ValueOfString("k").MapKey(), protoreflect.ValueOfString(s))
				case fd.IsList():
					m.Mutable(fd).List().Append(protoreflect.ValueOfString(s))
				default:
					m.Set(fd, protoreflect.ValueOfString(s))
				}
				var verr *protovalidate.ValidationError
				if errors.As(validator.Validate(m.Interface()), &verr) {
					for _, v := range verr.Violations {
						rule := v.Proto.GetRuleId() // only the length rules: a worst case is no valid address or URL
						if path := protovalidate.FieldPathString(v.Proto.GetField()); strings.HasPrefix(path, fieldName) &&
							(strings.HasSuffix(rule, ".max_len") || strings.HasSuffix(rule, ".max_bytes")) {
							refused = append(refused, fmt.Sprintf("%s = %d code points, %d bytes: %s", field, utf8.RuneCountInString(s), len(s), v.Proto.GetMessage()))
						}
					}
				}
			}
		}
		if len(refused) > 0 {
			t.Errorf("%s (%s) lets through what the server refuses:\n%s", cl.file, cl.literal, strings.Join(refused, "\n"))
		}
	}
}
