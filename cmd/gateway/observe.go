package main

import (
	"context"
	"io"
	"log/slog"
	"net/netip"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/ssegw/ssegw/gateway"
	"github.com/ssegw/ssegw/internal/config"
)

// sharedOptions are shared by the gateways of all backends.
type sharedOptions struct {
	logger         *slog.Logger
	registry       *prometheus.Registry // nil without metrics
	tracerProvider trace.TracerProvider // nil without an exporter
	limiter        *gateway.Limiter
	trustedProxies []netip.Prefix // for client addresses and schemes
}

func newLogger(cfg config.Log, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.Level}
	if cfg.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// newRegistry is the registry of /metrics: the gateways' metrics, and the
// Go runtime's and the process's.
func newRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// newTracerProvider makes the OpenTelemetry SDK's tracer provider with an
// OTLP/gRPC exporter, or returns nil when tracing.exporter is none. The
// exporter also honours the standard OTEL_EXPORTER_OTLP_* variables
// (headers, certificates, …), and OTEL_SERVICE_NAME and
// OTEL_RESOURCE_ATTRIBUTES describe the service.
func newTracerProvider(ctx context.Context, cfg config.Tracing) (*sdktrace.TracerProvider, error) {
	if cfg.Exporter != "otlp" {
		return nil, nil
	}
	var opts []otlptracegrpc.Option
	if cfg.Endpoint != "" {
		opts = append(opts, otlptracegrpc.WithEndpointURL(cfg.Endpoint))
	}
	if cfg.Insecure {
		opts = append(opts, otlptracegrpc.WithInsecure())
	}
	exp, err := otlptracegrpc.New(ctx, opts...)
	if err != nil {
		return nil, err
	}
	res, err := resource.New(ctx,
		resource.WithAttributes(attribute.String("service.name", cfg.ServiceName)),
		resource.WithFromEnv(),
		resource.WithTelemetrySDK(),
	)
	if err != nil {
		return nil, err
	}
	return sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exp),
		sdktrace.WithResource(res),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(cfg.SampleRatio))),
	), nil
}
