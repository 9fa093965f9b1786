package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/ssegw/ssegw/gateway"
	demov1 "github.com/ssegw/ssegw/gen/examples/demo/v1"
	ssegwv1 "github.com/ssegw/ssegw/gen/ssegw/v1"
	"github.com/ssegw/ssegw/internal/kitchensink"
)

const (
	sequenceRPC  = "/examples.demo.v1.DemoService/Sequence"
	sequenceName = "examples.demo.v1.DemoService.Sequence"
	ticksRPC     = "/examples.demo.v1.DemoService/Ticks"
	ticksName    = "examples.demo.v1.DemoService.Ticks"
)

// share returns the option that shares the demo's Sequence with s.
func shareSequence(s *ssegwv1.Sharing) gateway.Option {
	return gateway.WithSharing(sequenceName, s)
}

func TestSharedStreamOneBackendCall(t *testing.T) {
	for _, proto := range protocols {
		t.Run(proto, func(t *testing.T) {
			conn, rec := startBackend(t)
			reg := prometheus.NewRegistry()
			base := serveH1H2(t, newGateway(t, conn, shareSequence(nil), gateway.WithMetrics(reg)))
			client := clientFor(t, proto)
			const n = 20
			url := base + "/v1/streams/shared/events?interval=0.01s"
			var subs []*stream
			for range n {
				s := subscribe(t, client, url, nil)
				if proto == "h2" && s.resp.ProtoMajor != 2 {
					t.Fatalf("protocol %s", s.resp.Proto)
				}
				subs = append(subs, s)
			}
			// Every subscriber receives the same events, in order.
			var wg sync.WaitGroup
			for _, s := range subs {
				wg.Go(func() { s.seqs(t, 20) })
			}
			wg.Wait()
			if calls := rec.callsOf(sequenceRPC); len(calls) != 1 {
				t.Fatalf("%d backend calls for %d subscribers, want 1", len(calls), n)
			}
			label := `{grpc_method="` + sequenceRPC + `"}`
			got := waitMetric(t, reg, "ssegw_shared_subscribers"+label, n)
			if got["ssegw_shared_streams"+label] != 1 {
				t.Errorf("ssegw_shared_streams = %v, want 1", got["ssegw_shared_streams"+label])
			}
			if fanned, published := got["ssegw_shared_events_fanned_out_total"+label], got["ssegw_shared_events_total"+label]; fanned < n*20 || published < 20 || published > fanned {
				t.Errorf("%v events fanned out of %v published, want at least %d of 20", fanned, published, n*20)
			}
			if joins := got[`ssegw_shared_joins_total{grpc_method="`+sequenceRPC+`",join="live"}`]; joins != n {
				t.Errorf("%v live joins, want %d", joins, n)
			}
		})
	}
}

func TestSharedStreamKeys(t *testing.T) {
	conn, rec := startBackend(t)
	base := startGateway(t, conn, shareSequence(nil))
	get := func(query, token string) *stream {
		h := http.Header{}
		if token != "" {
			h.Set("Authorization", "Bearer "+token)
		}
		s := open(t, "GET", base+"/v1/streams/keys/events?interval=0.01s"+query, h, "")
		s.seqs(t, 1)
		return s
	}
	get("", "alice")
	get("", "alice")
	if n := len(rec.callsOf(sequenceRPC)); n != 1 {
		t.Fatalf("two requests with the same credentials made %d calls, want 1", n)
	}
	get("", "bob")
	get("", "")
	calls := rec.callsOf(sequenceRPC)
	if len(calls) != 3 {
		t.Fatalf("requests with three different credentials made %d calls, want 3", len(calls))
	}
	for i, want := range []string{"Bearer alice", "Bearer bob", ""} {
		if got := strings.Join(calls[i].md.Get("authorization"), ","); got != want {
			t.Errorf("call %d carries authorization %q, want %q", i, got, want)
		}
	}
	get("&last_seq=100", "alice")
	if n := len(rec.callsOf(sequenceRPC)); n != 4 {
		t.Fatalf("a different request made %d calls in all, want 4", n)
	}
	// A resume field in the request itself is part of it; from a
	// Last-Event-ID it is not (TestSharedStreamReplay).
	get("&after_seq=1000", "alice")
	if n := len(rec.callsOf(sequenceRPC)); n != 5 {
		t.Fatalf("a request with after_seq made %d calls in all, want 5", n)
	}

	// A public stream: every caller shares it, and the call carries no
	// caller's credentials.
	pconn, prec := startBackend(t)
	pbase := startGateway(t, pconn, shareSequence(&ssegwv1.Sharing{Public: true}),
		gateway.WithIncomingHeaders("Authorization", "X-Tenant"))
	for _, token := range []string{"alice", "bob", ""} {
		h := http.Header{"X-Tenant": {token}}
		if token != "" {
			h.Set("Authorization", "Bearer "+token)
		}
		open(t, "GET", pbase+"/v1/streams/keys/events?interval=0.01s", h, "").seqs(t, 1)
	}
	calls = prec.callsOf(sequenceRPC)
	if len(calls) != 1 {
		t.Fatalf("a public stream made %d calls for three callers, want 1", len(calls))
	}
	if md := calls[0].md; len(md.Get("authorization")) > 0 || len(md.Get("x-tenant")) > 0 {
		t.Errorf("the public call carries a caller's metadata: %v", md)
	}
}

