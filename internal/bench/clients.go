package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/ssegw/ssegw/gateway"
	benchv1 "github.com/ssegw/ssegw/gen/bench/v1"
	"github.com/ssegw/ssegw/sse"
	"github.com/ssegw/ssegw/sseclient"
)

// streamPath is the HTTP route of BenchService.Stream on both gateways.
const streamPath = "/v1/bench/stream"

// System IDs, as they appear in JSON results.
const (
	sysDirect        = "direct"
	sysSSEGW         = "ssegw"          // descriptors from a descriptor set, events decoded
	sysSSEGWCompiled = "ssegw-compiled" // Go types compiled in, events decoded
	sysSSERaw        = "ssegw-raw"      // descriptors from a descriptor set, events not decoded
	sysSSEClient     = "ssegw-sseclient"
	sysGRPCGW        = "grpc-gateway"
	sysFloor         = "floor"
)

// systemNames are the names of the systems in tables and plots.
var systemNames = map[string]string{
	sysDirect:        "direct gRPC",
	sysSSEGW:         "ssegw (sse.Reader)",
	sysSSEGWCompiled: "ssegw (compiled-in)",
	sysSSERaw:        "ssegw (raw SSE)",
	sysSSEClient:     "ssegw (sseclient)",
	sysGRPCGW:        "grpc-gateway",
	sysFloor:         "floor: net/http + gRPC",
	sysCentrifugo:    "Centrifugo v6 (uni_sse)",
}

// msgStream is one open stream of BenchService.Stream, however it is
// reached.
type msgStream interface {
	// Recv decodes the next message into m, which it resets first. It
	// returns io.EOF when the stream has ended normally.
	Recv(m *benchv1.StreamMessage) error
	// Finish reads the rest of a stream that has ended, so that its
	// connection can be reused, and releases it.
	Finish()
	// Close abandons the stream.
	Close()
}

// system is one way to reach the backend: directly, or through a gateway
// with some client.
type system struct {
	id   string
	gw   *child // the gateway process; nil for direct gRPC
	base string // the gateway's base URL

	// open opens a stream. With fresh, it is opened on a new connection
	// that is closed with the stream.
	open func(ctx context.Context, req *benchv1.StreamRequest, fresh bool) (msgStream, error)
	// t1Only says that the system takes part in T1 only: its streams
	// do not decode messages, or it is a variant of another system's
	// gateway.
	t1Only bool
	// idle closes the system's idle connections; nil when it has none.
	idle func()
}

func (s *system) name() string { return systemNames[s.id] }

// closeIdle closes the connections the system keeps open between streams.
func (s *system) closeIdle() {
	if s.idle != nil {
		s.idle()
	}
}

// newDirectSystem reaches the backend with a gRPC client.
func newDirectSystem(backend string) (*system, func(), error) {
	conn, err := grpc.NewClient(backend, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, nil, err
	}
	client := benchv1.NewBenchServiceClient(conn)
	open := func(ctx context.Context, req *benchv1.StreamRequest, fresh bool) (msgStream, error) {
		ctx, cancel := context.WithCancel(ctx)
		c, cc := client, (*grpc.ClientConn)(nil)
		if fresh {
			var err error
			if cc, err = grpc.NewClient(backend, grpc.WithTransportCredentials(insecure.NewCredentials())); err != nil {
				cancel()
				return nil, err
			}
			c = benchv1.NewBenchServiceClient(cc)
		}
		cs, err := c.Stream(ctx, req)
		if err != nil {
			cancel()
			if cc != nil {
				cc.Close()
			}
			return nil, err
		}
		return &grpcStream{cs: cs, cancel: cancel, conn: cc}, nil
	}
	return &system{id: sysDirect, open: open}, func() { conn.Close() }, nil
}

// grpcStream is a stream of the direct gRPC client.
type grpcStream struct {
	cs     grpc.ServerStreamingClient[benchv1.StreamMessage]
	cancel context.CancelFunc
	conn   *grpc.ClientConn // closed with the stream; nil when shared
}

func (s *grpcStream) Recv(m *benchv1.StreamMessage) error { return s.cs.RecvMsg(m) }

func (s *grpcStream) Finish() {
	var m benchv1.StreamMessage
	for range 1000 {
		if s.cs.RecvMsg(&m) != nil {
			break
		}
	}
	s.Close()
}

func (s *grpcStream) Close() {
	s.cancel()
	if s.conn != nil {
		s.conn.Close()
	}
}

