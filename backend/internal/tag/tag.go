// Package tag owns a workspace's tag definitions: name, color, description.
// Putting tags on conversations is the conversation package's (it owns those
// rows and their events); this package counts them per period.
//
// Tables owned: tags.
// Tables read: conversation_tags (written by the conversation package: how
// often each tag is used).
// Events emitted: tag.created, tag.updated, tag.deleted.
package tag

// Tag is a workspace's label for conversations.
type Tag struct {
	ID          string `db:"id" json:"id"`
	WorkspaceID string `db:"workspace_id" json:"workspace_id"`
	Name        string `db:"name" json:"name"`
	Color       string `db:"color" json:"color"`
	Description string `db:"description" json:"description"`
	CreatedAt   int64  `db:"created_at" json:"created_at"`
	UpdatedAt   int64  `db:"updated_at" json:"updated_at"`
}

// Count is how many conversations got a tag in a period.
type Count struct {
	Tag
	Conversations int64 `db:"conversations"`
}
