package demo

import (
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"

	demov1 "github.com/ssegw/ssegw/gen/examples/demo/v1"
)

// NewServer returns a gRPC server with the demo service, server reflection
// and grpc.health.v1 registered. The caller starts it with Serve.
func NewServer(opts ...grpc.ServerOption) *grpc.Server {
	s := grpc.NewServer(opts...)
	demov1.RegisterDemoServiceServer(s, &Service{})
	hs := health.NewServer()
	hs.SetServingStatus(demov1.DemoService_ServiceDesc.ServiceName, healthpb.HealthCheckResponse_SERVING)
	healthpb.RegisterHealthServer(s, hs)
	reflection.Register(s)
	return s
}
