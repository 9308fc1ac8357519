// Package metrics holds Tandem's Prometheus registry: the RPC metrics, the
// inbox counters kept from the event log (Domain) and the inboxes' state read
// at scrape time (State).
// Names follow tandem_<noun>_<unit>; labels are bounded (procedure names and
// codes, never ids).
//
// Tables read: conversations, agent_status, workspaces, reactor_cursors,
// events (the inboxes' state, the agents' presence and the reactors' lag,
// at scrape time).
package metrics

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"connectrpc.com/connect"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// NewRegistry returns a registry with the Go runtime, process and DB pool
// collectors, and the inboxes' state (State) with the lag of the named
// reactors.
func NewRegistry(db *sql.DB, reactors ...string) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewDBStatsCollector(db, "tandem"),
		NewState(db, reactors...),
	)
	return reg
}

// RPC counts calls per procedure and code, and times them.
type RPC struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	streams  *prometheus.GaugeVec
}

// NewRPC registers the RPC metrics.
func NewRPC(reg prometheus.Registerer) *RPC {
	m := &RPC{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tandem_rpc_requests_total", Help: "RPCs handled, by procedure and result code.",
		}, []string{"procedure", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "tandem_rpc_duration_seconds", Help: "Time to handle unary RPCs, and lifetime of streams.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 60, 600, 3600},
		}, []string{"procedure"}),
		streams: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "tandem_rpc_streams_active", Help: "Server streams open now, by procedure.",
		}, []string{"procedure"}),
	}
	reg.MustRegister(m.requests, m.duration, m.streams)
	return m
}

func (m *RPC) observe(procedure string, start time.Time, err error) {
	code := "ok"
	if err != nil {
		code = connect.CodeOf(err).String()
	}
	m.requests.WithLabelValues(procedure, code).Inc()
	m.duration.WithLabelValues(procedure).Observe(time.Since(start).Seconds())
}

// Interceptor records every handled call.
func (m *RPC) Interceptor() connect.Interceptor { return rpcInterceptor{m} }

type rpcInterceptor struct{ m *RPC }

func (i rpcInterceptor) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		if req.Spec().IsClient {
			return next(ctx, req)
		}
		start := time.Now()
		resp, err := next(ctx, req)
		i.m.observe(req.Spec().Procedure, start, err)
		return resp, err
	}
}

func (i rpcInterceptor) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

func (i rpcInterceptor) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return func(ctx context.Context, conn connect.StreamingHandlerConn) error {
		procedure := conn.Spec().Procedure
		start := time.Now()
		i.m.streams.WithLabelValues(procedure).Inc()
		defer i.m.streams.WithLabelValues(procedure).Dec()
		err := next(ctx, conn)
		if errors.Is(err, context.Canceled) { // the client went away: a normal end of a stream
			err = nil
		}
		i.m.observe(procedure, start, err)
		return err
	}
}

// RegisterStreamGaps registers tandem_stream_gaps_total, read from gaps: the
// events streams would have sent out of order and resynced instead. Any
// increase is a defect of the event spine (see events.Follower.Gaps).
func RegisterStreamGaps(reg prometheus.Registerer, gaps func() uint64) {
	reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "tandem_stream_gaps_total",
		Help: "Events a stream would have skipped or repeated; the stream resynced instead. Should stay 0.",
	}, func() float64 { return float64(gaps()) }))
}
