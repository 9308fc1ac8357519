package files_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/google/uuid"

	"github.com/tandem-inbox/tandem/backend/internal/files"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// hangUpAtEnd reads its body and cancels the call's context as it hands
// over the last byte: a client that hangs up once it has sent everything,
// as the server records the file.
type hangUpAtEnd struct {
	io.Reader
	cancel context.CancelFunc
}

func (h hangUpAtEnd) Read(p []byte) (int, error) {
	n, err := h.Reader.Read(p)
	if err == io.EOF {
		h.cancel()
	}
	return n, err
}

// TestUploadRecordedAfterHangUp (IDEM-02): a client that hangs up after
// the last byte of its upload, while the server records the file, finds
// the file when it retries with the same client id: the same file, whole,
// stored once. The recording goes on without the client: a driver may
// report a cancelled INSERT as failed although it committed (modernc's
// SQLite does), and the content was then removed under a committed row,
// which the retry was handed and nobody could ever download (the desktop
// outbox's SIGKILL test found it).
func TestUploadRecordedAfterHangUp(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		edit, _ := localFiles(t, opts)
		w := worldOn(t, rpctest.Start(t, opts, edit))
		conv := w.Conversation(w.Visitor)
		svc := w.Srv.Domain().Files
		for range 5 {
			body := textFile(200 << 10)
			up := files.Upload{WorkspaceID: w.W1.ID, ConversationID: conv.ID, UploaderKind: "visitor",
				UploaderID: w.Visitor.VisitorID, ClientID: uuid.NewString(), Name: "notes.txt"}
			ctx, cancel := context.WithCancel(w.Ctx)
			f, err := svc.Put(ctx, up, hangUpAtEnd{Reader: bytes.NewReader(body), cancel: cancel})
			cancel()
			if err != nil {
				t.Fatalf("an upload whose client hung up after its last byte: %v", err)
			}
			again, err := svc.Put(w.Ctx, up, bytes.NewReader(body))
			if err != nil || again.ID != f.ID {
				t.Fatalf("the retry: file %q, %v; want the recorded %q", again.ID, err, f.ID)
			}
			if code, _, got := w.download(w.VisitorToken, f.ID); code != http.StatusOK || !bytes.Equal(got, body) {
				t.Fatalf("download of the recorded file: %d, %d bytes; want 200 and the %d sent", code, len(got), len(body))
			}
		}
		if objects, rows := w.storedFiles(); objects != 5 || rows != 5 {
			t.Errorf("%d objects and %d rows for 5 uploads", objects, rows)
		}
	})
}