func TestSharedStreamReplay(t *testing.T) {
	for _, proto := range protocols {
		t.Run(proto, func(t *testing.T) {
			conn, rec := startBackend(t)
			logs := &logBuffer{}
			base := serveH1H2(t, newGateway(t, conn,
				shareSequence(&ssegwv1.Sharing{ReplayEvents: ptr(uint32(50))}),
				gateway.WithAccessLog(slog.New(slog.NewJSONHandler(logs, nil)))))
			client := clientFor(t, proto)
			url := base + "/v1/streams/replay/events?interval=0.005s"
			keeper := subscribe(t, client, url, nil) // keeps the call running
			a := subscribe(t, client, url, nil)
			got := a.seqs(t, 10)
			a.cancel() // the connection drops
			last := got[len(got)-1]
			// Meanwhile the stream goes on.
			for keeper.seqs(t, 1)[0] < last+5 {
			}

			back := subscribe(t, client, url, http.Header{"Last-Event-Id": {fmt.Sprint(last)}})
			resumed := back.seqs(t, 30)
			if resumed[0] != last+1 {
				t.Fatalf("resumed at %d after %d: a gap or a repeat", resumed[0], last)
			}
			if n := len(rec.callsOf(sequenceRPC)); n != 1 {
				t.Errorf("%d backend calls, want 1: the reconnect inside the window made one", n)
			}
			back.cancel()
			line := findLog(t, logs, func(l map[string]any) bool { return l["shared"] == "replay" })
			if r, _ := line["replayed"].(float64); r < 1 {
				t.Errorf("access log of the replay: replayed %v, want at least 1: %v", line["replayed"], line)
			}
		})
	}
}

func TestSharedStreamOutsideTheWindow(t *testing.T) {
	conn, rec := startBackend(t)
	logs := &logBuffer{}
	base := startGateway(t, conn,
		shareSequence(&ssegwv1.Sharing{ReplayEvents: ptr(uint32(4))}),
		gateway.WithAccessLog(slog.New(slog.NewJSONHandler(logs, nil))))
	url := base + "/v1/streams/outside/events?interval=0.005s"
	live := open(t, "GET", url, nil, "")
	first := live.seqs(t, 20)[0]
	// An id older than the window: a backend call resumed from it.
	from := fmt.Sprint(first)
	a := open(t, "GET", url, http.Header{"Last-Event-Id": {from}}, "")
	if got := a.seqs(t, 10); got[0] != first+1 {
		t.Fatalf("resumed at %d after %d", got[0], first)
	}
	calls := rec.callsOf(sequenceRPC)
	if len(calls) != 2 {
		t.Fatalf("%d backend calls, want 2: the live one and the resumed one", len(calls))
	}
	if got := calls[1].md.Get("last-event-id"); len(got) != 1 || got[0] != from {
		t.Errorf("the resumed call carries last-event-id %q, want %q", got, from)
	}
	findLog(t, logs, func(l map[string]any) bool { return l["shared"] == "resume" && l["reason"] != "" }, a.cancel)

	// Two subscribers resuming from the same id, while its call is at
	// its start, share it.
	slowURL := base + "/v1/streams/outside/events?interval=0.5s"
	open(t, "GET", slowURL, nil, "").seqs(t, 1)
	b := open(t, "GET", slowURL, http.Header{"Last-Event-Id": {"3"}}, "")
	c := open(t, "GET", slowURL, http.Header{"Last-Event-Id": {"3"}}, "")
	for _, s := range []*stream{b, c} {
		if got := s.seqs(t, 1); got[0] != 4 {
			t.Errorf("resumed after 3 at %d", got[0])
		}
	}
	if n := len(rec.callsOf(sequenceRPC)); n != 4 {
		t.Errorf("%d backend calls, want 4: two subscribers resuming from one id share one", n)
	}
}

