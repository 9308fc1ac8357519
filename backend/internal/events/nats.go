package events

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
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
	conn   *nats.Conn
	logger *slog.Logger
}

// ConnectNATS connects to url, feeding what other replicas publish into hub,
// and makes itself hub's broker. It keeps reconnecting for ever, and starts
// even when NATS is down at first.
func ConnectNATS(url string, hub *Hub, logger *slog.Logger) (*NATS, error) {
	conn, err := nats.Connect(url,
		nats.Name("tandemd"),
		nats.NoEcho(), // our own wake-ups were delivered locally already
		nats.RetryOnFailedConnect(true),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250*time.Millisecond),
		nats.ReconnectJitter(250*time.Millisecond, time.Second),
		nats.Timeout(2*time.Second),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			logger.Warn("nats disconnected; delivery across replicas falls back to polling", "error", err)
		}),
		nats.ReconnectHandler(func(c *nats.Conn) { logger.Info("nats reconnected", "url", c.ConnectedUrlRedacted()) }),
	)
	if err != nil {
		return nil, fmt.Errorf("connect to nats %s: %w", url, err)
	}
	n := &NATS{conn: conn, logger: logger}
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
