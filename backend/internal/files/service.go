package files

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/gabriel-vasile/mimetype"
	"github.com/google/uuid"
	"gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"
	"gocloud.dev/gcerrors"

	// Bucket URLs: file:// (local), mem:// (tests) and s3:// (any
	// S3-compatible store, with endpoint= for non-AWS ones).
	_ "gocloud.dev/blob/memblob"
	_ "gocloud.dev/blob/s3blob"

	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/conversation"
	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// sniffLen is how much of a file decides its type.
const sniffLen = 3072

// OpenBucket opens the blob store: the bucket URL when one is configured
// (s3://bucket?region=...&endpoint=..., file:///path, mem://), else the
// directory "files" under dataDir.
func OpenBucket(ctx context.Context, url, dataDir string) (*blob.Bucket, error) {
	if url != "" {
		b, err := blob.OpenBucket(ctx, url)
		if err != nil {
			return nil, fmt.Errorf("open blob store %s: %w", url, err)
		}
		return b, nil
	}
	dir := filepath.Join(dataDir, "files")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create file directory: %w", err)
	}
	return fileblob.OpenBucket(dir, &fileblob.Options{NoTempDir: true})
}

// Service stores and serves files.
type Service struct {
	db     *store.DB
	bucket *blob.Bucket
	logger *slog.Logger
	now    func() time.Time
	limits Limits
	// sync makes a file's content, or a directory's entries, durable;
	// tests watch it.
	sync func(*os.File) error
}

// NewService returns a Service keeping objects in bucket.
func NewService(db *store.DB, bucket *blob.Bucket, logger *slog.Logger) *Service {
	return &Service{db: db, bucket: bucket, logger: logger, now: time.Now, sync: (*os.File).Sync}
}

// Upload is who uploads what, where.
type Upload struct {
	WorkspaceID    string
	ConversationID string
	UploaderKind   string
	UploaderID     string
	ClientID       string
	Name           string
}

// recordTimeout bounds the recording of an upload's row, which goes on
// if the client hangs up.
const recordTimeout = 10 * time.Second

// detached is ctx without its cancellation, for the storing of a body the
// client may hang up on once it has sent it all: it keeps ctx's deadline,
// and recordTimeout more.
func detached(ctx context.Context) (context.Context, context.CancelFunc) {
	d := context.WithoutCancel(ctx)
	if deadline, ok := ctx.Deadline(); ok {
		return context.WithDeadline(d, deadline.Add(recordTimeout))
	}
	return context.WithCancel(d)
}

// Put stores the body read from r. The type is sniffed from the content;
// the name is only metadata. A retry with the same client id returns the
// first file and stores nothing; the same id with other content is refused.
func (s *Service) Put(ctx context.Context, up Upload, r io.Reader) (File, error) {
	if err := CheckName(up.Name); err != nil {
		return File{}, err
	}
	if prev, err := s.byClientID(ctx, s.db, up.WorkspaceID, up.ClientID); err == nil {
		return s.retried(prev, up, r)
	} else if !store.ErrNoRows(err) {
		return File{}, err
	}
	if err := s.checkDisk(); err != nil {
		return File{}, err
	}
	if err := s.checkQuotas(ctx, up, 1); err != nil { // a quota already used up
		return File{}, err
	}

	head := make([]byte, sniffLen)
	n, err := io.ReadFull(r, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return File{}, errCutOff(err)
	}
	head = head[:n]
	if n == 0 {
		return File{}, ErrEmpty
	}
	served, err := sniff(head)
	if err != nil {
		return File{}, err
	}

	f := File{ID: uuid.NewString(), WorkspaceID: up.WorkspaceID, ConversationID: up.ConversationID,
		UploaderKind: up.UploaderKind, UploaderID: up.UploaderID, ClientID: up.ClientID, Name: up.Name,
		ContentType: served, CreatedAt: store.NowMillis(s.now())}
	f.BlobKey = "ws/" + f.WorkspaceID + "/" + f.ID
	if f.Size, f.SHA256, err = s.write(ctx, f.BlobKey, served, io.MultiReader(bytes.NewReader(head), r)); err != nil {
		return File{}, err
	}
	// The content is whole and stored: recording it no longer depends on
	// the client, who may hang up now. And a driver may report a call
	// cancelled meanwhile as failed although its INSERT committed
	// (modernc's SQLite does): content removed under a committed row
	// could never be downloaded again, while the client's retry is handed
	// that row. So the row is written whatever the client does, and
	// looked for before the content goes.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	if err := s.checkQuotas(rctx, up, f.Size); err != nil {
		s.remove(f.BlobKey)
		return File{}, err
	}
	if err := insertFile(rctx, s.db, &f); err != nil {
		if _, gerr := fileByID(rctx, s.db, f.ID); gerr == nil {
			return f, nil // committed after all
		}
		s.remove(f.BlobKey)
		if s.db.Dialect.IsUniqueViolation(err) { // a concurrent retry won
			prev, perr := s.byClientID(rctx, s.db, up.WorkspaceID, up.ClientID)
			if perr != nil {
				return File{}, perr
			}
			if prev.SHA256 != f.SHA256 || !sameUpload(prev, up) {
				return File{}, ErrClientIDReuse
			}
			return prev, nil
		}
		return File{}, fmt.Errorf("record file: %w", err)
	}
	return f, nil
}

