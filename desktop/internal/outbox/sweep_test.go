package outbox

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestLeftoverFilesSweptOnOpen: the copy of a file whose reply was recorded
// as delivered, but not removed (the app died in between), and a copy no
// item names are removed when the outbox opens again; the copy a queued
// reply still needs is kept.
func TestLeftoverFilesSweptOnOpen(t *testing.T) {
	dir, src := t.TempDir(), filepath.Join(t.TempDir(), "invoice.pdf")
	if err := os.WriteFile(src, []byte("%PDF-1.4 invoice"), 0o600); err != nil {
		t.Fatal(err)
	}
	o, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	withFile := func(conv string) Item {
		t.Helper()
		d := draft(conv, "see attached")
		d.Files = []File{{Source: src}}
		it, err := o.Enqueue(d)
		if err != nil {
			t.Fatal(err)
		}
		return it
	}
	delivered, queued := withFile("c1"), withFile("c2")
	// Delivered as the sender records it, without the removal that follows.
	o.mu.Lock()
	it := o.items[delivered.ClientID]
	it.State, it.MessageID = Delivered, "m1"
	if err := o.j.put(it); err != nil {
		t.Fatal(err)
	}
	o.mu.Unlock()
	stray := filepath.Join(dir, "files", "0190a0a0-0000-7000-8000-000000000000")
	if err := os.WriteFile(stray, []byte("left by a discard"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}

	o, err = Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	entries, err := os.ReadDir(filepath.Join(dir, "files"))
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, e := range entries {
		left = append(left, e.Name())
	}
	if want := []string{queued.Files[0].ClientID}; !slices.Equal(left, want) {
		t.Errorf("files kept after reopening: %v, want only the queued reply's %v", left, want)
	}
	if _, err := os.Stat(o.FilePath(queued.Files[0])); err != nil {
		t.Errorf("the queued reply's file: %v", err)
	}
}
