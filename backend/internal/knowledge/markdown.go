package knowledge

import (
	"bytes"
	"fmt"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/renderer/html"
)

// markdown renders CommonMark with GitHub's tables and strikethrough. Raw
// HTML is kept in the rendering: it is never served, only read back by
// parseHTML, which is what drops its hidden parts.
func markdown() goldmark.Markdown {
	return goldmark.New(
		goldmark.WithExtensions(extension.Table, extension.Strikethrough),
		goldmark.WithRendererOptions(html.WithUnsafe()),
	)
}

// parseMarkdown reads Markdown as the HTML it renders to, so that its
// headings (ATX and setext) make the heading path, emphasis and link syntax
// become plain text, and HTML written inside it obeys the same visibility
// rules as an HTML upload.
func parseMarkdown(content []byte) (Parsed, error) {
	var out bytes.Buffer
	if err := markdown().Convert(content, &out); err != nil {
		return Parsed{}, fmt.Errorf("render markdown: %w", err)
	}
	return parseHTML(out.Bytes()), nil
}
