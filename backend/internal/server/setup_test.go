package server_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/fleet"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// processEnv is the environment of a tandemd process on a fresh database
// of the test's dialect.
func processEnv(t *testing.T, opts store.Options) map[string]string {
	env := map[string]string{"TANDEM_DATA_DIR": t.TempDir()}
	if opts.URL != "" {
		env["TANDEM_DATABASE_URL"] = opts.URL
	}
	return env
}

// memberships signs in and returns the account's workspaces by name with
// its role there.
func memberships(t *testing.T, p *fleet.Tandemd, email, password string) (map[string]tandemv1.Role, error) {
	t.Helper()
	ctx := context.Background()
	c := rpcclient.New(p.URL, rpcclient.Connect)
	login, err := c.Auth.Login(ctx, &tandemv1.LoginRequest{Email: email, Password: password})
	if err != nil {
		return nil, err
	}
	who, err := c.Auth.WhoAmI(rpcclient.WithToken(ctx, login.GetToken()), &tandemv1.WhoAmIRequest{})
	if err != nil {
		t.Fatal(err)
	}
	roles := map[string]tandemv1.Role{}
	for _, m := range who.GetMemberships() {
		roles[m.GetWorkspaceName()] = m.GetRole()
	}
	return roles, nil
}

var setupLink = regexp.MustCompile(`url="?(http://[^" ]+/setup\?token=(tdsetup_[A-Za-z0-9_-]+))`)

// TestFirstStartSetup (issue 15 item 21) starts tandemd with no account, no
// --demo and no bootstrap settings: it logs a one-time setup link; the page
// behind it creates the owner account and workspace once; the link then
// refuses, and a second start prints none.
func TestFirstStartSetup(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs tandemd")
	}
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		env := processEnv(t, opts)
		addr := rpctest.FreeAddr(t)
		p := rpctest.StartProcess(t, addr, env)
		m := setupLink.FindStringSubmatch(p.Output())
		if m == nil || !strings.Contains(p.Output(), "no account yet") {
			t.Fatalf("the first start prints no setup link:\n%s", p.Output())
		}
		link, token := m[1], m[2]
		if !strings.HasPrefix(link, p.URL+"/setup?") {
			t.Fatalf("setup link %s is not on %s", link, p.URL)
		}

		if resp, body := rpctest.Do(t, http.DefaultClient, http.MethodGet, p.URL+"/setup?token=tdsetup_wrong", nil, ""); resp.StatusCode != http.StatusNotFound || strings.Contains(body, "<form") {
			t.Fatalf("a wrong token: %d\n%s", resp.StatusCode, body)
		}
		resp, body := rpctest.Do(t, http.DefaultClient, http.MethodGet, link, nil, "")
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, `<form method="post" action="/setup">`) || !strings.Contains(body, token) {
			t.Fatalf("GET the setup link: %d\n%s", resp.StatusCode, body)
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
			t.Errorf("setup page CSP %q", csp)
		}
		form := func(token, email, password, workspace string) (*http.Response, string) {
			v := url.Values{"token": {token}, "email": {email}, "name": {"Fay Founder"}, "password": {password}, "workspace": {workspace}}
			return rpctest.Do(t, http.DefaultClient, http.MethodPost, p.URL+"/setup",
				http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, v.Encode())
		}
		// A refused password shows the form again, naming the field; the
		// link stays open.
		if resp, body := form(token, "founder@example.test", "short", "Acme Support"); resp.StatusCode != http.StatusBadRequest ||
			!strings.Contains(body, "password: ") || !strings.Contains(body, `value="founder@example.test"`) {
			t.Fatalf("weak password: %d\n%s", resp.StatusCode, body)
		}
		if resp, body := form(token, "founder@example.test", rpctest.TestPassword, "Acme <Support>"); resp.StatusCode != http.StatusCreated ||
			!strings.Contains(body, "Acme &lt;Support&gt;") {
			t.Fatalf("setup: %d\n%s", resp.StatusCode, body)
		}
		roles, err := memberships(t, p, "founder@example.test", rpctest.TestPassword)
		if err != nil || roles["Acme <Support>"] != tandemv1.Role_ROLE_OWNER {
			t.Fatalf("the set-up owner: %v, %v; want owner of the workspace", roles, err)
		}
		// Used: the link is closed, for the page and for a second account.
		if resp, body := form(token, "second@example.test", rpctest.TestPassword, "Other"); resp.StatusCode != http.StatusNotFound || strings.Contains(body, "<form") {
			t.Fatalf("reusing the link: %d\n%s", resp.StatusCode, body)
		}
		if _, err := memberships(t, p, "second@example.test", rpctest.TestPassword); err == nil {
			t.Fatal("the reused link made a second account")
		}
		if resp, _ := rpctest.Do(t, http.DefaultClient, http.MethodGet, link, nil, ""); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("GET the used link: %d", resp.StatusCode)
		}
		if err := p.Stop(30 * time.Second); err != nil {
			t.Fatal(err)
		}

		p = rpctest.StartProcess(t, addr, env)
		if strings.Contains(p.Output(), "setup?token=") || strings.Contains(p.Output(), "no account yet") {
			t.Fatalf("a start with an owner prints a setup link:\n%s", p.Output())
		}
		if resp, _ := rpctest.Do(t, http.DefaultClient, http.MethodGet, link, nil, ""); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("the old link after a restart: %d", resp.StatusCode)
		}
	})
}

