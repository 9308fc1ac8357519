package files

import (
	"bytes"
	"strings"

	"github.com/tandem-inbox/tandem/backend/internal/apperr"
)

// ErrMacros refuses an Office document that carries macros: a .docm, .xlsm
// or .pptm (a zip like .docx, so it sniffs as one), or a .doc or .xls with a
// VBA project. Macros are how documents carry malware, an agent opening a
// customer's file must not be one click from running them, and saving a
// copy without macros is always possible.
var ErrMacros = apperr.Invalid("body", "documents with macros are not accepted: save it without macros "+
	"(as .docx, .xlsx or .pptx) and send that")

// macroMarkers are byte strings that only a document with macros holds:
// the names of the VBA project part (word/vbaProject.bin, xl/vbaProject.bin,
// ppt/vbaProject.bin) and of Excel 4 macro sheets, which a zip stores
// uncompressed in its local headers and central directory, and the name of
// the VBA storage of the older binary formats, in UTF-16 in their directory.
var macroMarkers = [][]byte{ //nolint:gochecknoglobals // read-only table
	[]byte("vbaProject.bin"),
	[]byte("xl/macrosheets/"),
	utf16LE("_VBA_PROJECT"),
}

func utf16LE(s string) []byte {
	b := make([]byte, 0, 2*len(s))
	for i := range len(s) {
		b = append(b, s[i], 0)
	}
	return b
}

// macroScan looks for the macro markers in the whole of a document as it is
// streamed (the VBA part usually comes last), holding only the few bytes a
// marker may straddle between writes. It scans Office types only: any other
// file may mention the names.
type macroScan struct {
	on   bool
	tail []byte
	hit  bool
}

func newMacroScan(servedType string) *macroScan {
	typ, _, _ := strings.Cut(servedType, ";")
	office := strings.HasPrefix(typ, "application/vnd.openxmlformats-officedocument.") || typ == "application/msword" ||
		typ == "application/vnd.ms-excel" || typ == "application/vnd.ms-powerpoint"
	return &macroScan{on: office}
}

func (m *macroScan) found() bool { return m.hit }

func (m *macroScan) Write(p []byte) (int, error) {
	if !m.on || m.hit {
		return len(p), nil
	}
	const keep = 2*len("_VBA_PROJECT") - 1 // the longest marker less one byte
	var edge [2 * keep]byte
	e := append(append(edge[:0], m.tail...), p[:min(len(p), keep)]...)
	for _, mk := range macroMarkers {
		if bytes.Contains(e, mk) || bytes.Contains(p, mk) {
			m.hit = true
			return len(p), nil
		}
	}
	if len(p) >= keep {
		m.tail = append(m.tail[:0], p[len(p)-keep:]...)
	} else {
		m.tail = append(m.tail, p...)
		m.tail = m.tail[max(0, len(m.tail)-keep):]
	}
	return len(p), nil
}
