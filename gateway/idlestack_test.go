package gateway_test

import (
	"context"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/ssegw/ssegw/gateway"
	"github.com/ssegw/ssegw/internal/kitchensink"
)

// idleStreams is how many idle streams each measurement holds open.
const idleStreams = 100

// maxIdleStack is the most stack an idle stream's goroutine may hold: what
// a handler that only waits on its gRPC stream holds, unless the floor
// holds more (under the race detector, whose frames are larger).
const maxIdleStack = 8 << 10

// idleWatch is the kitchen-sink method of the idle streams, and its route.
const (
	idleWatch      = "/" + kitchensink.ServiceName + "/Watch"
	idleWatchRoute = "/v1/counters/idle/watch"
	floorRoute     = "/floor"
)

// TestIdleStreamStack checks that the goroutine that waits on an idle
// stream holds no more than 8 KiB of stack, as a net/http handler that
// does nothing but open the same backend stream and wait on it (the
// floor), and that an idle stream holds no more goroutines than the floor.
// Go grows a stack by doubling and gives memory back at a GC only while
// less than a quarter of it is in use, so a handler that went deeper than
// 8 KiB once, building the request, opening the call or writing the first
// event, would keep 16 KiB for as long as its stream stays open. Both
// serve the same backend (a kitchen-sink Watch that sends one message and
// then nothing), to the same clients; the gateway knows the API only from
// a descriptor set. The goroutines and the sizes of their stacks are read
// from a heap dump, after a GC.
func TestIdleStreamStack(t *testing.T) {
	if testing.Short() {
		t.Skip("opens hundreds of streams")
	}
	api, conn := startQuietBackend(t)
	setFile := kitchenSinkSetFile(t, api)
	gw := newGateway(t, conn, gateway.WithDescriptorSetFile(setFile))
	mux := http.NewServeMux()
	mux.Handle(floorRoute, floorHandler(conn, api))
	mux.Handle("/", gw)
	base := serveH1H2(t, mux)
	// The subscribers of shared streams, each of a stream of its own
	// (one whose backend call has sent its message and lingers would
	// be joined live, and wait).
	sharedBase := serveH1H2(t, newGateway(t, conn, gateway.WithDescriptorSetFile(setFile),
		gateway.WithSharing(kitchensink.ServiceName+".Watch", nil)))

	for _, proto := range protocols {
		t.Run(proto, func(t *testing.T) {
			client := clientFor(t, proto)
			// Connections, pools and the backend's first calls are made
			// before anything is measured.
			closeAll(openIdle(t, client, base+floorRoute, 4))
			closeAll(openIdle(t, client, base+idleWatchRoute, 4))

			floor := measureIdle(t, client, base+floorRoute, "gateway_test.floorHandler")
			ssegw := measureIdle(t, client, base+idleWatchRoute, "ssegw/gateway.(*Gateway).serve")
			t.Logf("%s: floor %.1f goroutines per stream, handlers' stacks %v; gateway %.1f goroutines per stream, handlers' stacks %v",
				proto, floor.goroutines, floor.stacks, ssegw.goroutines, ssegw.stacks)
			limit := uint64(maxIdleStack)
			for size := range floor.stacks {
				limit = max(limit, size)
			}
			if floor.stacks[0] > 0 || ssegw.stacks[0] > 0 {
				t.Fatal("the heap dump has goroutines without the bounds of their stacks")
			}
			checkStacks(t, "idle streams'", ssegw.stacks, limit)
			if ssegw.goroutines > floor.goroutines+0.1 {
				t.Errorf("an idle stream holds %.1f goroutines, the floor %.1f", ssegw.goroutines, floor.goroutines)
			}

			shared := measureIdle(t, client, sharedBase+"/v1/counters/idle-"+proto+"-%d/watch", "ssegw/gateway.(*subscription).follow")
			t.Logf("%s: shared streams' subscribers' stacks %v", proto, shared.stacks)
			checkStacks(t, "idle subscribers'", shared.stacks, limit)
		})
	}
}

