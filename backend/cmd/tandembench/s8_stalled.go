package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
	"google.golang.org/protobuf/proto"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/api/tandem/v1/tandemv1connect"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
)

// runS8 is stalled readers (catalog STR-05): agent streams in one
// workspace read every customer message while, in the Tandem phases, other
// Watch streams of the same workspace stop reading. The baseline is the
// same load without the stalled streams. Latency is from each message's
// scheduled send to its arrival at each healthy stream; the stalled
// streams must not push its p99 past 500 ms, nor far past the baseline's.
//
// A stalled stream grants tandemd 1 kB of HTTP/2 flow control and never
// more (see stalledStream): tandemd's send to it blocks at once, its send
// timeout cuts it (aborting the blocked write at three timeouts), and the
// tool opens it again from its cursor, so tandemd resumes it from the
// database and blocks again, for the whole phase.
func runS8(ctx context.Context, e *env) (*Result, error) {
	var (
		nHealthy = pick(e, 100, 20)
		nStalled = pick(e, 50, 10)
		rate     = pick(e, 50.0, 20.0)
		duration = pick(e, 40*time.Second, 5*time.Second)
		// The production default in full runs: a stalled stream blocks
		// for three of them before it is cut, so a 40 s phase sees each
		// one cut once. Short runs cut sooner, to go through the re-opening.
		sendTimeout = pick(e, 10*time.Second, time.Second)
	)
	s, err := e.newStage(ctx)
	if err != nil {
		return nil, err
	}
	defer s.close()
	if err := s.startReplicas(ctx, 1, map[string]string{"TANDEM_STREAM_SEND_TIMEOUT": sendTimeout.String()}); err != nil {
		return nil, err
	}
	r := s.replicas[0]
	ws, vs, widget, err := shop(ctx, s.owner, r.URL, "S8 shop")
	if err != nil {
		return nil, err
	}

	// The healthy streams stay open through every phase and feed the
	// current phase's delivery.
	var current atomic.Pointer[delivery]
	healthy, closeHealthy, err := watchDeliveries(ctx, conversationClient(r.URL, rpcclient.GRPC, 1), s.owner.Token, ws.ID, nHealthy, &current)
	if err != nil {
		return nil, err
	}
	defer closeHealthy()

	// phase sends the load to the healthy streams, with nStalled stalled
	// streams beside them (none for the baseline).
	phase := func(name string, stalled int) (*measure, error) {
		d := newDelivery(name, int(rate*duration.Seconds()), 1, nHealthy)
		current.Store(d)
		defer current.Store(nil)
		var pressure *stallers
		if stalled > 0 {
			p, err := stall(ctx, r.Addr, s.owner.Token, ws.ID, stalled)
			if err != nil {
				return nil, err
			}
			pressure = p
			defer pressure.stop()
		}
		meter := meterServer(r.Pid())
		start := time.Now()
		openLoop(ctx, rate, duration, 256, func(ctx context.Context, i int, at time.Time) {
			cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			_, err := vs[i%len(vs)].Send(cctx, widget, uuid.NewString(), body(d.prefix, i, at))
			d.acked[i] = err == nil
		})
		elapsed := time.Since(start)
		d.wait(10 * time.Second)
		m := newMeasure()
		meter.stop(m)
		if pressure != nil {
			cut, failed := pressure.stop()
			m.extra["stalled_cut"], m.extra["stalled_reopen_failed"] = float64(cut), float64(failed)
		}
		for k, st := range healthy {
			select {
			case <-st.Done():
				return nil, fmt.Errorf("%s: healthy stream %d ended: %w", name, k, st.Err())
			default:
			}
		}
		lost, dup, disorder, failed := d.tally()
		m.ops, m.elapsed, m.lat = d.firsts.Load(), elapsed, d.lat
		m.extra["lost"], m.extra["duplicated"], m.extra["out_of_order"], m.extra["failed_sends"] =
			float64(lost), float64(dup), float64(disorder), float64(failed)
		return m, nil
	}
	res := &Result{Notes: []string{fmt.Sprintf("%d healthy agent streams (gRPC) in one workspace; %.0f msg/s open loop for %v per phase; "+
		"B adds %d stalled streams (HTTP/2, 1 kB window, re-opened from their cursors when cut; send timeout %v), %s",
		nHealthy, rate, duration, nStalled, sendTimeout, alternation(e.rounds()))}}
	a, b, err := abab(e.rounds(),
		func(round int) (*measure, error) {
			m, err := phase(fmt.Sprintf("a%d", round), 0)
			if err == nil {
				res.Phases = append(res.Phases, m.phase("no_stalled", "baseline"))
			}
			return m, err
		},
		func(round int) (*measure, error) {
			m, err := phase(fmt.Sprintf("b%d", round), nStalled)
			if err == nil {
				res.Phases = append(res.Phases, m.phase(fmt.Sprintf("stalled_%d", nStalled), "tandem"))
			}
			return m, err
		})
	if err != nil {
		return nil, err
	}
	ap99, bp99 := a.lat.Summary().P99, b.lat.Summary().P99
	res.Checks = []Check{
		absCheck("p99_ms", ap99, bp99, 500, false),
		ratioCheck("p99_ms", ap99, bp99, 1.5, false),
		countCheck("lost", a.extra["lost"], b.extra["lost"]),
		countCheck("duplicated", a.extra["duplicated"], b.extra["duplicated"]),
		countCheck("out_of_order", a.extra["out_of_order"], b.extra["out_of_order"]),
	}
	if f := a.extra["failed_sends"] + b.extra["failed_sends"]; f > 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("%.0f sends failed", f))
	}
	return res, nil
}

