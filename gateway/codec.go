package gateway

import (
	"fmt"

	"google.golang.org/grpc"
	"google.golang.org/grpc/encoding"
	grpcproto "google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/proto"
)

// frameCodec is the codec of the gateway's backend calls, passed to each
// call with grpc.ForceCodecV2 (no codec is registered globally). Requests
// are marshalled as gRPC's proto codec does; a response received into a
// *frame is kept as its wire bytes, which become JSON without being
// decoded into a message.
type frameCodec struct {
	proto encoding.CodecV2
}

// newFrameCodec returns the codec, marshalling requests with gRPC's own
// proto codec.
func newFrameCodec() frameCodec {
	return frameCodec{proto: encoding.GetCodecV2(grpcproto.Name)}
}

// callOption is the call option that makes c the codec of a call.
func (c frameCodec) callOption() grpc.CallOption {
	return grpc.ForceCodecV2(c)
}

// Marshal implements encoding.CodecV2.
func (c frameCodec) Marshal(v any) (mem.BufferSlice, error) {
	return c.proto.Marshal(v)
}

// Unmarshal implements encoding.CodecV2: a *frame takes a reference to the
// received bytes (gRPC's pooled buffer when the message came in one
// piece), other messages are decoded.
func (c frameCodec) Unmarshal(data mem.BufferSlice, v any) error {
	f, ok := v.(*frame)
	if !ok {
		return c.proto.Unmarshal(data, v)
	}
	f.release()
	f.buf = data.MaterializeToBuffer(mem.DefaultBufferPool())
	return nil
}

// Name implements encoding.CodecV2: the content subtype, "proto".
func (frameCodec) Name() string {
	return grpcproto.Name
}

// frame is one message received from the backend, as its wire bytes.
type frame struct {
	buf mem.Buffer // nil once released
	// err and last describe a message received ahead: the error that
	// ended the stream instead of a message, and whether the goroutine
	// receiving ahead stopped after it.
	err  error
	last bool
}

// bytes returns the message's wire bytes, valid until release.
func (f *frame) bytes() []byte {
	if f.buf == nil {
		return nil
	}
	return f.buf.ReadOnlyData()
}

// size returns the length of the message's wire bytes.
func (f *frame) size() int {
	if f.buf == nil {
		return 0
	}
	return f.buf.Len()
}

// release hands the bytes back to gRPC's buffer pool.
func (f *frame) release() {
	if f.buf != nil {
		f.buf.Free()
		f.buf = nil
	}
}

// decodeBackendMessage decodes the wire bytes of a backend message into m
// with o. A message that protobuf-go's decoder panics on (it does for
// dynamic messages on some malformed map entries) is an error, not a
// crash.
func decodeBackendMessage(o proto.UnmarshalOptions, wire []byte, m proto.Message) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("malformed message: %v", p)
		}
	}()
	return o.Unmarshal(wire, m)
}
