package gateway

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc/codes"
)

// codeOverflow is the gRPC code recorded for a subscriber cut because it
// fell behind its queue.
const codeOverflow = codes.ResourceExhausted

// shareMetrics are the metrics of one method's shared streams, resolved
// once, labelled with the gRPC method.
type shareMetrics struct {
	streams     prometheus.Gauge
	subscribers prometheus.Gauge
	published   prometheus.Counter
	fannedOut   prometheus.Counter
	overflows   prometheus.Counter
	joins       *prometheus.CounterVec // by join: live, replay, resume
	replayed    prometheus.Counter
}

// registerShareMetrics registers the metrics of shared streams with reg
// and resolves them for every method that shares its streams, and returns
// the function that unregisters them. It does nothing when no method
// does.
func (g *Gateway) registerShareMetrics(reg prometheus.Registerer) (unregister func(), err error) {
	if g.hub == nil {
		return func() {}, nil
	}
	label := []string{"grpc_method"}
	streams := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "ssegw_shared_streams",
		Help: "Shared streams whose backend call runs now, lingering ones included.",
	}, label)
	subscribers := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "ssegw_shared_subscribers",
		Help: "Subscribers of shared streams now; divided by ssegw_shared_streams, the subscribers per stream.",
	}, label)
	published := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ssegw_shared_events_total",
		Help: "Events of shared streams, each encoded once from a backend message.",
	}, label)
	fannedOut := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ssegw_shared_events_fanned_out_total",
		Help: "Events of shared streams written to their subscribers.",
	}, label)
	overflows := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ssegw_shared_queue_overflows_total",
		Help: "Subscribers of shared streams disconnected (told to reconnect) because they fell further behind than their queue allows.",
	}, label)
	joins := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ssegw_shared_joins_total",
		Help: "Subscribers that joined a shared stream, by how: live, replay (from the replay window after their Last-Event-ID), resume (a backend call resumed from their Last-Event-ID).",
	}, []string{"grpc_method", "join"})
	replayed := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ssegw_shared_replayed_events_total",
		Help: "Events served from the replay windows of shared streams to subscribers that joined after a Last-Event-ID.",
	}, label)
	collectors := []prometheus.Collector{streams, subscribers, published, fannedOut, overflows, joins, replayed}
	for i, c := range collectors {
		if err := reg.Register(c); err != nil {
			for _, done := range collectors[:i] {
				reg.Unregister(done)
			}
			return nil, fmt.Errorf("shared streams: %w", err)
		}
	}
	for _, rt := range g.routes {
		m := rt.method
		if m.share == nil || m.share.metrics != nil {
			continue
		}
		name := m.fullName
		m.share.metrics = &shareMetrics{
			streams:     streams.WithLabelValues(name),
			subscribers: subscribers.WithLabelValues(name),
			published:   published.WithLabelValues(name),
			fannedOut:   fannedOut.WithLabelValues(name),
			overflows:   overflows.WithLabelValues(name),
			joins:       joins.MustCurryWith(prometheus.Labels{"grpc_method": name}),
			replayed:    replayed.WithLabelValues(name),
		}
		for _, join := range []string{joinLive, joinReplay, joinResume} {
			m.share.metrics.joins.WithLabelValues(join)
		}
	}
	return func() {
		for _, c := range collectors {
			reg.Unregister(c)
		}
	}, nil
}
