package sseclient

import (
	"context"
	"fmt"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/ssegw/ssegw/internal/pbjson"
)

// Conn calls the methods of a gRPC service through an ssegw gateway:
// server-streaming methods over Server-Sent Events, and unary methods as
// JSON (see [Conn.Invoke]). It implements grpc.ClientConnInterface, so the
// generated client of the service works unmodified:
//
//	conn, err := sseclient.NewConn("http://127.0.0.1:8080")
//	...
//	stream, err := demov1.NewDemoServiceClient(conn).Sequence(ctx, req)
//
// A call is routed by the method's google.api.http rule, found in the
// descriptor of the method (from [WithFiles], the global registry, or the
// file of the request's type), or else by the gateway's default route
// GET /<package.Service>/<Method>. The request travels as protojson in the
// URL (or as a POST body), with its fields filled into the path.
//
// The stream's RecvMsg behaves like [Stream.Recv]: typed messages, io.EOF
// after the gateway's "end" event, and gRPC status errors with code,
// message and details intact for "error" events and failed responses.
// When the method's stream option (or [WithMethodOptions]) shapes its
// events (ssegw.v1.Shape), RecvMsg still returns whole response messages,
// rebuilt from each event's name and data, and the shape's sentinel ends
// the stream as "end" does.
// Outgoing metadata of the call's context is sent as request headers
// (the gateway forwards those on its allowlist, by default
// Authorization). Header returns the response headers as metadata with
// lower-case keys, and Trailer the trailers of the "end" or "error" event;
// grpc.Header and grpc.Trailer call options are honoured, as is
// grpc.MaxCallRecvMsgSize, which limits the event size. Options for one
// call are passed with [PerCall].
//
// A unary call goes to the route the gateway serves for it, from the
// method's google.api.http rule (any verb) or its default route
// POST /<package.Service>/<Method>, and its answer is decoded from JSON.
// Client-streaming and bidirectional methods are not served by the
// gateway; calling them returns an Unimplemented status error. A Conn is
// safe for concurrent use; it owns no goroutines and needs no closing.
type Conn struct {
	cfg      config
	resolver typeResolver
	plans    *pbjson.DecodePlans // how to decode each message type, compiled once
}

var _ grpc.ClientConnInterface = (*Conn)(nil)

// NewConn returns a Conn for the gateway at baseURL, such as
// "http://127.0.0.1:8080" (a path is a prefix of every route). As for
// [New], baseURL may be empty when the address is given by parts. The
// options are the defaults of every call.
func NewConn(baseURL string, opts ...Option) (*Conn, error) {
	cfg, err := newConfig(baseURL, opts)
	if err != nil {
		return nil, err
	}
	if cfg.addr.Host == "" {
		return nil, fmt.Errorf("sseclient: %w", errNoAddress)
	}
	return &Conn{cfg: cfg, resolver: newResolver(cfg.files), plans: pbjson.NewDecodePlans()}, nil
}

// NewStream starts a call of a server-streaming method. It does not
// connect: the request is sent when the stream's RecvMsg or Header is
// first called, after SendMsg has given the request message, as the
// generated client code does. Client-streaming and bidirectional methods
// get an Unimplemented status error.
func (c *Conn) NewStream(ctx context.Context, desc *grpc.StreamDesc, method string, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	if desc == nil || desc.ClientStreams || !desc.ServerStreams {
		return nil, status.Errorf(codes.Unimplemented, "sseclient: %s is not a server-streaming method; only server-streaming methods can be called over Server-Sent Events", method)
	}
	s := &clientStream{ctx: ctx, method: method, plans: c.plans}
	var callOpts []Option
	for _, o := range opts {
		switch o := o.(type) {
		case callOption:
			callOpts = append(callOpts, o.opts...)
		case grpc.HeaderCallOption:
			s.headerAddrs = append(s.headerAddrs, o.HeaderAddr)
		case grpc.TrailerCallOption:
			s.trailerAddrs = append(s.trailerAddrs, o.TrailerAddr)
		case grpc.MaxRecvMsgSizeCallOption:
			callOpts = append(callOpts, WithMaxEventSize(o.MaxRecvMsgSize))
		}
	}
	s.cfg = c.cfg.with(callOpts)
	s.resolver = c.resolver
	if len(s.cfg.files) != len(c.cfg.files) {
		s.resolver = newResolver(s.cfg.files)
	}
	return s, nil
}

// callOption carries options for one call of a Conn.
type callOption struct {
	grpc.EmptyCallOption
	opts []Option
}

// PerCall returns a grpc.CallOption that applies opts to one call made
// through a [Conn], such as a starting last event ID:
//
//	client.Sequence(ctx, req, sseclient.PerCall(sseclient.WithLastEventID("42")))
func PerCall(opts ...Option) grpc.CallOption {
	return callOption{opts: opts}
}

