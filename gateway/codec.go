package gateway

import (
	"fmt"

	"google.golang.org/grpc/encoding"
	protocodec "google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/proto"
)

// resolvingCodec is gRPC's proto codec, except that it decodes messages
// with the backend's types as the resolver, so that extension fields of a
// backend's messages stay fields (and reach the event data) instead of
// unknown bytes.
type resolvingCodec struct{ resolver *typeResolver }

var _ encoding.CodecV2 = resolvingCodec{}

func (resolvingCodec) Marshal(v any) (mem.BufferSlice, error) {
	return encoding.GetCodecV2(protocodec.Name).Marshal(v)
}

func (c resolvingCodec) Unmarshal(data mem.BufferSlice, v any) error {
	m, ok := v.(proto.Message)
	if !ok {
		return fmt.Errorf("gateway codec: %T is not a proto.Message", v)
	}
	buf := data.MaterializeToBuffer(mem.DefaultBufferPool())
	defer buf.Free()
	return proto.UnmarshalOptions{Resolver: c.resolver}.Unmarshal(buf.ReadOnlyData(), m)
}

func (resolvingCodec) Name() string { return protocodec.Name }
