package kitchensink

import (
	"fmt"
	"slices"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// DefaultWatchInterval is the time between Watch events when the request
// does not say.
const DefaultWatchInterval = 100 * time.Millisecond

// Call is one call the backend received.
type Call struct {
	// Method is the full method name, "/kitchensink.v1.KitchenSink/Echo".
	Method string
	// Request is the request message, decoded with the API's types.
	Request *dynamicpb.Message
	// Metadata is the call's incoming metadata.
	Metadata metadata.MD
}

// Backend implements the KitchenSink service on dynamic messages. It is
// safe for concurrent use.
type Backend struct {
	desc *Descriptors

	mu    sync.Mutex
	calls []Call
}

// NewBackend returns a backend for the API described by d.
func NewBackend(d *Descriptors) *Backend {
	return &Backend{desc: d}
}

// Descriptors returns the backend's descriptors.
func (b *Backend) Descriptors() *Descriptors { return b.desc }

// Calls returns the calls received so far, oldest first.
func (b *Backend) Calls() []Call {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.calls)
}

// LastCall returns the most recent call; ok is false before the first.
func (b *Backend) LastCall() (c Call, ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.calls) == 0 {
		return Call{}, false
	}
	return b.calls[len(b.calls)-1], true
}

// ServiceDesc returns the grpc.ServiceDesc of the KitchenSink service,
// built from its descriptor: every method is server-streaming.
func (b *Backend) ServiceDesc() *grpc.ServiceDesc {
	sd := b.desc.Service
	desc := &grpc.ServiceDesc{
		ServiceName: string(sd.FullName()),
		HandlerType: (*any)(nil),
		Metadata:    sd.ParentFile().Path(),
	}
	for i := range sd.Methods().Len() {
		md := sd.Methods().Get(i)
		desc.Streams = append(desc.Streams, grpc.StreamDesc{
			StreamName:    string(md.Name()),
			ServerStreams: true,
			Handler: func(_ any, stream grpc.ServerStream) error {
				return b.handle(md, stream)
			},
		})
	}
	return desc
}

// handle serves one call of md.
func (b *Backend) handle(md protoreflect.MethodDescriptor, stream grpc.ServerStream) error {
	req := dynamicpb.NewMessage(md.Input())
	if err := stream.RecvMsg(req); err != nil {
		return err
	}
	incoming, _ := metadata.FromIncomingContext(stream.Context())
	b.mu.Lock()
	b.calls = append(b.calls, Call{
		Method:   fmt.Sprintf("/%s/%s", md.Parent().FullName(), md.Name()),
		Request:  req,
		Metadata: incoming.Copy(),
	})
	b.mu.Unlock()

	switch md.Name() {
	case "Emit":
		return b.emit(req, stream)
	case "Watch":
		return b.watch(req, stream)
	case "Feed":
		return feed(req, "events", stream)
	case "Wrapped":
		return feed(req, "envelopes", stream)
	default:
		return stream.SendMsg(req)
	}
}

// emit sends the messages of an EmitRequest, then ends or fails.
func (b *Backend) emit(req *dynamicpb.Message, stream grpc.ServerStream) error {
	fields := req.Descriptor().Fields()
	list := req.Get(fields.ByName("messages")).List()
	for i := range list.Len() {
		if err := stream.SendMsg(list.Get(i).Message().Interface()); err != nil {
			return err
		}
	}
	if code := req.Get(fields.ByName("fail_code")).Int(); code != 0 {
		return status.Error(codes.Code(code), req.Get(fields.ByName("fail_message")).String())
	}
	return nil
}

// watch streams Counted events after after_seq, up to last_seq.
func (b *Backend) watch(req *dynamicpb.Message, stream grpc.ServerStream) error {
	in := req.Descriptor().Fields()
	name := req.Get(in.ByName("name")).String()
	after := req.Get(in.ByName("after_seq")).Int()
	last := req.Get(in.ByName("last_seq")).Int()
	level := req.Get(in.ByName("level")).Enum()
	interval := DefaultWatchInterval
	if req.Has(in.ByName("interval")) {
		d := &durationpb.Duration{}
		if err := transcode(req.Get(in.ByName("interval")).Message().Interface(), d); err != nil {
			return err
		}
		if d.AsDuration() > 0 {
			interval = d.AsDuration()
		}
	}
	counted, err := b.desc.Message(Package + ".Counted")
	if err != nil {
		return status.Error(codes.Internal, err.Error())
	}
	out := counted.Descriptor().Fields()
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for seq := after + 1; last == 0 || seq <= last; seq++ {
		select {
		case <-stream.Context().Done():
			return status.FromContextError(stream.Context().Err()).Err()
		case <-ticker.C:
		}
		ev := counted.New()
		ev.Set(out.ByName("name"), protoreflect.ValueOfString(name))
		ev.Set(out.ByName("seq"), protoreflect.ValueOfInt64(seq))
		ev.Set(out.ByName("level"), protoreflect.ValueOfEnum(level))
		ts := ev.Mutable(out.ByName("time")).Message().Interface()
		if err := transcode(timestamppb.Now(), ts); err != nil {
			return err
		}
		if err := stream.SendMsg(ev.Interface()); err != nil {
			return err
		}
	}
	return nil
}

// transcode copies src into dst through the wire format, for messages of
// the same type held as different Go types (a dynamic message and the
// well-known type linked into the program).
func transcode(src, dst proto.Message) error {
	raw, err := proto.Marshal(src)
	if err != nil {
		return status.Error(codes.Internal, err.Error())
	}
	if err := proto.Unmarshal(raw, dst); err != nil {
		return status.Error(codes.Internal, err.Error())
	}
	return nil
}
