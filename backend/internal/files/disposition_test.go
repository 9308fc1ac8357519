package files_test

import (
	"mime"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// TestSecurityServedNameEncoded (FILE-04): a download's Content-Disposition
// carries a non-ASCII name exactly, as an RFC 5987 filename* parameter in
// UTF-8 after an ASCII stand-in, and quotes, semicolons and a parameter
// smuggled in a name stay inside the one filename.
func TestSecurityServedNameEncoded(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := newWorld(t, opts)
		conv := w.Conversation(w.Visitor)
		pic := pngBytes(t)
		for name, want := range map[string]string{
			"Café crème.png": `attachment; filename="Caf_ cr_me.png"; filename*=UTF-8''Caf%C3%A9%20cr%C3%A8me.png`,
			"领收书.png":        `attachment; filename="___.png"; filename*=UTF-8''%E9%A2%86%E6%94%B6%E4%B9%A6.png`,
			"🎉.png":          `attachment; filename="_.png"; filename*=UTF-8''%F0%9F%8E%89.png`,
			`say "hi".png`:   `attachment; filename="say _hi_.png"; filename*=UTF-8''say%20%22hi%22.png`,
			"a; b=c.png":     `attachment; filename="a; b=c.png"`,
			`ü"; filename="evil.html`: `attachment; filename="__; filename=_evil.png"; ` +
				`filename*=UTF-8''%C3%BC%22%3B%20filename%3D%22evil.png`,
		} {
			up := w.upload(w.VisitorToken, conv.ID, uuid.NewString(), name, pic)
			if up.status != http.StatusOK {
				t.Errorf("%q: upload = %+v", name, up)
				continue
			}
			status, h, _ := w.download(w.VisitorToken, up.file.ID)
			got := h.Get("Content-Disposition")
			if status != http.StatusOK || got != want {
				t.Errorf("%q: download %d, Content-Disposition\n%s\nwant\n%s", name, status, got, want)
			}
			_, params, err := mime.ParseMediaType(got)
			if err != nil || params["filename"] != up.file.Name || len(params) != 1 || strings.ContainsAny(got, "\r\n") {
				t.Errorf("%q: a client reads %q (%v), want the name %q", name, params, err, up.file.Name)
			}
		}
	})
}
