package faulttest_test

import (
	"context"
	"fmt"
	"maps"
	"os"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"

	"github.com/tandem-inbox/tandem/backend/internal/faulttest"
	"github.com/tandem-inbox/tandem/backend/internal/fleet"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

const (
	ownerEmail    = "fault-owner@example.test"
	ownerPassword = "correct horse battery"
)

// binDir holds the tandemd built for this test binary.
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "tandem-faulttest-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// needProcesses skips in -short mode: these tests build tandemd and run
// real processes.
func needProcesses(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("runs tandemd, nats-server or mariadbd processes")
	}
}

// sharedDatabase is a fresh database on the test MySQL server (skipping
// without one), dropped when the test ends.
func sharedDatabase(t *testing.T) string {
	t.Helper()
	dsn := os.Getenv(storetest.EnvMySQL)
	if dsn == "" {
		storetest.Missing(t, storetest.EnvMySQL+" is not set: replicas share a MySQL database")
	}
	db, err := fleet.CreateDatabase(context.Background(), dsn, "tandem_t_fault")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Drop(context.Background()) })
	return db.URL
}

// replicasOnNATS starts n replicas on a fresh shared database, woken
// through a NATS server of their own and polling every 500 ms besides,
// with the extra environment; it returns the database's URL and the
// cluster.
func replicasOnNATS(t *testing.T, n int, extra map[string]string) (string, *cluster) {
	t.Helper()
	nats := rpctest.NATS(t)
	dbURL := sharedDatabase(t)
	env := map[string]string{"TANDEM_NATS_URL": nats.URL(), "TANDEM_POLL_INTERVAL": "500ms"}
	maps.Copy(env, extra)
	return dbURL, startCluster(t, dbURL, n, env)
}

// cluster is tandemd replicas on one database, with the bootstrap owner
// signed in and a workspace.
type cluster struct {
	replicas []*fleet.Tandemd
	owner    *rpcclient.Owner
	ws       rpcclient.Workspace
}

// startCluster starts n replicas on the database with the extra TANDEM_*
// environment (widget rate limits and reactors off unless extra sets them).
func startCluster(t *testing.T, dbURL string, n int, extra map[string]string) *cluster {
	t.Helper()
	addrs := make([]string, n)
	for i := range addrs {
		addr, err := fleet.FreeAddr(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		addrs[i] = addr
	}
	return startClusterAt(t, dbURL, addrs, extra)
}

// startClusterAt is startCluster with a replica listening on each address.
func startClusterAt(t *testing.T, dbURL string, addrs []string, extra map[string]string) *cluster {
	t.Helper()
	ctx := context.Background()
	bin, err := fleet.BuildTandemd(ctx, binDir)
	if err != nil {
		t.Fatal(err)
	}
	c := &cluster{}
	for _, addr := range addrs {
		env := map[string]string{
			"TANDEM_DATABASE_URL":       dbURL,
			"TANDEM_DATA_DIR":           t.TempDir(),
			"TANDEM_BOOTSTRAP_EMAIL":    ownerEmail,
			"TANDEM_BOOTSTRAP_PASSWORD": ownerPassword,
			"TANDEM_WIDGET_RATE":        "0",
			"TANDEM_LOG_LEVEL":          "warn",
			// The spine only: no AI agent or rules answering the visitors.
			"TANDEM_REACTORS": "false",
		}
		for k, v := range extra {
			env[k] = v
		}
		r, err := fleet.StartTandemd(ctx, bin, addr, env)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("tandemd %s output:\n%s", r.Addr, r.Output())
			}
			r.Kill()
		})
		c.replicas = append(c.replicas, r)
	}
	if c.owner, err = rpcclient.Login(ctx, c.replicas[0].URL, ownerEmail, ownerPassword); err != nil {
		t.Fatal(err)
	}
	if c.ws, err = c.owner.CreateWorkspace(ctx, "Faults"); err != nil {
		t.Fatal(err)
	}
	return c
}

// cursor is the workspace's position now, for the owner.
func (c *cluster) cursor(t *testing.T, url string) string {
	t.Helper()
	cur, err := rpcclient.Cursor(t.Context(), url, c.owner.Token, c.ws.ID)
	if err != nil {
		t.Fatal(err)
	}
	return cur
}

// visitors opens n widget visitors, each with a conversation, through url.
func (c *cluster) visitors(t *testing.T, url string, n int) []*rpcclient.Visitor {
	t.Helper()
	cl := rpcclient.New(url, rpcclient.Connect)
	out := make([]*rpcclient.Visitor, n)
	for i := range out {
		v, err := rpcclient.NewVisitor(t.Context(), cl, c.ws.PublicKey, fmt.Sprintf("Visitor %d", i))
		if err != nil {
			t.Fatal(err)
		}
		out[i] = v
	}
	return out
}

// watcher is the owner watching the workspace that resumes from its last
// cursor whenever its stream ends, on whichever replica urls() names then.
type watcher struct {
	*faulttest.Collector
	stop func()

	mu    sync.Mutex
	ended []error // why each stream ended
}

func (c *cluster) watch(t *testing.T, cursor string, protocol rpcclient.Protocol, urls func() string) *watcher {
	t.Helper()
	w := &watcher{Collector: faulttest.NewCollector()}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			client := rpcclient.New(urls(), protocol).Conversation
			s := rpcclient.OpenStream(ctx, client, c.owner.Token, c.ws.ID, cursor, w.OnMsg)
			<-s.Done()
			cursor = s.Cursor()
			if ctx.Err() == nil {
				w.mu.Lock()
				w.ended = append(w.ended, s.Err())
				w.mu.Unlock()
			}
			select {
			case <-ctx.Done():
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	w.stop = func() { cancel(); <-done }
	t.Cleanup(w.stop)
	return w
}

// endings counts why the watcher's streams ended so far, by code.
func (w *watcher) endings() map[connect.Code]int {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := map[connect.Code]int{}
	for _, err := range w.ended {
		out[connect.CodeOf(err)]++
	}
	return out
}
