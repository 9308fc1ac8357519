package server

import (
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/tandem-inbox/tandem/api/tandem/v1/tandemv1connect"
)

// bodyLimit is the largest body the route at path accepts, in bytes:
// uploads take more than a request message.
func bodyLimit(path string, maxRequestBytes int) int64 {
	switch path {
	case "/files", tandemv1connect.KnowledgeServiceUploadDocumentProcedure, tandemv1connect.KnowledgeServiceReplaceDocumentProcedure:
		return 10 << 20
	}
	return int64(maxRequestBytes)
}

// withBodyDeadline cuts off a request whose body arrives too slowly (one
// byte every few seconds holds a connection and a goroutine for as long as
// the client likes). A POST that is not a stream must deliver its body
// within perMiB for each MiB its route accepts (at least one); once the
// body is read to its end, the deadline is lifted, so that a slow handler is not cut
// off. Streams are exempt: their requests stay open by design. A zero
// perMiB turns the deadline off.
func withBodyDeadline(next http.Handler, perMiB time.Duration, maxRequestBytes int) http.Handler {
	if perMiB <= 0 {
		return next
	}
	streams := streamingProcedures()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || streams[r.URL.Path] {
			next.ServeHTTP(w, r)
			return
		}
		mib := max(1, (bodyLimit(r.URL.Path, maxRequestBytes)+1<<20-1)>>20)
		rc := http.NewResponseController(w)
		if err := rc.SetReadDeadline(time.Now().Add(time.Duration(mib) * perMiB)); err == nil {
			r.Body = &deadlineBody{ReadCloser: r.Body, lift: func() { _ = rc.SetReadDeadline(time.Time{}) }}
		}
		next.ServeHTTP(w, r)
	})
}

// deadlineBody lifts the read deadline when the body is read to its end.
// Closing it early keeps the deadline: the server then reads (discards) the
// rest of the body itself, which must not wait on a trickle either.
type deadlineBody struct {
	io.ReadCloser
	once sync.Once
	lift func()
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		b.once.Do(b.lift)
	}
	return n, err
}

// streamingProcedures lists the paths of the RPCs that stream.
func streamingProcedures() map[string]bool {
	out := map[string]bool{}
	for _, name := range Services() {
		d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(name))
		if err != nil {
			continue
		}
		sd, ok := d.(protoreflect.ServiceDescriptor)
		if !ok {
			continue
		}
		for i := range sd.Methods().Len() {
			m := sd.Methods().Get(i)
			if m.IsStreamingClient() || m.IsStreamingServer() {
				out["/"+strings.TrimPrefix(string(sd.FullName()), "/")+"/"+string(m.Name())] = true
			}
		}
	}
	return out
}