// stallers keeps n stalled streams open until stopped: each one tandemd
// cuts is opened again from its cursor.
type stallers struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
	cut    atomic.Int64 // streams tandemd ended
	failed atomic.Int64 // re-openings that failed (and were tried again)
	once   sync.Once
}

// stall opens n stalled streams (all before it returns) and starts keeping
// them open.
func stall(ctx context.Context, addr, token, workspaceID string, n int) (*stallers, error) {
	first := make([]*stalledStream, n)
	for i := range first {
		st, err := openStalled(ctx, addr, token, workspaceID, "")
		if err != nil {
			for _, o := range first[:i] {
				o.close()
			}
			return nil, fmt.Errorf("open stalled stream: %w", err)
		}
		first[i] = st
	}
	ctx, cancel := context.WithCancel(ctx)
	p := &stallers{cancel: cancel}
	for _, st := range first {
		p.wg.Go(func() {
			for {
				select {
				case <-ctx.Done():
					st.close()
					return
				case <-st.done:
				}
				p.cut.Add(1)
				cursor := st.cursor
				st.close()
				for {
					var err error
					if st, err = openStalled(ctx, addr, token, workspaceID, cursor); err == nil {
						break
					}
					if ctx.Err() != nil {
						return
					}
					p.failed.Add(1)
					time.Sleep(100 * time.Millisecond)
				}
			}
		})
	}
	return p, nil
}

// stop closes the stalled streams and says how many tandemd cut and how
// many re-openings failed; it may be called again.
func (p *stallers) stop() (cut, failed int64) {
	p.once.Do(func() {
		p.cancel()
		p.wg.Wait()
	})
	return p.cut.Load(), p.failed.Load()
}

// stalledWindow is the HTTP/2 flow-control window a stalled stream grants:
// its opening heartbeat and about its first event, then nothing more.
const stalledWindow = 1024

// stalledStream is an agent's Watch stream whose client stops reading: a
// raw HTTP/2 connection (Connect protocol) that grants the stream
// stalledWindow bytes and never sends a WINDOW_UPDATE, so tandemd's sends
// block as they would on a client whose buffers are full. (Go's HTTP/2
// client would read ahead into memory; over HTTP/1.1 the kernel's buffers
// take megabytes to fill.) The connection itself stays healthy: settings
// and pings are answered, and the frames read, so that tandemd ends the
// stream, not the connection. done is closed when the stream ends.
type stalledStream struct {
	conn   net.Conn
	done   chan struct{}
	cursor string // the last cursor received, set before done is closed
}