func TestSharedStreamEpochIDs(t *testing.T) {
	conn, rec := startBackend(t)
	base := startGateway(t, conn, gateway.WithSharing(ticksName, nil))
	url := base + "/v1/symbols/ACME/ticks?interval=0.005s"
	keeper := open(t, "GET", url, nil, "")
	var ids []string
	for range 5 {
		ev := keeper.nextData(t)
		ids = append(ids, ev.ID)
	}
	epoch, _, ok := strings.Cut(ids[0], "-")
	if !ok || epoch == "" {
		t.Fatalf("event id %q does not name an epoch", ids[0])
	}
	for i, id := range ids[1:] {
		if e, _, _ := strings.Cut(id, "-"); e != epoch || id == ids[i] {
			t.Fatalf("ids %q: not one epoch, or repeated", ids)
		}
	}
	// Inside the window: the events after it.
	back := open(t, "GET", url, http.Header{"Last-Event-Id": {ids[2]}}, "")
	if ev := back.nextData(t); ev.ID != ids[3] {
		t.Errorf("after %s: %s, want %s", ids[2], ev.ID, ids[3])
	}
	// Another epoch, as from another replica: live, on the same call.
	other := open(t, "GET", url, http.Header{"Last-Event-Id": {"0000000000000-3"}}, "")
	ev := other.nextData(t)
	if e, _, _ := strings.Cut(ev.ID, "-"); e != epoch {
		t.Errorf("an id of another epoch got event %s, want one of epoch %s", ev.ID, epoch)
	}
	if n := len(rec.callsOf(ticksRPC)); n != 1 {
		t.Errorf("%d backend calls, want 1", n)
	}
}

func TestSharedStreamLinger(t *testing.T) {
	conn, rec := startBackend(t)
	base := startGateway(t, conn, shareSequence(&ssegwv1.Sharing{Linger: durationpb.New(time.Hour)}))
	url := base + "/v1/streams/linger/events?interval=0.005s"
	a := open(t, "GET", url, nil, "")
	last := a.seqs(t, 3)[2]
	a.cancel()
	// Within the linger, the call goes on, and a subscriber that comes
	// back resumes from its window.
	b := open(t, "GET", url, http.Header{"Last-Event-Id": {fmt.Sprint(last)}}, "")
	if got := b.seqs(t, 3); got[0] != last+1 {
		t.Errorf("after %d: %d", last, got[0])
	}
	if n := len(rec.callsOf(sequenceRPC)); n != 1 {
		t.Errorf("%d backend calls, want 1", n)
	}

	// Once the linger has passed, the call is cancelled.
	conn2, rec2 := startBackend(t)
	base2 := startGateway(t, conn2, shareSequence(&ssegwv1.Sharing{Linger: durationpb.New(20 * time.Millisecond)}))
	c := open(t, "GET", base2+"/v1/streams/linger/events?interval=0.005s", nil, "")
	c.seqs(t, 1)
	call := rec2.callsOf(sequenceRPC)[0]
	c.cancel()
	waitEnded(t, call)
}

