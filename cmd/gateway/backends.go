package main

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/ssegw/ssegw/gateway"
	ssegwv1 "github.com/ssegw/ssegw/gen/ssegw/v1"
	"github.com/ssegw/ssegw/internal/config"
)

// readyTimeout bounds one readiness check of a backend.
const readyTimeout = time.Second

// backend is a connection to one configured backend.
type backend struct {
	cfg    config.Backend
	conn   *grpc.ClientConn
	logger *slog.Logger
}

// progressEvery is how often start-up says what it still waits for.
const progressEvery = 5 * time.Second

// dialBackend makes the client connection of b: TLS or mutual TLS when
// configured, plaintext otherwise (which validation allows for loopback
// targets or when asked for). It does not connect yet.
func dialBackend(b config.Backend, logger *slog.Logger) (*backend, error) {
	creds := insecure.NewCredentials()
	if b.TLS.On() {
		tc := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: b.TLS.ServerName}
		if b.TLS.CAFile != "" {
			pool, err := readCAPool(b.TLS.CAFile)
			if err != nil {
				return nil, fmt.Errorf("backend %s: tls.ca_file: %w", b.Name, err)
			}
			tc.RootCAs = pool
		}
		if b.TLS.CertFile != "" {
			files, err := loadCertFiles(b.TLS.CertFile, b.TLS.KeyFile, logger)
			if err != nil {
				return nil, fmt.Errorf("backend %s: client certificate: %w", b.Name, err)
			}
			tc.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
				return files.get(), nil
			}
		}
		creds = credentials.NewTLS(tc)
	}
	opts := []grpc.DialOption{
		grpc.WithTransportCredentials(creds),
		grpc.WithConnectParams(grpc.ConnectParams{
			Backoff:           backoff.Config{BaseDelay: time.Second, Multiplier: 1.6, Jitter: 0.2, MaxDelay: 5 * time.Second},
			MinConnectTimeout: 5 * time.Second,
		}),
	}
	if b.Keepalive.Time > 0 {
		// Pings only while calls are open (PermitWithoutStream false): a
		// stock grpc-go server counts pings on a connection without calls
		// as abuse, and pings closer together than its MinTime (5 minutes
		// by default) on one with calls; a few of either and it closes the
		// connection with "too_many_pings". When the first call opens on a
		// connection that has been quiet for longer than Time, grpc-go
		// pings at once, so a new stream on a frozen backend fails within
		// Timeout.
		opts = append(opts, grpc.WithKeepaliveParams(keepalive.ClientParameters{
			Time:                b.Keepalive.Time,
			Timeout:             b.Keepalive.Timeout,
			PermitWithoutStream: false,
		}))
	}
	conn, err := grpc.NewClient(b.Target, opts...)
	if err != nil {
		return nil, fmt.Errorf("backend %s: target %q: %w", b.Name, b.Target, err)
	}
	return &backend{cfg: b, conn: conn, logger: logger.With("backend", b.Name)}, nil
}

// waitConnected waits until the connection is ready, or fails once ctx is
// done with the state it was in.
func (b *backend) waitConnected(ctx context.Context) error {
	b.conn.Connect()
	for {
		s := b.conn.GetState()
		if s == connectivity.Ready {
			return nil
		}
		if !b.conn.WaitForStateChange(ctx, s) {
			return fmt.Errorf("backend %s (%s) not reachable: connection %s: %w", b.cfg.Name, b.cfg.Target, s, context.Cause(ctx))
		}
	}
}

// discover builds the backend's gateway. It waits, up to the discovery
// timeout, for the backend to be reachable when its descriptors come from
// server reflection, so that the gateway may start before its backend. A
// backend that answers without reflection fails at once: waiting would not
// change that.
func (b *backend) discover(ctx context.Context, opts []gateway.Option) (*gateway.Gateway, error) {
	ctx, cancel := context.WithTimeout(ctx, b.cfg.DiscoveryTimeout)
	defer cancel()
	stop := b.tellProgress(ctx)
	defer stop()
	if b.cfg.Reflection() {
		if err := b.waitConnected(ctx); err != nil {
			return nil, err
		}
	}
	gw, err := gateway.New(ctx, b.conn, opts...)
	if errors.Is(err, gateway.ErrNoReflection) {
		return nil, fmt.Errorf("backend %s (%s): %w: give its descriptors with --descriptor-set FILE (buf build -o) or --proto FILE --proto-path DIR (descriptor_set, proto_files in the file)", b.cfg.Name, b.cfg.Target, gateway.ErrNoReflection)
	}
	if err != nil {
		return nil, fmt.Errorf("backend %s: %w", b.cfg.Name, err)
	}
	return gw, nil
}

