package kitchensink

import (
	"context"
	"fmt"
	"net"

	"google.golang.org/grpc"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/reflection"
	reflectionv1 "google.golang.org/grpc/reflection/grpc_reflection_v1"
	reflectionv1alpha "google.golang.org/grpc/reflection/grpc_reflection_v1alpha"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// Server is a running kitchen-sink backend on a loopback port.
type Server struct {
	// Addr is the server's address, "127.0.0.1:port".
	Addr string
	// Backend records the calls.
	Backend *Backend
	grpc    *grpc.Server
}

// Option configures Start.
type Option func(*options)

type options struct {
	reflection bool
	server     []grpc.ServerOption
}

// WithoutReflection starts the server without gRPC server reflection, as
// most production servers run.
func WithoutReflection() Option { return func(o *options) { o.reflection = false } }

// WithServerOptions adds options to the gRPC server.
func WithServerOptions(opts ...grpc.ServerOption) Option {
	return func(o *options) { o.server = append(o.server, opts...) }
}

// Start compiles the API and serves it on 127.0.0.1 on a free port, with
// server reflection (v1 and v1alpha) unless WithoutReflection. Stop ends
// it.
func Start(ctx context.Context, opts ...Option) (*Server, error) {
	o := options{reflection: true}
	for _, opt := range opts {
		opt(&o)
	}
	d, err := Compile(ctx)
	if err != nil {
		return nil, err
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("kitchensink: %w", err)
	}
	b := NewBackend(d)
	s := grpc.NewServer(append([]grpc.ServerOption{grpc.ForceServerCodec(codec{types: d.Types})}, o.server...)...)
	s.RegisterService(b.ServiceDesc(), nil)
	if o.reflection {
		ro := reflection.ServerOptions{Services: s, DescriptorResolver: d.Files, ExtensionResolver: d.Types}
		reflectionv1.RegisterServerReflectionServer(s, reflection.NewServerV1(ro))
		reflectionv1alpha.RegisterServerReflectionServer(s, reflection.NewServer(ro))
	}
	go func() { _ = s.Serve(lis) }()
	return &Server{Addr: lis.Addr().String(), Backend: b, grpc: s}, nil
}

// Stop stops the server at once, ending open calls.
func (s *Server) Stop() { s.grpc.Stop() }

// codec is the proto codec with the API's types as the resolver, so that
// requests keep their extensions as fields rather than unknown bytes.
type codec struct{ types *protoregistry.Types }

var _ encoding.Codec = codec{}

func (codec) Marshal(v any) ([]byte, error) {
	m, ok := v.(proto.Message)
	if !ok {
		return nil, fmt.Errorf("kitchensink codec: %T is not a proto.Message", v)
	}
	return proto.Marshal(m)
}

func (c codec) Unmarshal(data []byte, v any) error {
	m, ok := v.(proto.Message)
	if !ok {
		return fmt.Errorf("kitchensink codec: %T is not a proto.Message", v)
	}
	return proto.UnmarshalOptions{Resolver: c.types}.Unmarshal(data, m)
}

func (codec) Name() string { return "proto" }