// openStalled opens a stalled stream on tandemd at addr (host:port) after
// cursor (from now when empty) and returns once tandemd answered it.
func openStalled(ctx context.Context, addr, token, workspaceID, cursor string) (*stalledStream, error) {
	conn, err := (&net.Dialer{Timeout: 5 * time.Second}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	req, err := proto.Marshal(&tandemv1.WatchRequest{WorkspaceId: workspaceID, Cursor: cursor})
	if err != nil {
		_ = conn.Close()
		return nil, err
	}
	var hdr bytes.Buffer
	enc := hpack.NewEncoder(&hdr)
	for _, f := range [][2]string{{":method", "POST"}, {":scheme", "http"}, {":authority", addr},
		{":path", tandemv1connect.ConversationServiceWatchProcedure}, {"content-type", "application/connect+proto"},
		{"authorization", "Bearer " + token}} {
		if err := enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]}); err != nil {
			_ = conn.Close()
			return nil, err
		}
	}
	fr := http2.NewFramer(conn, conn)
	fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	// The request: one Connect envelope (flags, length, message).
	envelope := binary.BigEndian.AppendUint32([]byte{0}, uint32(len(req))) //nolint:gosec // a small request
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err = conn.Write([]byte(http2.ClientPreface)); err == nil {
		err = errors.Join(
			fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: stalledWindow}, http2.Setting{ID: http2.SettingEnablePush}),
			fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: hdr.Bytes(), EndHeaders: true}),
			fr.WriteData(1, true, append(envelope, req...)))
	}
	if err != nil {
		_ = conn.Close()
		return nil, err
	}
	st := &stalledStream{conn: conn, done: make(chan struct{})}
	ready := make(chan error, 1)
	go st.read(fr, ready)
	select {
	case err = <-ready:
	case <-ctx.Done():
		err = ctx.Err()
	}
	if err != nil {
		st.close()
		return nil, err
	}
	_ = conn.SetDeadline(time.Time{})
	return st, nil
}

// read reads the connection's frames until the stream ends: it answers
// settings and pings, keeps the cursor of each whole message, and reports
// on ready the answer's first message (or why there is none).
func (st *stalledStream) read(fr *http2.Framer, ready chan<- error) {
	defer close(st.done)
	answered := false
	answer := func(err error) {
		if !answered {
			answered = true
			ready <- err
		}
	}
	var body []byte
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			answer(err)
			return
		}
		switch f := f.(type) {
		case *http2.SettingsFrame:
			if !f.IsAck() {
				err = fr.WriteSettingsAck()
			}
		case *http2.PingFrame:
			if !f.IsAck() {
				err = fr.WritePing(true, f.Data)
			}
		case *http2.MetaHeadersFrame:
			if status := f.PseudoValue("status"); status != "200" {
				err = fmt.Errorf("watch answered HTTP %s", status)
			}
		case *http2.DataFrame:
			body = append(body, f.Data()...)
			for len(body) >= 5 && len(body) >= 5+int(binary.BigEndian.Uint32(body[1:5])) {
				flags, msg := body[0], body[5:5+binary.BigEndian.Uint32(body[1:5])]
				body = body[5+len(msg):]
				if flags&2 != 0 { // Connect's end of stream: tandemd ended it
					err = fmt.Errorf("stream ended: %s", msg)
					break
				}
				var m tandemv1.WatchResponse
				if flags == 0 && proto.Unmarshal(msg, &m) == nil && m.GetCursor() != "" {
					st.cursor = m.GetCursor()
				}
				answer(nil)
			}
			if err == nil && f.StreamEnded() {
				err = errors.New("stream ended")
			}
		case *http2.RSTStreamFrame:
			err = fmt.Errorf("stream reset: %v", f.ErrCode)
		case *http2.GoAwayFrame:
			err = fmt.Errorf("connection going away: %v", f.ErrCode)
		}
		if err != nil {
			answer(err)
			return
		}
	}
}

// close closes the connection and waits for the reader.
func (st *stalledStream) close() {
	_ = st.conn.Close()
	<-st.done
}
