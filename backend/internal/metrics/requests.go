package metrics

import "github.com/prometheus/client_golang/prometheus"

// RegisterRequestBytes registers tandem_request_bytes_in_flight: the bytes
// of request bodies the calls in flight hold, capped by
// --max-request-bytes-in-flight (calls over it are refused).
func RegisterRequestBytes(reg prometheus.Registerer, inFlight func() int64) {
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "tandem_request_bytes_in_flight",
		Help: "Bytes of request bodies held by the calls in flight on this replica.",
	}, func() float64 { return float64(inFlight()) }))
}
