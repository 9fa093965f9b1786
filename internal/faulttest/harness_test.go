package faulttest

import (
	"context"
	"net"
	"net/http"
	"testing"
	"time"

	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/ssegw/ssegw/gateway"
	demov1 "github.com/ssegw/ssegw/gen/examples/demo/v1"
	"github.com/ssegw/ssegw/internal/demo"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// toxiproxy's stages hand chunks on over channels with no way
		// out when the other end is gone (a connection cut by a toxic,
		// or closed by its peer first), so a stopped proxy may leave
		// some of them blocked: goroutines of toxiproxy's own, holding
		// no connection. A proxy left running would still show its
		// connections' readers and writers.
		goleak.IgnoreAnyFunction("github.com/Shopify/toxiproxy/v2/toxics.(*ToxicStub).Run"),
		goleak.IgnoreTopFunction("github.com/Shopify/toxiproxy/v2/stream.(*ChanWriter).Write"),
	)
}

// backend is the demo backend on a fixed loopback address that can be
// stopped and started again there.
type backend struct {
	t    *testing.T
	addr string
	srv  *grpc.Server
}

func newBackend(t *testing.T) *backend {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &backend{t: t, addr: lis.Addr().String()}
	lis.Close()
	t.Cleanup(b.stop)
	return b
}

func (b *backend) start() {
	b.t.Helper()
	var lis net.Listener
	var err error
	for range 100 { // the port may linger for a moment after a stop
		if lis, err = net.Listen("tcp", b.addr); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil {
		b.t.Fatal(err)
	}
	b.srv = demo.NewServer()
	go func() { _ = b.srv.Serve(lis) }()
}

// stop kills the backend: connections are closed, streams fail.
func (b *backend) stop() {
	if b.srv != nil {
		b.srv.Stop()
		b.srv = nil
	}
}

// newGateway serves a gateway for the backend at addr on a loopback port.
func newGateway(t *testing.T, addr string) *replica {
	t.Helper()
	return serveGateway(t, dialBackend(t, addr))
}

// dialBackend returns a client connection to the backend at addr, closed
// when the test ends.
func dialBackend(t *testing.T, addr string, opts ...grpc.DialOption) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(addr, append([]grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// serveGateway serves a gateway for the demo service on conn, on a
// loopback port. opts come after the defaults of the fault tests (a retry
// hint of 50ms).
func serveGateway(t *testing.T, conn *grpc.ClientConn, opts ...gateway.Option) *replica {
	t.Helper()
	gw, err := gateway.New(context.Background(), conn, append([]gateway.Option{
		gateway.WithFiles(demov1.File_examples_demo_v1_demo_proto),
		gateway.WithRetry(50 * time.Millisecond),
	}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &replica{addr: lis.Addr().String(), srv: &http.Server{Handler: gw}}
	go func() { _ = r.srv.Serve(lis) }()
	t.Cleanup(r.kill)
	return r
}

// replica is one gateway process's HTTP server.
type replica struct {
	addr string
	srv  *http.Server
}

// kill closes the listener and every connection at once, as a crash
// would: no drain, no end events.
func (r *replica) kill() { _ = r.srv.Close() }

func (r *replica) url() string { return "http://" + r.addr }
