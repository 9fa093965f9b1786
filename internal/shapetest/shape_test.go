package shapetest

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/ssegw/ssegw/gateway"
	ssegwv1 "github.com/ssegw/ssegw/gen/ssegw/v1"
	kitchensinkv1 "github.com/ssegw/ssegw/gen/testdata/kitchensink/v1"
	"github.com/ssegw/ssegw/internal/kitchensink"
	"github.com/ssegw/ssegw/sseclient"
)

// wrappedShape shapes Wrapped in the gateway's options: named by kind,
// its data the payload, its id the seq.
var wrappedShape = &ssegwv1.StreamOptions{IdField: "seq", Shape: &ssegwv1.Shape{EventField: "kind", DataField: "payload"}}

// start runs the kitchen-sink backend and a gateway in front of it that
// finds its services by server reflection, and returns the gateway's
// base URL and an HTTP client whose connections end with the test.
func start(t *testing.T) (string, *http.Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	srv, err := kitchensink.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	conn, err := grpc.NewClient(srv.Addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	gw, err := gateway.New(ctx, conn, gateway.WithReflection(),
		gateway.WithMethodOptions("kitchensink.v1.KitchenSink.Wrapped", wrappedShape))
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(gw)
	t.Cleanup(hs.Close)
	client := &http.Client{Transport: &http.Transport{}}
	t.Cleanup(client.CloseIdleConnections)
	return hs.URL, client
}

// feedEvents are Feed's events, one of each case and one without.
func feedEvents() []*kitchensinkv1.FeedEvent {
	return []*kitchensinkv1.FeedEvent{
		{Seq: 1, Event: &kitchensinkv1.FeedEvent_Created{Created: &kitchensinkv1.Created{Id: "a", Title: "<b>é</b>", Color: kitchensinkv1.Color_BLUE}}},
		{Seq: 2, Event: &kitchensinkv1.FeedEvent_Deleted{Deleted: &kitchensinkv1.Deleted{Id: "a", Reason: "gone"}}},
		{Seq: 3, Event: &kitchensinkv1.FeedEvent_Note{Note: "héllo \"x\"\n"}},
		{Seq: 4, Event: &kitchensinkv1.FeedEvent_Count{Count: -1 << 63}},
		{Seq: 5, Event: &kitchensinkv1.FeedEvent_Color{Color: kitchensinkv1.Color(77)}},
		{Seq: 6, Event: &kitchensinkv1.FeedEvent_At{At: timestamppb.New(time.Date(2024, 2, 29, 23, 59, 59, 5e8, time.UTC))}},
		{Seq: 7, Event: &kitchensinkv1.FeedEvent_Everything{Everything: &kitchensinkv1.Everything{Int64Value: 1, RepeatedColor: []kitchensinkv1.Color{1, 9}}}},
		{Seq: 8, Event: &kitchensinkv1.FeedEvent_Blob{Blob: []byte{1, 2, 0xff}}},
		{Seq: 9, Event: &kitchensinkv1.FeedEvent_Color{}},
		{Seq: 10},
		{Seq: 11, Event: &kitchensinkv1.FeedEvent_Created{Created: &kitchensinkv1.Created{}}},
	}
}

// recvAll receives a stream's messages up to io.EOF.
func recvAll[T any](t *testing.T, recv func() (T, error)) []T {
	t.Helper()
	var out []T
	for range 1000 {
		m, err := recv()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("after %d messages: %v", len(out), err)
		}
		out = append(out, m)
	}
	t.Fatal("the stream did not end")
	return nil
}

// TestConnRebuildsWholeMessages calls Feed, whose events are named after
// the case of its oneof that is set and carry that case, with the seq as
// their id, and ends with a sentinel, through the generated client on a
// Conn: Recv returns the whole messages the backend sent, then io.EOF at
// the sentinel.
func TestConnRebuildsWholeMessages(t *testing.T) {
	base, httpClient := start(t)
	conn, err := sseclient.NewConn(base, sseclient.WithHTTPClient(httpClient))
	if err != nil {
		t.Fatal(err)
	}
	client := kitchensinkv1.NewKitchenSinkClient(conn)
	events := feedEvents()
	stream, err := client.Feed(t.Context(), &kitchensinkv1.FeedRequest{Events: events})
	if err != nil {
		t.Fatal(err)
	}
	got := recvAll(t, stream.Recv)
	if len(got) != len(events) {
		t.Fatalf("%d messages, want %d", len(got), len(events))
	}
	for i, want := range events {
		if !proto.Equal(got[i], want) {
			t.Errorf("message %d: %v, want %v", i, got[i], want)
		}
	}
}

