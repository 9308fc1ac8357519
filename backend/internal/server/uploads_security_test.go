package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// TestSecurityServedNameMatchesType: a file's shown and downloaded name
// carries the extension of its sniffed type, so text with a script named
// invoice.html downloads as invoice.txt, served as plain text.
func TestSecurityServedNameMatchesType(t *testing.T) {
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := newWorld(t, opts)
		conv := w.conversation(w.visitor)
		body := []byte("Invoice 42, total 10 EUR.\n<script>alert(document.cookie)</script>\n")
		for name, want := range map[string]string{"invoice.html": "invoice.txt", "notes.TXT": "notes.TXT", ".htaccess": "file.txt",
			"report.svg": "report.txt", "log.text": "log.text"} {
			up := w.upload(w.visitorToken, conv.ID, uuid.NewString(), name, body)
			if up.status != http.StatusOK || up.file.Name != want || up.file.ContentType != "text/plain; charset=utf-8" {
				t.Errorf("%s: upload = %+v, want the name %s", name, up, want)
				continue
			}
			status, h, _ := w.download(w.visitorToken, up.file.Id)
			if status != http.StatusOK || h.Get("Content-Disposition") != "attachment; filename="+want ||
				!strings.HasPrefix(h.Get("Content-Type"), "text/plain") {
				t.Errorf("%s: download %d, %q, %q", name, status, h.Get("Content-Disposition"), h.Get("Content-Type"))
			}
		}
	})
}
