package metrics

import "github.com/prometheus/client_golang/prometheus"

// RegisterNATS registers the state of this replica's connection to NATS,
// which carries wake-ups between replicas: tandem_nats_connected (1 while
// connected, 0 while it is lost and delivery falls back to polling) and
// tandem_nats_disconnects_total. Only replicas configured with NATS
// export them.
func RegisterNATS(reg prometheus.Registerer, connected func() bool, disconnects func() uint64) {
	reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "tandem_nats_connected",
			Help: "1 while this replica is connected to NATS; 0 while wake-ups from other replicas wait for the poll.",
		}, func() float64 {
			if connected() {
				return 1
			}
			return 0
		}),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "tandem_nats_disconnects_total",
			Help: "Connections to NATS this replica lost since it started.",
		}, func() float64 { return float64(disconnects()) }),
	)
}