// TestConnRebuildsFromGatewayOptions calls Wrapped, shaped by the
// gateway's options, which the Conn is given too: Recv returns each
// envelope with its payload back in its field, its kind set from the
// event's name and its seq from the event's id.
func TestConnRebuildsFromGatewayOptions(t *testing.T) {
	base, httpClient := start(t)
	conn, err := sseclient.NewConn(base, sseclient.WithHTTPClient(httpClient),
		sseclient.WithMethodOptions("kitchensink.v1.KitchenSink.Wrapped", wrappedShape))
	if err != nil {
		t.Fatal(err)
	}
	envelopes := []*kitchensinkv1.Envelope{
		{Seq: 1, Kind: "created", Level: kitchensinkv1.Level_LEVEL_HIGH, Tags: []string{"x"}, Payload: feedEvents()[0]},
		{Seq: -2, Kind: "", Payload: feedEvents()[2]},
		{Kind: "a b", Payload: &kitchensinkv1.FeedEvent{}},
		{Seq: 1 << 62, Kind: "é"},
	}
	stream, err := kitchensinkv1.NewKitchenSinkClient(conn).Wrapped(t.Context(), &kitchensinkv1.FeedRequest{Envelopes: envelopes})
	if err != nil {
		t.Fatal(err)
	}
	got := recvAll(t, stream.Recv)
	if len(got) != len(envelopes) {
		t.Fatalf("%d messages, want %d", len(got), len(envelopes))
	}
	for i, e := range envelopes {
		// What the events carry: the seq, the kind and the payload (an
		// unset one as an empty one).
		want := &kitchensinkv1.Envelope{Seq: e.Seq, Kind: e.Kind, Payload: e.Payload}
		if want.Payload == nil {
			want.Payload = &kitchensinkv1.FeedEvent{}
		}
		if !proto.Equal(got[i], want) {
			t.Errorf("message %d: %v, want %v", i, got[i], want)
		}
	}
}

// TestSubscribeDecodesEachCase subscribes to Feed with a type for each
// case's event, the wrapper types for scalar cases, and the sentinel.
func TestSubscribeDecodesEachCase(t *testing.T) {
	base, httpClient := start(t)
	c, err := sseclient.New(base, sseclient.WithHTTPClient(httpClient))
	if err != nil {
		t.Fatal(err)
	}
	events := feedEvents()
	body, err := protojsonMarshal(&kitchensinkv1.FeedRequest{Events: events})
	if err != nil {
		t.Fatal(err)
	}
	s, err := sseclient.Subscribe[proto.Message](t.Context(), c, "/v1/feed",
		sseclient.WithBody("application/json", body),
		sseclient.WithEventType("created", &kitchensinkv1.Created{}),
		sseclient.WithEventType("deleted", &kitchensinkv1.Deleted{}),
		sseclient.WithEventType("note", &wrapperspb.StringValue{}),
		sseclient.WithEventType("count", &wrapperspb.Int64Value{}),
		sseclient.WithEventType("at", &timestamppb.Timestamp{}),
		sseclient.WithEventType("everything", &kitchensinkv1.Everything{}),
		sseclient.WithEventType("blob", &wrapperspb.BytesValue{}),
		sseclient.WithSentinel("", "[DONE]"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got := recvAll(t, s.Recv)
	want := []proto.Message{
		events[0].GetCreated(), events[1].GetDeleted(), wrapperspb.String(events[2].GetNote()), wrapperspb.Int64(events[3].GetCount()),
		events[5].GetAt(), events[6].GetEverything(), wrapperspb.Bytes(events[7].GetBlob()), events[10].GetCreated(),
	}
	if len(got) != len(want) {
		t.Fatalf("%d messages %v, want %d", len(got), got, len(want))
	}
	for i := range want {
		if !proto.Equal(got[i], want[i]) {
			t.Errorf("message %d: %v, want %v", i, got[i], want[i])
		}
	}
}
