package notify

import "strings"

// Markup escapes text for a notification server that reads markup in a
// body ("body-markup" in the Desktop Notifications spec: <b>, <i>, <u>,
// <a href>, <img src>). A customer's words are text: their "<a href=…>"
// must not become a link in the notification, nor their "<img src=…>" a
// picture fetched from anywhere.
func Markup(s string) string { return markupEscaper.Replace(s) }

var markupEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
