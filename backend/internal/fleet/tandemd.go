package fleet

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"
)

var (
	buildMu   sync.Mutex //nolint:gochecknoglobals // one tandemd build per process, shared by every caller (tests run in parallel)
	buildPath string     //nolint:gochecknoglobals // one tandemd build per process, shared by every caller (tests run in parallel)
)

// BuildTandemd builds tandemd from this checkout into dir, or a new
// temporary directory when dir is "" (once per process), and returns the
// binary's path.
func BuildTandemd(ctx context.Context, dir string) (string, error) {
	buildMu.Lock()
	defer buildMu.Unlock()
	if buildPath != "" {
		if _, err := os.Stat(buildPath); err == nil {
			return buildPath, nil
		}
	}
	if dir == "" {
		d, err := os.MkdirTemp("", "tandemd-")
		if err != nil {
			return "", err
		}
		dir = d
	}
	out := filepath.Join(dir, "tandemd")
	if err := Build(ctx, out, "./cmd/tandemd"); err != nil {
		return "", err
	}
	buildPath = out
	return out, nil
}

// Build builds the package pkg of this checkout's backend module (a path
// like "./cmd/tandemd"), with the build tags given, into the binary out.
func Build(ctx context.Context, out, pkg string, tags ...string) error {
	_, file, _, _ := runtime.Caller(0)
	args := []string{"build", "-o", out}
	if len(tags) > 0 {
		args = append(args, "-tags", strings.Join(tags, ","))
	}
	cmd := exec.CommandContext(ctx, "go", append(args, pkg)...) //nolint:gosec // go build of this module's own package into the caller's path
	cmd.Dir = filepath.Join(filepath.Dir(file), "..", "..")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build %s: %w\n%s", pkg, err, b)
	}
	return nil
}

// Tandemd is a tandemd process serving on a loopback address.
type Tandemd struct {
	*Process
	Addr string
	URL  string
	bin  string
	env  map[string]string
	args []string

	// MetricsURL is where its /metrics is served (TANDEM_METRICS_ADDR).
	MetricsURL string
}

// StartTandemd runs the tandemd binary on addr with the TANDEM_*
// environment and the further arguments (--demo, ...), and waits until
// /readyz answers.
func StartTandemd(ctx context.Context, bin, addr string, env map[string]string, args ...string) (*Tandemd, error) {
	t := &Tandemd{Addr: addr, URL: "http://" + addr, bin: bin, env: maps.Clone(env), args: args}
	if t.env == nil {
		t.env = map[string]string{}
	}
	// Replicas side by side each need their own listeners: two, and a
	// spare for when one is addr, which its caller found free and let go.
	free, err := FreeAddrs(ctx, 3)
	if err != nil {
		return nil, err
	}
	free = slices.DeleteFunc(free, func(a string) bool { return a == addr })
	for _, name := range []string{"TANDEM_METRICS_ADDR", "TANDEM_FILES_ADDR"} {
		if _, ok := t.env[name]; !ok {
			t.env[name], free = free[0], free[1:]
		}
	}
	t.MetricsURL = "http://" + t.env["TANDEM_METRICS_ADDR"]
	return t, t.start(ctx)
}

func (t *Tandemd) start(ctx context.Context) error {
	p, err := StartProcess("tandemd "+t.Addr, t.bin, append([]string{"--addr", t.Addr}, t.args...), t.env)
	if err != nil {
		return err
	}
	t.Process = p
	client := &http.Client{Timeout: time.Second}
	if err := p.waitUntil(ctx, 60*time.Second, func(ctx context.Context) bool {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, t.URL+"/readyz", nil)
		resp, err := client.Do(req)
		if err != nil {
			return false
		}
		_ = resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}); err != nil {
		p.Kill()
		return err
	}
	return nil
}

// Restart starts the same tandemd again, on the same address, after it was
// killed or stopped.
func (t *Tandemd) Restart(ctx context.Context) error {
	t.Kill()
	return t.start(ctx)
}
