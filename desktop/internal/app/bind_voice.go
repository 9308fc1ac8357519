package app

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/tandem-inbox/tandem/desktop/internal/apiclient"
	"github.com/tandem-inbox/tandem/desktop/internal/filename"
	"github.com/tandem-inbox/tandem/desktop/internal/outbox"
)

// recordingsKept is how long a recorded clip stays on disk: the outbox
// copies it when the reply is sent, so older clips are ones never sent.
const recordingsKept = 24 * time.Hour

// audioExt tells a recorded clip's container by its first bytes (what
// MediaRecorder writes: WebM, Ogg, or MP4 in WebKit), or "" for anything
// else.
func audioExt(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte{0x1a, 0x45, 0xdf, 0xa3}):
		return ".webm"
	case bytes.HasPrefix(b, []byte("OggS")):
		return ".ogg"
	case len(b) >= 8 && string(b[4:8]) == "ftyp":
		return ".m4a"
	}
	return ""
}

// AttachRecording takes a voice message the person recorded in the window
// (base64, as the page hands bytes over) and returns it as a picked file,
// which Reply sends like any other attachment, queued offline included.
func (a *App) AttachRecording(name, data string) (PickedFile, error) {
	b, err := base64.StdEncoding.DecodeString(data)
	switch {
	case err != nil || len(b) == 0:
		return PickedFile{}, apiclient.Errorf(apiclient.KindInvalid, "The recording is empty or damaged: record it again.")
	case len(b) > outbox.MaxFileBytes:
		return PickedFile{}, apiclient.Errorf(apiclient.KindInvalid, "The recording is larger than 10 MB, the most a message can carry.")
	}
	ext := audioExt(b)
	if ext == "" {
		return PickedFile{}, apiclient.Errorf(apiclient.KindInvalid, "The recording is not audio the app can send (WebM, Ogg or MP4).")
	}
	dir := filepath.Join(a.c.cfg.Dir, "recordings")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return PickedFile{}, apiclient.Errorf(apiclient.KindInternal, "The recording cannot be kept: "+err.Error())
	}
	sweepRecordings(dir, time.Now().Add(-recordingsKept))
	base := strings.TrimSuffix(filename.Safe(name), filepath.Ext(name))
	if base == "" {
		base = "voice-message"
	}
	// Each clip in a folder of its own, under the name it is sent with.
	id := uuid.NewString()
	path := filepath.Join(dir, id, base+ext)
	if err := os.Mkdir(filepath.Dir(path), 0o700); err != nil {
		return PickedFile{}, apiclient.Errorf(apiclient.KindInternal, "The recording cannot be kept: "+err.Error())
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return PickedFile{}, apiclient.Errorf(apiclient.KindInternal, "The recording cannot be kept: "+err.Error())
	}
	a.c.mu.Lock()
	a.c.picked[id] = path
	a.c.mu.Unlock()
	return PickedFile{ID: id, Name: base + ext, Size: int64(len(b))}, nil
}

// sweepRecordings removes clips recorded before the cutoff.
func sweepRecordings(dir string, before time.Time) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if info, err := e.Info(); err == nil && info.ModTime().Before(before) {
			_ = os.RemoveAll(filepath.Join(dir, e.Name()))
		}
	}
}

// PlayAttachment returns an audio attachment as a data: URL the window
// plays inline (a voice message). Only audio is handed over this way.
func (a *App) PlayAttachment(attachmentID string) (string, error) {
	sess, _, err := a.c.current()
	if err != nil {
		return "", err
	}
	b, typ, err := sess.client.ReadFile(a.c.ctx(), attachmentID)
	if err != nil {
		return "", err
	}
	typ, _, _ = strings.Cut(typ, ";")
	if !strings.HasPrefix(typ, "audio/") {
		return "", apiclient.Errorf(apiclient.KindInvalid, "Only voice messages play here: save other files.")
	}
	return "data:" + typ + ";base64," + base64.StdEncoding.EncodeToString(b), nil
}
