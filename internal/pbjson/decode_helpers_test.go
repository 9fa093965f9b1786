package pbjson

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/ssegw/ssegw/internal/kitchensink"
)

// kitchenSinkTypes are the kitchen-sink messages the decoder is checked
// on, every kind of field among them.
var kitchenSinkTypes = []protoreflect.FullName{
	"kitchensink.v1.Everything",
	"kitchensink.v1.Inner",
	"kitchensink.v1.Node",
	"kitchensink.v1.Legacy",
	"kitchensink.v1.Modern",
	"kitchensink.v1.Part",
	"kitchensink.v1.BackendOnly",
}

var compileKitchenSink = sync.OnceValues(func() (*kitchensink.Descriptors, error) {
	return kitchensink.Compile(context.Background())
})

// kitchenSink returns the kitchen-sink descriptors, compiled from source:
// dynamic types only, as a sidecar has them.
func kitchenSink(tb testing.TB) *kitchensink.Descriptors {
	tb.Helper()
	d, err := compileKitchenSink()
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := protoregistry.GlobalTypes.FindMessageByName("kitchensink.v1.Everything"); err == nil {
		tb.Fatal("the generated kitchen-sink types are linked: these tests must use dynamic types only")
	}
	return d
}

func messageType(tb testing.TB, d *kitchensink.Descriptors, name protoreflect.FullName) protoreflect.MessageType {
	tb.Helper()
	mt, err := d.Types.FindMessageByName(name)
	if err != nil {
		tb.Fatal(err)
	}
	return mt
}

// optionSets are the protojson options the decoder is checked with.
func optionSets(resolver *protoregistry.Types) []protojson.UnmarshalOptions {
	return []protojson.UnmarshalOptions{
		{Resolver: resolver},
		{Resolver: resolver, DiscardUnknown: true},
		{Resolver: resolver, AllowPartial: true},
		{Resolver: resolver, DiscardUnknown: true, AllowPartial: true, RecursionLimit: 6},
	}
}

// compareWithProtojson decodes data with dec and with protojson and
// reports how they differ: a message each that are not equal, or an error
// from only one of them.
func compareWithProtojson(dec *Decoder, opts protojson.UnmarshalOptions, mt protoreflect.MessageType, data []byte) error {
	got := mt.New().Interface()
	gotErr := dec.Unmarshal(data, got)
	want := mt.New().Interface()
	wantErr := opts.Unmarshal(data, want)
	switch {
	case (gotErr == nil) != (wantErr == nil):
		return fmt.Errorf("%s %q: error %v, protojson's %v", mt.Descriptor().FullName(), data, gotErr, wantErr)
	case gotErr == nil && !proto.Equal(got, want):
		return fmt.Errorf("%s %q: decoded\n%v\nprotojson decoded\n%v", mt.Descriptor().FullName(), data, got, want)
	}
	return nil
}

// byPlan reports whether the plan alone decodes data, without protojson.
func byPlan(dec *Decoder, mt protoreflect.MessageType, data []byte) error {
	if dec.plans.plan(mt.Descriptor()) == nil {
		return errors.New("no plan")
	}
	return dec.unmarshalPlan(data, mt.New().Interface())
}

// filler fills messages with random values of every kind, extremes
// included, so that protojson writes the JSON that the decoder is checked
// on.
type filler struct {
	r     *rand.Rand
	types *protoregistry.Types
}