// checkStacks checks that idleStreams goroutines hold the stacks counted
// by size in stacks, none of them more than limit bytes.
func checkStacks(t *testing.T, whose string, stacks map[uint64]int, limit uint64) {
	t.Helper()
	n := 0
	for size, count := range stacks {
		n += count
		if size > limit {
			t.Errorf("%d of %d %s goroutines hold %d bytes of stack, want at most %d", count, idleStreams, whose, size, limit)
		}
	}
	if n != idleStreams {
		t.Errorf("%d of %s goroutines found, want %d", n, whose, idleStreams)
	}
}

// idleUse is what idle streams hold.
type idleUse struct {
	goroutines float64        // per stream
	stacks     map[uint64]int // goroutines of the handlers, by stack size
}

// measureIdle opens idleStreams streams of url, each of which has received
// its first event, and returns what they hold; handler is the name of a
// function on the stack of each handler's goroutine. It closes the
// streams before it returns.
func measureIdle(t *testing.T, client *http.Client, url, handler string) idleUse {
	t.Helper()
	waitGoroutines(runtime.NumGoroutine())
	before := runtime.NumGoroutine()
	streams := openIdle(t, client, url, idleStreams)
	defer closeAll(streams)
	// Two cycles: a GC shrinks a stack by half at most.
	runtime.GC()
	runtime.GC()
	use := idleUse{
		goroutines: float64(runtime.NumGoroutine()-before) / idleStreams,
		stacks:     map[uint64]int{},
	}
	gs, err := goroutineStacks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range gs {
		if g.has(handler) {
			use.stacks[g.stack]++
		}
	}
	return use
}

// openIdle opens n streams of url and reads the first event of each. A
// url with a %d verb opens n URLs, numbered.
func openIdle(t *testing.T, client *http.Client, url string, n int) []*stream {
	t.Helper()
	streams := make([]*stream, n)
	for i := range streams {
		u := url
		if strings.Contains(url, "%d") {
			u = fmt.Sprintf(url, i)
		}
		streams[i] = subscribe(t, client, u, nil)
		streams[i].nextData(t)
	}
	return streams
}

func closeAll(streams []*stream) {
	for _, s := range streams {
		s.cancel()
	}
}

// waitGoroutines waits, for a bounded time, until the goroutines of
// closed streams have ended: until the number of goroutines, n before,
// stops falling.
func waitGoroutines(n int) {
	for range 100 {
		time.Sleep(20 * time.Millisecond)
		m := runtime.NumGoroutine()
		if m >= n {
			return
		}
		n = m
	}
}

// startQuietBackend serves kitchensink.v1.KitchenSink/Watch on a loopback
// port as an idle stream: one Counted message, then nothing until the
// call ends. It returns the API's descriptors and a connection.
func startQuietBackend(t *testing.T) (*kitchensink.Descriptors, *grpc.ClientConn) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	api, err := kitchensink.Compile(ctx)
	if err != nil {
		t.Fatal(err)
	}
	watch := api.Service.Methods().ByName("Watch")
	handler := func(_ any, ss grpc.ServerStream) error {
		method, _ := grpc.MethodFromServerStream(ss)
		if method != idleWatch {
			return fmt.Errorf("unexpected method %s", method)
		}
		if err := ss.RecvMsg(dynamicpb.NewMessage(watch.Input())); err != nil {
			return err
		}
		msg := dynamicpb.NewMessage(watch.Output())
		msg.Set(watch.Output().Fields().ByName("seq"), protoreflect.ValueOfInt64(1))
		if err := ss.SendMsg(msg); err != nil {
			return err
		}
		<-ss.Context().Done()
		return nil
	}
	return api, startSilentBackend(t, handler)
}

// floorHandler opens the idle Watch stream and writes an event for each
// message: the least a handler serving it can hold.
func floorHandler(conn *grpc.ClientConn, api *kitchensink.Descriptors) http.Handler {
	watch := api.Service.Methods().ByName("Watch")
	desc := &grpc.StreamDesc{ServerStreams: true}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cs, err := conn.NewStream(r.Context(), desc, idleWatch)
		if err == nil {
			err = cs.SendMsg(dynamicpb.NewMessage(watch.Input()))
		}
		if err == nil {
			err = cs.CloseSend()
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		rc := http.NewResponseController(w)
		msg := dynamicpb.NewMessage(watch.Output())
		for cs.RecvMsg(msg) == nil {
			if _, err := w.Write([]byte("data: {}\n\n")); err != nil || rc.Flush() != nil {
				return
			}
		}
	})
}
