//go:build windowtest

package windowtest

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// startXvfb runs a virtual X server until the test ends and returns its
// DISPLAY.
func startXvfb(t *testing.T) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", "1440x900x24", "-nolisten", "tcp", "-noreset")
	cmd.ExtraFiles = []*os.File{w}
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("Xvfb: %v", err)
	}
	_ = w.Close()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(r).ReadString('\n')
		line <- strings.TrimSpace(s)
	}()
	select {
	case n := <-line:
		if n == "" {
			t.Fatal("Xvfb gave no display number")
		}
		return ":" + n
	case <-time.After(20 * time.Second):
		t.Fatal("Xvfb did not start")
		return ""
	}
}

// x runs an X client (xdotool, import) on the display.
type x struct {
	t       *testing.T
	display string
}

func (x x) run(timeout time.Duration, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), "DISPLAY="+x.display)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

func (x x) must(name string, args ...string) string {
	x.t.Helper()
	out, err := x.run(30*time.Second, name, args...)
	if err != nil {
		x.t.Fatal(err)
	}
	return out
}

// window waits for a visible window with the exact title and returns its id.
func (x x) window(title string, timeout time.Duration) string {
	x.t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		out, err := x.run(5*time.Second, "xdotool", "search", "--onlyvisible", "--name", "^"+title+"$")
		if err == nil {
			if ids := strings.Fields(out); len(ids) > 0 {
				return ids[len(ids)-1]
			}
		}
		time.Sleep(250 * time.Millisecond)
	}
	x.t.Fatalf("no window %q after %v", title, timeout)
	return ""
}

// focus gives the window the keyboard (there is no window manager).
func (x x) focus(win string) {
	x.t.Helper()
	x.must("xdotool", "windowfocus", "--sync", win)
}

// keys presses keys ("Tab", "ctrl+Return", "slash").
func (x x) keys(win string, keys ...string) {
	x.t.Helper()
	x.focus(win)
	x.must("xdotool", append([]string{"key", "--clearmodifiers", "--delay", "60"}, keys...)...)
	time.Sleep(150 * time.Millisecond)
}

// typeText types text as a person would.
func (x x) typeText(win, text string) {
	x.t.Helper()
	x.focus(win)
	x.must("xdotool", "type", "--clearmodifiers", "--delay", "25", text)
	time.Sleep(150 * time.Millisecond)
}

// screenshot saves the whole screen as a PNG.
func (x x) screenshot(path string) {
	x.t.Helper()
	x.must("import", "-window", "root", path)
	x.t.Logf("screenshot %s", path)
}

// resize sets the window's size (there is no window manager to refuse).
func (x x) resize(win string, w, h int) {
	x.t.Helper()
	x.must("xdotool", "windowsize", "--sync", win, fmt.Sprint(w), fmt.Sprint(h))
	time.Sleep(1500 * time.Millisecond) // WebKit lays out again
}
