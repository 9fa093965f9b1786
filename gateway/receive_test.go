package gateway_test

import (
	"strconv"
	"testing"

	"google.golang.org/grpc"

	"github.com/ssegw/ssegw/gateway"
	demov1 "github.com/ssegw/ssegw/gen/examples/demo/v1"
	ssegwv1 "github.com/ssegw/ssegw/gen/ssegw/v1"
	"github.com/ssegw/ssegw/internal/demo"
)

// TestBurstsArriveWholeAndInOrder sends bursts of messages as fast as the
// backend can, so that the gateway receives ahead and writes events in
// batches, and checks that every event arrives once, in order, and that
// the last event of a burst arrives while the backend waits: it is not
// held back for more.
func TestBurstsArriveWholeAndInOrder(t *testing.T) {
	const bursts, perBurst = 3, 500
	release := make(chan struct{}, bursts)
	conn := startSilentBackend(t, func(_ any, ss grpc.ServerStream) error {
		var req demov1.SequenceRequest
		if err := ss.RecvMsg(&req); err != nil {
			return err
		}
		seq := int64(0)
		for range bursts {
			for range perBurst {
				seq++
				if err := ss.SendMsg(demo.SequenceEventAt(req.GetName(), seq)); err != nil {
					return err
				}
			}
			select {
			case <-release:
			case <-ss.Context().Done():
				return ss.Context().Err()
			}
		}
		return nil
	})
	for _, tc := range []struct {
		name string
		opts []gateway.Option
	}{
		{"plain", nil},
		{"gzip", []gateway.Option{gateway.WithCompression()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := append([]gateway.Option{gateway.WithFiles(demov1.File_examples_demo_v1_demo_proto)}, tc.opts...)
			base := startGateway(t, conn, opts...)
			s := open(t, "GET", base+"/v1/streams/burst/events", nil, "")
			want := int64(0)
			for range bursts {
				// The whole burst arrives before the backend is released.
				for range perBurst {
					ev := s.next(t)
					want++
					if ev.Event != "" || ev.ID != strconv.FormatInt(want, 10) {
						t.Fatalf("event %q id %q, want a message with id %d", ev.Event, ev.ID, want)
					}
					if got := seqOf(t, ev); got != want {
						t.Fatalf("seq %d, want %d", got, want)
					}
				}
				release <- struct{}{}
			}
			rest := s.rest(t)
			if len(rest) != 1 || rest[0].Event != gateway.EndEvent {
				t.Fatalf("after the bursts: %q, want the end event", rest)
			}
		})
	}
}

// TestEventIDThatCannotBeSent checks that an event whose id field holds a
// line break is sent without an id, and that the stream goes on.
func TestEventIDThatCannotBeSent(t *testing.T) {
	conn, _ := startBackend(t)
	base := startGateway(t, conn, gateway.WithMethodOptions("examples.demo.v1.DemoService.Sequence",
		&ssegwv1.StreamOptions{IdField: "name"}))
	s := open(t, "GET", base+"/v1/streams/a%0Ab/events?last_seq=3&interval=0.001s", nil, "")
	events := s.rest(t)
	if len(events) != 4 || events[3].Event != gateway.EndEvent {
		t.Fatalf("events %q, want 3 messages and end", events)
	}
	for i, ev := range events[:3] {
		if ev.ID != "" || ev.Event != "" || len(ev.Data) == 0 {
			t.Errorf("event %d: %+v, want a message without an id", i, ev)
		}
	}
}
