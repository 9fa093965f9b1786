package bench

import (
	"math"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	benchv1 "github.com/ssegw/ssegw/gen/bench/v1"
)

// maxPayloadSize bounds the message size a client may ask for.
const maxPayloadSize = 1 << 20

// messageOverhead is about what the fields other than the payload take in
// the protobuf encoding of a StreamMessage: seq, the send time, and the
// payload's tag and length.
const messageOverhead = 16

// Backend implements benchv1.BenchServiceServer. The zero value is ready to
// use.
type Backend struct {
	benchv1.UnimplementedBenchServiceServer
	// feeds counts the Feed calls open now.
	feeds atomic.Int64
}

// NewBackendServer returns a gRPC server with the bench service registered.
func NewBackendServer(opts ...grpc.ServerOption) *grpc.Server {
	s, _ := newBackendServer(opts...)
	return s
}

// newBackendServer returns a gRPC server with the bench service
// registered, and the service.
func newBackendServer(opts ...grpc.ServerOption) (*grpc.Server, *Backend) {
	s := grpc.NewServer(opts...)
	b := &Backend{}
	benchv1.RegisterBenchServiceServer(s, b)
	return s, b
}

// Feed is Stream, counted while it is open: the calls a gateway holds
// for the subscribers of a feed.
func (b *Backend) Feed(req *benchv1.StreamRequest, stream grpc.ServerStreamingServer[benchv1.StreamMessage]) error {
	b.feeds.Add(1)
	defer b.feeds.Add(-1)
	return b.Stream(req, stream)
}

// OpenFeeds returns the number of Feed calls open now.
func (b *Backend) OpenFeeds() int64 { return b.feeds.Load() }

// Stream sends the messages req asks for. Every message carries its
// sequence number and the wall-clock time just before it was handed to
// gRPC. One message value is reused: Send encodes it before returning.
func (*Backend) Stream(req *benchv1.StreamRequest, stream grpc.ServerStreamingServer[benchv1.StreamMessage]) error {
	size, rate, count := req.GetPayloadSize(), req.GetRate(), req.GetCount()
	switch {
	case size < 0 || size > maxPayloadSize:
		return status.Errorf(codes.InvalidArgument, "payload_size %d is not between 0 and %d", size, maxPayloadSize)
	case rate < 0 || math.IsNaN(rate) || math.IsInf(rate, 0):
		return status.Errorf(codes.InvalidArgument, "rate %v is not a non-negative number", rate)
	case count < 0:
		return status.Errorf(codes.InvalidArgument, "count %d is negative", count)
	}
	ctx := stream.Context()
	msg := &benchv1.StreamMessage{Payload: payload(int(size) - messageOverhead)}

	var interval time.Duration
	var next time.Time
	var timer *time.Timer
	if rate > 0 {
		interval = time.Duration(float64(time.Second) / rate)
		interval = max(interval, time.Microsecond)
		// Streams opened together start at random points of one period,
		// so that they do not all send at the same instant.
		next = time.Now().Add(rand.N(interval))
		timer = time.NewTimer(time.Hour)
		defer timer.Stop()
	}
	for seq := int64(1); count == 0 || seq <= count; seq++ {
		if interval > 0 {
			if d := time.Until(next); d > 0 {
				timer.Reset(d)
				select {
				case <-timer.C:
				case <-ctx.Done():
					return status.FromContextError(ctx.Err()).Err()
				}
			}
			next = next.Add(interval)
		}
		msg.Seq = seq
		msg.SentUnixNano = time.Now().UnixNano()
		if err := stream.Send(msg); err != nil {
			return err
		}
	}
	if req.GetHold() {
		<-ctx.Done()
		return status.FromContextError(ctx.Err()).Err()
	}
	return nil
}

// payload returns n bytes of printable ASCII that JSON encodes unchanged.
func payload(n int) string {
	if n <= 0 {
		return ""
	}
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	return strings.Repeat(alphabet, n/len(alphabet)+1)[:n]
}
