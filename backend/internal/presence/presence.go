// Package presence holds agents' status (online, away, offline), capacity
// (most chats at once) and skills per workspace: what routing needs to know
// about who can take a chat.
//
// Tables owned: agent_status.
// Events emitted: presence.changed, agent.settings_changed.
package presence

import "strings"

// Status is an agent's availability.
type Status string

// Statuses.
const (
	Online  Status = "online"
	Away    Status = "away"
	Offline Status = "offline"
)

// DefaultMaxChats is the capacity of an agent who never set one.
const DefaultMaxChats = 5

// Agent is one member's presence in a workspace.
type Agent struct {
	WorkspaceID     string `db:"workspace_id" json:"workspace_id"`
	UserID          string `db:"user_id" json:"user_id"`
	Status          Status `db:"status" json:"status"`
	MaxChats        int    `db:"max_chats" json:"max_chats"`
	SkillsText      string `db:"skills" json:"-"`
	StatusChangedAt int64  `db:"status_changed_at" json:"status_changed_at"`
	UpdatedAt       int64  `db:"updated_at" json:"updated_at"`
	// LastSeenAt is when the agent's app last showed it was connected.
	LastSeenAt int64 `db:"last_seen_at" json:"-"`
	// AutoOffline is set when inactivity, not the agent, took them offline.
	AutoOffline bool `db:"auto_offline" json:"-"`
}

// Skills lists the agent's skills.
func (a Agent) Skills() []string {
	if a.SkillsText == "" {
		return nil
	}
	return strings.Split(a.SkillsText, ",")
}

// offline is the presence of a member who never set any.
func offline(workspaceID, userID string) Agent {
	return Agent{WorkspaceID: workspaceID, UserID: userID, Status: Offline, MaxChats: DefaultMaxChats}
}
