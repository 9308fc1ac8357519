// Package pdftest assembles PDFs byte by byte for tests: the crafted and
// hostile ones no writer library would make (hidden text, annotations,
// compression bombs, broken cross-references).
package pdftest

import (
	"bytes"
	"compress/zlib"
	"fmt"
)

// Raw assembles a PDF from the bodies of objects 1..n (object 1 the
// catalog), with a correct cross-reference table.
func Raw(objects ...string) []byte { return WithTrailer("", objects...) }

// WithTrailer is Raw with entries added to the trailer (an /Info
// dictionary, say).
func WithTrailer(trailer string, objects ...string) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n")
	offsets := make([]int, len(objects))
	for i, o := range objects {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objects)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	if trailer != "" {
		trailer += " "
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R %s>>\nstartxref\n%d\n%%%%EOF\n", len(objects)+1, trailer, xref)
	return b.Bytes()
}

// Deflated is a Flate stream object of the data.
func Deflated(data []byte) string {
	var z bytes.Buffer
	w := zlib.NewWriter(&z)
	_, _ = w.Write(data) // a bytes.Buffer takes every write
	_ = w.Close()
	return fmt.Sprintf("<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream", z.Len(), z.Bytes())
}

// Stream is an uncompressed stream object of the data, with dict's
// entries beside its length.
func Stream(dict, data string) string {
	return fmt.Sprintf("<< %s /Length %d >>\nstream\n%s\nendstream", dict, len(data), data)
}
