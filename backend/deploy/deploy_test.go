// Package deploy_test checks the files in deploy/ against a real server and
// a real Prometheus: the scrape config and alert rules pass promtool, and
// every Grafana panel's query runs on a Prometheus that scraped tandemd and
// names only metrics tandemd exports.
package deploy_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/contact"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// need finds a binary, skipping the test without it unless CI runs it.
func need(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not installed (CI installs Debian's prometheus package)", name)
		}
		t.Skipf("%s is not installed", name)
	}
	return path
}

func TestPromtool(t *testing.T) {
	t.Parallel()
	promtool := need(t, "promtool")
	for _, args := range [][]string{{"check", "config", "prometheus.yml"}, {"test", "rules", "rules_test.yml"}} {
		if out, err := exec.CommandContext(t.Context(), promtool, args...).CombinedOutput(); err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

type dashboard struct {
	Title  string `json:"title"`
	Panels []struct {
		Title   string `json:"title"`
		Targets []struct {
			Expr string `json:"expr"`
		} `json:"targets"`
	} `json:"panels"`
}

func dashboards(t *testing.T) map[string]dashboard {
	t.Helper()
	files, err := filepath.Glob("grafana/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no dashboards: %v", err)
	}
	out := map[string]dashboard{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var d dashboard
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[f] = d
	}
	return out
}

var metricName = regexp.MustCompile(`\btandem_[a-z_]+\b`)

// TestDashboards runs tandemd, gives it some traffic, has a real Prometheus
// scrape it, and runs every panel's query there.
func TestDashboards(t *testing.T) {
	t.Parallel()
	prom := need(t, "prometheus")
	srv := rpctest.Start(t, storetest.Options(t, "sqlite"))
	traffic(t, srv)

	_, exposition := rpctest.Do(t, http.DefaultClient, http.MethodGet, srv.MetricsURL+"/metrics", nil, "")

	u, _ := url.Parse(srv.MetricsURL)
	dir := t.TempDir()
	cfg := fmt.Sprintf("global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: tandem\n    static_configs:\n      - targets: [%q]\n", u.Host)
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := rpctest.FreeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, prom, "--config.file="+filepath.Join(dir, "prometheus.yml"), "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--log.level=warn")
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); _ = cmd.Wait() })

	query := func(expr string) (string, int, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/api/v1/query?query="+url.QueryEscape(expr), nil)
		if err != nil {
			return "", 0, err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return "", 0, err
		}
		defer func() { _ = resp.Body.Close() }()
		var out struct {
			Status string `json:"status"`
			Error  string `json:"error"`
			Data   struct {
				Result []json.RawMessage `json:"result"`
			} `json:"data"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			return "", 0, err
		}
		if out.Status != "success" {
			return out.Status, 0, fmt.Errorf("%s", out.Error)
		}
		return out.Status, len(out.Data.Result), nil
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, n, err := query(`tandem_conversations_created_total`); err == nil && n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("Prometheus did not scrape tandemd within 30s")
		}
		time.Sleep(200 * time.Millisecond)
	}

	for file, d := range dashboards(t) {
		if len(d.Panels) == 0 {
			t.Errorf("%s has no panels", file)
		}
		for _, p := range d.Panels {
			if len(p.Targets) == 0 {
				t.Errorf("%s: panel %q has no query", file, p.Title)
			}
			for _, target := range p.Targets {
				if _, _, err := query(target.Expr); err != nil {
					t.Errorf("%s: panel %q: %s: %v", file, p.Title, target.Expr, err)
				}
				for _, name := range metricName.FindAllString(target.Expr, -1) {
					if !strings.Contains(string(exposition), "\n"+name) {
						t.Errorf("%s: panel %q names %s, which tandemd does not export", file, p.Title, name)
					}
				}
			}
		}
	}
	// The scripted conversation shows in the business metrics.
	for _, expr := range []string{`sum(tandem_conversations_created_total) == 1`,
		`sum(tandem_handoffs_total{reason="customer_request"}) == 1`, `sum(tandem_conversations_closed_total{outcome="agent"}) == 1`,
		`sum(tandem_csat_ratings_total{rating="5"}) == 1`, `sum(tandem_csat_ratings_total) == 1`,
		`sum(tandem_first_response_seconds_count) == 1`, `max(tandem_conversations_open) == 0`} {
		if _, n, err := query(expr); err != nil || n == 0 {
			t.Errorf("%s: does not hold on what Prometheus scraped (%v)", expr, err)
		}
	}
}

// traffic makes a workspace with an AI agent and a customer who is handed
// off, answered, closed and rates the chat, and waits for the counters.
func traffic(t *testing.T, srv *rpctest.Server) {
	t.Helper()
	ctx := context.Background()
	owner, _, err := srv.Domain().Accounts.EnsureUser(ctx, "owner@example.test", "Owner", "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	p := &access.Principal{Kind: access.KindUser, UserID: owner.ID}
	ws, err := srv.Domain().Workspaces.Create(ctx, p, "Metrics")
	if err != nil {
		t.Fatal(err)
	}
	issued, err := srv.Domain().Accounts.NewSession(ctx, owner)
	if err != nil {
		t.Fatal(err)
	}
	c := srv.Clients(rpcclient.Connect)
	octx := rpcclient.WithToken(ctx, issued.Token)
	on := true
	if _, err := c.Bot.UpdateBotSettings(octx, &tandemv1.UpdateBotSettingsRequest{WorkspaceId: ws.ID, Enabled: &on}); err != nil {
		t.Fatal(err)
	}
	sess, err := srv.Domain().Contacts.StartSession(ctx, contact.SessionRequest{PublicKey: ws.PublicKey, Name: "Casey"})
	if err != nil {
		t.Fatal(err)
	}
	vctx := rpcclient.WithToken(ctx, sess.Token)
	started, err := c.Widget.StartConversation(vctx, &tandemv1.StartConversationRequest{ClientId: uuid.NewString(), Body: "hello"})
	if err != nil {
		t.Fatal(err)
	}
	id := started.GetConversation().GetId()
	if _, err := c.Widget.RequestHuman(vctx, &tandemv1.RequestHumanRequest{ConversationId: id}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Conversation.SendMessage(octx, &tandemv1.SendMessageRequest{ConversationId: id, ClientId: uuid.NewString(), Body: "Hi, I'm here"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Conversation.CloseConversation(octx, &tandemv1.CloseConversationRequest{ConversationId: id}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Widget.RateConversation(vctx, &tandemv1.RateConversationRequest{ConversationId: id, Rating: 5}); err != nil {
		t.Fatal(err)
	}
	// An agent's app stays connected, as agents' apps are.
	sctx, cancel := context.WithCancel(octx)
	t.Cleanup(cancel)
	stream, err := c.Conversation.Watch(sctx, &tandemv1.WatchRequest{WorkspaceId: ws.ID})
	if err != nil || !stream.Receive() {
		t.Fatalf("watch: %v %v", err, stream.Err())
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		_, body := rpctest.Do(t, http.DefaultClient, http.MethodGet, srv.MetricsURL+"/metrics", nil, "")
		if strings.Contains(string(body), `tandem_csat_ratings_total{rating="5"} 1`) && strings.Contains(string(body), "tandem_first_response_seconds_count 1") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the metrics reactor did not count the traffic within 15s")
		}
		time.Sleep(100 * time.Millisecond)
	}
}
