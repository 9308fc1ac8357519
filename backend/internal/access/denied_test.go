package access

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	_ "github.com/tandem-inbox/tandem/api/tandem/v1" // the services and their rules
)

// TestDeniedText (issue 15 item 6): every authz rule's refusal reads as
// English: no identifier with underscores, actions on what a workspace
// holds "in this workspace" ("may not manage knowledge in this workspace",
// not "may not manage knowledge this workspace").
func TestDeniedText(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ resource, action, want string }{
		{"workspace", "manage_knowledge", "your role (agent) may not manage knowledge in this workspace"},
		{"workspace", "manage_api_keys", "your role (agent) may not manage API keys in this workspace"},
		{"workspace", "view_reports", "your role (agent) may not view reports in this workspace"},
		{"workspace", "update", "your role (agent) may not update this workspace"},
		{"conversation", "reply", "your role (agent) may not reply to this conversation"},
		{"sla_policy", "manage", "your role (agent) may not manage this SLA policy"},
		{"knowledge_document", "manage", "your role (agent) may not manage this knowledge document"},
	} {
		if got := deniedText(RoleAgent, tc.resource, tc.action); got != tc.want {
			t.Errorf("%s/%s: %q, want %q", tc.resource, tc.action, got, tc.want)
		}
	}
	n := 0
	protoregistry.GlobalFiles.RangeFiles(func(fd protoreflect.FileDescriptor) bool {
		for i := range fd.Services().Len() {
			sd := fd.Services().Get(i)
			for j := range sd.Methods().Len() {
				rule := RuleOf(sd.Methods().Get(j))
				if rule == nil || rule.GetResource() == "" {
					continue
				}
				n++
				text := deniedText(RoleAgent, rule.GetResource(), rule.GetAction())
				if strings.Contains(text, "_") || (rule.GetResource() == "workspace" && strings.Contains(rule.GetAction(), "_") &&
					!strings.HasSuffix(text, " in this workspace")) {
					t.Errorf("%s: %q", sd.Methods().Get(j).FullName(), text)
				}
			}
		}
		return true
	})
	if n < 50 {
		t.Errorf("only %d rules found", n)
	}
}