// httpClients are the HTTP clients of one HTTP system: one that keeps
// connections alive, and one that opens a fresh connection per request.
type httpClients struct {
	shared, fresh *http.Client
}

func newHTTPClients() httpClients {
	return httpClients{
		shared: &http.Client{Transport: newHTTPTransport(false, nil)},
		fresh:  &http.Client{Transport: newHTTPTransport(true, nil)},
	}
}

func (hc httpClients) get(fresh bool) *http.Client {
	if fresh {
		return hc.fresh
	}
	return hc.shared
}

func (hc httpClients) close() {
	hc.shared.CloseIdleConnections()
	hc.fresh.CloseIdleConnections()
}

// newHTTPTransport returns the HTTP/1.1 transport of the clients of both
// gateways: no compression, a 64 KiB read buffer, and a connection per
// concurrent stream. dialer, when not nil, dials the connections.
func newHTTPTransport(noKeepAlives bool, dialer *net.Dialer) *http.Transport {
	if dialer == nil {
		dialer = &net.Dialer{Timeout: 10 * time.Second}
	}
	var protocols http.Protocols
	protocols.SetHTTP1(true)
	return &http.Transport{
		DialContext:           dialer.DialContext,
		DisableKeepAlives:     noKeepAlives,
		DisableCompression:    true,
		MaxIdleConns:          4096,
		MaxIdleConnsPerHost:   4096,
		IdleConnTimeout:       30 * time.Second,
		ResponseHeaderTimeout: 10 * time.Second,
		ReadBufferSize:        64 << 10,
		Protocols:             &protocols,
	}
}

// streamQuery encodes req as the query parameters both gateways read.
func streamQuery(req *benchv1.StreamRequest) string {
	q := url.Values{}
	if v := req.GetPayloadSize(); v != 0 {
		q.Set("payload_size", strconv.Itoa(int(v)))
	}
	if v := req.GetRate(); v != 0 {
		q.Set("rate", strconv.FormatFloat(v, 'g', -1, 64))
	}
	if v := req.GetCount(); v != 0 {
		q.Set("count", strconv.FormatInt(v, 10))
	}
	if req.GetHold() {
		q.Set("hold", "true")
	}
	return q.Encode()
}

// get sends a GET for the stream of req to base and checks that the
// answer is 200 with the given media type.
func get(ctx context.Context, hc *http.Client, base string, req *benchv1.StreamRequest, mediaType string) (*http.Response, error) {
	hreq, err := http.NewRequestWithContext(ctx, http.MethodGet, base+streamPath+"?"+streamQuery(req), nil)
	if err != nil {
		return nil, err
	}
	hreq.Header.Set("Accept", mediaType)
	resp, err := hc.Do(hreq)
	if err != nil {
		return nil, err
	}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if resp.StatusCode != http.StatusOK || mt != mediaType {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		resp.Body.Close()
		return nil, fmt.Errorf("GET %s: %s, %s: %s", hreq.URL.Path, resp.Status, resp.Header.Get("Content-Type"), bytes.TrimSpace(body))
	}
	return resp, nil
}

// newSSESystem reaches the backend through the ssegw process gw and reads
// the events with sse.Reader. With decode, it decodes each event's data
// with protojson; without, it only counts the events, as a browser's
// EventSource costs little more than parsing them, and its streams'
// Recv leaves the message alone.
func newSSESystem(id string, gw *child, decode bool) (*system, func()) {
	hc := newHTTPClients()
	base := "http://" + gw.hello.Addr
	open := func(ctx context.Context, req *benchv1.StreamRequest, fresh bool) (msgStream, error) {
		ctx, cancel := context.WithCancel(ctx)
		resp, err := get(ctx, hc.get(fresh), base, req, "text/event-stream")
		if err != nil {
			cancel()
			return nil, err
		}
		return &sseStream{body: resp.Body, r: sse.NewReader(resp.Body), decode: decode, cancel: cancel}, nil
	}
	return &system{id: id, gw: gw, base: base, open: open, idle: hc.close}, hc.close
}

// sseStream is a stream read with sse.Reader.
type sseStream struct {
	body   io.ReadCloser
	r      *sse.Reader
	decode bool // decode each event's data into the message
	cancel context.CancelFunc
}

var jsonIn = protojson.UnmarshalOptions{DiscardUnknown: true}

