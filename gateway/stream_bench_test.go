package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/encoding"
	grpcproto "google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoregistry"

	demov1 "github.com/ssegw/ssegw/gen/examples/demo/v1"
	"github.com/ssegw/ssegw/sse"
)

// Microbenchmarks of the gateway's hot path, without a network: request
// building, the per-message path (RecvMsg → protojson → SSE event →
// write), and event writing. cmd/ssebench measures the whole path over
// loopback against direct gRPC and grpc-gateway.

// benchConn is a backend connection whose streams deliver the same
// message count times, and then end. Each message is handed to the call's
// codec as gRPC hands it a received message.
type benchConn struct {
	wire  []byte
	count int
}

func (c *benchConn) Invoke(context.Context, string, any, any, ...grpc.CallOption) error {
	return errors.New("benchConn: unary calls are not supported")
}

func (c *benchConn) NewStream(ctx context.Context, _ *grpc.StreamDesc, _ string, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	codec := encoding.GetCodecV2(grpcproto.Name)
	for _, o := range opts {
		if force, ok := o.(grpc.ForceCodecV2CallOption); ok {
			codec = force.CodecV2
		}
	}
	data := mem.BufferSlice{mem.SliceBuffer(c.wire)}
	return &benchStream{ctx: ctx, data: data, left: c.count, codec: codec}, nil
}

type benchStream struct {
	ctx   context.Context
	data  mem.BufferSlice
	left  int
	codec encoding.CodecV2
}

func (s *benchStream) Header() (metadata.MD, error) { return metadata.MD{}, nil }
func (s *benchStream) Trailer() metadata.MD         { return nil }
func (s *benchStream) CloseSend() error             { return nil }
func (s *benchStream) Context() context.Context     { return s.ctx }
func (s *benchStream) SendMsg(any) error            { return nil }

func (s *benchStream) RecvMsg(m any) error {
	if err := s.ctx.Err(); err != nil {
		return err
	}
	if s.left == 0 {
		return io.EOF
	}
	s.left--
	return s.codec.Unmarshal(s.data, m)
}

// discardResponse is a ResponseWriter that counts and drops what it is
// given, as a fast client would take it.
type discardResponse struct {
	header http.Header
	n      int64
}

func (d *discardResponse) Header() http.Header              { return d.header }
func (d *discardResponse) WriteHeader(int)                  {}
func (d *discardResponse) Flush()                           {}
func (d *discardResponse) SetWriteDeadline(time.Time) error { return nil }

func (d *discardResponse) Write(p []byte) (int, error) {
	d.n += int64(len(p))
	return len(p), nil
}

func newBenchGateway(b *testing.B, conn grpc.ClientConnInterface) *Gateway {
	b.Helper()
	g, err := New(context.Background(), conn, WithFiles(demov1.File_examples_demo_v1_demo_proto))
	if err != nil {
		b.Fatal(err)
	}
	return g
}

// benchTypes are the two ways a gateway knows the demo's messages: as the
// Go types compiled in, or as a sidecar does, from descriptors only (here
// a copy of the compiled-in file, so that the messages are dynamic).
func benchTypes(b *testing.B) map[string]Option {
	b.Helper()
	copied, err := protodesc.NewFile(protodesc.ToFileDescriptorProto(demov1.File_examples_demo_v1_demo_proto), protoregistry.GlobalFiles)
	if err != nil {
		b.Fatal(err)
	}
	return map[string]Option{
		"generated": WithFiles(demov1.File_examples_demo_v1_demo_proto),
		"dynamic":   WithFiles(copied),
	}
}

// sequenceRoute returns the route GET /v1/{name=streams/*}/events.
func sequenceRoute(b *testing.B, g *Gateway) *route {
	b.Helper()
	for _, rt := range g.routes {
		if rt.HTTPMethod == http.MethodGet && rt.Path == "/v1/{name=streams/*}/events" {
			return rt
		}
	}
	b.Fatal("no route for Sequence")
	return nil
}

