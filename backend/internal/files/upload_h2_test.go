package files_test

import (
	"bytes"
	"net"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// TestUploadLyingLengthHTTP2 (FILE-01): over HTTP/2 a body longer than its
// content-length is a protocol error: the stream is reset once the server
// has begun writing the object, and the upload leaves no temporary file,
// no object and no row.
func TestUploadLyingLengthHTTP2(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		edit, dir := localFiles(t, opts)
		w := worldOn(t, rpctest.Start(t, opts, edit))
		conv := w.Conversation(w.Visitor)
		u, _ := url.Parse(w.Srv.URL)
		var d net.Dialer
		conn, err := d.DialContext(w.Ctx, "tcp", u.Host)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = conn.Close() }()
		_ = conn.SetDeadline(time.Now().Add(time.Minute))
		if _, err := conn.Write([]byte(http2.ClientPreface)); err != nil {
			t.Fatal(err)
		}
		fr := http2.NewFramer(conn, conn)
		fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
		const declared = 8192 // more than is sniffed: the object is being written when the rest comes
		var block bytes.Buffer
		enc := hpack.NewEncoder(&block)
		q := url.Values{"conversation_id": {conv.ID}, "client_id": {uuid.NewString()}, "name": {"lie.txt"}}
		for _, f := range [][2]string{{":method", "POST"}, {":scheme", "http"}, {":authority", u.Host}, {":path", "/files?" + q.Encode()},
			{"authorization", "Bearer " + w.VisitorToken}, {"content-length", strconv.Itoa(declared)}} {
			_ = enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
		}
		if err := fr.WriteSettings(); err != nil {
			t.Fatal(err)
		}
		if err := fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: block.Bytes(), EndHeaders: true}); err != nil {
			t.Fatal(err)
		}
		if err := fr.WriteData(1, false, textFile(declared)); err != nil {
			t.Fatal(err)
		}
		eventually(t, "no temporary file while the body arrives", func() bool { _, temps := onDisk(t, dir); return len(temps) == 1 })
		if err := fr.WriteData(1, true, textFile(1000)); err != nil {
			t.Fatal(err)
		}
		var answer string
		for answer == "" {
			f, err := fr.ReadFrame()
			if err != nil {
				t.Fatalf("no answer to the stream: %v", err)
			}
			switch f := f.(type) {
			case *http2.RSTStreamFrame:
				answer = "reset " + f.ErrCode.String()
			case *http2.MetaHeadersFrame:
				answer = "status " + f.PseudoValue("status")
			case *http2.GoAwayFrame:
				answer = "goaway " + f.ErrCode.String()
			}
		}
		if answer != "reset PROTOCOL_ERROR" {
			t.Errorf("the server answered %s, want the stream reset as a protocol error", answer)
		}
		eventually(t, "the refused upload's files stay", func() bool {
			objects, temps := onDisk(t, dir)
			return len(objects)+len(temps) == 0
		})
		if objects, rows := w.storedFiles(); objects != 0 || rows != 0 {
			t.Errorf("%d objects and %d rows after a body longer than declared", objects, rows)
		}
	})
}
