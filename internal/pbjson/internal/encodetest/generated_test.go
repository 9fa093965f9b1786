package encodetest_test

import (
	"math/rand/v2"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/gofeaturespb"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	demov1 "github.com/ssegw/ssegw/gen/examples/demo/v1"
	ssegwv1 "github.com/ssegw/ssegw/gen/ssegw/v1"
	kitchensinkv1 "github.com/ssegw/ssegw/gen/testdata/kitchensink/v1"
	"github.com/ssegw/ssegw/internal/pbjson"
	"github.com/ssegw/ssegw/internal/pbjson/internal/encodetest"
)

// The differential test of the Encoder with generated Go types, which
// protobuf-go decodes with its fast path rather than the reflective one of
// dynamic messages: the kitchen-sink API (proto3, proto2 with extensions
// and a group, edition 2023), the demo API, descriptor.proto (proto2:
// required fields, defaults, closed enums, extension ranges, with the
// option extensions linked here), google.rpc's error details, the Go
// features (edition 2023) and the well-known types. The types resolve
// from the global registry, where they are linked.

var generatedTypes = []proto.Message{
	&kitchensinkv1.Everything{}, &kitchensinkv1.Legacy{}, &kitchensinkv1.Modern{},
	&kitchensinkv1.Inner{}, &kitchensinkv1.Node{}, &kitchensinkv1.Counted{},
	&demov1.Tick{}, &demov1.SequenceEvent{}, &demov1.FailRequest{},
	&descriptorpb.FileDescriptorProto{}, &descriptorpb.FieldOptions{}, &descriptorpb.MethodOptions{},
	&descriptorpb.UninterpretedOption{}, &descriptorpb.FeatureSet{}, &gofeaturespb.GoFeatures{},
	&errdetails.ErrorInfo{}, &errdetails.BadRequest{}, &spb.Status{}, &ssegwv1.StreamOptions{},
	&anypb.Any{}, &structpb.Struct{}, &structpb.Value{}, &timestamppb.Timestamp{},
	&durationpb.Duration{}, &fieldmaskpb.FieldMask{}, &wrapperspb.BytesValue{},
}

var generatedAnyTypes = []proto.Message{
	&kitchensinkv1.BackendOnly{}, &kitchensinkv1.Inner{}, &kitchensinkv1.Legacy{}, &demov1.Tick{}, &errdetails.ErrorInfo{}, &descriptorpb.UninterpretedOption{},
	&timestamppb.Timestamp{}, &durationpb.Duration{}, &emptypb.Empty{}, &structpb.Value{},
	&structpb.Struct{}, &anypb.Any{}, &fieldmaskpb.FieldMask{}, &wrapperspb.Int64Value{},
}

type generatedEnv struct {
	options  []protojson.MarshalOptions
	types    []protoreflect.MessageType
	encoders [][]*pbjson.TypeEncoder
	anyTypes []protoreflect.MessageDescriptor
}

func newGeneratedEnv() *generatedEnv {
	env := &generatedEnv{options: encodetest.Options(protoregistry.GlobalTypes)}
	for _, m := range generatedTypes {
		env.types = append(env.types, m.ProtoReflect().Type())
	}
	for _, m := range generatedAnyTypes {
		env.anyTypes = append(env.anyTypes, m.ProtoReflect().Descriptor())
	}
	for _, opts := range env.options {
		enc := pbjson.NewEncoder(opts)
		var row []*pbjson.TypeEncoder
		for _, mt := range env.types {
			row = append(row, enc.Type(mt))
		}
		env.encoders = append(env.encoders, row)
	}
	return env
}

func (env *generatedEnv) check(t *testing.T, data []byte) (covered, compared int) {
	src := encodetest.NewSource(data)
	w := encodetest.NewWire(src)
	w.AnyTypes, w.Extensions = env.anyTypes, protoregistry.GlobalTypes
	ti := src.Intn(len(env.types))
	mt := env.types[ti]
	wire := w.Message(mt.Descriptor())
	for oi, opts := range env.options {
		ok, err := encodetest.Compare(env.encoders[oi][ti], opts, mt, wire)
		if err != nil {
			t.Fatalf("%s, wire %x, options %+v:\n%v", mt.Descriptor().FullName(), wire, opts, err)
		}
		if ok {
			covered++
		}
		compared++
	}
	return covered, compared
}

// TestTranscodeGeneratedDifferential runs the check of
// FuzzTranscodeGenerated on pseudo-random inputs, and checks that the
// plans, not their protojson fallback, wrote nearly all the messages.
func TestTranscodeGeneratedDifferential(t *testing.T) {
	env := newGeneratedEnv()
	rng := rand.New(rand.NewPCG(7, 8))
	inputs := 600
	if testing.Short() {
		inputs = 100
	}
	covered, compared := 0, 0
	for range inputs {
		data := make([]byte, 64+rng.IntN(256))
		for i := range data {
			data[i] = byte(rng.Uint32())
		}
		c, n := env.check(t, data)
		covered, compared = covered+c, compared+n
	}
	if covered < compared*9/10 {
		t.Errorf("the plans wrote %d of %d messages, want 90%%", covered, compared)
	}
	t.Logf("the plans wrote %d of %d messages", covered, compared)
}

func FuzzTranscodeGenerated(f *testing.F) {
	env := newGeneratedEnv()
	for i := range 64 {
		seed := make([]byte, 64)
		for j := range seed {
			seed[j] = byte(i*37 + j*11)
		}
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		env.check(t, data)
	})
}
