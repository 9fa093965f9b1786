package sseclient_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	demov1 "github.com/ssegw/ssegw/gen/examples/demo/v1"
	"github.com/ssegw/ssegw/sseclient"
)

// TestInvokeAnswerThatIsNotJSON: a 200 answer that is not JSON is an
// Internal error, and one that does not parse as the response too.
func TestInvokeAnswerThatIsNotJSON(t *testing.T) {
	srv := startSSEServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		if strings.HasSuffix(r.URL.Path, "Text") {
			w.Header().Set("Content-Type", "text/plain")
			_, _ = io.WriteString(w, "hello")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"symbol":`)
	})
	conn, err := sseclient.NewConn(srv.URL, sseclient.WithHTTPClient(newHTTPClient(t)))
	if err != nil {
		t.Fatal(err)
	}
	for _, method := range []string{"/x.v1.S/Text", "/x.v1.S/Broken"} {
		err := conn.Invoke(testContext(t), method, &demov1.PlaceOrderRequest{}, &demov1.Order{})
		if status.Code(err) != codes.Internal {
			t.Errorf("%s: %v, want Internal", method, err)
		}
	}
	if seen := srv.Seen.all(); seen[0].Method != "POST" || seen[0].URL != "/x.v1.S/Text" || seen[0].Header.Get("Accept") != "application/json" {
		t.Errorf("request %+v, want POST to the default route", seen[0])
	}
}

// TestPlaceOrderThenWatchIt: the demo's generated client on one Conn
// places an order (unary, JSON) and watches it (a stream, SSE) until it
// is filled, exactly as over gRPC.
func TestPlaceOrderThenWatchIt(t *testing.T) {
	env := startDemo(t)
	ctx := testContext(t)
	client := demov1.NewDemoServiceClient(newConn(t, env))
	var header, trailer metadata.MD
	order, err := client.PlaceOrder(ctx, &demov1.PlaceOrderRequest{Symbol: "acme", Side: demov1.Side_BUY, Quantity: 10},
		grpc.Header(&header), grpc.Trailer(&trailer))
	if err != nil {
		t.Fatal(err)
	}
	if order.GetName() == "" || order.GetSymbol() != "ACME" || order.GetState() != demov1.OrderState_PLACED || order.GetCreateTime() == nil {
		t.Errorf("order %v", order)
	}
	if v := header.Get("x-demo-method"); len(v) != 1 || v[0] != "place-order" {
		t.Errorf("header metadata %v", header)
	}
	stream, err := client.WatchOrder(ctx, &demov1.WatchOrderRequest{Name: order.GetName(), Interval: durationpb.New(time.Millisecond)})
	if err != nil {
		t.Fatal(err)
	}
	events, err := recvAll(t, stream.Recv)
	if err != io.EOF || len(events) != 4 || events[3].GetState() != demov1.OrderState_FILLED || events[3].GetFilledQuantity() != 10 {
		t.Errorf("events %v, %v: want ACCEPTED, two partial fills and FILLED", events, err)
	}

	_, err = client.PlaceOrder(ctx, &demov1.PlaceOrderRequest{Symbol: "ACME"})
	if status.Code(err) != codes.InvalidArgument || len(status.Convert(err).Details()) != 1 {
		t.Errorf("an invalid order: %v, want InvalidArgument with its BadRequest detail", err)
	}
}
