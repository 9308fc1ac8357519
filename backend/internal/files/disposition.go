package files

import (
	"mime"
	"strings"
)

// contentDisposition is the Content-Disposition a download named name is
// served with: "attachment", and the name as a token or quoted string when
// it is printable ASCII that needs no escapes. Any other name gets an ASCII
// stand-in as filename, then the exact name as an RFC 5987 filename*
// parameter in UTF-8, percent-encoded (RFC 6266 section 4.3), which clients
// that know it prefer.
// Nothing of a name can end the header or add a parameter: the stand-in
// keeps printable ASCII other than quote, backslash and percent (some
// browsers unescape those), and filename* percent-encodes every byte
// outside RFC 5987's attr-char.
func contentDisposition(name string) string {
	if !strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 || r > 0x7e || r == '"' || r == '\\' || r == '%' }) {
		if v := mime.FormatMediaType("attachment", map[string]string{"filename": name}); v != "" {
			return v
		}
	}
	return `attachment; filename="` + asciiStandIn(name) + `"; filename*=UTF-8''` + encodeRFC5987(name)
}

// asciiStandIn is name with every character a quoted string cannot carry
// plainly replaced by an underscore.
func asciiStandIn(name string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' || r == '%' {
			return '_'
		}
		return r
	}, name)
}

// encodeRFC5987 percent-encodes the UTF-8 bytes of s outside RFC 5987's
// attr-char (letters, digits and !#$&+-.^_`|~).
func encodeRFC5987(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := range len(s) {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$&+-.^_`|~", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}
