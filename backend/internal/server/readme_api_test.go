package server_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
)

// readmeBlockAfter is the first code block of the language after the text
// in the README.
func readmeBlockAfter(t *testing.T, text, lang string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), text)
	if !ok {
		t.Fatalf("README has no %q", text)
	}
	_, block, ok := strings.Cut(rest, "\n```"+lang+"\n")
	if !ok {
		t.Fatalf("README has no %s block after %q", lang, text)
	}
	block, _, _ = strings.Cut(block, "\n```\n")
	return block
}

// TestReadmeCallingTheAPI (issue 15 item 20) runs the README's shell
// examples as written, from the repository root, against `tandemd --demo`:
// listing the methods (health included), signing in, creating and listing
// workspaces, and the live inbox seeing a customer's first message. They
// need only bash, sed and the pinned buf (`make buf`).
func TestReadmeCallingTheAPI(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs tandemd")
	}
	root, err := filepath.Abs(filepath.Join("..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "api", "node_modules", ".bin", "buf")); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("buf is not installed (make buf): %v", err)
		}
		t.Skipf("buf is not installed (make buf): %v", err)
	}
	p := rpctest.StartProcess(t, rpctest.FreeAddr(t), map[string]string{"TANDEM_DATA_DIR": t.TempDir()}, "--demo")
	banner := regexp.MustCompile(`\(id ([0-9a-f-]{36}), widget key (pk_[0-9a-f]+)\)`).FindStringSubmatch(p.Output())
	if banner == nil {
		t.Fatalf("no workspace id and widget key in the banner:\n%s", p.Output())
	}
	run := func(t *testing.T, script string, env ...string) string {
		t.Helper()
		script = strings.ReplaceAll(script, "http://127.0.0.1:8080", p.URL)
		cmd := exec.CommandContext(t.Context(), "bash", "-e", "-o", "pipefail", "-c", script)
		cmd.Dir = root
		cmd.Env = append([]string{"PATH=/usr/bin:/bin:" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}, env...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%v\n--- script:\n%s\n--- output:\n%s", err, script, out)
		}
		return string(out)
	}

	t.Run("calling the API", func(t *testing.T) {
		out := run(t, readmeSnippet(t, "## Calling the API", "sh"))
		for _, want := range []string{"tandem.v1.AuthService/Login", "grpc.health.v1.Health/Check", `"name": "My shop"`} {
			if !strings.Contains(out, want) {
				t.Errorf("output has no %s:\n%s", want, out)
			}
		}
	})

	t.Run("live inbox and a customer", func(t *testing.T) {
		script := readmeBlockAfter(t, "Try it against `make run`", "sh")
		script = regexp.MustCompile(`(?m)^WS=\.\.\..*$`).ReplaceAllString(script, "WS="+banner[1])
		script = regexp.MustCompile(`(?m)^PK=\.\.\..*$`).ReplaceAllString(script, "PK="+banner[2])
		// Terminal 1 runs in the background here, for a few seconds.
		const watch = "$URL/tandem.v1.ConversationService/Watch"
		if !strings.Contains(script, watch) {
			t.Fatalf("the example watches nothing:\n%s", script)
		}
		script = strings.Replace(script, watch, watch+` > "$WATCH_OUT" 2>&1 &`+"\nsleep 1", 1) + "\nsleep 2; kill %1 || true\n"
		watchOut := filepath.Join(t.TempDir(), "watch.json")
		out := run(t, script, "WATCH_OUT="+watchOut)
		if !strings.Contains(out, "Where is my order?") {
			t.Errorf("StartConversation answered:\n%s", out)
		}
		got, err := os.ReadFile(watchOut)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{string(events.ConversationCreated), string(events.MessageCreated), "Where is my order?"} {
			if !strings.Contains(string(got), want) {
				t.Errorf("the live inbox shows no %s:\n%s", want, got)
			}
		}
	})
}
