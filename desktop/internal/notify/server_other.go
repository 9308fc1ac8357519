//go:build !linux

package notify

import "context"

// BodyMarkup is false where notifications are not the Desktop
// Notifications spec's: their bodies are plain text.
func BodyMarkup(context.Context) bool { return false }
