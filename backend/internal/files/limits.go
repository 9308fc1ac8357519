package files

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/naming"
	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// Limits bound what uploads may take: bytes per visitor and per workspace
// over a rolling window, bytes per conversation in all, and the free space
// that must stay on the local files directory's disk. Zero turns a limit off.
type Limits struct {
	// VisitorBytes is what one customer may upload per QuotaWindow.
	VisitorBytes int64
	// ConversationBytes is what a conversation may hold in all.
	ConversationBytes int64
	// WorkspaceBytes is what a workspace's conversations may take in per
	// QuotaWindow.
	WorkspaceBytes int64
	// QuotaWindow is the window of the visitor and workspace quotas; 0
	// means 24 hours.
	QuotaWindow time.Duration
	// DiskReserve is the free space below which uploads are refused, so
	// that a full disk fails uploads before it fails the database. It is
	// checked on Dir, the local files directory ("" when files live in a
	// bucket elsewhere).
	DiskReserve int64
	Dir         string
}

// Errors of the limits.
var (
	ErrFilesOff = apperr.New(apperr.PermissionDenied, "files are turned off for this chat (the workspace's widget settings)")
	ErrClosed   = apperr.New(apperr.FailedPrecondition, "this conversation is closed: files cannot be added to it")
	ErrDiskFull = apperr.New(apperr.ResourceExhausted, "the server is low on disk space: uploads are paused, try again later")
)

func errQuota(what string, limit int64) error {
	return &apperr.Error{Kind: apperr.ResourceExhausted, Field: "body",
		Public: fmt.Sprintf("this upload would pass the %s quota of %s", what, formatBytes(limit))}
}

// formatBytes writes a byte count as MiB or GiB when it is a whole number of them.
func formatBytes(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return strconv.FormatInt(n>>30, 10) + " GiB"
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + " MiB"
	}
	return naming.Count(n, "byte")
}

// WithLimits sets the service's upload limits.
func (s *Service) WithLimits(l Limits) *Service {
	if l.QuotaWindow <= 0 {
		l.QuotaWindow = 24 * time.Hour
	}
	s.limits = l
	return s
}

// checkDisk refuses an upload when the files directory's disk has less
// free space than the reserve.
func (s *Service) checkDisk() error {
	if s.limits.DiskReserve <= 0 || s.limits.Dir == "" {
		return nil
	}
	var st unix.Statfs_t
	if err := unix.Statfs(s.limits.Dir, &st); err != nil {
		return fmt.Errorf("check free space of %s: %w", s.limits.Dir, err)
	}
	if free := int64(st.Bavail) * int64(st.Bsize); free < s.limits.DiskReserve { //nolint:gosec // block counts fit
		s.logger.Warn("uploads refused: low disk space", "dir", s.limits.Dir, "free_bytes", free, "reserve_bytes", s.limits.DiskReserve)
		return ErrDiskFull
	}
	return nil
}

// checkQuotas refuses an upload of size more bytes that would pass a quota.
func (s *Service) checkQuotas(ctx context.Context, up Upload, size int64) error {
	since := store.NowMillis(s.now().Add(-s.limits.QuotaWindow))
	for _, q := range []struct {
		limit int64
		what  string
		used  func() (int64, error)
	}{
		{s.limits.VisitorBytes, "per-visitor daily", func() (int64, error) {
			return uploadedBy(ctx, s.db, up.WorkspaceID, up.UploaderKind, up.UploaderID, since)
		}},
		{s.limits.ConversationBytes, "per-conversation", func() (int64, error) { return uploadedTo(ctx, s.db, up.ConversationID) }},
		{s.limits.WorkspaceBytes, "per-workspace daily", func() (int64, error) {
			return uploadedIn(ctx, s.db, up.WorkspaceID, since)
		}},
	} {
		if q.limit <= 0 || (q.what == "per-visitor daily" && up.UploaderKind != "visitor") {
			continue
		}
		used, err := q.used()
		if err != nil {
			return fmt.Errorf("files quota: %w", err)
		}
		if used+size > q.limit {
			return errQuota(q.what, q.limit)
		}
	}
	return nil
}

// Policy decides, beyond the caller's access to the conversation, whether
// an upload may be made. Nil funcs allow.
type Policy struct {
	// FilesAllowed reports whether the workspace takes files from its
	// customers (its widget's allow_files setting).
	FilesAllowed func(ctx context.Context, workspaceID string) (bool, error)
	// Closed reports whether the conversation is closed.
	Closed func(ctx context.Context, workspaceID, conversationID string) (bool, error)
	// Limit rate-limits uploads; its error refuses one.
	Limit func(ctx context.Context, p *access.Principal) error
}

// WithPolicy sets the handler's upload policy.
func (h *Handler) WithPolicy(p Policy) *Handler {
	h.policy = p
	return h
}

// admit applies the policy to an upload by p into the conversation.
func (h *Handler) admit(ctx context.Context, p *access.Principal, workspaceID, conversationID string) error {
	if h.policy.Limit != nil {
		if err := h.policy.Limit(ctx, p); err != nil {
			return err
		}
	}
	if h.policy.FilesAllowed != nil && p.Kind == access.KindVisitor {
		ok, err := h.policy.FilesAllowed(ctx, workspaceID)
		if err != nil {
			return err
		}
		if !ok {
			return ErrFilesOff
		}
	}
	if h.policy.Closed != nil {
		closed, err := h.policy.Closed(ctx, workspaceID, conversationID)
		if err != nil {
			return err
		}
		if closed {
			return ErrClosed
		}
	}
	return nil
}

// LocalDir is the directory files are kept in when they are kept on this
// machine's disk (no bucket URL, or a file:// one), else "".
func LocalDir(bucketURL, dataDir string) string {
	switch {
	case bucketURL == "" && dataDir != "":
		return filepath.Join(dataDir, "files")
	case strings.HasPrefix(bucketURL, "file://"):
		if u, err := url.Parse(bucketURL); err == nil {
			return u.Path
		}
	}
	return ""
}