// write streams r into the bucket under key, counting and hashing it, and
// removes what it wrote when the body is too big, cut off or a macro-enabled
// document. When the bucket is a local directory, the object's content and
// its directory entry are synced to disk before it counts as written: the
// file's row is committed with a synced transaction and must never outlive
// the object it names after a crash.
func (s *Service) write(ctx context.Context, key, contentType string, r io.Reader) (int64, string, error) {
	// The object is abandoned when the body fails (cancel, below), not
	// when the client hangs up after sending all of it: then the upload
	// is whole and is stored, and the client's retry finds it.
	wctx, cancel := detached(ctx)
	defer cancel()
	var local *os.File // the temporary file a directory bucket writes, renamed into place by Close
	w, err := s.bucket.NewWriter(wctx, key, &blob.WriterOptions{ContentType: contentType,
		BeforeWrite: func(as func(any) bool) error { as(&local); return nil }})
	if err != nil {
		return 0, "", fmt.Errorf("open blob: %w", err)
	}
	h := sha256.New()
	macros := newMacroScan(contentType)
	store := &watchedWriter{w: w}
	n, err := io.Copy(io.MultiWriter(store, h, macros), io.LimitReader(r, MaxSize+1))
	switch {
	case err == nil && n > MaxSize:
		err = ErrTooBig
	case store.err != nil:
		// The server's side failed, not the client's body.
		err = storeFailed(store.err)
	case err != nil:
		err = errCutOff(err)
	case macros.found():
		err = ErrMacros
	case local != nil:
		if serr := s.sync(local); serr != nil {
			err = fmt.Errorf("sync blob: %w", serr)
		}
	}
	if err != nil {
		cancel() // abandons the object: nothing is stored
		_ = w.Close()
		s.remove(key)
		return 0, "", err
	}
	if err := w.Close(); err != nil {
		s.remove(key)
		return 0, "", storeFailed(err)
	}
	if local != nil {
		if err := s.syncDir(filepath.Dir(local.Name())); err != nil {
			s.remove(key)
			return 0, "", err
		}
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

// watchedWriter keeps the error of the writer it wraps, so that a failed
// write to the bucket is told apart from a body cut off by the client.
type watchedWriter struct {
	w   io.Writer
	err error
}

func (ww *watchedWriter) Write(p []byte) (int, error) {
	n, err := ww.w.Write(p)
	if err != nil && ww.err == nil {
		ww.err = err
	}
	return n, err
}

// storeFailed is the error of a write to the bucket that failed: a full
// disk is the server's ResourceExhausted (uploads wait until there is room),
// anything else an internal error.
func storeFailed(err error) error {
	if errors.Is(err, syscall.ENOSPC) {
		return apperr.Wrap(apperr.ResourceExhausted, ErrDiskFull.Public, err)
	}
	return fmt.Errorf("store blob: %w", err)
}

// syncDir makes the entries of a directory durable (the rename that put an
// object in place). The directory is the temporary file's: the object's own
// for the default bucket (NoTempDir) and for file:// buckets with
// no_tmp_dir, which fileblob needs anyway when its temporary directory is on
// another disk.
func (s *Service) syncDir(dir string) error {
	d, err := os.Open(dir) //nolint:gosec // the bucket's own directory
	if err != nil {
		return fmt.Errorf("sync blob directory: %w", err)
	}
	defer func() { _ = d.Close() }()
	if err := s.sync(d); err != nil {
		return fmt.Errorf("sync blob directory: %w", err)
	}
	return nil
}

// retried answers a retry of an upload that is already stored: the same
// file when the body matches, AlreadyExists when it does not.
func (s *Service) retried(prev File, up Upload, r io.Reader) (File, error) {
	if !sameUpload(prev, up) {
		return File{}, ErrClientIDReuse
	}
	h := sha256.New()
	n, err := io.Copy(h, io.LimitReader(r, MaxSize+1))
	if err != nil {
		return File{}, errCutOff(err)
	}
	if n != prev.Size || hex.EncodeToString(h.Sum(nil)) != prev.SHA256 {
		return File{}, ErrClientIDReuse
	}
	return prev, nil
}

func sameUpload(f File, up Upload) bool {
	return f.ConversationID == up.ConversationID && f.UploaderKind == up.UploaderKind &&
		f.UploaderID == up.UploaderID && f.Name == up.Name
}

// remove deletes an object, best effort: an object without a row is only
// wasted space.
func (s *Service) remove(key string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.bucket.Delete(ctx, key); err != nil && gcerrors.Code(err) != gcerrors.NotFound {
		s.logger.Warn("remove blob", "key", key, "err", err)
	}
}

// Get returns a file's record.
func (s *Service) Get(ctx context.Context, id string) (File, error) {
	f, err := fileByID(ctx, s.db, id)
	if store.ErrNoRows(err) {
		return File{}, apperr.ErrNotFound
	}
	return f, err
}

// Open returns a reader of a file's content.
func (s *Service) Open(ctx context.Context, f File) (io.ReadCloser, error) {
	r, err := s.bucket.NewReader(ctx, f.BlobKey, nil)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return nil, apperr.ErrNotFound
	}
	return r, err
}

// Attach binds the uploader's pending files of the conversation to a
// message, inside the message's transaction, and returns them in the order
// named. Any file that is not such a pending upload fails the whole send.
func (s *Service) Attach(ctx context.Context, tx *store.Tx, conversationID, uploaderKind, uploaderID, messageID string, fileIDs []string) ([]conversation.Attachment, error) {
	out := make([]conversation.Attachment, 0, len(fileIDs))
	for _, id := range fileIDs {
		f, err := fileByID(ctx, tx, id)
		if store.ErrNoRows(err) || (err == nil && (f.ConversationID != conversationID || f.UploaderKind != uploaderKind ||
			f.UploaderID != uploaderID || f.Sent())) {
			return nil, ErrNotAttachable
		}
		if err != nil {
			return nil, fmt.Errorf("load file: %w", err)
		}
		if err := markSent(ctx, tx, id, messageID); err != nil {
			return nil, err
		}
		out = append(out, f.Attachment())
	}
	return out, nil
}

// Sweep deletes uploads never sent within maxAge: the row first, so that a
// message attaching one at the same moment either wins (and the object
// stays) or finds it gone.
func (s *Service) Sweep(ctx context.Context, maxAge time.Duration) (int, error) {
	stale, err := pendingBefore(ctx, s.db, store.NowMillis(s.now().Add(-maxAge)))
	if err != nil {
		return 0, err
	}
	n := 0
	for _, f := range stale {
		deleted, err := deletePending(ctx, s.db, f.ID)
		if err != nil {
			return n, err
		}
		if deleted {
			s.remove(f.BlobKey)
			n++
		}
	}
	return n, nil
}

func (s *Service) byClientID(ctx context.Context, q store.Querier, workspaceID, clientID string) (File, error) {
	return fileByClientID(ctx, q, workspaceID, clientID)
}

// sniff returns the type a file is served with, decided by its first bytes.
func sniff(head []byte) (string, error) {
	sniffed, _, _ := strings.Cut(mimetype.Detect(head).String(), ";")
	served, ok := accepted[sniffed]
	if !ok {
		return "", errType(sniffed)
	}
	// PDF readers, and so the sniffer, find the header up to 1 KiB in,
	// which lets an HTML page pass as a PDF: a PDF must begin with it.
	if served == "application/pdf" && !bytes.HasPrefix(head, []byte("%PDF-")) {
		return "", errType("application/pdf with content before its header")
	}
	return served, nil
}

// Bucket is the blob store the files live in.
func (s *Service) Bucket() *blob.Bucket { return s.bucket }
