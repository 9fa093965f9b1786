package pbjson_test

import (
	"fmt"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"

	demov1 "github.com/ssegw/ssegw/gen/examples/demo/v1"
	"github.com/ssegw/ssegw/internal/pbjson"
)

// encBenchMessages are the wire bytes of messages whose JSON is about 100
// bytes and 4 KiB: a SequenceEvent with a payload string (the gateway
// bench's message), and a FailRequest with many small nested messages.
func encBenchMessages(b *testing.B) []struct {
	name string
	msg  proto.Message
} {
	b.Helper()
	seq := func(size int) proto.Message {
		m := &demov1.SequenceEvent{Name: "streams/orders", Seq: 123456}
		m.Payload = strings.Repeat("x", max(size-len(`{"name":"streams/orders","seq":"123456","payload":""}`), 0))
		return m
	}
	fields := &demov1.FailRequest{Code: 3, Message: "invalid", Reason: "BAD"}
	for i := range 64 {
		fields.Violations = append(fields.Violations, &demov1.FieldViolation{
			Field: fmt.Sprintf("items[%d].name", i), Description: "must not be empty",
		})
	}
	return []struct {
		name string
		msg  proto.Message
	}{
		{"100B", seq(100)},
		{"4KiB", seq(4096)},
		{"4KiB-fields", fields},
	}
}

// BenchmarkEncode writes a message as JSON from its wire bytes with the
// Encoder, and as the gateway did before it: decode the bytes into a
// message, then protojson. Messages are dynamic (from descriptors, as a
// sidecar sees them) or generated Go types.
func BenchmarkEncode(b *testing.B) {
	for _, msg := range encBenchMessages(b) {
		wire, err := proto.Marshal(msg.msg)
		if err != nil {
			b.Fatal(err)
		}
		for _, kind := range []string{"dynamic", "generated"} {
			var mt protoreflect.MessageType = msg.msg.ProtoReflect().Type()
			if kind == "dynamic" {
				mt = dynamicpb.NewMessageType(msg.msg.ProtoReflect().Descriptor())
			}
			b.Run(fmt.Sprintf("%s/%s/pbjson", msg.name, kind), func(b *testing.B) {
				enc := pbjson.NewEncoder(protojson.MarshalOptions{}).Type(mt)
				var out []byte
				b.ReportAllocs()
				b.SetBytes(int64(len(wire)))
				for b.Loop() {
					if out, err = enc.MarshalWire(out[:0], wire); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run(fmt.Sprintf("%s/%s/protojson", msg.name, kind), func(b *testing.B) {
				opts := protojson.MarshalOptions{}
				m := mt.New().Interface()
				var out []byte
				b.ReportAllocs()
				b.SetBytes(int64(len(wire)))
				for b.Loop() {
					if err := proto.Unmarshal(wire, m); err != nil {
						b.Fatal(err)
					}
					if out, err = opts.MarshalAppend(out[:0], m); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
