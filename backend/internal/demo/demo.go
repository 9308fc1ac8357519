// Package demo seeds a demo workspace so that a new user can try every
// feature right after `tandemd --demo`. Seeding is idempotent: a second start
// finds the demo workspace and leaves it as it is.
package demo

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/account"
	"github.com/tandem-inbox/tandem/backend/internal/automation"
	"github.com/tandem-inbox/tandem/backend/internal/bot"
	"github.com/tandem-inbox/tandem/backend/internal/canned"
	"github.com/tandem-inbox/tandem/backend/internal/contact"
	"github.com/tandem-inbox/tandem/backend/internal/conversation"
	"github.com/tandem-inbox/tandem/backend/internal/email"
	"github.com/tandem-inbox/tandem/backend/internal/files"
	"github.com/tandem-inbox/tandem/backend/internal/knowledge"
	"github.com/tandem-inbox/tandem/backend/internal/presence"
	"github.com/tandem-inbox/tandem/backend/internal/sla"
	"github.com/tandem-inbox/tandem/backend/internal/tag"
	"github.com/tandem-inbox/tandem/backend/internal/workspace"
)

// Demo accounts. The password is public: demo data is for trying Tandem out.
const (
	OwnerEmail    = "owner@demo.tandem"
	AgentEmail    = "agent@demo.tandem"
	Password      = "tandem-demo"
	WorkspaceName = "Demo Store"
)

// Services are what seeding acts through.
type Services struct {
	Accounts      *account.Service
	Workspaces    *workspace.Service
	Contacts      *contact.Service
	Conversations *conversation.Service
	Tags          *tag.Service
	Canned        *canned.Service
	Knowledge     *knowledge.Service
	Bot           *bot.Service
	Presence      *presence.Service
	SLA           *sla.Service
	Files         *files.Service
	// Automation seeds rules and the "Talk to a person" button, when set.
	Automation *automation.Service
	// Email seeds an email inbox, when set.
	Email *email.Service
}

// Seeded is what the demo holds.
type Seeded struct {
	Workspace workspace.Workspace
	Owner     account.User
	Agent     account.User
}

// Banner is where the demo runs, for what Seed prints.
type Banner struct {
	// Addr is the API's listen address (host:port).
	Addr string
	// DataDir is the embedded store's directory; empty when the demo runs
	// on a database server.
	DataDir string
	// SMTPAddr is the SMTP receiver's address ("" when off) and MailDomain
	// the domain of the inboxes' receiving addresses.
	SMTPAddr, MailDomain string
}

