package browsertest

import (
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/ssegw/ssegw/gateway"
	"github.com/ssegw/ssegw/internal/demo"
)

// browser starts a headless Chromium for one test and returns a context
// for chromedp actions in a fresh tab.
func browser(t *testing.T) context.Context {
	t.Helper()
	path := os.Getenv("SSEGW_CHROMIUM")
	if path == "" {
		found, err := exec.LookPath("chromium")
		if err != nil {
			if os.Getenv("SSEGW_REQUIRE_CHROMIUM") == "1" {
				t.Fatal("chromium is required (SSEGW_REQUIRE_CHROMIUM=1) but not installed: apt-get install chromium")
			}
			t.Skip("chromium not installed (apt-get install chromium); skipping browser tests")
		}
		path = found
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(allocCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(func() {
		cancelTimeout()
		cancelTab()
		cancelAlloc()
	})
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	return ctx
}

// call is what the backend saw of one call.
type call struct {
	method string
	md     metadata.MD
}

// backend is the demo backend on a loopback port, recording its calls.
type backend struct {
	conn  *grpc.ClientConn
	mu    sync.Mutex
	calls []call
}

func startBackend(t *testing.T) *backend {
	t.Helper()
	b := &backend{}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	record := func(ctx context.Context, method string) {
		if !strings.HasPrefix(method, "/grpc.") {
			md, _ := metadata.FromIncomingContext(ctx)
			b.mu.Lock()
			b.calls = append(b.calls, call{method: method, md: md})
			b.mu.Unlock()
		}
	}
	srv := demo.NewServer(
		grpc.StreamInterceptor(func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
			record(ss.Context(), info.FullMethod)
			return handler(srv, ss)
		}),
		grpc.UnaryInterceptor(func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
			record(ctx, info.FullMethod)
			return handler(ctx, req)
		}))
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	b.conn, err = grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.conn.Close() })
	return b
}

// callsTo returns the calls the backend received for a method, e.g.
// "Sequence".
func (b *backend) callsTo(method string) []call {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []call
	for _, c := range b.calls {
		if strings.HasSuffix(c.method, "/"+method) {
			out = append(out, c)
		}
	}
	return out
}

func newGateway(t *testing.T, b *backend, opts ...gateway.Option) *gateway.Gateway {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	gw, err := gateway.New(ctx, b.conn, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return gw
}

// server is an HTTP server on a loopback address that can be stopped and
// started again on the same address.
type server struct {
	t       *testing.T
	addr    string
	handler http.Handler
	srv     *http.Server
}

func startServer(t *testing.T, h http.Handler) *server {
	t.Helper()
	s := &server{t: t, addr: "127.0.0.1:0", handler: h}
	s.start()
	t.Cleanup(s.stop)
	return s
}

func (s *server) start() {
	s.t.Helper()
	lis, err := net.Listen("tcp", s.addr)
	if err != nil {
		s.t.Fatal(err)
	}
	s.addr = lis.Addr().String()
	s.srv = &http.Server{Handler: s.handler}
	go func() { _ = s.srv.Serve(lis) }()
}

// stop closes the listener and every connection, as a crashed process
// would.
func (s *server) stop() { _ = s.srv.Close() }

func (s *server) url() string { return "http://" + s.addr }

// page serves an HTML page at /page.html and everything else with next.
func page(html string, next http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /page.html", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(html))
	})
	if next != nil {
		mux.Handle("/", next)
	}
	return mux
}

// waitFor polls a JavaScript condition in the page until it is true.
func waitFor(t *testing.T, ctx context.Context, what, js string) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		state, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify(window.report ? window.report() : document.body.innerText).slice(0, 2000)`))
		t.Fatalf("waiting for %s (%s): %v; page: %s", what, js, err, state)
	}
}

// evaluate runs a JavaScript expression in the page and decodes its value.
func evaluate[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("evaluating %s: %v", js, err)
	}
	return v
}
