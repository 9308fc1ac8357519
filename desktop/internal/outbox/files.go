package outbox

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/google/uuid"

	"github.com/tandem-inbox/tandem/desktop/internal/durable"
	"github.com/tandem-inbox/tandem/desktop/internal/filename"
)

// ErrFileTooBig refuses an attachment over the server's limit.
var ErrFileTooBig = errors.New("files can be at most 10 MB")

func (o *Outbox) filesDir() string { return filepath.Join(o.j.dir, "files") }

// FilePath is where the outbox keeps a file until its reply is delivered.
func (o *Outbox) FilePath(f File) string { return filepath.Join(o.filesDir(), f.ClientID) }

// keepFiles copies each file into the outbox and syncs it, giving it a
// client id and a name the server accepts.
func (o *Outbox) keepFiles(files []File) ([]File, error) {
	if len(files) == 0 {
		return nil, nil
	}
	if err := os.MkdirAll(o.filesDir(), 0o700); err != nil {
		return nil, err
	}
	out := make([]File, 0, len(files))
	for _, f := range files {
		kept, err := o.keepFile(f)
		if err != nil {
			o.dropFiles(out)
			return nil, err
		}
		out = append(out, kept)
	}
	if err := durable.SyncDir(o.filesDir()); err != nil {
		o.dropFiles(out)
		return nil, err
	}
	return out, nil
}

func (o *Outbox) keepFile(f File) (File, error) {
	src, err := os.Open(f.Source)
	if err != nil {
		return File{}, fmt.Errorf("outbox: cannot read %s: %w", filepath.Base(f.Source), err)
	}
	defer src.Close()
	st, err := src.Stat()
	if err != nil {
		return File{}, err
	}
	if !st.Mode().IsRegular() {
		return File{}, fmt.Errorf("outbox: %s is not a file", filepath.Base(f.Source))
	}
	if st.Size() > MaxFileBytes {
		return File{}, fmt.Errorf("outbox: %s: %w", filepath.Base(f.Source), ErrFileTooBig)
	}
	id, err := uuid.NewV7()
	if err != nil {
		return File{}, err
	}
	kept := File{ClientID: id.String(), Name: filename.Safe(filepath.Base(f.Source)), Size: st.Size(), Source: f.Source}
	dst, err := os.OpenFile(o.FilePath(kept), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return File{}, err
	}
	n, err := io.Copy(dst, io.LimitReader(src, MaxFileBytes+1))
	if err == nil && n > MaxFileBytes {
		err = fmt.Errorf("outbox: %s: %w", kept.Name, ErrFileTooBig)
	}
	if err == nil {
		err = dst.Sync()
	}
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(o.FilePath(kept))
		return File{}, err
	}
	kept.Size = n
	return kept, nil
}

// sweepFiles removes the kept copies that no waiting item needs. A copy
// is removed after its item is recorded as delivered or discarded; an app
// that dies between the two leaves it behind, and nothing else would
// remove it. It runs as the outbox opens, before anything is enqueued.
func (o *Outbox) sweepFiles() {
	entries, err := os.ReadDir(o.filesDir())
	if err != nil {
		return // no file kept yet
	}
	needed := map[string]bool{}
	for _, it := range o.items {
		if it.State != Delivered {
			for _, f := range it.Files {
				needed[f.ClientID] = true
			}
		}
	}
	for _, e := range entries {
		if !needed[e.Name()] {
			o.dropFiles([]File{{ClientID: e.Name()}})
		}
	}
}

// dropFiles removes kept copies that are no longer needed.
func (o *Outbox) dropFiles(files []File) {
	for _, f := range files {
		if err := os.Remove(o.FilePath(f)); err != nil && !errors.Is(err, os.ErrNotExist) {
			o.opts.Logger.Warn("remove outbox file", "err", err)
		}
	}
}
