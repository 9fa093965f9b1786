package kitchensink

import (
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"
	"google.golang.org/protobuf/types/known/durationpb"
)

// feed sends the messages of the FeedRequest's field list (events or
// envelopes), each after the request's interval, then ends or fails. With
// repeat it starts over after the last message, numbering the messages it
// sends in their seq field, until the call ends.
func feed(req *dynamicpb.Message, list string, stream grpc.ServerStream) error {
	in := req.Descriptor().Fields()
	msgs := req.Get(in.ByName(protoreflect.Name(list))).List()
	repeat := req.Get(in.ByName("repeat")).Bool()
	var interval time.Duration
	if req.Has(in.ByName("interval")) {
		d := &durationpb.Duration{}
		if err := transcode(req.Get(in.ByName("interval")).Message().Interface(), d); err != nil {
			return err
		}
		interval = d.AsDuration()
	}
	var timer *time.Timer
	if interval > 0 {
		timer = time.NewTimer(interval)
		defer timer.Stop()
	}
	n := msgs.Len()
	for i := 0; n > 0 && (repeat || i < n); i++ {
		if timer != nil {
			select {
			case <-stream.Context().Done():
				return status.FromContextError(stream.Context().Err()).Err()
			case <-timer.C:
				timer.Reset(interval)
			}
		}
		msg := msgs.Get(i % n).Message()
		if repeat {
			numbered := proto.Clone(msg.Interface()).ProtoReflect()
			numbered.Set(numbered.Descriptor().Fields().ByName("seq"), protoreflect.ValueOfInt64(int64(i+1)))
			msg = numbered
		}
		if err := stream.SendMsg(msg.Interface()); err != nil {
			return err
		}
	}
	if code := req.Get(in.ByName("fail_code")).Int(); code != 0 {
		return status.Error(codes.Code(code), req.Get(in.ByName("fail_message")).String())
	}
	return nil
}
