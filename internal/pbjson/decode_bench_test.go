package pbjson

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	benchv1 "github.com/ssegw/ssegw/gen/bench/v1"
	demov1 "github.com/ssegw/ssegw/gen/examples/demo/v1"
)

// BenchmarkDecode decodes one event's data into a new message, as
// sseclient does: with protojson, with the Decoder, and, for scale, with
// proto.Unmarshal from the binary form of the same message. The bench's
// StreamMessage of 100 B and 4 KiB (protobuf size), the demo's
// SequenceEvent, and the kitchen-sink Everything as a dynamic message.
func BenchmarkDecode(b *testing.B) {
	d := kitchenSink(b)
	everything := messageType(b, d, "kitchensink.v1.Everything").New()
	f := &filler{r: rand.New(rand.NewPCG(7, 7)), types: d.Types}
	for everything.Interface().(proto.Message) != nil {
		f.message(everything, 2)
		if size := proto.Size(everything.Interface()); size > 2000 && size < 6000 {
			break
		}
		everything = everything.Type().New()
	}
	cases := []struct {
		name string
		msg  proto.Message
	}{
		{"StreamMessage/100B", streamMessage(100)},
		{"StreamMessage/4KiB", streamMessage(4096)},
		{"SequenceEvent", &demov1.SequenceEvent{Name: "streams/demo", Seq: 1234, Payload: "event 1234 of streams/demo"}},
		{"Everything/dynamic", everything.Interface()},
	}
	opts := protojson.UnmarshalOptions{DiscardUnknown: true, Resolver: d.Types}
	for _, c := range cases {
		data, err := protojson.MarshalOptions{Resolver: d.Types}.Marshal(c.msg)
		if err != nil {
			b.Fatal(err)
		}
		wire, err := proto.Marshal(c.msg)
		if err != nil {
			b.Fatal(err)
		}
		mt := c.msg.ProtoReflect().Type()
		run := func(name string, n int, decode func(m proto.Message) error) {
			b.Run(c.name+"/decoder="+name, func(b *testing.B) {
				b.SetBytes(int64(n))
				b.ReportAllocs()
				for b.Loop() {
					if err := decode(mt.New().Interface()); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
		dec := NewDecoder(opts, nil)
		run("protojson", len(data), func(m proto.Message) error { return opts.Unmarshal(data, m) })
		run("pbjson", len(data), func(m proto.Message) error { return dec.Unmarshal(data, m) })
		run("proto", len(wire), func(m proto.Message) error { return proto.Unmarshal(wire, m) })
	}
}

// BenchmarkDecodeRatio decodes the bench's and the demo's messages with
// proto.Unmarshal, protojson and the Decoder in turns of 200 each, and
// reports the fastest turn of each and their ratios to proto.Unmarshal: on
// a shared machine, the fastest turns are the ones that other work
// disturbed least, and taking turns gives the three the same conditions.
func BenchmarkDecodeRatio(b *testing.B) {
	cases := []struct {
		name string
		msg  proto.Message
	}{
		{"StreamMessage/100B", streamMessage(100)},
		{"StreamMessage/4KiB", streamMessage(4096)},
		{"SequenceEvent", &demov1.SequenceEvent{Name: "streams/demo", Seq: 1234, Payload: "event 1234 of streams/demo"}},
	}
	opts := protojson.UnmarshalOptions{DiscardUnknown: true}
	for _, c := range cases {
		data, err := protojson.Marshal(c.msg)
		if err != nil {
			b.Fatal(err)
		}
		wire, err := proto.Marshal(c.msg)
		if err != nil {
			b.Fatal(err)
		}
		mt := c.msg.ProtoReflect().Type()
		dec := NewDecoder(opts, nil)
		decoders := []func() error{
			func() error { return proto.Unmarshal(wire, mt.New().Interface()) },
			func() error { return opts.Unmarshal(data, mt.New().Interface()) },
			func() error { return dec.Unmarshal(data, mt.New().Interface()) },
		}
		b.Run(c.name, func(b *testing.B) {
			const turn = 200
			best := []time.Duration{time.Hour, time.Hour, time.Hour}
			for b.Loop() {
				for i, decode := range decoders {
					start := time.Now()
					for range turn {
						if err := decode(); err != nil {
							b.Fatal(err)
						}
					}
					best[i] = min(best[i], time.Since(start)/turn)
				}
			}
			b.ReportMetric(float64(best[0].Nanoseconds()), "proto-ns")
			b.ReportMetric(float64(best[1].Nanoseconds()), "protojson-ns")
			b.ReportMetric(float64(best[2].Nanoseconds()), "pbjson-ns")
			b.ReportMetric(float64(best[1])/float64(best[0]), "protojson/proto")
			b.ReportMetric(float64(best[2])/float64(best[0]), "pbjson/proto")
		})
	}
}

// streamMessage returns a bench message of about size bytes in protobuf.
func streamMessage(size int) *benchv1.StreamMessage {
	return &benchv1.StreamMessage{Seq: 123456, SentUnixNano: 1764680000123456789, Payload: strings.Repeat("x", size-18)}
}
