package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"

	gwruntime "github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/grpclog"

	"github.com/ssegw/ssegw/gateway"
	benchv1 "github.com/ssegw/ssegw/gen/bench/v1"
)

// The environment of a child process: its role and its arguments (JSON).
const (
	envRole = "SSEBENCH_ROLE"
	envArgs = "SSEBENCH_ARGS"
)

// The roles of child processes.
const (
	roleBackend       = "backend"        // the gRPC backend
	roleSSEGW         = "ssegw"          // ssegw in front of the backend, as deployed: descriptors from a descriptor set
	roleSSEGWCompiled = "ssegw-compiled" // ssegw with the bench proto's Go types compiled in
	roleGRPCGW        = "grpc-gateway"   // grpc-gateway in front of the backend
	roleFloor         = "floor"          // the least a net/http gateway holds per stream
	roleClients       = "clients"        // idle stream clients of the density scenario
)

// childArgs are the arguments of a child process.
type childArgs struct {
	Backend string `json:"backend,omitempty"` // the backend's address, for gateways
	// DescriptorSet is the bench proto's descriptor set file, which the
	// ssegw role serves from.
	DescriptorSet string        `json:"descriptor_set,omitempty"`
	Heartbeat     time.Duration `json:"heartbeat,omitempty"` // ssegw's heartbeat period
	NoFile        uint64        `json:"nofile,omitempty"`    // open files wanted
	CPUProfile    string        `json:"cpuprofile,omitempty"`
	MemProfile    string        `json:"memprofile,omitempty"`
}

// hello is the first line a child writes.
type hello struct {
	Addr   string `json:"addr,omitempty"` // where a server child listens
	NoFile uint64 `json:"nofile"`         // its open-file limit
	PID    int    `json:"pid"`
}

// request is a command from the parent, one JSON line on the child's
// standard input; the child answers each with one reply line.
type request struct {
	Op     string     `json:"op"`               // stats, quit, or a role's own
	Settle bool       `json:"settle,omitempty"` // stats: collect garbage first
	Path   string     `json:"path,omitempty"`   // heap: where to write the profile
	T3     *t3Request `json:"t3,omitempty"`
	T5     *t5Request `json:"t5,omitempty"`
}

// reply answers a request.
type reply struct {
	Error string   `json:"error,omitempty"`
	Stats *Stats   `json:"stats,omitempty"`
	T3    *t3Reply `json:"t3,omitempty"`
	T5    *t5Reply `json:"t5,omitempty"`
	Feeds int64    `json:"feeds,omitempty"` // the backend's open Feed calls
}

// MaybeRunChild runs the child process role named in the environment, if
// any, and then exits the process; otherwise it returns at once. The bench
// command's main function, and the TestMain of its tests, call it first.
func MaybeRunChild() {
	role := os.Getenv(envRole)
	if role == "" {
		return
	}
	if err := runChild(role, os.Getenv(envArgs), os.Stdin, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "ssebench %s: %v\n", role, err)
		os.Exit(1)
	}
	os.Exit(0)
}

