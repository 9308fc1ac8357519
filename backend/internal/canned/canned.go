// Package canned owns canned responses: saved replies an agent finds by
// shortcut and drops into a conversation, with {{variables}} filled from
// the conversation, its customer, the agent and the workspace (see Render).
//
// A response is workspace-wide, maintained by supervisors and above and seen
// by every member, or personal: made by any signed-in agent and seen by
// nobody else. To anyone but its owner a personal response does not exist:
// every call on it answers NotFound, whatever the caller's role. API keys
// have no personal responses.
//
// Tables owned: canned_responses.
// Events emitted: canned_response.created, canned_response.updated,
// canned_response.deleted (visibility agents; self for personal responses).
// RPCs served: CannedResponseService (CreateCannedResponse,
// ListCannedResponses, UpdateCannedResponse, DeleteCannedResponse,
// RenderCannedResponse).
package canned

// Response is one canned response.
type Response struct {
	ID          string `db:"id"`
	WorkspaceID string `db:"workspace_id"`
	// OwnerUserID is the owner of a personal response, "" for a
	// workspace-wide one.
	OwnerUserID string `db:"owner_user_id"`
	// Shortcut is unique among the workspace-wide responses of a workspace,
	// and among the personal responses of each owner.
	Shortcut string `db:"shortcut"`
	Title    string `db:"title"`
	// Body is the text with its variables unrendered.
	Body string `db:"body"`
	// CreatedBy is the user who created it; for an API key, the key's
	// creator (the event log names the key itself).
	CreatedBy string `db:"created_by"`
	CreatedAt int64  `db:"created_at"`
	UpdatedAt int64  `db:"updated_at"`
}

// Personal reports whether only its owner sees the response.
func (r Response) Personal() bool { return r.OwnerUserID != "" }

// Limits of a response's fields, as the API states them.
const (
	MaxShortcut = 32    // characters of [a-z0-9_-]
	MaxTitle    = 100   // characters
	MaxBody     = 16384 // bytes
	MaxQuery    = 100   // characters of a list query
)
