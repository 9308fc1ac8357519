package knowledge

import "github.com/tandem-inbox/tandem/backend/internal/apperr"

// Domain errors.
var (
	// ErrClientIDReused answers an upload whose client id was already used
	// for a different upload.
	ErrClientIDReused = &apperr.Error{Kind: apperr.AlreadyExists, Field: "client_id", Public: "was already used for different content"}

	errFormat        = apperr.Invalid("content", "is not text, Markdown, HTML or PDF")
	errNotUTF8       = apperr.Invalid("content", "must be UTF-8 text")
	errNoText        = apperr.Invalid("content", "has no visible text")
	errNoPDFText     = apperr.Invalid("content", "no extractable text in the PDF (a scanned or image-only PDF has none)")
	errPDFEncrypted  = apperr.Invalid("content", "the PDF is encrypted: upload it without a password")
	errPDFPages      = apperr.Invalid("content", "the PDF has more than 500 pages")
	errPDFText       = apperr.Invalid("content", "the PDF holds more than 2 MB of text")
	errPDFDecoded    = apperr.Invalid("content", "the PDF's content is too large once decompressed")
	errPDFSlow       = apperr.Invalid("content", "the PDF took too long to read")
	errTooManyChunks = apperr.Invalid("content", "is too long: it makes more than 10000 passages")
	errTooMuchText   = apperr.Invalid("content", "holds more than 8 MiB of text")
	errParseSlow     = apperr.Invalid("content", "took longer than 20 seconds to read")
	errMarkdownDepth = apperr.Invalid("content", "nests block quotes and lists more than 32 deep")
	errTableColumns  = apperr.Invalid("content", "has a table of more than 128 columns")
	errRendered      = apperr.Invalid("content", "renders to more than 16 MiB of HTML (or 4 times its size)")
	errHTMLDepth     = apperr.Invalid("content", "nests HTML elements more than 512 deep")
)

// pdfUnreadable is the answer for a PDF the parser fails on; the cause is
// logged, not sent.
func pdfUnreadable(cause error) error {
	e := apperr.Wrap(apperr.InvalidArgument, "is not a readable PDF", cause)
	e.Field = "content"
	return e
}
