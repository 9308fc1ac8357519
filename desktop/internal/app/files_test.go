package app_test

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/desktop/internal/apiclient"
	"github.com/tandem-inbox/tandem/desktop/internal/outbox"
	"github.com/tandem-inbox/tandem/desktop/internal/tandemtest"
)

// TestFiles attaches a file to a reply (kept in the outbox, uploaded with
// its client id), the customer gets it, and the agent saves an attachment
// where they choose and opens it; paths the frontend makes up are refused.
// Offline, a file that grew past 10 MB after it was picked is refused as
// its reply is queued, and never uploaded; one that grows after its reply
// is queued is sent as it was queued.
func TestFiles(t *testing.T) {
	srv := tandemtest.Start(t, nil)
	cust := srv.StartConversation(t, "Fay", "Can you send the invoice?")
	up := &uploads{}
	r := launchVia(t, "", up)
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

	checkGrownFiles(t, srv, cust, r, up, dir)
}

// checkGrownFiles: while the server is down, a file under the limit when
// picked and over it when its reply is queued makes Reply fail, naming the
// limit, with nothing queued or kept; a file that grows past the limit
// after its reply is queued goes out, once the server is back, as it was
// when queued (the outbox's copy), and the grown one is never uploaded.
func checkGrownFiles(t *testing.T, srv *tandemtest.Server, cust *tandemtest.Customer, r *running, up *uploads, dir string) {
	t.Helper()
	conv := cust.Conversation.GetId()
	srv.Stop(t)
	eventually(t, "the app to see it is offline", func() bool {
		v, _ := r.shell.lastSession()
		return v.Connection == "offline"
	})
	almost := append([]byte("%PDF-1.4 server log\n"), make([]byte, outbox.MaxFileBytes-1024)...)
	grew := filepath.Join(dir, "server log.pdf")
	queuedFirst := filepath.Join(dir, "contract.pdf")
	for _, p := range []string{grew, queuedFirst} {
		if err := os.WriteFile(p, almost, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	r.shell.pick = []string{grew, queuedFirst}
	picked, err := r.app.PickFiles()
	if err != nil || len(picked) != 2 {
		t.Fatalf("PickFiles of two files under 10 MB = %+v, %v", picked, err)
	}

	grow(t, grew)
	_, err = r.app.Reply(conv, "The full log", []string{picked[0].ID})
	if apiclient.KindOf(err) != apiclient.KindInvalid || !strings.Contains(apiclient.From(err).Message, "10 MB") {
		t.Fatalf("Reply with a file grown past 10 MB = %v, want it refused naming the limit", err)
	}
	for _, it := range r.app.Outbox() {
		if it.Body == "The full log" {
			t.Fatalf("the refused reply is in the outbox: %+v", it)
		}
	}
	if left, _ := os.ReadDir(filepath.Join(r.dir, "outbox", "files")); len(left) != 0 {
		t.Fatalf("the refused reply left %d file copies in the outbox", len(left))
	}

	it, err := r.app.Reply(conv, "The contract", []string{picked[1].ID})
	if err != nil || it.State != outbox.Queued || len(it.Files) != 1 {
		t.Fatalf("Reply while offline = %+v, %v", it, err)
	}
	grow(t, queuedFirst)
	srv.Restart(t)
	eventually(t, "the reply to be delivered", func() bool {
		d, ok := itemOf(r, it.ClientID)
		return ok && d.State != outbox.Queued
	})
	if d, _ := itemOf(r, it.ClientID); d.State != outbox.Delivered {
		t.Fatalf("reply whose file grew after it was queued = %+v, want it delivered as queued", d)
	}
	for _, m := range cust.Messages(t) {
		switch m.GetBody() {
		case "The contract":
			if as := m.GetAttachments(); len(as) != 1 || as[0].GetSizeBytes() != int64(len(almost)) {
				t.Fatalf("the customer got %v, want the %d bytes queued", as, len(almost))
			}
		case "The full log":
			t.Fatal("the refused reply reached the customer")
		}
	}
	if names := up.names(); slices.Contains(names, "server log.pdf") || !slices.Contains(names, "contract.pdf") {
		t.Fatalf("uploads tried = %q, want the contract and never the grown log", names)
	}
}

// grow appends to a picked file until it is over the 10 MB limit.
func grow(t *testing.T, path string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(make([]byte, 2048)); err != nil {
		t.Fatal(err)
	}
	if st, err := f.Stat(); err != nil || st.Size() <= outbox.MaxFileBytes {
		t.Fatalf("grown file: %v, %v", st, err)
	}
}

// uploads passes every request on and notes the name of each file upload
// (POST /files) the app tries, whether or not the server is up.
type uploads struct {
	mu   sync.Mutex
	seen []string
}

func (u *uploads) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodPost && req.URL.Path == "/files" {
		u.mu.Lock()
		u.seen = append(u.seen, req.URL.Query().Get("name"))
		u.mu.Unlock()
	}
	return http.DefaultTransport.RoundTrip(req)
}

func (u *uploads) names() []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return slices.Clone(u.seen)
}
