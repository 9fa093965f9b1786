package gateway

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/connectivity"
)

// metrics are the Prometheus metrics of one gateway.
type metrics struct {
	open       *prometheus.GaugeVec
	events     *prometheus.CounterVec
	bytes      *prometheus.CounterVec
	heartbeats *prometheus.CounterVec
	ends       *prometheus.CounterVec
	slow       *prometheus.CounterVec
	duration   *prometheus.HistogramVec
	firstEvent *prometheus.HistogramVec
	// bodies and bodyBytes count the request bodies being read, before
	// their streams are admitted, and the bytes their buffers hold.
	bodies    prometheus.Gauge
	bodyBytes prometheus.Gauge
	unary     *unaryMetrics
}

// routeMetrics are the metrics of one route, resolved once so that a
// stream only does atomic adds.
type routeMetrics struct {
	open       prometheus.Gauge
	events     prometheus.Counter
	bytes      prometheus.Counter
	heartbeats prometheus.Counter
	slow       prometheus.Counter
	ends       *prometheus.CounterVec // by reason and code
	duration   prometheus.Observer
	firstEvent prometheus.Observer
}

// routeLabels returns the labels of every per-route metric: the HTTP
// method and the path template, and then extra.
func routeLabels(extra ...string) []string {
	return append([]string{"method", "route"}, extra...)
}

func newMetrics(reg prometheus.Registerer, conn grpc.ClientConnInterface) (*metrics, error) {
	m := &metrics{
		open: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "ssegw_streams_open",
			Help: "SSE streams currently open (response committed, not yet ended).",
		}, routeLabels()),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ssegw_events_sent_total",
			Help: "Events sent to clients, one per backend message.",
		}, routeLabels()),
		bytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ssegw_sent_bytes_total",
			Help: "Response body bytes written to clients: events, heartbeats, retry hints, terminal events and error bodies.",
		}, routeLabels()),
		heartbeats: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ssegw_heartbeats_sent_total",
			Help: "Heartbeats (comments or named events) sent on idle streams.",
		}, routeLabels()),
		ends: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ssegw_streams_ended_total",
			Help: "Requests for streams that ended, by why (end, error, refused, limit, client_closed, slow_consumer, drain, max_lifetime, body_timeout) and gRPC code.",
		}, routeLabels("reason", "code")),
		slow: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ssegw_slow_consumer_disconnects_total",
			Help: "Streams ended because a write to the client missed its deadline or found the connection closed by the TCP user timeout; their backend calls were cancelled.",
		}, routeLabels()),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "ssegw_stream_duration_seconds",
			Help:    "Duration of streams, from the request to the end of the response.",
			Buckets: []float64{0.01, 0.1, 1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, 86400},
		}, routeLabels()),
		firstEvent: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "ssegw_stream_first_event_seconds",
			Help:    "Time from the request to the first event of a stream, for streams that sent one.",
			Buckets: []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60},
		}, routeLabels()),
		bodies: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "ssegw_request_bodies_reading",
			Help: "Request bodies being read, before their streams are admitted.",
		}),
		bodyBytes: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "ssegw_request_body_buffer_bytes",
			Help: "Bytes held by the buffers of request bodies being read.",
		}),
		unary: newUnaryMetrics(),
	}
	collectors := []prometheus.Collector{m.open, m.events, m.bytes, m.heartbeats, m.ends, m.slow, m.duration, m.firstEvent, m.bodies, m.bodyBytes}
	collectors = append(collectors, m.unary.collectors()...)
	if sc, ok := conn.(stateConn); ok {
		collectors = append(collectors, newConnStateCollector(sc))
	}
	for i, c := range collectors {
		if err := reg.Register(c); err != nil {
			for _, done := range collectors[:i] {
				reg.Unregister(done)
			}
			if _, ok := errors.AsType[prometheus.AlreadyRegisteredError](err); ok {
				return nil, fmt.Errorf("%w (give each gateway of one registry its own constant labels)", err)
			}
			return nil, err
		}
	}
	return m, nil
}

// forRoute resolves the metrics of rt.
func (m *metrics) forRoute(rt *route) *routeMetrics {
	labels := prometheus.Labels{"method": rt.HTTPMethod, "route": rt.Path}
	return &routeMetrics{
		open:       m.open.With(labels),
		events:     m.events.With(labels),
		bytes:      m.bytes.With(labels),
		heartbeats: m.heartbeats.With(labels),
		slow:       m.slow.With(labels),
		ends:       m.ends.MustCurryWith(labels),
		duration:   m.duration.With(labels),
		firstEvent: m.firstEvent.With(labels),
	}
}

// stateConn is a backend connection that reports its connectivity state,
// as *grpc.ClientConn does.
type stateConn interface {
	GetState() connectivity.State
}

// connStateCollector reports the backend connection's state at each scrape
// as ssegw_backend_connection_state{state="…"}: 1 for the current state, 0
// for the others.
type connStateCollector struct {
	conn stateConn
	desc *prometheus.Desc
}

func newConnStateCollector(conn stateConn) *connStateCollector {
	return &connStateCollector{
		conn: conn,
		desc: prometheus.NewDesc("ssegw_backend_connection_state",
			"State of the gateway's connection to its backend: 1 for the current state (IDLE, CONNECTING, READY, TRANSIENT_FAILURE, SHUTDOWN), 0 for the others.",
			[]string{"state"}, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *connStateCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

// Collect implements prometheus.Collector.
func (c *connStateCollector) Collect(ch chan<- prometheus.Metric) {
	current := c.conn.GetState()
	for _, s := range []connectivity.State{connectivity.Idle, connectivity.Connecting, connectivity.Ready, connectivity.TransientFailure, connectivity.Shutdown} {
		v := 0.0
		if s == current {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, v, s.String())
	}
}