func TestSharedStreamEndAndFailureReachAll(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want string // the last event
	}{
		{"end", nil, `event: end data: {"trailers":{"x-last":["yes"]}}`},
		{"failure", status.Error(codes.DataLoss, "lost"), `event: error data: {"code":15,"message":"lost","details":[],"trailers":{"x-last":["yes"]}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			release := make(chan struct{})
			var calls sync.WaitGroup
			n := 0
			var mu sync.Mutex
			conn := startSilentBackend(t, func(_ any, ss grpc.ServerStream) error {
				mu.Lock()
				n++
				mu.Unlock()
				calls.Add(1)
				defer calls.Done()
				if err := ss.SendHeader(metadata.MD{}); err != nil {
					return err
				}
				select {
				case <-release:
				case <-ss.Context().Done():
					return ss.Context().Err()
				}
				for seq := int64(1); seq <= 3; seq++ {
					if err := ss.SendMsg(&demov1.SequenceEvent{Seq: seq}); err != nil {
						return err
					}
				}
				ss.SetTrailer(metadata.Pairs("x-last", "yes"))
				return tc.err
			})
			base := startGateway(t, conn, gateway.WithFiles(demov1.File_examples_demo_v1_demo_proto),
				shareSequence(nil), gateway.WithOutgoingMetadata("x-last"))
			var subs []*stream
			for range 5 {
				subs = append(subs, open(t, "GET", base+"/v1/streams/end/events", nil, ""))
			}
			close(release)
			for i, s := range subs {
				s.seqs(t, 3)
				ev := s.nextData(t)
				var data bytes.Buffer
				if err := json.Compact(&data, ev.Data); err != nil {
					t.Fatalf("data %s: %v", ev.Data, err)
				}
				if got := "event: " + ev.Event + " data: " + data.String(); got != tc.want {
					t.Errorf("subscriber %d: last event %s, want %s", i, got, tc.want)
				}
				if _, err := s.events.Next(); err == nil {
					t.Errorf("subscriber %d: the stream goes on after its last event", i)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			if n != 1 {
				t.Errorf("%d backend calls, want 1", n)
			}
		})
	}
}

// TestSharedStreamRefusedBeforeItStarts: a backend failure before the
// stream starts is every waiting subscriber's HTTP status, and the next
// request tries again.
func TestSharedStreamRefusedBeforeItStarts(t *testing.T) {
	conn, rec := startBackend(t)
	base := startGateway(t, conn, shareSequence(nil))
	for range 2 {
		resp, cancel := do(t, "GET", base+"/v1/streams/bad%2Fname/events", nil, "")
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("status %d, want 400", resp.StatusCode)
		}
		cancel()
	}
	if n := len(rec.callsOf(sequenceRPC)); n != 2 {
		t.Errorf("%d backend calls, want 2: a refused stream is not kept", n)
	}
}

// findLog waits for an access log line that match accepts, after running
// the functions that end the streams.
func findLog(t *testing.T, logs *logBuffer, match func(map[string]any) bool, ends ...func()) map[string]any {
	t.Helper()
	for _, end := range ends {
		end()
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		for _, l := range logs.lines(t, "stream") {
			if match(l) {
				return l
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no such access log line in:\n%s", logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func ptr[T any](v T) *T { return &v }

// TestSharedStreamDynamicTypes shares the kitchen-sink backend's Watch,
// whose types the gateway knows only from server reflection: one call
// for every subscriber, and resume across a reconnect, from the window
// and, outside it, from the backend.
func TestSharedStreamDynamicTypes(t *testing.T) {
	if _, err := protoregistry.GlobalTypes.FindMessageByName(kitchensink.Package + ".Everything"); err == nil {
		t.Fatal("the kitchen-sink API's Go types are linked into the test: it would not test dynamic types")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	srv, err := kitchensink.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	const watch = "/kitchensink.v1.KitchenSink/Watch"
	watchCalls := func() []kitchensink.Call {
		var out []kitchensink.Call
		for _, c := range srv.Backend.Calls() {
			if c.Method == watch {
				out = append(out, c)
			}
		}
		return out
	}
	for _, proto := range protocols {
		t.Run(proto, func(t *testing.T) {
			before := len(watchCalls())
			base := serveH1H2(t, newGateway(t, dial(t, srv.Addr),
				gateway.WithSharing("kitchensink.v1.KitchenSink.Watch", &ssegwv1.Sharing{ReplayEvents: ptr(uint32(20))})))
			client := clientFor(t, proto)
			url := base + "/v1/counters/" + proto + "/watch?interval=0.005s"
			var subs []*stream
			for range 5 {
				subs = append(subs, subscribe(t, client, url, nil))
			}
			for _, s := range subs {
				s.seqs(t, 5)
			}
			last := subs[0].seqs(t, 1)[0]
			subs[0].cancel()
			for subs[1].seqs(t, 1)[0] < last+3 {
			}
			back := subscribe(t, client, url, http.Header{"Last-Event-Id": {fmt.Sprint(last)}})
			if got := back.seqs(t, 5); got[0] != last+1 {
				t.Errorf("after %d: %d", last, got[0])
			}
			if n := len(watchCalls()) - before; n != 1 {
				t.Fatalf("%d backend calls, want 1", n)
			}
			for subs[1].seqs(t, 1)[0] < last+30 {
			}
			// Outside the window: a call resumed from the backend.
			old := subscribe(t, client, url, http.Header{"Last-Event-Id": {"2"}})
			if got := old.seqs(t, 2); got[0] != 3 {
				t.Errorf("after 2: %d", got[0])
			}
			calls := watchCalls()
			if n := len(calls) - before; n != 2 {
				t.Fatalf("%d backend calls, want 2", n)
			}
			req := calls[len(calls)-1].Request
			if after := req.Get(req.Descriptor().Fields().ByName("after_seq")).Int(); after != 2 {
				t.Errorf("the resumed call asks after_seq %d, want 2", after)
			}
		})
	}
}

// TestSharedStreamLeavesNoGoroutine: once every subscriber has left and
// the linger has passed, nothing the shared stream started runs.
func TestSharedStreamLeavesNoGoroutine(t *testing.T) {
	conn, rec := startBackend(t)
	base := serveH1H2(t, newGateway(t, conn, shareSequence(&ssegwv1.Sharing{Linger: durationpb.New(10 * time.Millisecond)})))
	// A first request sets up what lives as long as the gateway: the
	// backend connection's goroutines.
	open(t, "GET", base+"/v1/streams/warm/events?interval=0.001s&last_seq=1", nil, "").rest(t)
	for _, proto := range protocols {
		client := clientFor(t, proto)
		var subs []*stream
		for range 10 {
			subs = append(subs, subscribe(t, client, base+"/v1/streams/leak/events?interval=0.002s", nil))
		}
		for _, s := range subs {
			s.seqs(t, 3)
			s.cancel()
		}
		client.CloseIdleConnections()
	}
	for _, c := range rec.callsOf(sequenceRPC) {
		waitEnded(t, c)
	}
	http.DefaultClient.CloseIdleConnections()
	goleak.VerifyNone(t, goleak.IgnoreCurrent(), goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
		goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"))
}

// TestDrainCancelsLingeringSharedCalls checks that a drained gateway keeps
// no shared backend call alive for its linger.
func TestDrainCancelsLingeringSharedCalls(t *testing.T) {
	conn, rec := startBackend(t)
	gw := newGateway(t, conn, shareSequence(&ssegwv1.Sharing{Linger: durationpb.New(time.Hour)}))
	base := serveHTTP(t, gw)
	s := open(t, "GET", base+"/v1/streams/drain/events?interval=0.005s", nil, "")
	s.seqs(t, 2)
	call := rec.callsOf(sequenceRPC)[0]
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := gw.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	waitEnded(t, call)
}

// TestSharingOfAUnaryMethodIsRefused checks that sharing asked for a
// method that has no stream to share is an error, not ignored.
func TestSharingOfAUnaryMethodIsRefused(t *testing.T) {
	conn, _ := startBackend(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := gateway.New(ctx, conn, gateway.WithSharing("examples.demo.v1.DemoService.PlaceOrder", nil))
	if err == nil || !strings.Contains(err.Error(), "not a served server-streaming method") {
		t.Fatalf("New: %v, want an error that names the method as not a server-streaming one", err)
	}
}
