// Package routing assigns a workspace's queue to its agents automatically:
// balanced (fewest open chats first) or round-robin, only to online agents
// under their capacity (and in the conversation's group, when it has one),
// most urgent and longest-waiting conversations first. A chat whose agent
// does not reply in time goes back to the queue and to someone else (never
// to them again while it waits), a few times at most: then it waits in the
// queue for a person, flagged as needing attention.
//
// The router works where work is due, found by two indexed queries a pass
// however many workspaces there are (see sweep). One replica routes a
// workspace at a time: the one holding its shard of the reactors (see
// events.Shards), so two replicas never both hand out the same capacity.
// Assignments go through the conversation service, which only takes a
// conversation still waiting: a person claiming it at the same moment wins
// or loses cleanly.
//
// Tables owned: routing_settings.
// Tables read: conversations, workspaces (where routing work is due: the
// waiting queues, routed chats past their reply timeout, the log heads).
// Events emitted: routing.updated (and, through conversations,
// conversation.assigned and conversation.unassigned).
package routing

// Mode is how a workspace routes.
type Mode string

// Modes.
const (
	Off        Mode = "off"
	Balanced   Mode = "balanced"
	RoundRobin Mode = "round_robin"
)

// Settings are a workspace's routing settings.
type Settings struct {
	WorkspaceID         string `db:"workspace_id" json:"workspace_id"`
	Mode                Mode   `db:"mode" json:"mode"`
	ReplyTimeoutSeconds int    `db:"reply_timeout_seconds" json:"reply_timeout_seconds"`
	// MaxReroutes caps how often the reply timeout sends one conversation
	// back to the queue and on to another agent; past it the conversation
	// waits in the queue needing attention, and supervisors hear of it.
	MaxReroutes int `db:"max_reroutes" json:"max_reroutes"`
}

// Re-route caps: the default, and the most a workspace may allow.
const (
	DefaultMaxReroutes = 3
	MaxMaxReroutes     = 20
)