// TestUserCreateCommand (issue 15 item 21) runs `tandemd user create` as a
// scripted install does: an owner with a new workspace (password on
// stdin), an agent joining it (password in the environment), refusals that
// name the flag; then the server starts without a setup link and both sign
// in with their roles.
func TestUserCreateCommand(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs tandemd")
	}
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		env := processEnv(t, opts)
		run := func(stdin string, extra map[string]string, args ...string) (string, int) {
			t.Helper()
			cmd := exec.CommandContext(t.Context(), rpctest.Binary(t), append([]string{"user", "create"}, args...)...)
			cmd.Env = []string{"PATH=/usr/bin:/bin"}
			for k, v := range env {
				cmd.Env = append(cmd.Env, k+"="+v)
			}
			for k, v := range extra {
				cmd.Env = append(cmd.Env, k+"="+v)
			}
			cmd.Stdin = strings.NewReader(stdin)
			out, err := cmd.CombinedOutput()
			if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
				return string(out), ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			return string(out), 0
		}
		out, code := run(rpctest.TestPassword+"\n", nil, "--email", "Owner@Example.test", "--name", "Olga Owner", "--workspace", "Scripted Shop")
		if code != 0 || !strings.Contains(out, "created user owner@example.test") || !strings.Contains(out, `owner of workspace "Scripted Shop"`) {
			t.Fatalf("create owner: exit %d\n%s", code, out)
		}
		out, code = run("", map[string]string{"TANDEM_USER_PASSWORD": rpctest.TestPassword}, "--email", "agent@example.test", "--workspace", "Scripted Shop", "--role", "agent")
		if code != 0 || !strings.Contains(out, `agent of workspace "Scripted Shop"`) {
			t.Fatalf("create agent: exit %d\n%s", code, out)
		}
		for _, tc := range []struct {
			stdin string
			args  []string
			want  string
		}{
			{rpctest.TestPassword, []string{"--email", "owner@example.test"}, "already exists"},
			{rpctest.TestPassword, []string{"--email", "x@example.test", "--workspace", "Scripted Shop", "--role", "boss"}, "--role: "},
			{rpctest.TestPassword, []string{"--email", "x@example.test", "--workspace", "Elsewhere", "--role", "agent"}, "--workspace: "},
			{"short", []string{"--email", "x@example.test"}, "--password: "},
			{"", []string{"--email", "x@example.test"}, "no password"},
			{rpctest.TestPassword, []string{"--email", "not-an-email"}, "--email: "},
			{rpctest.TestPassword, nil, "--email is required"},
		} {
			if out, code := run(tc.stdin, nil, tc.args...); code == 0 || !strings.Contains(out, tc.want) {
				t.Errorf("%v: exit %d, want a refusal saying %q:\n%s", tc.args, code, tc.want, out)
			}
		}

		p := rpctest.StartProcess(t, rpctest.FreeAddr(t), env)
		if strings.Contains(p.Output(), "setup?token=") {
			t.Errorf("a server with accounts prints a setup link:\n%s", p.Output())
		}
		for email, want := range map[string]tandemv1.Role{"owner@example.test": tandemv1.Role_ROLE_OWNER, "agent@example.test": tandemv1.Role_ROLE_AGENT} {
			roles, err := memberships(t, p, email, rpctest.TestPassword)
			if err != nil || roles["Scripted Shop"] != want || len(roles) != 1 {
				t.Errorf("%s: %v, %v; want %v in Scripted Shop", email, roles, err, want)
			}
		}
		if _, err := memberships(t, p, "x@example.test", rpctest.TestPassword); err == nil {
			t.Error("a refused user create made an account")
		}
	})
}
