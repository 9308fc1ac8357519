package faulttest_test

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"testing"
)

// partitionProxy forwards TCP connections to upstream until Cut: from then
// on it drops every byte either way and holds new connections without
// forwarding them, as a network partition does (nothing is closed, nothing
// answers: only the client's own pings can notice). Heal closes what was
// cut off and forwards again.
type partitionProxy struct {
	ln       net.Listener
	upstream string

	mu    sync.Mutex
	cut   bool
	links map[*link]struct{}
	wg    sync.WaitGroup
}

// link is one client connection and, unless it was accepted during a cut,
// its connection upstream.
type link struct {
	client, server net.Conn
	dead           atomic.Bool // cut off: bytes are dropped
}

func (l *link) close() {
	_ = l.client.Close()
	if l.server != nil {
		_ = l.server.Close()
	}
}

// startProxy listens on a free loopback port in front of upstream, until
// the test ends.
func startProxy(t *testing.T, upstream string) *partitionProxy {
	t.Helper()
	ln, err := (&net.ListenConfig{}).Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &partitionProxy{ln: ln, upstream: upstream, links: map[*link]struct{}{}}
	p.wg.Go(p.accept)
	t.Cleanup(p.close)
	return p
}

// Addr is where clients connect.
func (p *partitionProxy) Addr() string { return p.ln.Addr().String() }

func (p *partitionProxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		l := &link{client: c}
		p.mu.Lock()
		cut := p.cut
		p.mu.Unlock()
		if cut {
			l.dead.Store(true)
		} else if l.server, err = (&net.Dialer{}).DialContext(context.Background(), "tcp", p.upstream); err != nil {
			_ = c.Close()
			continue
		}
		p.mu.Lock()
		p.links[l] = struct{}{}
		p.mu.Unlock()
		p.wg.Go(func() { p.pipe(l, l.client, l.server) })
		if l.server != nil {
			p.wg.Go(func() { p.pipe(l, l.server, l.client) })
		}
	}
}

// pipe copies src to dst (nil for a link held during a cut) until either
// end closes, dropping what it reads while the link is dead.
func (p *partitionProxy) pipe(l *link, src, dst net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && dst != nil && !l.dead.Load() {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				err = errors.Join(err, werr)
			}
		}
		if err != nil {
			l.close()
			p.mu.Lock()
			delete(p.links, l)
			p.mu.Unlock()
			return
		}
	}
}

// Cut drops everything from now on, on open connections and new ones.
func (p *partitionProxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = true
	for l := range p.links {
		l.dead.Store(true)
	}
}

// Heal closes the connections that were cut off and forwards new ones.
func (p *partitionProxy) Heal() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = false
	for l := range p.links {
		if l.dead.Load() {
			l.close()
		}
	}
}

func (p *partitionProxy) close() {
	_ = p.ln.Close()
	p.mu.Lock()
	for l := range p.links {
		l.close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}
