// Package workspace owns workspaces, their members and roles, invitations and
// agent groups (departments). Membership lives here and only here: the access
// layer asks Role for every workspace-scoped call.
//
// Tables owned: workspaces (but last_seq, which is the event log's), members,
// invites, agent_groups, group_members.
// Events emitted: workspace.created, workspace.updated, member.invited,
// member.added, member.role_changed, member.removed, group.created,
// group.updated, group.deleted, group.member_added, group.member_removed.
package workspace

import "github.com/tandem-inbox/tandem/backend/internal/access"

// Workspace is one support team's space: its inbox, AI agent and settings.
type Workspace struct {
	ID           string `db:"id"`
	Name         string `db:"name"`
	PublicKey    string `db:"public_key"`
	WidgetSecret string `db:"widget_secret"`
	CreatedAt    int64  `db:"created_at"`
	UpdatedAt    int64  `db:"updated_at"`
}

// Member is a user's membership in a workspace.
type Member struct {
	WorkspaceID string      `db:"workspace_id"`
	UserID      string      `db:"user_id"`
	Email       string      `db:"email"`
	DisplayName string      `db:"display_name"`
	Role        access.Role `db:"role"`
	CreatedAt   int64       `db:"created_at"`
}

// Invite is a pending invitation.
type Invite struct {
	ID          string      `db:"id"`
	WorkspaceID string      `db:"workspace_id"`
	Email       string      `db:"email"`
	Role        access.Role `db:"role"`
	TokenHash   []byte      `db:"token_hash"`
	InvitedBy   string      `db:"invited_by"`
	CreatedAt   int64       `db:"created_at"`
	ExpiresAt   int64       `db:"expires_at"`
	AcceptedAt  int64       `db:"accepted_at"`
	AcceptedBy  string      `db:"accepted_by"`
}

// Group is a department of agents (Sales, Support, Billing, ...).
type Group struct {
	ID          string `db:"id"`
	WorkspaceID string `db:"workspace_id"`
	Name        string `db:"name"`
	Description string `db:"description"`
	CreatedAt   int64  `db:"created_at"`
	UpdatedAt   int64  `db:"updated_at"`
	MemberIDs   []string
}