func (s *sseStream) Recv(m *benchv1.StreamMessage) error {
	for {
		ev, err := s.r.Next()
		if err != nil {
			return err
		}
		switch ev.Event {
		case "":
			if !s.decode {
				return nil
			}
			return jsonIn.Unmarshal(ev.Data, m)
		case gateway.EndEvent:
			return io.EOF
		case gateway.ErrorEvent:
			return fmt.Errorf("error event: %s", ev.Data)
		}
	}
}

func (s *sseStream) Finish() {
	_, _ = io.Copy(io.Discard, io.LimitReader(s.body, 1<<20))
	s.body.Close()
	s.cancel()
}

func (s *sseStream) Close() {
	s.cancel()
	s.body.Close()
}

// newSSEClientSystem reaches the backend through ssegw with sseclient: the
// generated gRPC client of the bench service over an sseclient.Conn.
func newSSEClientSystem(gw *child) (*system, func(), error) {
	hc := newHTTPClients()
	base := "http://" + gw.hello.Addr
	var clients [2]benchv1.BenchServiceClient
	for i, fresh := range []bool{false, true} {
		conn, err := sseclient.NewConn(base, sseclient.WithHTTPClient(hc.get(fresh)))
		if err != nil {
			return nil, nil, err
		}
		clients[i] = benchv1.NewBenchServiceClient(conn)
	}
	open := func(ctx context.Context, req *benchv1.StreamRequest, fresh bool) (msgStream, error) {
		ctx, cancel := context.WithCancel(ctx)
		c := clients[0]
		if fresh {
			c = clients[1]
		}
		cs, err := c.Stream(ctx, req)
		if err != nil {
			cancel()
			return nil, err
		}
		return &grpcStream{cs: cs, cancel: cancel}, nil
	}
	return &system{id: sysSSEClient, gw: gw, base: base, open: open, idle: hc.close}, hc.close, nil
}

// newGRPCGatewaySystem reaches the backend through grpc-gateway and reads
// its newline-delimited JSON, decoding each line with protojson.
func newGRPCGatewaySystem(gw *child) (*system, func()) {
	hc := newHTTPClients()
	base := "http://" + gw.hello.Addr
	open := func(ctx context.Context, req *benchv1.StreamRequest, fresh bool) (msgStream, error) {
		ctx, cancel := context.WithCancel(ctx)
		resp, err := get(ctx, hc.get(fresh), base, req, "application/json")
		if err != nil {
			cancel()
			return nil, err
		}
		return &ndjsonStream{body: resp.Body, br: bufio.NewReaderSize(resp.Body, 64<<10), cancel: cancel}, nil
	}
	return &system{id: sysGRPCGW, gw: gw, base: base, open: open, idle: hc.close}, hc.close
}

// ndjsonStream is a stream of grpc-gateway's newline-delimited JSON.
type ndjsonStream struct {
	body   io.ReadCloser
	br     *bufio.Reader
	long   []byte // a line longer than the buffer
	wrap   benchv1.StreamResult
	cancel context.CancelFunc
}

// resultPrefix starts every line grpc-gateway writes for a message.
var resultPrefix = []byte(`{"result":`)

func (s *ndjsonStream) Recv(m *benchv1.StreamMessage) error {
	line, err := s.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		s.long = append(s.long[:0], line...)
		for errors.Is(err, bufio.ErrBufferFull) {
			line, err = s.br.ReadSlice('\n')
			s.long = append(s.long, line...)
		}
		line = s.long
	}
	if err != nil {
		if errors.Is(err, io.EOF) && len(bytes.TrimSpace(line)) > 0 {
			return io.ErrUnexpectedEOF
		}
		return err
	}
	// A line is {"result":{...}}: decode the inner object straight into
	// m, and anything else, such as {"error":{...}}, with the wrapper.
	line = bytes.TrimSpace(line)
	if inner, ok := bytes.CutPrefix(line, resultPrefix); ok && len(inner) > 0 && inner[len(inner)-1] == '}' {
		return jsonIn.Unmarshal(inner[:len(inner)-1], m)
	}
	if err := jsonIn.Unmarshal(line, &s.wrap); err != nil {
		return fmt.Errorf("grpc-gateway: %s: %w", line, err)
	}
	if s.wrap.Result == nil {
		return fmt.Errorf("grpc-gateway: %s", line)
	}
	proto.Reset(m)
	proto.Merge(m, s.wrap.Result)
	return nil
}

func (s *ndjsonStream) Finish() {
	_, _ = io.Copy(io.Discard, io.LimitReader(s.br, 1<<20))
	s.body.Close()
	s.cancel()
}

func (s *ndjsonStream) Close() {
	s.cancel()
	s.body.Close()
}
