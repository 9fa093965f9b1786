package gateway

import (
	"github.com/prometheus/client_golang/prometheus"
)

// unaryMetrics are the Prometheus metrics of unary calls, apart from those
// of streams, whose names speak of streams and events.
type unaryMetrics struct {
	calls    *prometheus.CounterVec
	inFlight *prometheus.GaugeVec
	duration *prometheus.HistogramVec
	bytes    *prometheus.CounterVec
}

// unaryRouteMetrics are the metrics of one unary route, resolved once.
type unaryRouteMetrics struct {
	calls    *prometheus.CounterVec // by code
	inFlight prometheus.Gauge
	duration prometheus.Observer
	bytes    prometheus.Counter
}

func newUnaryMetrics() *unaryMetrics {
	return &unaryMetrics{
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ssegw_unary_calls_total",
			Help: "Unary calls answered, by gRPC code (OK for a response, the error's code otherwise).",
		}, routeLabels("code")),
		inFlight: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "ssegw_unary_calls_in_flight",
			Help: "Unary calls being served now.",
		}, routeLabels()),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "ssegw_unary_call_duration_seconds",
			Help:    "Duration of unary calls, from the request to the end of the answer.",
			Buckets: []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60},
		}, routeLabels()),
		bytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ssegw_unary_sent_bytes_total",
			Help: "Response body bytes of unary calls written to clients, responses and error bodies.",
		}, routeLabels()),
	}
}

// collectors returns the metrics to register.
func (m *unaryMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.calls, m.inFlight, m.duration, m.bytes}
}

// forRoute resolves the metrics of the unary route rt.
func (m *unaryMetrics) forRoute(rt *route) *unaryRouteMetrics {
	labels := prometheus.Labels{"method": rt.HTTPMethod, "route": rt.Path}
	return &unaryRouteMetrics{
		calls:    m.calls.MustCurryWith(labels),
		inFlight: m.inFlight.With(labels),
		duration: m.duration.With(labels),
		bytes:    m.bytes.With(labels),
	}
}
