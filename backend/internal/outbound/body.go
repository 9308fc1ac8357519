package outbound

import (
	"errors"
	"io"
	"net/http"
)

// ErrTooLarge is the error a response body's read ends in past the
// client's limit: the answer was longer than any caller of this client
// reads, and the connection is dropped rather than drained.
var ErrTooLarge = errors.New("the response is larger than the limit")

// capTransport hands out every response body capped at max bytes.
type capTransport struct {
	base *http.Transport
	max  int64
}

func (c capTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := c.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	resp.Body = &cappedBody{rc: resp.Body, left: c.max}
	return resp, nil
}

// CloseIdleConnections lets http.Client.CloseIdleConnections reach the
// transport.
func (c capTransport) CloseIdleConnections() { c.base.CloseIdleConnections() }

// cappedBody reads up to left bytes, then ErrTooLarge if there is more.
type cappedBody struct {
	rc   io.ReadCloser
	left int64
}

func (b *cappedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// One byte more tells a body of exactly the limit from a longer one.
		var one [1]byte
		n, err := b.rc.Read(one[:])
		if n > 0 {
			return 0, ErrTooLarge
		}
		return 0, err
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *cappedBody) Close() error { return b.rc.Close() }

// Drain reads a response's body to its end, through the client's limit
// and deadline, and closes it: the error is ErrTooLarge for an answer over
// the limit, a timeout for one that trickles past the deadline, nil when
// the whole answer came (and the connection can serve the next call).
func Drain(resp *http.Response) error {
	_, err := io.Copy(io.Discard, resp.Body)
	if cerr := resp.Body.Close(); err == nil {
		err = cerr
	}
	return err
}
