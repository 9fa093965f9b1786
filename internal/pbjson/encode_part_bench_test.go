package pbjson_test

import (
	"context"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/ssegw/ssegw/internal/kitchensink"
	"github.com/ssegw/ssegw/internal/pbjson"
)

// BenchmarkEncodePart writes the case of a oneof that is set (a
// kitchen-sink FeedEvent holding a message of about 1 KiB of JSON) from the
// wire bytes of the whole message, beside the whole message, and as
// decoding the message and writing the case with protojson would.
func BenchmarkEncodePart(b *testing.B) {
	d, err := kitchensink.Compile(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	mt, err := d.Types.FindMessageByName("kitchensink.v1.FeedEvent")
	if err != nil {
		b.Fatal(err)
	}
	msg := mt.New().Interface()
	text := `{"seq":"42","everything":{"stringValue":"` + strings.Repeat("x", 600) + `","int64Value":"-7","repeatedColor":["RED","BLUE"],` +
		`"inner":{"name":"n","colors":["GREEN"]},"mapInt32":{"1":"a","2":"b"},"timestamp":"2024-02-29T23:59:59Z"}}`
	if err := (protojson.UnmarshalOptions{Resolver: d.Types}).Unmarshal([]byte(text), msg); err != nil {
		b.Fatal(err)
	}
	wire, err := proto.Marshal(msg)
	if err != nil {
		b.Fatal(err)
	}
	enc := pbjson.NewEncoder(protojson.MarshalOptions{Resolver: d.Types}).Type(mt)
	oneof, err := enc.Oneof(mt.Descriptor().Oneofs().ByName("event"))
	if err != nil {
		b.Fatal(err)
	}
	b.Run("oneof case", func(b *testing.B) {
		var out []byte
		b.ReportAllocs()
		b.SetBytes(int64(len(wire)))
		for b.Loop() {
			if out, _, err = oneof.MarshalWire(out[:0], wire); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("whole message", func(b *testing.B) {
		var out []byte
		b.ReportAllocs()
		b.SetBytes(int64(len(wire)))
		for b.Loop() {
			if out, err = enc.MarshalWire(out[:0], wire); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode and protojson", func(b *testing.B) {
		opts := protojson.MarshalOptions{Resolver: d.Types}
		everything := mt.Descriptor().Fields().ByName("everything")
		var out []byte
		b.ReportAllocs()
		b.SetBytes(int64(len(wire)))
		for b.Loop() {
			m := mt.New()
			if err := proto.Unmarshal(wire, m.Interface()); err != nil {
				b.Fatal(err)
			}
			if out, err = opts.MarshalAppend(out[:0], m.Get(everything).Message().Interface()); err != nil {
				b.Fatal(err)
			}
		}
	})
}