// clientStream is the grpc.ClientStream of a Conn call.
type clientStream struct {
	ctx          context.Context
	method       string
	cfg          config
	resolver     typeResolver
	plans        *pbjson.DecodePlans
	headerAddrs  []*metadata.MD
	trailerAddrs []*metadata.MD

	mu   sync.Mutex
	sent bool
	ms   *msgStream
	// shape rebuilds whole messages from shaped events; nil when events
	// are whole messages. buf holds a rebuilt message's JSON.
	shape *shape
	buf   []byte

	startOnce sync.Once
	header    metadata.MD
	startErr  error

	trailerOnce sync.Once
}

// SendMsg takes the request message and prepares the HTTP request; it
// must be called once. Errors are status errors: InvalidArgument when the
// request does not fit any route of the method.
func (s *clientStream) SendMsg(m any) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sent {
		return internalError("sseclient: %s: SendMsg called twice on a server-streaming call", s.method)
	}
	s.sent = true
	req, ok := m.(proto.Message)
	if !ok {
		return internalError("sseclient: %s: the request, a %T, is not a protobuf message", s.method, m)
	}
	md := findMethod(s.method, req, s.cfg.files)
	plan, err := planRequest(s.method, md, req, &s.cfg)
	if err != nil {
		return err
	}
	if md != nil {
		if s.shape, err = shapeOf(md, s.cfg.methodOptions[md.FullName()]); err != nil {
			return internalError("sseclient: %s: the shape of its events: %v", s.method, err)
		}
	}
	cfg := s.cfg
	cfg.method = plan.method
	if plan.body != nil {
		ct := "application/json"
		if len(plan.body) == 0 {
			ct = ""
		}
		cfg = cfg.with([]Option{WithBody(ct, plan.body)})
	}
	if out, ok := metadata.FromOutgoingContext(s.ctx); ok && len(out) > 0 {
		cfg.header = cfg.header.Clone()
		if cfg.header == nil {
			cfg.header = make(map[string][]string)
		}
		addMetadataHeaders(cfg.header, out)
	}
	es, err := newEventStream(s.ctx, cfg, plan.target, s.resolver)
	if err != nil {
		return status.Error(codes.InvalidArgument, err.Error())
	}
	s.ms = newMsgStream(es, s.resolver, s.plans)
	s.ms.sentinel = cfg.sentinel
	if s.shape != nil && s.shape.sentinel != nil {
		s.ms.sentinel = s.shape.sentinel
	}
	return nil
}

// CloseSend does nothing: the request was complete with SendMsg.
func (s *clientStream) CloseSend() error { return nil }

// Context returns the call's context.
func (s *clientStream) Context() context.Context { return s.ctx }

// started connects on first use and returns the message stream.
func (s *clientStream) started() (*msgStream, error) {
	s.mu.Lock()
	ms := s.ms
	s.mu.Unlock()
	if ms == nil {
		return nil, internalError("sseclient: %s: the stream was read before SendMsg gave the request", s.method)
	}
	s.startOnce.Do(func() {
		if err := ms.start(); err != nil {
			s.startErr = err
			s.deliverTrailer(ms)
			return
		}
		s.header = headerMetadata(ms.es.Header())
		for _, p := range s.headerAddrs {
			*p = s.header.Copy()
		}
	})
	return ms, s.startErr
}

// Header returns the response headers as metadata with lower-case keys,
// connecting first if needed. It returns the call's status error when the
// stream could not start.
func (s *clientStream) Header() (metadata.MD, error) {
	if _, err := s.started(); err != nil {
		return nil, err
	}
	return s.header.Copy(), nil
}

// Trailer returns the trailers of the "end" or "error" event, once RecvMsg
// has returned io.EOF or an error.
func (s *clientStream) Trailer() metadata.MD {
	s.mu.Lock()
	ms := s.ms
	s.mu.Unlock()
	if ms == nil {
		return nil
	}
	return ms.trailers()
}

// RecvMsg decodes the next message into m.
func (s *clientStream) RecvMsg(m any) error {
	ms, err := s.started()
	if err != nil {
		return err
	}
	ev, err := ms.next()
	if err == nil {
		msg, ok := m.(proto.Message)
		if !ok {
			ms.fail(internalError("sseclient: %s: cannot receive into a %T, which is not a protobuf message", s.method, m))
			err = ms.err
		} else {
			if s.shape != nil {
				// A shaped event: the whole message, rebuilt.
				s.buf = s.shape.whole(s.buf[:0], ev)
				ev.Data = s.buf
			}
			err = ms.decode(ev, msg)
		}
	}
	if err != nil {
		s.deliverTrailer(ms)
	}
	return err
}

// deliverTrailer fills the grpc.Trailer call options once the stream has
// ended.
func (s *clientStream) deliverTrailer(ms *msgStream) {
	s.trailerOnce.Do(func() {
		tr := ms.trailers()
		for _, p := range s.trailerAddrs {
			*p = tr
		}
	})
}
