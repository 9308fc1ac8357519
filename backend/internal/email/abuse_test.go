package email_test

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/base64"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"strings"
	"testing"

	"github.com/emersion/go-smtp"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/config"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// TestEmailAbuse sends tandemd's SMTP receiver what a hostile sender
// would, over TCP: a 50 MB mail (refused with 552 while it arrives, nothing
// stored), 10,000 recipients in one mail (refused after the 50th, the mail
// stored once), and a zip bomb (a 1 MB attachment that inflates to 1 GB:
// never inflated, refused as an archive while the mail's words are kept).
// Every refusal leaves the receiver answering the next mail.
func TestEmailAbuse(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		m := startMailServer(t, opts, func(c *config.Config) { c.SMTPMaxBytes, c.SMTPPerMinute = 10<<20, 0 })
		w := rpctest.WorldOn(t, m.Server)
		to := m.inbox(t, w, "help@shop.example", false).GetReceivingAddress()
		dial := func() *smtp.Client {
			t.Helper()
			c, err := smtp.Dial(m.smtp)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = c.Close() })
			return c
		}
		send := func(c *smtp.Client, body io.Reader) error {
			t.Helper()
			wc, err := c.Data()
			if err != nil {
				return err
			}
			if _, err := io.Copy(wc, body); err != nil {
				_ = wc.Close()
				return err
			}
			return wc.Close()
		}

		// 50 MB: refused with 552, nothing stored.
		c := dial()
		if err := c.Mail("ada@example.com", nil); err != nil {
			t.Fatal(err)
		}
		if err := c.Rcpt(to, nil); err != nil {
			t.Fatal(err)
		}
		big := io.MultiReader(strings.NewReader("From: ada@example.com\r\nSubject: Huge\r\nMessage-ID: <huge@example.com>\r\n\r\n"),
			io.LimitReader(repeatReader("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd\r\n"), 50<<20))
		var se *smtp.SMTPError
		if err := send(c, big); !errors.As(err, &se) || se.Code != 552 {
			t.Errorf("a 50 MB mail: %v, want 552", err)
		}

		// 10,000 recipients: the 51st on is refused; the mail comes once.
		c = dial()
		if err := c.Mail("grace@example.com", nil); err != nil {
			t.Fatal(err)
		}
		refused := 0
		for range 10_000 {
			if err := c.Rcpt(to, nil); err != nil {
				if !errors.As(err, &se) || se.Code != 452 {
					t.Fatalf("recipient refused with %v, want 452", err)
				}
				refused++
			}
		}
		if refused != 10_000-50 {
			t.Errorf("%d of 10,000 recipients refused, want %d", refused, 10_000-50)
		}
		if err := send(c, strings.NewReader("From: grace@example.com\r\nSubject: To everyone\r\nMessage-ID: <many@example.com>\r\n\r\nHello all.\r\n")); err != nil {
			t.Fatal(err)
		}

		// A zip bomb: refused as an archive, never inflated; the words arrive.
		bomb := zipBomb(t, 1024) // 1 GiB inflated
		raw := fmt.Sprintf("From: linus@example.com\r\nSubject: Logs\r\nMessage-ID: <bomb@example.com>\r\nMIME-Version: 1.0\r\n"+
			"Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nThe logs are attached.\r\n"+
			"--b\r\nContent-Type: application/zip\r\nContent-Disposition: attachment; filename=\"logs.zip\"\r\nContent-Transfer-Encoding: base64\r\n\r\n%s\r\n--b--\r\n",
			base64Lines(bomb))
		c = dial()
		if err := c.Mail("linus@example.com", nil); err != nil {
			t.Fatal(err)
		}
		if err := c.Rcpt(to, nil); err != nil {
			t.Fatal(err)
		}
		if err := send(c, strings.NewReader(raw)); err != nil {
			t.Fatalf("the zip bomb's mail: %v", err)
		}

		convs := waitConversations(t, w, 2)
		subjects := map[string]int{}
		for _, cv := range convs {
			subjects[cv.GetSubject()]++
		}
		if subjects["To everyone"] != 1 || subjects["Logs"] != 1 || subjects["Huge"] != 0 {
			t.Errorf("conversations by subject %v", subjects)
		}
		var files int
		if err := m.DB().GetContext(w.Ctx, &files, `SELECT COUNT(*) FROM files WHERE workspace_id = ?`, w.W1.ID); err != nil || files != 0 {
			t.Errorf("%d files kept (%v), want none", files, err)
		}
		for _, cv := range convs {
			if cv.GetSubject() != "Logs" {
				continue
			}
			h, err := m.Clients(rpcclient.GRPC).Conversation.GetConversation(w.As("owner"), &tandemv1.GetConversationRequest{ConversationId: cv.GetId()})
			if err != nil {
				t.Fatal(err)
			}
			if last := h.GetHistory()[0]; !strings.Contains(last.GetBody(), "The logs are attached.") || len(last.GetAttachments()) != 0 {
				t.Errorf("the zip bomb's message: %v", last)
			}
		}
	})
}

// zipBomb is a zip of one file of n MiB of zeros, about n KiB in size.
// It is built from one compressed MiB repeated (each block stands alone),
// not by compressing n MiB, which takes minutes under the race detector.
func zipBomb(t *testing.T, n int) []byte {
	t.Helper()
	const chunk = 1 << 20
	var block, final bytes.Buffer
	fw, err := flate.NewWriter(&block, flate.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fw.Write(make([]byte, chunk)); err != nil {
		t.Fatal(err)
	}
	if err := fw.Flush(); err != nil { // ends the block on a byte: copies may follow
		t.Fatal(err)
	}
	if fe, err := flate.NewWriter(&final, flate.BestCompression); err != nil || fe.Close() != nil { // the last, empty block
		t.Fatal("flate")
	}
	raw := append(bytes.Repeat(block.Bytes(), n), final.Bytes()...)
	crc, zero := uint32(0), make([]byte, chunk)
	for range n {
		crc = crc32.Update(crc, crc32.IEEETable, zero)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: "logs.txt", Method: zip.Deflate, CRC32: crc, CompressedSize64: uint64(len(raw)),
		UncompressedSize64: uint64(n) * chunk}) //nolint:gosec // n > 0
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(raw); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// repeatReader repeats s without end.
func repeatReader(s string) io.Reader { return &repeater{s: s} }

type repeater struct {
	s   string
	off int
}

func (r *repeater) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c := copy(p[n:], r.s[r.off:])
		n += c
		r.off = (r.off + c) % len(r.s)
	}
	return n, nil
}

// base64Lines is b in base64, in lines of 76 characters.
func base64Lines(b []byte) string {
	s := base64.StdEncoding.EncodeToString(b)
	var out strings.Builder
	for len(s) > 76 {
		out.WriteString(s[:76] + "\r\n")
		s = s[76:]
	}
	out.WriteString(s)
	return out.String()
}
