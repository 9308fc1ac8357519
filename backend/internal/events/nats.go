package events

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
)

// Subjects on NATS: tandem.wake.<workspace> carries an 8-byte seq,
// tandem.eph.<workspace> an Ephemeral as JSON.
const (
	subjectWake = "tandem.wake."
	subjectEph  = "tandem.eph."
)

// NATS is the Broker between replicas. It only speeds delivery up: a lost
// message delays readers until the hub's next poll, and loses nothing.
type NATS struct {
	conn        *nats.Conn
	logger      *slog.Logger
	disconnects atomic.Uint64
	lastErr     atomic.Pointer[string] // the error last logged (report)
}

// Pings find a connection that went silent (a partition drops packets
// without closing anything): after pingInterval times (maxPingsOut+1)
// without an answer (about 9 s at most) the client reconnects and
// Connected turns false, well inside the minute the NATS alert allows.
const (
	pingInterval = 3 * time.Second
	maxPingsOut  = 2
)

// ConnectNATS connects to natsURL, feeding what other replicas publish into hub,
// and makes itself hub's broker. It keeps reconnecting for ever, and starts
// even when NATS is down at first; but it fails when NATS refuses the
// credentials in natsURL (nats://user:password@host or nats://token@host), so a
// misconfigured replica stops at startup instead of running without
// wake-ups.
func ConnectNATS(natsURL string, hub *Hub, logger *slog.Logger) (*NATS, error) {
	n := &NATS{logger: logger}
	opts := []nats.Option{
		nats.Name("tandemd"),
		nats.NoEcho(), // our own wake-ups were delivered locally already
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250 * time.Millisecond),
		nats.ReconnectJitter(250*time.Millisecond, time.Second),
		nats.Timeout(2 * time.Second),
		nats.PingInterval(pingInterval),
		nats.MaxPingsOutstanding(maxPingsOut),
		// Credentials refused later (rotated on the server) must not end the
		// connection for good: keep trying, with Connected false (the alert).
		nats.IgnoreAuthErrorAbort(),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			n.disconnects.Add(1)
			logger.Warn("nats disconnected; delivery across replicas falls back to polling", "error", err)
		}),
		nats.ReconnectHandler(func(c *nats.Conn) {
			n.lastErr.Store(nil)
			logger.Info("nats reconnected", "url", c.ConnectedUrlRedacted())
		}),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) { n.report("nats error", err) }),
		nats.ClosedHandler(func(c *nats.Conn) {
			if err := c.LastError(); err != nil {
				n.report("nats connection closed; delivery across replicas falls back to polling", err)
			}
		}),
	}
	// One plain attempt first: it tells a refusal of the credentials (fatal)
	// from NATS being down (retried in the background).
	conn, err := nats.Connect(natsURL, opts...)
	if authError(err) {
		return nil, fmt.Errorf("connect to nats %s: %w", redact(natsURL), err)
	}
	if err != nil {
		logger.Warn("nats unreachable at startup; delivery across replicas falls back to polling until it connects", "error", err)
		conn, err = nats.Connect(natsURL, append(opts, nats.RetryOnFailedConnect(true))...)
	}
	if err != nil {
		return nil, fmt.Errorf("connect to nats %s: %w", redact(natsURL), err)
	}
	n.conn = conn
	if _, err := conn.Subscribe(subjectWake+"*", func(m *nats.Msg) {
		if len(m.Data) == 8 {
			hub.Deliver(strings.TrimPrefix(m.Subject, subjectWake), int64(binary.BigEndian.Uint64(m.Data))) //nolint:gosec // the sequence number's 64 bits, as published
		}
	}); err != nil {
		conn.Close()
		return nil, fmt.Errorf("subscribe to wake-ups: %w", err)
	}
	if _, err := conn.Subscribe(subjectEph+"*", func(m *nats.Msg) {
		var e Ephemeral
		if json.Unmarshal(m.Data, &e) == nil {
			hub.DeliverEphemeral(e)
		}
	}); err != nil {
		conn.Close()
		return nil, fmt.Errorf("subscribe to ephemeral events: %w", err)
	}
	hub.SetBroker(n)
	return n, nil
}

// authError reports whether NATS refused the client's credentials.
func authError(err error) bool {
	if err == nil {
		return false
	}
	return errors.Is(err, nats.ErrAuthorization) || errors.Is(err, nats.ErrAuthExpired) ||
		errors.Is(err, nats.ErrAuthRevoked) || errors.Is(err, nats.ErrAccountAuthExpired) ||
		strings.Contains(strings.ToLower(err.Error()), "authorization violation")
}

// redact is url without its credentials, for errors and logs.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable url)"
	}
	if u.User != nil {
		u.User = url.User("REDACTED")
	}
	return u.String()
}

// report logs err unless it repeats the error logged last: a reconnection
// NATS refuses fails the same way at every attempt.
func (n *NATS) report(msg string, err error) {
	text := err.Error()
	if last := n.lastErr.Swap(&text); last != nil && *last == text {
		return
	}
	n.logger.Error(msg, "error", err)
}

// Connected reports whether the connection to NATS is up now.
func (n *NATS) Connected() bool { return n.conn.IsConnected() }

// Disconnects counts the connections to NATS lost since the start.
func (n *NATS) Disconnects() uint64 { return n.disconnects.Load() }

// PublishWake tells the other replicas that a workspace's log advanced.
func (n *NATS) PublishWake(workspaceID string, seq int64) {
	_ = n.conn.Publish(subjectWake+workspaceID, binary.BigEndian.AppendUint64(nil, uint64(seq))) //nolint:gosec // a sequence number (never negative), published as its 64 bits
}

// PublishEphemeral sends an ephemeral event to the other replicas.
func (n *NATS) PublishEphemeral(e Ephemeral) {
	b, err := json.Marshal(e)
	if err == nil {
		_ = n.conn.Publish(subjectEph+e.WorkspaceID, b)
	}
}

// Close flushes and closes the connection.
func (n *NATS) Close() {
	_ = n.conn.Drain()
}