// runChild serves one role: it starts what the role runs, writes a hello
// line, and then answers requests until "quit" or the end of its input,
// which also comes when the parent dies.
func runChild(role, rawArgs string, in io.Reader, out io.Writer) error {
	var args childArgs
	if rawArgs != "" {
		if err := json.Unmarshal([]byte(rawArgs), &args); err != nil {
			return fmt.Errorf("arguments: %w", err)
		}
	}
	h := hello{PID: os.Getpid(), NoFile: raiseOpenFileLimit(max(args.NoFile, 1024))}
	// Clients that go away make grpc-gateway log every failed write.
	grpclog.SetLoggerV2(grpclog.NewLoggerV2(io.Discard, io.Discard, io.Discard))
	if args.CPUProfile != "" {
		f, err := os.Create(args.CPUProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	var handle func(request) reply
	var shutdown func()
	switch role {
	case roleBackend:
		lis, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		srv, backend := newBackendServer()
		go func() { _ = srv.Serve(lis) }()
		h.Addr, shutdown = lis.Addr().String(), srv.Stop
		handle = func(req request) reply {
			if req.Op == "feeds" {
				return reply{Feeds: backend.OpenFeeds()}
			}
			return reply{Error: fmt.Sprintf("unknown request %q", req.Op)}
		}
	case roleSSEGW, roleSSEGWCompiled, roleGRPCGW, roleFloor:
		addr, stop, err := serveGateway(ctx, role, args)
		if err != nil {
			return err
		}
		h.Addr, shutdown = addr, stop
	case roleClients:
		w3, w5 := &t3Worker{}, &t5Worker{}
		handle = func(req request) reply {
			if strings.HasPrefix(req.Op, "t5") {
				return w5.handle(req)
			}
			return w3.handle(req)
		}
		shutdown = func() {
			w3.closeAll()
			w5.closeAll()
		}
	default:
		return fmt.Errorf("unknown role %q", role)
	}
	defer shutdown()

	enc := json.NewEncoder(out)
	if err := enc.Encode(h); err != nil {
		return err
	}
	dec := json.NewDecoder(bufio.NewReader(in))
	for {
		var req request
		if err := dec.Decode(&req); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return err
		}
		var rep reply
		switch req.Op {
		case "quit":
			return writeMemProfile(args.MemProfile)
		case "stats":
			s := readStats(req.Settle)
			rep.Stats = &s
		case "heap":
			if err := writeHeapProfile(req.Path); err != nil {
				rep.Error = err.Error()
			}
		default:
			if handle == nil {
				rep.Error = fmt.Sprintf("unknown request %q", req.Op)
			} else {
				rep = handle(req)
			}
		}
		if err := enc.Encode(rep); err != nil {
			return err
		}
	}
	return writeMemProfile(args.MemProfile)
}

// writeMemProfile writes a heap profile to path, if it is not empty.
func writeMemProfile(path string) error {
	if path == "" {
		return nil
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	runtime.GC()
	return pprof.Lookup("allocs").WriteTo(f, 0)
}

// writeHeapProfile writes a profile of the live heap to path.
func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	runtime.GC()
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// serveGateway serves the role's gateway in front of the backend on a
// loopback port, over HTTP/1.1 and unencrypted HTTP/2.
func serveGateway(ctx context.Context, role string, args childArgs) (addr string, stop func(), err error) {
	conn, err := grpc.NewClient(args.Backend, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return "", nil, err
	}
	var h http.Handler
	switch role {
	case roleSSEGW, roleSSEGWCompiled:
		// Deployed, the gateway reads descriptors (here from a descriptor
		// set), and its messages are dynamic; compiled in, they are the
		// program's generated types.
		source := gateway.WithFiles(benchv1.File_bench_v1_bench_proto)
		if role == roleSSEGW {
			if args.DescriptorSet == "" {
				conn.Close()
				return "", nil, errors.New("no descriptor set to serve from")
			}
			source = gateway.WithDescriptorSetFile(args.DescriptorSet)
		}
		opts := []gateway.Option{source}
		if args.Heartbeat > 0 {
			opts = append(opts, gateway.WithHeartbeat(args.Heartbeat))
		}
		gw, err := gateway.New(ctx, conn, opts...)
		if err != nil {
			conn.Close()
			return "", nil, err
		}
		h = gw
	case roleFloor:
		h = floorHandler(benchv1.NewBenchServiceClient(conn))
	default:
		mux := gwruntime.NewServeMux()
		if err := benchv1.RegisterBenchServiceHandlerClient(ctx, mux, benchv1.NewBenchServiceClient(conn)); err != nil {
			conn.Close()
			return "", nil, err
		}
		h = mux
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		conn.Close()
		return "", nil, err
	}
	srv := newHTTPServer(h)
	go func() { _ = srv.Serve(lis) }()
	return lis.Addr().String(), func() {
		_ = srv.Close()
		_ = conn.Close()
	}, nil
}

// newHTTPServer returns the server both gateways are served with: the
// same settings for each, HTTP/1.1 and unencrypted HTTP/2.
func newHTTPServer(h http.Handler) *http.Server {
	var protocols http.Protocols
	protocols.SetHTTP1(true)
	protocols.SetUnencryptedHTTP2(true)
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		Protocols:         &protocols,
	}
}

// floorHandler serves the density scenario's streams with nothing but what
// any gateway built on net/http and grpc-go holds for a stream: the
// request, its response, and a backend stream that the handler waits on.
// Each message becomes an empty event; the request's parameters are
// ignored, and the stream is the idle one of the density scenario.
func floorHandler(client benchv1.BenchServiceClient) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cs, err := client.Stream(r.Context(), &benchv1.StreamRequest{PayloadSize: 100, Count: 1, Hold: true})
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		rc := http.NewResponseController(w)
		var m benchv1.StreamMessage
		for cs.RecvMsg(&m) == nil {
			if _, err := io.WriteString(w, "data: {}\n\n"); err != nil {
				return
			}
			if rc.Flush() != nil {
				return
			}
		}
	})
}
