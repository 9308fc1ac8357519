package app

import (
	"os"
	"path/filepath"

	"github.com/google/uuid"

	"github.com/tandem-inbox/tandem/desktop/internal/apiclient"
	"github.com/tandem-inbox/tandem/desktop/internal/filename"
	"github.com/tandem-inbox/tandem/desktop/internal/outbox"
)

// PickedFile is a file the person chose to attach, named by an id.
type PickedFile struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Size int64  `json:"size"`
}

// PickFiles asks the person for files to attach to a reply (at most 10 MB
// each). Reply takes the ids it returns.
func (a *App) PickFiles() ([]PickedFile, error) {
	paths, err := a.c.shell.PickFiles()
	if err != nil {
		return nil, apiclient.Errorf(apiclient.KindInternal, "The file chooser did not open: "+err.Error())
	}
	out := []PickedFile{}
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil || !st.Mode().IsRegular() {
			return nil, apiclient.Errorf(apiclient.KindInvalid, filepath.Base(p)+" cannot be read.")
		}
		if st.Size() > outbox.MaxFileBytes {
			return nil, apiclient.Errorf(apiclient.KindInvalid, filepath.Base(p)+" is larger than 10 MB, the most a message can carry.")
		}
		id := uuid.NewString()
		a.c.mu.Lock()
		a.c.picked[id] = p
		a.c.mu.Unlock()
		out = append(out, PickedFile{ID: id, Name: filename.Safe(filepath.Base(p)), Size: st.Size()})
	}
	return out, nil
}

func (c *core) pickedFiles(ids []string) ([]outbox.File, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	files := make([]outbox.File, 0, len(ids))
	for _, id := range ids {
		p, ok := c.picked[id]
		if !ok {
			return nil, apiclient.Errorf(apiclient.KindInvalid, "Attach the file again: the app no longer has it.")
		}
		files = append(files, outbox.File{Source: p})
	}
	return files, nil
}

// SaveAttachment asks where to save an attachment and downloads it there.
// It returns the path, or "" when the person cancelled.
func (a *App) SaveAttachment(attachmentID, name string) (string, error) {
	sess, _, err := a.c.current()
	if err != nil {
		return "", err
	}
	path, err := a.c.shell.SaveFile(filename.Safe(name))
	if err != nil {
		return "", apiclient.Errorf(apiclient.KindInternal, "The save dialog did not open: "+err.Error())
	}
	if path == "" {
		return "", nil
	}
	if err := sess.client.DownloadFile(a.c.ctx(), attachmentID, path); err != nil {
		return "", err
	}
	a.c.mu.Lock()
	a.c.saved[path] = true
	a.c.mu.Unlock()
	return path, nil
}

// OpenSaved opens a file SaveAttachment saved, with the system's default
// application, unless opening it could run a program.
func (a *App) OpenSaved(path string) error {
	a.c.mu.Lock()
	ok := a.c.saved[path]
	a.c.mu.Unlock()
	switch {
	case !ok:
		return apiclient.Errorf(apiclient.KindNotFound, "Only files saved from a conversation can be opened here.")
	case filename.Runnable(path):
		return apiclient.Errorf(apiclient.KindForbidden, "This file could run a program, so the app does not open it. It is saved in "+filepath.Dir(path)+".")
	}
	return a.c.shell.OpenFile(path)
}