// tellProgress logs that discovery starts and, every progressEvery until
// the returned function is called, what it still waits for.
func (b *backend) tellProgress(ctx context.Context) (stop func()) {
	source := "server reflection"
	switch {
	case b.cfg.DescriptorSet != "":
		source = "descriptor set " + b.cfg.DescriptorSet
	case len(b.cfg.ProtoFiles) > 0:
		source = ".proto files " + strings.Join(b.cfg.ProtoFiles, ", ")
	}
	start := time.Now()
	b.logger.Info("discovering the backend's services", "target", b.cfg.Target, "from", source, "timeout", b.cfg.DiscoveryTimeout)
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(progressEvery)
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
				b.logger.Info("waiting for the backend", "target", b.cfg.Target, "connection", b.conn.GetState().String(),
					"waited", time.Since(start).Round(time.Second), "timeout", b.cfg.DiscoveryTimeout)
			case <-done:
				return
			case <-ctx.Done():
				return
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}

// ready checks that the backend can serve: with grpc.health.v1 when it
// offers it, else by the connection's state.
func (b *backend) ready(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	resp, err := healthpb.NewHealthClient(b.conn).Check(ctx, &healthpb.HealthCheckRequest{Service: b.cfg.HealthService})
	switch status.Code(err) {
	case codes.OK:
		if s := resp.GetStatus(); s != healthpb.HealthCheckResponse_SERVING {
			return fmt.Errorf("health: %s", s)
		}
		return nil
	case codes.Unimplemented:
		if s := b.conn.GetState(); s != connectivity.Ready {
			b.conn.Connect()
			return fmt.Errorf("connection %s", s)
		}
		return nil
	}
	return fmt.Errorf("health check: %s", status.Convert(err).Message())
}

// gatewayOptions are the options of the gateway of backend b.
func gatewayOptions(cfg *config.Config, b config.Backend, shared sharedOptions) ([]gateway.Option, error) {
	logger := shared.logger.With("backend", b.Name)
	s := cfg.Streams
	opts := []gateway.Option{
		gateway.WithLogger(logger),
		gateway.WithHeartbeat(s.Heartbeat),
		gateway.WithRetry(s.Retry),
		gateway.WithHeaderTimeout(s.HeaderTimeout),
		gateway.WithIncomingHeaders(s.ForwardHeaders...),
		gateway.WithOutgoingMetadata(s.ForwardMetadata...),
		gateway.WithMaxRequestBytes(cfg.Limits.MaxRequestBytes),
		gateway.WithBodyReadTimeout(cfg.Limits.BodyReadTimeout),
		gateway.WithMaxBodyBufferBytes(cfg.Limits.MaxBodyBufferBytes),
		gateway.WithLimiter(shared.limiter),
		gateway.WithWriteTimeout(cfg.Limits.WriteTimeout),
		gateway.WithMaxStreamLifetime(cfg.Limits.MaxStreamLifetime),
		gateway.WithDrainRetry(cfg.Drain.Retry),
		gateway.WithRetryAfter(cfg.Limits.RetryAfter),
		gateway.WithServices(b.Services...),
	}
	if s.HeartbeatEvent != "" {
		opts = append(opts, gateway.WithHeartbeatEvent(s.HeartbeatEvent))
	}
	switch {
	case b.DescriptorSet != "":
		opts = append(opts, gateway.WithDescriptorSetFile(b.DescriptorSet))
	case len(b.ProtoFiles) > 0:
		opts = append(opts, gateway.WithProtoFiles(b.ProtoFiles, b.ProtoPaths...))
	}
	if len(shared.trustedProxies) > 0 {
		opts = append(opts, gateway.WithTrustedProxies(shared.trustedProxies...))
	}
	if shared.registry != nil {
		opts = append(opts, gateway.WithMetrics(prometheus.WrapRegistererWith(prometheus.Labels{"backend": b.Name}, shared.registry)))
	}
	if shared.tracerProvider != nil {
		opts = append(opts, gateway.WithTracerProvider(shared.tracerProvider))
	}
	if cfg.Log.Access {
		opts = append(opts, gateway.WithAccessLog(logger))
	}
	br := cfg.Browser
	if len(br.CORSOrigins) > 0 {
		opts = append(opts, gateway.WithCORS(gateway.CORS{
			AllowedOrigins:   br.CORSOrigins,
			AllowCredentials: br.CORSCredentials,
			AllowedHeaders:   br.CORSHeaders,
			ExposedHeaders:   br.CORSExposedHeaders,
			MaxAge:           br.CORSMaxAge,
		}))
	}
	if len(br.ForwardCookies) > 0 {
		opts = append(opts, gateway.WithForwardedCookies(br.ForwardCookies...))
	}
	if br.AccessTokenParam != "" {
		opts = append(opts, gateway.WithAccessTokenParam(br.AccessTokenParam))
	}
	if br.Compression {
		opts = append(opts, gateway.WithCompression())
	}
	if br.UnknownQueryParams {
		opts = append(opts, gateway.WithUnknownQueryParams())
	}
	if !cfg.Unary.Enabled {
		opts = append(opts, gateway.WithoutUnary())
	}
	if cfg.Unary.Timeout > 0 {
		opts = append(opts, gateway.WithUnaryTimeout(cfg.Unary.Timeout))
	}
	for name, m := range b.Methods {
		if so := streamOptions(m); proto.Size(so) > 0 {
			// Stream options only: a unary method's override names its
			// route alone.
			opts = append(opts, gateway.WithMethodOptions(name, so))
		}
		if m.Share != nil {
			opts = append(opts, gateway.WithSharing(name, sharing(m.Share)))
		}
		if rule := httpRule(m); rule != nil {
			opts = append(opts, gateway.WithMethodHTTPRule(name, rule))
		}
	}
	return opts, nil
}

