package canned_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/tandem-inbox/tandem/backend/internal/canned"
	"github.com/tandem-inbox/tandem/backend/internal/contact"
	"github.com/tandem-inbox/tandem/backend/internal/store"
)

func TestRender(t *testing.T) {
	t.Parallel()
	vars := map[string]string{
		"customer.name":   "Ada",
		"customer.email":  "ada@example.test",
		"customer.plan":   "pro",
		"customer.größe":  "42",
		"agent.name":      "Grace",
		"conversation.id": "0f8e-conv",
		"workspace.name":  "Shop",
		"customer.empty":  "",
		"customer.braces": "{{agent.name}}",
	}
	tests := []struct {
		name, body, want string
	}{
		{"plain text", "Hello, how can I help?", "Hello, how can I help?"},
		{"empty body", "", ""},
		{"customer name", "Hi {{customer.name}}!", "Hi Ada!"},
		{"customer email", "We wrote to {{customer.email}}.", "We wrote to ada@example.test."},
		{"customer attribute", "Your plan: {{customer.plan}}", "Your plan: pro"},
		{"agent name", "— {{agent.name}}", "— Grace"},
		{"conversation id", "Ref {{conversation.id}}", "Ref 0f8e-conv"},
		{"workspace name", "Thanks for shopping at {{workspace.name}}", "Thanks for shopping at Shop"},
		{"every variable", "{{customer.name}} {{customer.email}} {{customer.plan}} {{agent.name}} {{conversation.id}} {{workspace.name}}",
			"Ada ada@example.test pro Grace 0f8e-conv Shop"},
		{"only a variable", "{{customer.name}}", "Ada"},
		{"adjacent variables", "{{customer.name}}{{agent.name}}", "AdaGrace"},
		{"missing attribute renders empty", "Order [{{customer.order_id}}]", "Order []"},
		{"unknown namespace renders empty", "[{{order.total}}]", "[]"},
		{"empty value", "[{{customer.empty}}]", "[]"},
		{"deep name renders empty", "[{{customer.address.city}}]", "[]"},
		{"whitespace inside braces", "Hi {{ customer.name }} and {{\tagent.name\n}}", "Hi Ada and Grace"},
		{"lots of whitespace", "{{       workspace.name       }}", "Shop"},
		{"unicode around", "こんにちは {{customer.name}} 👋 ¿qué tal?", "こんにちは Ada 👋 ¿qué tal?"},
		{"unicode name", "Größe {{customer.größe}}", "Größe 42"},
		{"values are not rendered again", "{{customer.braces}}", "{{agent.name}}"},
		{"undotted name kept", "Hi {{name}}", "Hi {{name}}"},
		{"empty braces kept", "a {{}} b {{ }} c", "a {{}} b {{ }} c"},
		{"words kept", "{{ not a variable }}", "{{ not a variable }}"},
		{"unclosed kept", "Hi {{customer.name", "Hi {{customer.name"},
		{"unclosed then variable", "{{ oops {{customer.name}}", "{{ oops Ada"},
		{"single braces kept", "{customer.name} {customer.name}} {{customer.name}", "{customer.name} {customer.name}} {{customer.name}"},
		{"triple braces", "{{{customer.name}}}", "{Ada}"},
		{"close without open", "}} {{customer.name}} }}", "}} Ada }}"},
		{"empty segment kept", "{{customer..name}} {{.name}} {{customer.}}", "{{customer..name}} {{.name}} {{customer.}}"},
		{"leading digit kept", "{{1customer.name}}", "{{1customer.name}}"},
		{"symbols kept", "{{customer.na$me}} {{customer.na$me|x}}", "{{customer.na$me}} {{customer.na$me|x}}"},
		{"fallback not needed", "{{customer.name|upper}}", "Ada"},
		{"template code kept", `{{ .Exec "rm" }} {{printf "%s" 1}}`, `{{ .Exec "rm" }} {{printf "%s" 1}}`},
		{"newlines kept", "Hi {{customer.name}},\n\nThanks!\n", "Hi Ada,\n\nThanks!\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := canned.Render(tt.body, vars); got != tt.want {
				t.Errorf("Render(%q) = %q, want %q", tt.body, got, tt.want)
			}
		})
	}
	t.Run("nil vars", func(t *testing.T) {
		if got := canned.Render("Hi {{customer.name}}, {{x}}", nil); got != "Hi, {{x}}" {
			t.Errorf("got %q", got)
		}
	})
	t.Run("long input without a close is kept", func(t *testing.T) {
		body := strings.Repeat("{{", 20000)
		if got := canned.Render(body, vars); got != body {
			t.Error("changed a body without variables")
		}
	})
	t.Run("over-long name is kept", func(t *testing.T) {
		body := "{{customer." + strings.Repeat("x", 300) + "}}"
		if got := canned.Render(body, vars); got != body {
			t.Errorf("got %q", got)
		}
	})
}

// TestRenderShared runs the cases the desktop app's preview renderer must
// also pass (desktop/frontend/test/canned.test.ts reads the same file).
func TestRenderShared(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("testdata/render_cases.json")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Vars  map[string]string `json:"vars"`
		Cases []struct {
			Name, Body, Want string
			Unresolved       []string
		} `json:"cases"`
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	for _, tt := range file.Cases {
		t.Run(tt.Name, func(t *testing.T) {
			got := canned.RenderDetail(tt.Body, file.Vars)
			if got.Text != tt.Want {
				t.Errorf("RenderDetail(%q) = %q, want %q", tt.Body, got.Text, tt.Want)
			}
			if diff := cmp.Diff(tt.Unresolved, got.Unresolved, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("unresolved (-want +got):\n%s", diff)
			}
		})
	}
}

func TestVariables(t *testing.T) {
	t.Parallel()
	c := contact.Contact{Name: "Ada", Email: "ada@example.test",
		Verified:   store.JSONMap{"plan": "pro", "name": "Signed Name"},
		Unverified: store.JSONMap{"plan": "free", "color": "blue", "email": "other@example.test"}}
	got := canned.Variables(c, "Grace", "conv-1", "Shop")
	want := map[string]string{
		"customer.name":   "Ada",
		"customer.email":  "ada@example.test",
		"customer.plan":   "pro", // verified wins
		"customer.color":  "blue",
		"agent.name":      "Grace",
		"conversation.id": "conv-1",
		"workspace.name":  "Shop",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Variables (-want +got):\n%s", diff)
	}
	if got := canned.Variables(contact.Contact{}, "", "", ""); got["customer.name"] != "" || len(got) != 5 {
		t.Errorf("empty contact: %v", got)
	}
}
