package app_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/desktop/internal/apiclient"
	"github.com/tandem-inbox/tandem/desktop/internal/outbox"
	"github.com/tandem-inbox/tandem/desktop/internal/tandemtest"
)

// TestFiles attaches a file to a reply (kept in the outbox, uploaded with
// its client id), the customer gets it, and the agent saves an attachment
// where they choose and opens it; paths the frontend makes up are refused.
func TestFiles(t *testing.T) {
	srv := tandemtest.Start(t, nil)
	cust := srv.StartConversation(t, "Fay", "Can you send the invoice?")
	r := launch(t, "")
	if _, err := r.app.SignIn(srv.URL, tandemtest.AgentEmail, tandemtest.Password); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	content := []byte("%PDF-1.4 invoice 1042")
	src := filepath.Join(dir, "invoice 1042.pdf")
	if err := os.WriteFile(src, content, 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "huge.bin")
	if err := os.WriteFile(big, make([]byte, apiclient.MaxFileBytes+1), 0o600); err != nil {
		t.Fatal(err)
	}

	r.shell.pick = []string{big}
	if _, err := r.app.PickFiles(); apiclient.KindOf(err) != apiclient.KindInvalid || !strings.Contains(apiclient.From(err).Message, "10 MB") {
		t.Fatalf("picking an 11 MB file = %v", err)
	}
	r.shell.pick = []string{src}
	picked, err := r.app.PickFiles()
	if err != nil || len(picked) != 1 || picked[0].Name != "invoice 1042.pdf" || picked[0].Size != int64(len(content)) {
		t.Fatalf("PickFiles = %+v, %v", picked, err)
	}
	if _, err := r.app.Reply(cust.Conversation.GetId(), "Here it is", []string{"made-up-id"}); apiclient.KindOf(err) != apiclient.KindInvalid {
		t.Fatalf("Reply with an unknown file id = %v", err)
	}
	it, err := r.app.Reply(cust.Conversation.GetId(), "Here it is", []string{picked[0].ID})
	if err != nil || len(it.Files) != 1 {
		t.Fatalf("Reply = %+v, %v", it, err)
	}
	if err := os.Remove(src); err != nil { // the outbox has its own copy
		t.Fatal(err)
	}
	var got *tandemv1.WidgetMessage
	eventually(t, "the customer to get the file", func() bool {
		for _, m := range cust.Messages(t) {
			if m.GetBody() == "Here it is" && len(m.GetAttachments()) == 1 {
				got = m
				return true
			}
		}
		return false
	})
	a := got.GetAttachments()[0]
	if a.GetName() != "invoice 1042.pdf" || a.GetSizeBytes() != int64(len(content)) {
		t.Fatalf("attachment = %v", a)
	}
	eventually(t, "delivery", func() bool {
		d, ok := itemOf(r, it.ClientID)
		return ok && d.State == outbox.Delivered
	})
	// The outbox records the delivery, then removes its copies of the
	// files: they go just after the item shows as delivered.
	eventually(t, "the outbox to remove its copy of the delivered file", func() bool {
		left, _ := os.ReadDir(filepath.Join(r.dir, "outbox", "files"))
		return len(left) == 0
	})

	// Saving: where the person chose, under that name.
	r.shell.saveAs = filepath.Join(dir, "saved.pdf")
	path, err := r.app.SaveAttachment(a.GetId(), a.GetName())
	if err != nil || path != r.shell.saveAs {
		t.Fatalf("SaveAttachment = %q, %v", path, err)
	}
	if b, _ := os.ReadFile(path); !bytes.Equal(b, content) {
		t.Fatalf("saved %q", b)
	}
	if st, _ := os.Stat(path); st.Mode().Perm()&0o111 != 0 {
		t.Errorf("saved file is executable: %v", st.Mode())
	}
	if err := r.app.OpenSaved(path); err != nil || len(r.shell.files) != 1 {
		t.Fatalf("OpenSaved = %v (opened %v)", err, r.shell.files)
	}
	if err := r.app.OpenSaved("/etc/passwd"); apiclient.KindOf(err) != apiclient.KindNotFound {
		t.Fatalf("OpenSaved of a path never saved = %v", err)
	}
	r.shell.saveAs = filepath.Join(dir, "tool.exe")
	exe, err := r.app.SaveAttachment(a.GetId(), "tool.exe")
	if err != nil {
		t.Fatal(err)
	}
	if err := r.app.OpenSaved(exe); apiclient.KindOf(err) != apiclient.KindForbidden {
		t.Fatalf("OpenSaved of an .exe = %v", err)
	}
	r.shell.saveAs = "" // cancelled
	if p, err := r.app.SaveAttachment(a.GetId(), a.GetName()); p != "" || err != nil {
		t.Fatalf("cancelled save = %q, %v", p, err)
	}
	r.shell.saveAs = filepath.Join(dir, "nothing.txt")
	if _, err := r.app.SaveAttachment("00000000-0000-0000-0000-000000000000", "x"); apiclient.KindOf(err) != apiclient.KindNotFound {
		t.Fatalf("saving an unknown attachment = %v", err)
	}
	if _, err := os.Stat(r.shell.saveAs); err == nil {
		t.Fatal("a failed download left a file behind")
	}
}