// Seed creates the demo data unless it exists, and tells out how to sign in.
func Seed(ctx context.Context, svc Services, where Banner, out io.Writer) (Seeded, error) {
	var d Seeded
	owner, _, err := svc.Accounts.EnsureUser(ctx, OwnerEmail, "Olivia Owner", Password)
	if err != nil {
		return d, fmt.Errorf("demo owner: %w", err)
	}
	agent, _, err := svc.Accounts.EnsureUser(ctx, AgentEmail, "Alex Agent", Password)
	if err != nil {
		return d, fmt.Errorf("demo agent: %w", err)
	}
	d.Owner, d.Agent = owner, agent
	ownerP := &access.Principal{Kind: access.KindUser, UserID: owner.ID}

	memberships, err := svc.Workspaces.Memberships(ctx, owner.ID)
	if err != nil {
		return d, err
	}
	for _, m := range memberships {
		if m.WorkspaceName == WorkspaceName {
			if d.Workspace, err = svc.Workspaces.Get(ctx, m.WorkspaceID); err != nil {
				return d, err
			}
			announce(out, where, d, inboxLine(ctx, svc, where, d.Workspace))
			return d, nil
		}
	}

	if d.Workspace, err = svc.Workspaces.Create(ctx, ownerP, WorkspaceName); err != nil {
		return d, fmt.Errorf("demo workspace: %w", err)
	}
	scope := &access.Scope{WorkspaceID: d.Workspace.ID, Role: access.RoleOwner}
	token, _, err := svc.Workspaces.Invite(ctx, ownerP, scope, AgentEmail, access.RoleAgent)
	if err != nil {
		return d, fmt.Errorf("demo invite: %w", err)
	}
	agentP := &access.Principal{Kind: access.KindUser, UserID: agent.ID}
	if _, _, err := svc.Workspaces.AcceptInvite(ctx, agentP, workspace.Acceptance{Token: token}); err != nil {
		return d, fmt.Errorf("demo accept invite: %w", err)
	}
	groups := []struct{ name, description string }{
		{"Sales", "Pre-sales questions, quotes and discounts"},
		{"Support", "Orders, shipping, returns and product help"},
		{"Billing", "Payments, refunds, invoices and chargebacks"},
	}
	for _, g := range groups {
		group, err := svc.Workspaces.CreateGroup(ctx, ownerP, scope, g.name, g.description, 3)
		if err != nil {
			return d, fmt.Errorf("demo group %s: %w", g.name, err)
		}
		if g.name == "Support" {
			if _, err := svc.Workspaces.AddGroupMember(ctx, ownerP, group.ID, agent.ID); err != nil {
				return d, fmt.Errorf("demo group member: %w", err)
			}
		}
	}
	for _, r := range []struct{ shortcut, title, body string }{
		{"refund", "Refund policy", "Hi {{customer.name}}, you can return any item within 30 days for a full refund. I've started it for you: order {{customer.order_id}}."},
		{"shipping", "Shipping times", "Hi {{customer.name}}! Orders ship within 1 business day; delivery takes 2-4 days. - {{agent.name}}"},
	} {
		if _, err := svc.Canned.Create(ctx, ownerP, scope, r.shortcut, r.title, r.body, false); err != nil {
			return d, fmt.Errorf("demo canned response: %w", err)
		}
	}
	if err := seedConversations(ctx, svc, d.Workspace, ownerP, agentP); err != nil {
		return d, fmt.Errorf("demo conversations: %w", err)
	}
	if err := seedTeam(ctx, svc, d.Workspace, ownerP, agentP); err != nil {
		return d, err
	}
	if err := seedAI(ctx, svc, d.Workspace, ownerP); err != nil {
		return d, err
	}
	if err := seedAutomation(ctx, svc, d.Workspace, ownerP); err != nil {
		return d, err
	}
	if err := seedEmail(ctx, svc, d.Workspace, ownerP); err != nil {
		return d, err
	}
	announce(out, where, d, inboxLine(ctx, svc, where, d.Workspace))
	return d, nil
}

func announce(out io.Writer, where Banner, d Seeded, inbox string) {
	var b strings.Builder
	fmt.Fprintf(&b, `
Tandem demo is ready on http://%s
  workspace  %s (id %s, widget key %s)
  sign in    %s / %s  (owner)
             %s / %s  (agent)
`, where.Addr, d.Workspace.Name, d.Workspace.ID, d.Workspace.PublicKey, OwnerEmail, Password, AgentEmail, Password)
	if where.DataDir != "" {
		fmt.Fprintf(&b, "  data       %s  (kept across restarts; --demo-reset starts the demo afresh)\n", where.DataDir)
	}
	b.WriteString(inbox)
	fmt.Fprintf(&b, `  try        %s --list-methods http://%s
             (from the repository root: `+"`make tools`"+` installs the pinned buf there, or use any buf on your PATH;
              README.md shows how to watch the inbox live and chat as a customer)
`, BufCurl, where.Addr)
	// A banner nobody can read (a closed standard output) stops nothing:
	// the demo is seeded and the server runs.
	_, _ = io.WriteString(out, b.String())
}

// BufCurl is the banner's buf curl command, run from the repository root.
const BufCurl = "api/node_modules/.bin/buf curl --protocol grpc --http2-prior-knowledge"