func (f *filler) message(m protoreflect.Message, depth int) {
	md := m.Descriptor()
	switch md.FullName() {
	case "google.protobuf.Timestamp":
		m.Set(md.Fields().ByName("seconds"), protoreflect.ValueOfInt64(f.r.Int64N(253402300799+62135596800)-62135596800))
		m.Set(md.Fields().ByName("nanos"), protoreflect.ValueOfInt32(f.nanos()))
		return
	case "google.protobuf.Duration":
		s := f.r.Int64N(315576000000)
		n := f.nanos()
		if f.r.IntN(2) == 0 {
			s, n = -s, -n
		}
		m.Set(md.Fields().ByName("seconds"), protoreflect.ValueOfInt64(s))
		m.Set(md.Fields().ByName("nanos"), protoreflect.ValueOfInt32(n))
		return
	case "google.protobuf.FieldMask":
		paths := m.Mutable(md.Fields().ByName("paths")).List()
		for range f.r.IntN(3) {
			paths.Append(protoreflect.ValueOfString([]string{"name", "inner.color", "field_name", "a_b.c_d"}[f.r.IntN(4)]))
		}
		return
	case "google.protobuf.Any":
		inner, err := f.types.FindMessageByName([]protoreflect.FullName{"kitchensink.v1.BackendOnly", "kitchensink.v1.Inner", "google.protobuf.Duration", "google.protobuf.Value"}[f.r.IntN(4)])
		if err != nil {
			panic(err)
		}
		im := inner.New()
		f.message(im, depth-1)
		b, err := proto.MarshalOptions{Deterministic: true}.Marshal(im.Interface())
		if err != nil {
			panic(err)
		}
		m.Set(md.Fields().ByName("type_url"), protoreflect.ValueOfString("type.googleapis.com/"+string(inner.Descriptor().FullName())))
		m.Set(md.Fields().ByName("value"), protoreflect.ValueOfBytes(b))
		return
	case "google.protobuf.Value":
		// One kind, and no nesting deeper than depth.
		oneof := md.Oneofs().Get(0).Fields()
		fd := oneof.Get(f.r.IntN(oneof.Len()))
		if depth <= 0 && fd.Message() != nil {
			fd = md.Fields().ByName("string_value")
		}
		f.field(m, fd, depth)
		if fd.Name() == "number_value" && (math.IsNaN(m.Get(fd).Float()) || math.IsInf(m.Get(fd).Float(), 0)) {
			m.Set(fd, protoreflect.ValueOfFloat64(1.5))
		}
		return
	}
	fields := md.Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		if od := fd.ContainingOneof(); od != nil && !od.IsSynthetic() && m.WhichOneof(od) != nil {
			continue
		}
		if fd.Cardinality() == protoreflect.Required || f.r.IntN(3) > 0 {
			f.field(m, fd, depth)
		}
	}
	if md.FullName() == "kitchensink.v1.Legacy" && f.r.IntN(4) == 0 {
		if xt, err := f.types.FindExtensionByName("kitchensink.v1.note"); err == nil {
			m.Set(xt.TypeDescriptor(), protoreflect.ValueOfString(f.text()))
		}
	}
}

func (f *filler) nanos() int32 {
	switch f.r.IntN(4) {
	case 0:
		return 0
	case 1:
		return int32(f.r.IntN(1000)) * 1000000
	case 2:
		return int32(f.r.IntN(1000000)) * 1000
	}
	return int32(f.r.IntN(1000000000))
}

func (f *filler) field(m protoreflect.Message, fd protoreflect.FieldDescriptor, depth int) {
	isMessage := fd.Message() != nil && !fd.IsMap() || fd.IsMap() && fd.MapValue().Message() != nil
	if isMessage && depth <= 0 {
		return
	}
	switch {
	case fd.IsList():
		list := m.Mutable(fd).List()
		for range f.r.IntN(4) {
			if fd.Message() != nil {
				e := list.NewElement()
				f.message(e.Message(), depth-1)
				list.Append(e)
			} else {
				list.Append(f.scalar(fd))
			}
		}
	case fd.IsMap():
		mp := m.Mutable(fd).Map()
		for range f.r.IntN(4) {
			k := f.scalar(fd.MapKey()).MapKey()
			if fd.MapValue().Message() != nil {
				v := mp.NewValue()
				f.message(v.Message(), depth-1)
				mp.Set(k, v)
			} else {
				mp.Set(k, f.scalar(fd.MapValue()))
			}
		}
	case fd.Message() != nil:
		v := m.NewField(fd)
		f.message(v.Message(), depth-1)
		m.Set(fd, v)
	default:
		m.Set(fd, f.scalar(fd))
	}
}