// streamOptions are the stream options of a method override.
func streamOptions(m config.Method) *ssegwv1.StreamOptions {
	so := &ssegwv1.StreamOptions{Event: m.Event, IdField: m.IDField, ResumeField: m.ResumeField, HeartbeatEvent: m.HeartbeatEvent}
	if m.Heartbeat > 0 {
		so.HeartbeatInterval = durationpb.New(m.Heartbeat)
	}
	if m.MaxMessageGap > 0 {
		so.MaxMessageGap = durationpb.New(m.MaxMessageGap)
	}
	if s := m.Shape; s != nil {
		so.Shape = &ssegwv1.Shape{EventOneof: s.EventOneof, EventField: s.EventField, DataField: s.DataField, Sentinel: s.Sentinel, SentinelEvent: s.SentinelEvent}
	}
	return so
}

// sharing is the ssegw.v1.Sharing of a method's share settings.
func sharing(s *config.Share) *ssegwv1.Sharing {
	out := &ssegwv1.Sharing{Public: s.Public, QueueEvents: uint32(s.QueueEvents), QueueBytes: uint32(s.QueueBytes)}
	if s.ReplayEvents != nil {
		out.ReplayEvents = proto.Uint32(uint32(*s.ReplayEvents))
	}
	if s.ReplayAge > 0 {
		out.ReplayAge = durationpb.New(s.ReplayAge)
	}
	if s.Linger != nil {
		out.Linger = durationpb.New(*s.Linger)
	}
	return out
}

// httpRule is the google.api.http rule of a method override, or nil when
// it names no route: its routes in the order get, post, put, delete,
// patch, the first as the rule and the others as additional bindings.
// The body (default "*") goes with post, put and patch; the
// response_body with every route.
func httpRule(m config.Method) *annotations.HttpRule {
	var rules []*annotations.HttpRule
	for _, r := range []struct {
		path    string
		pattern func(string) *annotations.HttpRule
	}{
		{m.Get, func(p string) *annotations.HttpRule {
			return &annotations.HttpRule{Pattern: &annotations.HttpRule_Get{Get: p}}
		}},
		{m.Post, func(p string) *annotations.HttpRule {
			return &annotations.HttpRule{Pattern: &annotations.HttpRule_Post{Post: p}, Body: cmp.Or(m.Body, "*")}
		}},
		{m.Put, func(p string) *annotations.HttpRule {
			return &annotations.HttpRule{Pattern: &annotations.HttpRule_Put{Put: p}, Body: cmp.Or(m.Body, "*")}
		}},
		{m.Delete, func(p string) *annotations.HttpRule {
			return &annotations.HttpRule{Pattern: &annotations.HttpRule_Delete{Delete: p}}
		}},
		{m.Patch, func(p string) *annotations.HttpRule {
			return &annotations.HttpRule{Pattern: &annotations.HttpRule_Patch{Patch: p}, Body: cmp.Or(m.Body, "*")}
		}},
	} {
		if r.path != "" {
			rule := r.pattern(r.path)
			rule.ResponseBody = m.ResponseBody
			rules = append(rules, rule)
		}
	}
	if len(rules) == 0 {
		return nil
	}
	rules[0].AdditionalBindings = rules[1:]
	return rules[0]
}

// errNotReady is the readiness failure while the routes are not known.
var errNotReady = errors.New("the backends' services are not discovered yet")
