package pbjson_test

import (
	"context"
	"math/rand/v2"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/dynamicpb"

	demov1 "github.com/ssegw/ssegw/gen/examples/demo/v1"
	"github.com/ssegw/ssegw/internal/kitchensink"
	"github.com/ssegw/ssegw/internal/pbjson"
	"github.com/ssegw/ssegw/internal/pbjson/internal/encodetest"
)

// encFuzzEnv holds the message types the differential tests write, as
// dynamic messages from descriptors, and an Encoder per option set.
type encFuzzEnv struct {
	types      []protoreflect.MessageType
	resolver   encodetest.Chain
	extensions *protoregistry.Types
	anyTypes   []protoreflect.MessageDescriptor
	options    []protojson.MarshalOptions
	encoders   [][]*pbjson.TypeEncoder // by option set, then type
}

// newEncFuzzEnv compiles the kitchen-sink API and checks that the test
// binary links none of its generated types.
func newEncFuzzEnv(tb testing.TB) *encFuzzEnv {
	tb.Helper()
	if _, err := protoregistry.GlobalTypes.FindMessageByName("kitchensink.v1.Everything"); err == nil {
		tb.Fatal("the generated kitchen-sink types are linked: this test is about dynamic messages")
	}
	d, err := kitchensink.Compile(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	demoTypes := &protoregistry.Types{}
	for i := range demov1.File_examples_demo_v1_demo_proto.Messages().Len() {
		md := demov1.File_examples_demo_v1_demo_proto.Messages().Get(i)
		if err := demoTypes.RegisterMessage(dynamicpb.NewMessageType(md)); err != nil {
			tb.Fatal(err)
		}
	}
	env := &encFuzzEnv{
		resolver:   encodetest.Chain{d.Types, demoTypes, protoregistry.GlobalTypes},
		extensions: d.Types,
	}
	for _, name := range []protoreflect.FullName{
		"kitchensink.v1.Everything", "kitchensink.v1.Legacy", "kitchensink.v1.Modern",
		"kitchensink.v1.Inner", "kitchensink.v1.Node", "kitchensink.v1.Counted",
		"examples.demo.v1.Tick", "examples.demo.v1.SequenceEvent", "examples.demo.v1.FailRequest",
		"google.protobuf.Any", "google.protobuf.Struct", "google.protobuf.Value",
		"google.protobuf.Timestamp", "google.protobuf.Duration", "google.protobuf.FieldMask",
	} {
		mt, err := env.resolver.FindMessageByName(name)
		if err != nil {
			tb.Fatal(err)
		}
		env.types = append(env.types, mt)
	}
	for _, name := range []protoreflect.FullName{
		"kitchensink.v1.BackendOnly", "kitchensink.v1.Inner", "kitchensink.v1.Legacy",
		"google.protobuf.Timestamp", "google.protobuf.Duration", "google.protobuf.Empty",
		"google.protobuf.Value", "google.protobuf.Struct", "google.protobuf.Any",
		"google.protobuf.Int64Value", "google.protobuf.FieldMask",
	} {
		mt, err := env.resolver.FindMessageByName(name)
		if err != nil {
			tb.Fatal(err)
		}
		env.anyTypes = append(env.anyTypes, mt.Descriptor())
	}
	env.options = encodetest.Options(env.resolver)
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

// check generates a message from data and compares the Encoder with
// protojson for every option set. It returns how many of the comparisons
// the plans wrote, rather than protojson as their fallback.
func (env *encFuzzEnv) check(t *testing.T, data []byte) (covered, compared int) {
	src := encodetest.NewSource(data)
	if src.Chance(3) {
		return env.checkRandomFile(t, src)
	}
	w := encodetest.NewWire(src)
	w.AnyTypes, w.Extensions = env.anyTypes, env.extensions
	ti := src.Intn(len(env.types))
	mt := env.types[ti]
	wire := w.Message(mt.Descriptor())
	for oi, opts := range env.options {
		ok, err := encodetest.Compare(env.encoders[oi][ti], opts, mt, wire)
		if err != nil {
			t.Fatalf("%s, wire %x, options %+v:\n%v", mt.Descriptor().FullName(), wire, encOptionNames(opts), err)
		}
		covered, compared = covered+encCount(ok), compared+1
	}
	return covered, compared
}

// encCount counts a true.
func encCount(b bool) int {
	if b {
		return 1
	}
	return 0
}

// checkRandomFile builds a random file from src and compares the Encoder
// with protojson on a message of one of its types.
func (env *encFuzzEnv) checkRandomFile(t *testing.T, src *encodetest.Source) (covered, compared int) {
	fd := encodetest.RandomFile(src, protoregistry.GlobalFiles)
	if fd == nil {
		return 0, 0
	}
	types, err := encodetest.Types(fd)
	if err != nil {
		t.Fatal(err)
	}
	resolver := append(encodetest.Chain{types}, env.resolver...)
	w := encodetest.NewWire(src)
	w.Extensions = types
	for i := range fd.Messages().Len() {
		w.AnyTypes = append(w.AnyTypes, fd.Messages().Get(i))
	}
	w.AnyTypes = append(w.AnyTypes, env.anyTypes...)
	md := fd.Messages().Get(src.Intn(fd.Messages().Len()))
	mt, err := types.FindMessageByName(md.FullName())
	if err != nil {
		t.Fatal(err)
	}
	wire := w.Message(md)
	for _, opts := range encodetest.Options(resolver) {
		enc := pbjson.NewEncoder(opts).Type(mt)
		ok, err := encodetest.Compare(enc, opts, mt, wire)
		if err != nil {
			fdp, _ := prototext.Marshal(protodesc.ToFileDescriptorProto(fd))
			t.Fatalf("%s in\n%s\nwire %x, options %+v:\n%v", md.FullName(), fdp, wire, encOptionNames(opts), err)
		}
		covered, compared = covered+encCount(ok), compared+1
	}
	return covered, compared
}

// encOptionNames lists the options that are on.
func encOptionNames(o protojson.MarshalOptions) []string {
	var on []string
	for name, set := range map[string]bool{
		"UseProtoNames": o.UseProtoNames, "UseEnumNumbers": o.UseEnumNumbers,
		"EmitUnpopulated": o.EmitUnpopulated, "EmitDefaultValues": o.EmitDefaultValues,
		"AllowPartial": o.AllowPartial,
	} {
		if set {
			on = append(on, name)
		}
	}
	return on
}

// TestTranscodeDifferential runs the differential check of FuzzTranscode
// on pseudo-random inputs, and checks that the plans, not their protojson
// fallback, wrote nearly all the messages: the fuzz target proves the
// plans right only if it reaches them.
func TestTranscodeDifferential(t *testing.T) {
	env := newEncFuzzEnv(t)
	rng := rand.New(rand.NewPCG(12, 1))
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

func FuzzTranscode(f *testing.F) {
	env := newEncFuzzEnv(f)
	for i := range 64 {
		seed := make([]byte, 64)
		for j := range seed {
			seed[j] = byte(i*31 + j*7)
		}
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		env.check(t, data)
	})
}
