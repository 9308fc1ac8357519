package outbox

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var me = Identity{Server: "http://127.0.0.1:1", UserID: "u1"}

func draft(conv, body string) Draft {
	return Draft{Identity: me, WorkspaceID: "w1", ConversationID: conv, Kind: Reply, Body: body}
}

func TestEnqueueIsOnDiskBeforeItReturns(t *testing.T) {
	dir := t.TempDir()
	o, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, b := range []string{"one", "two", "three"} {
		it, err := o.Enqueue(draft("c1", b))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, it.ClientID)
	}
	// A crash right after Enqueue returned: Close writes nothing, it only
	// releases the files, so the next process finds exactly what a crash
	// would leave: every item, queued, in compose order.
	_ = o.Close()
	again, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	got := again.Items(me)
	if len(got) != 3 {
		t.Fatalf("reopened outbox has %d items, want 3", len(got))
	}
	for i, it := range got {
		if it.ClientID != ids[i] || it.State != Queued || it.Body != []string{"one", "two", "three"}[i] {
			t.Errorf("item %d = %+v, want client id %s queued", i, it, ids[i])
		}
	}
}

func TestOneProcessAtATime(t *testing.T) {
	dir := t.TempDir()
	o, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir, Options{}); !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open = %v, want ErrLocked", err)
	}
	_ = o.Close()
	again, err := Open(dir, Options{})
	if err != nil {
		t.Fatalf("Open after Close = %v", err)
	}
	_ = again.Close()
}

func TestTornLastLineIsCutOff(t *testing.T) {
	dir := t.TempDir()
	o, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	kept, err := o.Enqueue(draft("c1", "kept"))
	if err != nil {
		t.Fatal(err)
	}
	_ = o.Close()
	// A write the crash interrupted: never acknowledged, so never queued.
	path := filepath.Join(dir, journalName)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(`{"put":{"client_id":"torn","bo`); err != nil {
		t.Fatal(err)
	}
	_ = f.Close()

	o, err = Open(dir, Options{})
	if err != nil {
		t.Fatalf("open after a torn write: %v", err)
	}
	if _, err := o.Enqueue(draft("c1", "after")); err != nil {
		t.Fatal(err)
	}
	_ = o.Close()
	o, err = Open(dir, Options{})
	if err != nil {
		t.Fatalf("open after repair: %v", err)
	}
	defer o.Close()
	got := o.Items(me)
	if len(got) != 2 || got[0].ClientID != kept.ClientID || got[1].Body != "after" {
		t.Fatalf("items after repair = %+v", got)
	}
}

func TestDamageInTheMiddleIsReported(t *testing.T) {
	dir := t.TempDir()
	o, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := o.Enqueue(draft("c1", "a")); err != nil {
		t.Fatal(err)
	}
	_ = o.Close()
	path := filepath.Join(dir, journalName)
	b, _ := os.ReadFile(path)
	if err := os.WriteFile(path, append([]byte("not json\n"), b...), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir, Options{}); err == nil || !strings.Contains(err.Error(), "damaged at line 1") {
		t.Fatalf("open of a damaged outbox: err = %v, want damaged at line 1", err)
	}
}

func TestFileIsPrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "outbox")
	o, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	if _, err := o.Enqueue(draft("c1", "secret customer data")); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]os.FileMode{dir: 0o700, filepath.Join(dir, journalName): 0o600} {
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != want {
			t.Errorf("%s mode %v, want %v", path, st.Mode().Perm(), want)
		}
	}
}

func TestCompactionKeepsUndeliveredItems(t *testing.T) {
	dir := t.TempDir()
	o, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var failed Item
	for i := range 100 {
		it, err := o.Enqueue(draft("c1", "m"))
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case i == 10:
			o.finish(it.ClientID, Failed, "closed", "")
			failed, _ = o.Get(it.ClientID)
		case i < 90:
			o.finish(it.ClientID, Delivered, "", "m"+it.ClientID)
		}
	}
	_ = o.Close()
	st, _ := os.Stat(filepath.Join(dir, journalName))
	o, err = Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	var queued, gotFailed int
	for _, it := range o.Items(me) {
		switch it.State {
		case Queued:
			queued++
		case Failed:
			gotFailed++
			if it.ClientID != failed.ClientID || it.Reason != "closed" {
				t.Errorf("failed item = %+v, want %+v", it, failed)
			}
		}
	}
	if queued != 10 || gotFailed != 1 {
		t.Errorf("after compaction: %d queued, %d failed; want 10 and 1", queued, gotFailed)
	}
	// 100 puts plus 90 results would be ~190 lines without compaction.
	if lines := strings.Count(readFile(t, filepath.Join(dir, journalName)), "\n"); lines >= 190 {
		t.Errorf("journal has %d lines (%d bytes): never compacted", lines, st.Size())
	}
}

func TestValidation(t *testing.T) {
	o, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	long := strings.Repeat("x", MaxBodyBytes+1)
	for name, d := range map[string]Draft{
		"empty":        draft("c1", "  \n"),
		"too long":     draft("c1", long),
		"no identity":  {ConversationID: "c1", Kind: Reply, Body: "x"},
		"unknown kind": {Identity: me, ConversationID: "c1", Kind: "fax", Body: "x"},
		"invalid utf8": draft("c1", "\xff"),
	} {
		if _, err := o.Enqueue(d); err == nil {
			t.Errorf("%s: Enqueue accepted it", name)
		}
	}
	if n := len(o.Items(me)); n != 0 {
		t.Errorf("%d items queued from invalid drafts", n)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
