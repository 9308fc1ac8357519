// Package workspace owns workspaces, their members and roles, invitations and
// agent groups (departments). Membership lives here and only here: the access
// layer asks Role for every workspace-scoped call.
//
// Tables owned: workspaces (but last_seq and pruned_seq, which are the event
// log's), members, invites, agent_groups, group_members.
// Tables read: users (the invited person's account).
// Events emitted: workspace.created, workspace.updated, member.invited,
// member.added, member.role_changed, member.removed, group.created,
// group.updated, group.deleted, group.member_added, group.member_removed,
// workspace.widget_secret_rotated.
package workspace

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"

	"github.com/tandem-inbox/tandem/backend/internal/access"
)

// Workspace is one support team's space: its inbox, AI agent and settings.
type Workspace struct {
	ID           string `db:"id"`
	Name         string `db:"name"`
	PublicKey    string `db:"public_key"`
	WidgetSecret string `db:"widget_secret"`
	CreatedAt    int64  `db:"created_at"`
	UpdatedAt    int64  `db:"updated_at"`
	// Widget holds the web widget's options.
	Widget WidgetSettings `db:"widget_settings"`
	// PreviousWidgetSecret is the secret the last rotation replaced, still
	// accepted until PreviousWidgetSecretExpiresAt (unix ms).
	PreviousWidgetSecret          string `db:"previous_widget_secret"`
	PreviousWidgetSecretExpiresAt int64  `db:"previous_widget_secret_expires_at"`
}

// WidgetSettings are a workspace's web widget options.
type WidgetSettings struct {
	ChooseGroup bool   `json:"choose_group"`
	AskName     bool   `json:"ask_name"`
	AskEmail    bool   `json:"ask_email"`
	AllowFiles  bool   `json:"allow_files"`
	AccentColor string `json:"accent_color"`
	// AskEmailAfterMinutes: once a chat has waited this long for a person,
	// the widget asks for the customer's email; 0 only when nobody is online.
	AskEmailAfterMinutes int `json:"ask_email_after_minutes"`
}

// DefaultWidget is how a new workspace's widget behaves.
func DefaultWidget() WidgetSettings {
	return WidgetSettings{AllowFiles: true, AskEmailAfterMinutes: 10}
}

// Value implements driver.Valuer.
func (w WidgetSettings) Value() (driver.Value, error) {
	b, err := json.Marshal(w)
	return string(b), err
}

// Scan implements sql.Scanner; NULL is the default settings.
func (w *WidgetSettings) Scan(src any) error {
	*w = DefaultWidget()
	switch v := src.(type) {
	case nil:
		return nil
	case string:
		return json.Unmarshal([]byte(v), w)
	case []byte:
		return json.Unmarshal(v, w)
	}
	return fmt.Errorf("WidgetSettings: cannot scan %T", src)
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
	// MaxChatsPerAgent caps a member's chats when routing gives them one of
	// the group's conversations; 0 for no cap beyond their own.
	MaxChatsPerAgent int   `db:"max_chats_per_agent"`
	CreatedAt        int64 `db:"created_at"`
	UpdatedAt        int64 `db:"updated_at"`
	MemberIDs        []string
}
