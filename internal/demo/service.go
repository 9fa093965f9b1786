package demo

import (
	"context"
	"fmt"
	"hash/fnv"
	"strings"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/protoadapt"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	demov1 "github.com/ssegw/ssegw/gen/examples/demo/v1"
)

const (
	defaultInterval = time.Second
	minInterval     = time.Millisecond
	// ErrorDomain is the domain of the google.rpc.ErrorInfo details that
	// Fail attaches.
	ErrorDomain = "demo.ssegw.dev"
)

// Service implements demov1.DemoServiceServer. The zero value is ready to
// use; it keeps the orders placed with PlaceOrder, so use it by pointer.
type Service struct {
	demov1.UnimplementedDemoServiceServer
	orders orderBook
}

// Ticks sends a deterministic random walk of prices for req.Symbol, one
// tick per interval, and ends after req.Count ticks when it is positive.
func (*Service) Ticks(req *demov1.TicksRequest, stream grpc.ServerStreamingServer[demov1.Tick]) error {
	if req.GetSymbol() == "" {
		return invalidArgument("symbol", "must not be empty")
	}
	if req.GetCount() < 0 {
		return invalidArgument("count", "must not be negative")
	}
	interval, err := intervalOf(req.GetInterval())
	if err != nil {
		return err
	}
	if err := stream.SendHeader(metadata.Pairs("x-demo-method", "ticks")); err != nil {
		return err
	}
	price := int64(10_000 + seed(req.GetSymbol())%90_000)
	return every(stream.Context(), interval, int64(req.GetCount()), func(n int64) error {
		price += int64(seed(fmt.Sprint(req.GetSymbol(), n))%201) - 100
		price = max(price, 1)
		return stream.Send(&demov1.Tick{
			Symbol:     req.GetSymbol(),
			Number:     n,
			PriceCents: price,
			Time:       timestamppb.Now(),
		})
	})
}

// Sequence sends events numbered after req.AfterSeq, up to req.LastSeq when
// it is positive. Every event is a pure function of the stream name and its
// number, so a resumed stream can be checked against a fresh one.
func (*Service) Sequence(req *demov1.SequenceRequest, stream grpc.ServerStreamingServer[demov1.SequenceEvent]) error {
	id, ok := strings.CutPrefix(req.GetName(), "streams/")
	if !ok || id == "" || strings.Contains(id, "/") {
		return invalidArgument("name", `must look like "streams/{id}"`)
	}
	if req.GetAfterSeq() < 0 {
		return invalidArgument("after_seq", "must not be negative")
	}
	if req.GetLastSeq() < 0 {
		return invalidArgument("last_seq", "must not be negative")
	}
	interval, err := intervalOf(req.GetInterval())
	if err != nil {
		return err
	}
	if err := stream.SendHeader(metadata.Pairs("x-demo-method", "sequence")); err != nil {
		return err
	}
	remaining := int64(0)
	if last := req.GetLastSeq(); last > 0 {
		remaining = last - req.GetAfterSeq()
		if remaining <= 0 {
			stream.SetTrailer(metadata.Pairs("x-demo-last-seq", fmt.Sprint(last)))
			return nil
		}
	}
	err = every(stream.Context(), interval, remaining, func(n int64) error {
		return stream.Send(SequenceEventAt(req.GetName(), req.GetAfterSeq()+n))
	})
	if err == nil {
		stream.SetTrailer(metadata.Pairs("x-demo-last-seq", fmt.Sprint(req.GetLastSeq())))
	}
	return err
}

// SequenceEventAt is the event that Sequence sends as number seq of the
// stream called name.
func SequenceEventAt(name string, seq int64) *demov1.SequenceEvent {
	return &demov1.SequenceEvent{
		Name:    name,
		Seq:     seq,
		Payload: fmt.Sprintf("%s/%d/%08x", name, seq, seed(fmt.Sprint(name, "#", seq))),
	}
}

// Fail sends req.After messages and then fails with req.Code and
// req.Message, attaching a google.rpc.BadRequest for req.Violations and a
// google.rpc.ErrorInfo for req.Reason.
func (*Service) Fail(req *demov1.FailRequest, stream grpc.ServerStreamingServer[demov1.FailResponse]) error {
	code := codes.Code(req.GetCode())
	if code == codes.OK || code > codes.Unauthenticated {
		return invalidArgument("code", "must be a gRPC error code from 1 to 16")
	}
	if req.GetAfter() < 0 {
		return invalidArgument("after", "must not be negative")
	}
	for i := range req.GetAfter() {
		if err := stream.Send(&demov1.FailResponse{Index: i + 1}); err != nil {
			return err
		}
	}
	st := status.New(code, req.GetMessage())
	var details []protoadapt.MessageV1
	if v := req.GetViolations(); len(v) > 0 {
		br := &errdetails.BadRequest{}
		for _, fv := range v {
			br.FieldViolations = append(br.FieldViolations, &errdetails.BadRequest_FieldViolation{
				Field:       fv.GetField(),
				Description: fv.GetDescription(),
			})
		}
		details = append(details, br)
	}
	if r := req.GetReason(); r != "" {
		details = append(details, &errdetails.ErrorInfo{Reason: r, Domain: ErrorDomain})
	}
	if len(details) > 0 {
		withDetails, err := st.WithDetails(details...)
		if err != nil {
			return status.Errorf(codes.Internal, "attaching details: %v", err)
		}
		st = withDetails
	}
	return st.Err()
}

// every calls send with 1, 2, ... once per interval until count calls were
// made (forever when count is 0), ctx ends, or send fails.
func every(ctx context.Context, interval time.Duration, count int64, send func(n int64) error) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for n := int64(1); count == 0 || n <= count; n++ {
		select {
		case <-ctx.Done():
			return status.FromContextError(ctx.Err()).Err()
		case <-t.C:
		}
		if err := send(n); err != nil {
			return err
		}
	}
	return nil
}

func intervalOf(d *durationpb.Duration) (time.Duration, error) {
	if d == nil {
		return defaultInterval, nil
	}
	if err := d.CheckValid(); err != nil {
		return 0, invalidArgument("interval", err.Error())
	}
	if iv := d.AsDuration(); iv >= minInterval {
		return iv, nil
	}
	return 0, invalidArgument("interval", fmt.Sprintf("must be at least %v", minInterval))
}

func invalidArgument(field, problem string) error {
	st, err := status.New(codes.InvalidArgument, field+" "+problem).WithDetails(&errdetails.BadRequest{
		FieldViolations: []*errdetails.BadRequest_FieldViolation{{Field: field, Description: problem}},
	})
	if err != nil {
		return status.Errorf(codes.InvalidArgument, "%s %s", field, problem)
	}
	return st.Err()
}

func seed(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}
