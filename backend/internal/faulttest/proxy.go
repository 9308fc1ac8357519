package faulttest

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Proxy is a TCP proxy between tandemd and its MySQL server that a test
// turns bad: it delays every chunk of bytes in each direction (latency),
// holds every byte until healed (a blackhole: a network partition, TCP
// delivers what was held once it heals), and cuts every connection (the
// server or a firewall resetting them). It counts the connections opened
// through it and the MySQL commands sent, which is how a test measures the
// pressure a client puts on its database while it retries.
type Proxy struct {
	ln     net.Listener
	ctx    context.Context // of its dials, ended by Close
	cancel context.CancelFunc

	mu      sync.Mutex
	target  string
	latency time.Duration
	healed  chan struct{} // closed unless blackholed; a new one while blackholed
	links   map[*link]struct{}
	closed  bool

	wg       sync.WaitGroup
	conns    atomic.Int64
	commands atomic.Int64
}

// StartProxy listens on a free loopback port and forwards each connection
// to target.
func StartProxy(ctx context.Context, target string) (*Proxy, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	healed := make(chan struct{})
	close(healed)
	pctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	p := &Proxy{target: target, ln: ln, ctx: pctx, cancel: cancel, healed: healed, links: map[*link]struct{}{}}
	p.wg.Go(p.accept)
	return p, nil
}

// Addr is where clients connect.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// SetTarget sends the connections opened from now on to target (a
// failover: the connections to the old one are left as they are).
func (p *Proxy) SetTarget(target string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.target = target
}

// Conns is how many connections clients opened through the proxy so far.
func (p *Proxy) Conns() int64 { return p.conns.Load() }

// Commands is how many MySQL commands (a query, a prepare, an execute, a
// ping, a quit...) clients sent through the proxy so far: the packets that
// open a command phase (sequence id 0).
func (p *Proxy) Commands() int64 { return p.commands.Load() }

// Open is how many connections through the proxy are open now.
func (p *Proxy) Open() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.links)
}

// SetLatency delays every chunk of bytes, in each direction, by d from the
// moment the proxy read it (0: none). A request and its answer take 2d
// more.
func (p *Proxy) SetLatency(d time.Duration) {
	p.mu.Lock()
	p.latency = d
	p.mu.Unlock()
}

// Blackhole holds every byte in either direction, on the connections open
// and on those opened meanwhile (they are accepted, and the server's
// greeting is held), until Heal.
func (p *Proxy) Blackhole() {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.healed:
		p.healed = make(chan struct{})
	default:
	}
}

// Heal ends the blackhole: what was held is delivered.
func (p *Proxy) Heal() {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.healed:
	default:
		close(p.healed)
	}
}

// Cut closes every connection open through the proxy; new ones are
// forwarded as before.
func (p *Proxy) Cut() {
	p.mu.Lock()
	links := make([]*link, 0, len(p.links))
	for l := range p.links {
		links = append(links, l)
	}
	p.mu.Unlock()
	for _, l := range links {
		l.close()
	}
}

// Close stops the proxy and closes its connections.
func (p *Proxy) Close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	_ = p.ln.Close()
	p.cancel()
	p.Heal()
	p.Cut()
	p.wg.Wait()
}

func (p *Proxy) gate() (time.Duration, <-chan struct{}) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.latency, p.healed
}

func (p *Proxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.conns.Add(1)
		p.wg.Go(func() { p.serve(c) })
	}
}

// link is one client connection and its connection to the server.
type link struct {
	client net.Conn
	done   chan struct{} // closed by close

	mu     sync.Mutex
	server net.Conn
	closed bool
}

func (l *link) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return
	}
	l.closed = true
	close(l.done)
	_ = l.client.Close()
	if l.server != nil {
		_ = l.server.Close()
	}
}

// connected records the connection to the server; it reports false (and
// closes it) when the link was cut meanwhile.
func (l *link) connected(server net.Conn) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		_ = server.Close()
		return false
	}
	l.server = server
	return true
}

func (p *Proxy) serve(client net.Conn) {
	l := &link{client: client, done: make(chan struct{})}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		_ = client.Close()
		return
	}
	p.links[l] = struct{}{}
	target := p.target
	p.mu.Unlock()
	defer func() {
		l.close()
		p.mu.Lock()
		delete(p.links, l)
		p.mu.Unlock()
	}()
	server, err := (&net.Dialer{Timeout: 5 * time.Second}).DialContext(p.ctx, "tcp", target)
	if err != nil {
		return
	}
	if !l.connected(server) {
		return
	}
	var wg sync.WaitGroup
	counter := &commandCounter{n: &p.commands}
	wg.Go(func() { p.pipe(l, client, server, counter) })
	wg.Go(func() { p.pipe(l, server, client, nil) })
	wg.Wait()
}

// chunk is bytes read from one side, due at the other.
type chunk struct {
	b   []byte
	due time.Time
}

// pipe copies src to dst through the proxy's faults until either side
// ends; then it closes both.
func (p *Proxy) pipe(l *link, src, dst net.Conn, counter *commandCounter) {
	defer l.close()
	chunks := make(chan chunk, 64)
	go func() {
		defer close(chunks)
		for {
			buf := make([]byte, 32<<10)
			n, err := src.Read(buf)
			if n > 0 {
				if counter != nil {
					counter.scan(buf[:n])
				}
				latency, _ := p.gate()
				select {
				case chunks <- chunk{b: buf[:n], due: time.Now().Add(latency)}:
				case <-l.done:
					return
				}
			}
			if err != nil {
				return
			}
		}
	}()
	for c := range chunks {
		if wait := time.Until(c.due); wait > 0 {
			select {
			case <-time.After(wait):
			case <-l.done:
				return
			}
		}
		_, healed := p.gate()
		select {
		case <-healed:
		case <-l.done:
			return
		}
		if _, err := dst.Write(c.b); err != nil {
			return
		}
	}
}

// commandCounter finds the MySQL packets a client sends that open a
// command (sequence id 0) in its byte stream: each packet is a 3-byte
// little-endian length and a sequence id, then the payload.
type commandCounter struct {
	n      *atomic.Int64
	header []byte // a packet header read in part
	skip   int    // payload bytes of the current packet still to come
}

func (c *commandCounter) scan(b []byte) {
	for len(b) > 0 {
		if c.skip > 0 {
			k := min(c.skip, len(b))
			c.skip -= k
			b = b[k:]
			continue
		}
		k := min(4-len(c.header), len(b))
		c.header = append(c.header, b[:k]...)
		b = b[k:]
		if len(c.header) < 4 {
			return
		}
		h := c.header
		c.skip = int(h[0]) | int(h[1])<<8 | int(h[2])<<16
		if h[3] == 0 {
			c.n.Add(1)
		}
		c.header = c.header[:0]
	}
}