func (f *filler) scalar(fd protoreflect.FieldDescriptor) protoreflect.Value {
	pick := f.r.IntN(6)
	switch fd.Kind() {
	case protoreflect.BoolKind:
		return protoreflect.ValueOfBool(pick%2 == 0)
	case protoreflect.EnumKind:
		values := fd.Enum().Values()
		if pick == 0 && !fd.Enum().IsClosed() {
			return protoreflect.ValueOfEnum(99)
		}
		return protoreflect.ValueOfEnum(values.Get(f.r.IntN(values.Len())).Number())
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		return protoreflect.ValueOfInt32([]int32{0, 1, -1, math.MaxInt32, math.MinInt32, f.r.Int32()}[pick])
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return protoreflect.ValueOfInt64([]int64{0, 7, -7, math.MaxInt64, math.MinInt64, f.r.Int64() - f.r.Int64()}[pick])
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return protoreflect.ValueOfUint32([]uint32{0, 1, 200, math.MaxUint32, 1 << 31, f.r.Uint32()}[pick])
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return protoreflect.ValueOfUint64([]uint64{0, 1, 300, math.MaxUint64, 1 << 63, f.r.Uint64()}[pick])
	case protoreflect.FloatKind:
		return protoreflect.ValueOfFloat32([]float32{0, 1.5, -2.25e-30, float32(math.Inf(1)), float32(math.NaN()), f.r.Float32() * 1e20}[pick])
	case protoreflect.DoubleKind:
		return protoreflect.ValueOfFloat64([]float64{0, math.Copysign(0, -1), math.MaxFloat64, math.Inf(-1), math.NaN(), f.r.NormFloat64() * 1e100}[pick])
	case protoreflect.StringKind:
		return protoreflect.ValueOfString(f.text())
	case protoreflect.BytesKind:
		b := make([]byte, f.r.IntN(40))
		for i := range b {
			b[i] = byte(f.r.Uint32())
		}
		return protoreflect.ValueOfBytes(b)
	}
	panic(fmt.Sprintf("no value for %v", fd.Kind()))
}

// text returns a string that needs escapes in JSON now and then.
func (f *filler) text() string {
	parts := []string{"", "plain", "with \"quotes\" and \\", "line\nbreak\ttab", "é ü 日本 🎉", "<html>&amp;", "\u2028\u2029", "\x00\x01\x1f", "KIND_ONE", "Infinity"}
	var b strings.Builder
	for range f.r.IntN(3) + 1 {
		b.WriteString(parts[f.r.IntN(len(parts))])
	}
	if f.r.IntN(10) == 0 {
		b.WriteString(strings.Repeat("long text ", 20))
	}
	return b.String()
}

// marshalOptionSets are the ways protojson writes the seeds.
var marshalOptionSets = []protojson.MarshalOptions{
	{},
	{UseProtoNames: true},
	{UseEnumNumbers: true, EmitUnpopulated: true},
	{Multiline: true, Indent: "  ", EmitDefaultValues: true},
}

// samples returns JSON that protojson writes for random messages of the
// kitchen-sink types, with the type of each.
func samples(tb testing.TB, d *kitchensink.Descriptors, n int, seed uint64) (data [][]byte, types []protoreflect.MessageType) {
	f := &filler{r: rand.New(rand.NewPCG(seed, 1)), types: d.Types}
	for i := range n {
		mt := messageType(tb, d, kitchenSinkTypes[i%len(kitchenSinkTypes)])
		m := mt.New()
		f.message(m, 3)
		mo := marshalOptionSets[f.r.IntN(len(marshalOptionSets))]
		mo.Resolver = d.Types
		mo.AllowPartial = true
		b, err := mo.Marshal(m.Interface())
		if err != nil {
			tb.Fatalf("marshalling %v: %v", m, err)
		}
		data = append(data, b)
		types = append(types, mt)
	}
	return data, types
}
