package fleet

import (
	"bufio"
	"context"
	"net"
	"strings"
	"time"
)

// NATS is a private nats-server on a fixed loopback port, so that it can be
// killed and started again where its clients reconnect.
type NATS struct {
	*Process
	Addr string
	bin  string
	args []string
}

// StartNATS starts a nats-server on a free loopback port, with the further
// arguments (its authentication, say). It returns an error wrapping
// ErrMissing when nats-server is not installed.
func StartNATS(ctx context.Context, args ...string) (*NATS, error) {
	bin, err := lookBin("nats-server", "/usr/sbin/nats-server", "/usr/bin/nats-server")
	if err != nil {
		return nil, err
	}
	addr, err := FreeAddr(ctx)
	if err != nil {
		return nil, err
	}
	n := &NATS{Addr: addr, bin: bin, args: args}
	return n, n.Start(ctx)
}

// URL is where clients reach the server.
func (n *NATS) URL() string { return "nats://" + n.Addr }

// Start runs the server (again) and waits until it greets a client.
func (n *NATS) Start(ctx context.Context) error {
	if n.Process != nil && !n.Exited() {
		return nil
	}
	host, port, _ := net.SplitHostPort(n.Addr)
	p, err := StartProcess("nats-server "+n.Addr, n.bin, append([]string{"-a", host, "-p", port}, n.args...), nil)
	if err != nil {
		return err
	}
	n.Process = p
	if err := p.waitUntil(ctx, 10*time.Second, func(ctx context.Context) bool { return greets(ctx, n.Addr) }); err != nil {
		p.Kill()
		return err
	}
	return nil
}

// greets reports whether a NATS server answers a connection with its INFO line.
func greets(ctx context.Context, addr string) bool {
	c, err := (&net.Dialer{Timeout: time.Second}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return false
	}
	defer func() { _ = c.Close() }()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && strings.HasPrefix(line, "INFO ")
}
