// Package files keeps the files customers and agents send in conversations:
// uploads are streamed into a blob store (a local directory by default, an
// S3-compatible bucket when configured) under server-made keys, typed by
// their content, never by their name, and served only to callers who may see
// their conversation.
//
// Tables owned: files.
package files

import (
	"database/sql"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/conversation"
)

// MaxSize is the largest file accepted: 10 MiB (10,485,760 bytes).
const MaxSize = 10 << 20

// File is an uploaded file.
type File struct {
	ID             string         `db:"id"`
	WorkspaceID    string         `db:"workspace_id"`
	ConversationID string         `db:"conversation_id"`
	UploaderKind   string         `db:"uploader_kind"`
	UploaderID     string         `db:"uploader_id"`
	ClientID       string         `db:"client_id"`
	Name           string         `db:"name"`
	ContentType    string         `db:"content_type"`
	Size           int64          `db:"size_bytes"`
	SHA256         string         `db:"sha256"`
	BlobKey        string         `db:"blob_key"`
	MessageID      sql.NullString `db:"message_id"`
	CreatedAt      int64          `db:"created_at"`
}

// Sent reports whether a message carries the file.
func (f *File) Sent() bool { return f.MessageID.Valid }

// accepted maps each accepted content type, as sniffed, to the type the file
// is served with. Anything else (HTML, SVG, scripts, executables, archives)
// is refused.
var accepted = map[string]string{ //nolint:gochecknoglobals // read-only table
	"application/pdf": "application/pdf",
	"image/png":       "image/png",
	"image/jpeg":      "image/jpeg",
	"image/gif":       "image/gif",
	"image/webp":      "image/webp",
	"text/plain":      "text/plain; charset=utf-8",
	"text/csv":        "text/csv; charset=utf-8",
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document":   "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	"application/vnd.openxmlformats-officedocument.presentationml.presentation": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
	"application/vnd.oasis.opendocument.text":                                   "application/vnd.oasis.opendocument.text",
	"application/vnd.oasis.opendocument.spreadsheet":                            "application/vnd.oasis.opendocument.spreadsheet",
	"application/vnd.oasis.opendocument.presentation":                           "application/vnd.oasis.opendocument.presentation",
	"application/msword":            "application/msword",
	"application/vnd.ms-excel":      "application/vnd.ms-excel",
	"application/vnd.ms-powerpoint": "application/vnd.ms-powerpoint",
	// Voice messages. A WebM or Ogg recording sniffs as video when the
	// container does not say it holds audio only; both are served as audio.
	"audio/webm":  "audio/webm",
	"video/webm":  "audio/webm",
	"audio/ogg":   "audio/ogg",
	"video/ogg":   "audio/ogg",
	"audio/mpeg":  "audio/mpeg",
	"audio/mp4":   "audio/mp4",
	"audio/x-m4a": "audio/mp4",
}

// Errors of uploads and downloads.
var (
	ErrEmpty = apperr.Invalid("body", "the file is empty")
	// ErrTooBig answers HTTP 413 with the code invalid_argument: clients
	// take resource_exhausted (HTTP 429) to mean "slow down and retry",
	// which cannot help a file that is too large.
	ErrTooBig        = apperr.Invalid("body", "the file is larger than the 10 MiB (10,485,760 bytes) limit: send a smaller one")
	ErrClientIDReuse = apperr.New(apperr.AlreadyExists, "client_id: already used for another file")
	ErrNotAttachable = apperr.Invalid("file_ids", "name files you uploaded to this conversation and have not sent yet")
)

func errCutOff(err error) error {
	return apperr.Wrap(apperr.InvalidArgument, "body: the upload was cut off", err)
}

func errType(sniffed string) error {
	return apperr.Invalid("body", "files of type "+sniffed+" are not accepted: send a PDF, an image (PNG, JPEG, GIF, WebP), "+
		"plain text, CSV, an Office document or a voice message (WebM, Ogg, MP3, M4A)")
}

// CheckName accepts a file name that is only a name: no path parts, no
// control characters, at most 255 bytes of valid UTF-8.
func CheckName(name string) error {
	switch {
	case name == "" || strings.TrimSpace(name) == "":
		return apperr.Invalid("name", "is required")
	case len(name) > 255:
		return apperr.Invalid("name", "must be at most 255 bytes")
	case !utf8.ValidString(name):
		return apperr.Invalid("name", "must be valid UTF-8")
	case strings.ContainsAny(name, `/\`) || name == "." || name == "..":
		return apperr.Invalid("name", "must be a file name without path parts")
	case strings.ContainsFunc(name, func(r rune) bool { return unicode.IsControl(r) || r == '\u202e' || r == '\u202d' }):
		return apperr.Invalid("name", "must not contain control or direction-override characters")
	}
	return nil
}

// Attachment is the file as a message shows it, under its served name.
func (f *File) Attachment() conversation.Attachment {
	return conversation.Attachment{ID: f.ID, Name: f.ServedName(), ContentType: f.ContentType, Size: f.Size}
}

// extensions lists, for each type a file is served with, the extensions a
// name of that type may end in; the first is the one given to a name that
// ends in none of them.
var extensions = map[string][]string{ //nolint:gochecknoglobals // read-only table
	"application/pdf": {".pdf"},
	"image/png":       {".png"},
	"image/jpeg":      {".jpg", ".jpeg", ".jpe", ".jfif"},
	"image/gif":       {".gif"},
	"image/webp":      {".webp"},
	"text/plain":      {".txt", ".text", ".log"},
	"text/csv":        {".csv"},
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document":   {".docx"},
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":         {".xlsx"},
	"application/vnd.openxmlformats-officedocument.presentationml.presentation": {".pptx"},
	"application/vnd.oasis.opendocument.text":                                   {".odt"},
	"application/vnd.oasis.opendocument.spreadsheet":                            {".ods"},
	"application/vnd.oasis.opendocument.presentation":                           {".odp"},
	"application/msword":            {".doc"},
	"application/vnd.ms-excel":      {".xls"},
	"application/vnd.ms-powerpoint": {".ppt"},
	"audio/webm":                    {".webm", ".weba"},
	"audio/ogg":                     {".ogg", ".oga", ".opus"},
	"audio/mpeg":                    {".mp3"},
	"audio/mp4":                     {".m4a", ".mp4"},
}

// ServedName is the name a file is shown and downloaded under: its name
// with the extension of the type its content was sniffed as, so that text
// named invoice.html downloads as invoice.txt and no browser or desktop
// opens it by the name's type.
func (f *File) ServedName() string {
	typ, _, _ := strings.Cut(f.ContentType, ";")
	exts := extensions[strings.TrimSpace(typ)]
	if len(exts) == 0 {
		return f.Name
	}
	ext := path.Ext(f.Name)
	for _, e := range exts {
		if strings.EqualFold(ext, e) {
			return f.Name
		}
	}
	base := strings.TrimSuffix(f.Name, ext)
	if strings.Trim(base, ".") == "" {
		base = "file"
	}
	return base + exts[0]
}