func BenchmarkBuildRequest(b *testing.B) {
	g := newBenchGateway(b, &benchConn{})
	rt := sequenceRoute(b, g)
	r := httptest.NewRequest(http.MethodGet, "/v1/streams/orders/events?last_seq=100&interval=0.5s", nil)
	r.Header.Set("Last-Event-ID", "41")
	r.Header.Set("Authorization", "Bearer t0k3n")
	params := map[string]string{"name": "streams/orders"}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := g.buildRequest(rt, r, params, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMessagePath streams b.N backend messages through the gateway to
// a client that takes everything at once; one op is one message: the
// codec, JSON, the SSE event with its id, and the write. Messages are
// ready back to back, so the gateway receives ahead and batches its
// writes, as it does under load. The messages are dynamic (as a sidecar
// sees them) or of the Go types compiled in.
func BenchmarkMessagePath(b *testing.B) {
	types := benchTypes(b)
	for _, kind := range []string{"dynamic", "generated"} {
		for _, size := range []int{100, 4096} {
			b.Run(fmt.Sprintf("%s/%dB", kind, size), func(b *testing.B) {
				conn := &benchConn{wire: benchMessage(b, size), count: b.N}
				g, err := New(context.Background(), conn, types[kind])
				if err != nil {
					b.Fatal(err)
				}
				r := httptest.NewRequest(http.MethodGet, "/v1/streams/orders/events", nil)
				w := &discardResponse{header: http.Header{}}
				b.ReportAllocs()
				b.SetBytes(int64(size))
				b.ResetTimer()
				g.ServeHTTP(w, r)
				b.StopTimer()
				if w.n < int64(b.N*size) {
					b.Fatalf("%d bytes written for %d messages of %d bytes", w.n, b.N, size)
				}
			})
		}
	}
}

// BenchmarkMessagePathLoopback is BenchmarkMessagePath over a loopback
// connection, read by a client as fast as it can: flushes are system calls
// here, and the client wakes up for each write.
func BenchmarkMessagePathLoopback(b *testing.B) {
	for _, size := range []int{100, 4096} {
		b.Run(fmt.Sprintf("%dB", size), func(b *testing.B) {
			conn := &benchConn{wire: benchMessage(b, size), count: b.N}
			srv := httptest.NewServer(newBenchGateway(b, conn))
			defer srv.Close()
			client := &http.Client{Transport: &http.Transport{}}
			defer client.CloseIdleConnections()
			b.ReportAllocs()
			b.SetBytes(int64(size))
			b.ResetTimer()
			resp, err := client.Get(srv.URL + "/v1/streams/orders/events")
			if err != nil {
				b.Fatal(err)
			}
			n, err := io.Copy(io.Discard, resp.Body)
			b.StopTimer()
			resp.Body.Close()
			if err != nil || n < int64(b.N*size) {
				b.Fatalf("%d bytes read (%v) for %d messages of %d bytes", n, err, b.N, size)
			}
		})
	}
}

// BenchmarkEventWrite writes an event whose data is marshalled already,
// flushing every event or, as when more are ready, every 16th.
func BenchmarkEventWrite(b *testing.B) {
	g := newBenchGateway(b, &benchConn{})
	data := []byte(`{"name":"streams/orders","seq":"123456","payload":"streams/orders/123456/8c20c5213410db9f"}`)
	for _, tc := range []struct {
		name  string
		every int
	}{{"flush each", 1}, {"flush every 16th", 16}} {
		b.Run(tc.name, func(b *testing.B) {
			w := &discardResponse{header: http.Header{}}
			sr := &streamRecord{g: g}
			ew := newEventWriter(w, nil, func(error) {}, 0, "", sr)
			defer ew.close()
			ev := sse.Event{ID: "123456", Data: data}
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			i := 0
			for b.Loop() {
				i++
				if err := ew.send(&ev, i%tc.every != 0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// benchMessage returns the wire form of a SequenceEvent whose JSON is about
// size bytes.
func benchMessage(b *testing.B, size int) []byte {
	b.Helper()
	msg := &demov1.SequenceEvent{Name: "streams/orders", Seq: 123456}
	msg.Payload = strings.Repeat("x", max(size-len(`{"name":"streams/orders","seq":"123456","payload":""}`), 0))
	wire, err := proto.Marshal(msg)
	if err != nil {
		b.Fatal(err)
	}
	return wire
}
