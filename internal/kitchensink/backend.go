package kitchensink

import (
	"context"
	"fmt"
	"io"
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
// built from its descriptor: every method as its descriptor declares it,
// unary, server-streaming, client-streaming or bidirectional.
func (b *Backend) ServiceDesc() *grpc.ServiceDesc {
	sd := b.desc.Service
	desc := &grpc.ServiceDesc{
		ServiceName: string(sd.FullName()),
		HandlerType: (*any)(nil),
		Metadata:    sd.ParentFile().Path(),
	}
	for i := range sd.Methods().Len() {
		md := sd.Methods().Get(i)
		switch {
		case md.IsStreamingClient():
			desc.Streams = append(desc.Streams, grpc.StreamDesc{
				StreamName:    string(md.Name()),
				ClientStreams: true,
				ServerStreams: md.IsStreamingServer(),
				Handler: func(_ any, stream grpc.ServerStream) error {
					return b.collect(md, stream)
				},
			})
		case md.IsStreamingServer():
			desc.Streams = append(desc.Streams, grpc.StreamDesc{
				StreamName:    string(md.Name()),
				ServerStreams: true,
				Handler: func(_ any, stream grpc.ServerStream) error {
					return b.handle(md, stream)
				},
			})
		default:
			desc.Methods = append(desc.Methods, grpc.MethodDesc{
				MethodName: string(md.Name()),
				Handler: func(_ any, ctx context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
					return b.answer(ctx, md, dec)
				},
			})
		}
	}
	return desc
}

// record receives the request of a call of md and records the call.
func (b *Backend) record(ctx context.Context, md protoreflect.MethodDescriptor, recv func(any) error) (*dynamicpb.Message, error) {
	req := dynamicpb.NewMessage(md.Input())
	if err := recv(req); err != nil {
		return nil, err
	}
	incoming, _ := metadata.FromIncomingContext(ctx)
	b.mu.Lock()
	b.calls = append(b.calls, Call{
		Method:   fmt.Sprintf("/%s/%s", md.Parent().FullName(), md.Name()),
		Request:  req,
		Metadata: incoming.Copy(),
	})
	b.mu.Unlock()
	return req, nil
}

// handle serves one call of a server-streaming method md.
func (b *Backend) handle(md protoreflect.MethodDescriptor, stream grpc.ServerStream) error {
	req, err := b.record(stream.Context(), md, stream.RecvMsg)
	if err != nil {
		return err
	}
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

// answer serves one call of a unary method md: Delete answers with an
// empty message, Answer as its request says, and every other method with
// its request.
func (b *Backend) answer(ctx context.Context, md protoreflect.MethodDescriptor, dec func(any) error) (any, error) {
	req, err := b.record(ctx, md, dec)
	if err != nil {
		return nil, err
	}
	switch {
	case md.Name() == "Answer":
		return b.answerAs(ctx, md, req)
	case md.Output().FullName() != md.Input().FullName():
		return dynamicpb.NewMessage(md.Output()), nil
	}
	return req, nil
}

// answerAs sends the metadata of an EmitRequest, waits for its delay, and
// answers with its first message or fails with its code.
func (b *Backend) answerAs(ctx context.Context, md protoreflect.MethodDescriptor, req *dynamicpb.Message) (any, error) {
	fields := req.Descriptor().Fields()
	if header := metadataOf(req, "header_metadata"); len(header) > 0 {
		if err := grpc.SendHeader(ctx, header); err != nil {
			return nil, err
		}
	}
	if err := grpc.SetTrailer(ctx, metadataOf(req, "trailer_metadata")); err != nil {
		return nil, err
	}
	if req.Has(fields.ByName("delay")) {
		d := &durationpb.Duration{}
		if err := transcode(req.Get(fields.ByName("delay")).Message().Interface(), d); err != nil {
			return nil, err
		}
		timer := time.NewTimer(d.AsDuration())
		defer timer.Stop()
		select {
		case <-ctx.Done():
			return nil, status.FromContextError(ctx.Err()).Err()
		case <-timer.C:
		}
	}
	if code := req.Get(fields.ByName("fail_code")).Int(); code != 0 {
		return nil, status.Error(codes.Code(code), req.Get(fields.ByName("fail_message")).String())
	}
	if list := req.Get(fields.ByName("messages")).List(); list.Len() > 0 {
		return list.Get(0).Message().Interface(), nil
	}
	return dynamicpb.NewMessage(md.Output()), nil
}

// metadataOf returns the map field name of req as metadata.
func metadataOf(req *dynamicpb.Message, name protoreflect.Name) metadata.MD {
	md := metadata.MD{}
	req.Get(req.Descriptor().Fields().ByName(name)).Map().Range(func(k protoreflect.MapKey, v protoreflect.Value) bool {
		md.Append(k.String(), v.String())
		return true
	})
	return md
}

// collect serves a client-streaming or bidirectional method: it sends
// each message back on a bidirectional stream, and the last one at the
// end of a client stream. These calls are not recorded.
func (b *Backend) collect(md protoreflect.MethodDescriptor, stream grpc.ServerStream) error {
	last := dynamicpb.NewMessage(md.Input())
	for {
		msg := dynamicpb.NewMessage(md.Input())
		if err := stream.RecvMsg(msg); err == io.EOF {
			break
		} else if err != nil {
			return err
		}
		if md.IsStreamingServer() {
			if err := stream.SendMsg(msg); err != nil {
				return err
			}
		}
		last = msg
	}
	if md.IsStreamingServer() {
		return nil
	}
	return stream.SendMsg(last)
}

// emit sends the metadata and messages of an EmitRequest, then ends or
// fails.
func (b *Backend) emit(req *dynamicpb.Message, stream grpc.ServerStream) error {
	fields := req.Descriptor().Fields()
	if header := metadataOf(req, "header_metadata"); len(header) > 0 {
		// Only then: a stream without headers may still fail before it
		// starts.
		if err := stream.SendHeader(header); err != nil {
			return err
		}
	}
	stream.SetTrailer(metadataOf(req, "trailer_metadata"))
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
