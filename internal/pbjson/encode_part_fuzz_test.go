package pbjson_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/ssegw/ssegw/internal/pbjson"
	"github.com/ssegw/ssegw/internal/pbjson/internal/encodetest"
)

// The differential tests of FieldEncoder and OneofEncoder: the JSON of a
// part of a message, written from the wire bytes of the whole message,
// must be what protojson writes for that part of the decoded message.

// checkParts generates a message and picks an option set from data, and
// compares the encoders of each field (and of each field of its singular
// message fields) and of each oneof with protojson. It returns how many of
// the comparisons the plans wrote.
func (env *encFuzzEnv) checkParts(t *testing.T, data []byte) (covered, compared int) {
	src := encodetest.NewSource(data)
	w := encodetest.NewWire(src)
	w.AnyTypes, w.Extensions = env.anyTypes, env.extensions
	ti := src.Intn(len(env.types))
	mt := env.types[ti]
	md := mt.Descriptor()
	wire := w.Message(md)
	if isWellKnownType(md) {
		return 0, 0 // written whole
	}
	var paths [][]protoreflect.FieldDescriptor
	for i := range md.Fields().Len() {
		fd := md.Fields().Get(i)
		paths = append(paths, []protoreflect.FieldDescriptor{fd})
		if fd.Message() == nil || fd.IsList() || fd.IsMap() || isWellKnownType(fd.Message()) {
			continue
		}
		for j := range fd.Message().Fields().Len() {
			paths = append(paths, []protoreflect.FieldDescriptor{fd, fd.Message().Fields().Get(j)})
		}
	}
	oi := src.Intn(len(env.options))
	opts := env.options[oi]
	enc := env.encoders[oi][ti]
	for _, path := range paths {
		fe, err := enc.Field(path...)
		if err != nil {
			t.Fatal(err)
		}
		ok, err := comparePart(opts, mt, wire, path, nil, func(dst []byte, plansOnly bool) ([]byte, protoreflect.FieldDescriptor, error) {
			if plansOnly {
				b, err := fe.MarshalWireNoFallback(dst, wire)
				return b, nil, err
			}
			b, err := fe.MarshalWire(dst, wire)
			return b, nil, err
		})
		if err != nil {
			t.Fatalf("%s, field %v, wire %x, options %+v:\n%v", md.FullName(), pathNames(path), wire, encOptionNames(opts), err)
		}
		covered, compared = covered+encCount(ok), compared+1
	}
	for i := range md.Oneofs().Len() {
		od := md.Oneofs().Get(i)
		if od.IsSynthetic() {
			continue
		}
		oe, err := enc.Oneof(od)
		if err != nil {
			t.Fatal(err)
		}
		ok, err := comparePart(opts, mt, wire, nil, od, func(dst []byte, plansOnly bool) ([]byte, protoreflect.FieldDescriptor, error) {
			if plansOnly {
				return oe.MarshalWireNoFallback(dst, wire)
			}
			return oe.MarshalWire(dst, wire)
		})
		if err != nil {
			t.Fatalf("%s, oneof %s, wire %x, options %+v:\n%v", md.FullName(), od.Name(), wire, encOptionNames(opts), err)
		}
		covered, compared = covered+encCount(ok), compared+1
	}
	return covered, compared
}

// isWellKnownType tells the types whose JSON is their own, whose fields
// have none.
func isWellKnownType(md protoreflect.MessageDescriptor) bool {
	return md.ParentFile().Package() == "google.protobuf" && md.Name() != "Empty"
}

func pathNames(path []protoreflect.FieldDescriptor) []protoreflect.Name {
	var names []protoreflect.Name
	for _, fd := range path {
		names = append(names, fd.Name())
	}
	return names
}

// comparePart writes a part of wire with write, first with the plans only
// and then as the gateway does, and compares it with partReference: the
// value of the field at path, or of the case of oneof that is set. Where
// protobuf-go cannot decode the message, the encoder may still write the
// part, whose bytes it reads alone.
func comparePart(opts protojson.MarshalOptions, mt protoreflect.MessageType, wire []byte, path []protoreflect.FieldDescriptor, oneof protoreflect.OneofDescriptor,
	write func(dst []byte, plansOnly bool) ([]byte, protoreflect.FieldDescriptor, error)) (covered bool, err error) {
	got, gotCase, gotErr := write([]byte("prefix"), true)
	covered = !errors.Is(gotErr, pbjson.ErrNotCovered)
	if !covered {
		got, gotCase, gotErr = write([]byte("prefix"), false)
	}
	if !bytes.HasPrefix(got, []byte("prefix")) {
		return covered, fmt.Errorf("the encoder dropped what dst held: %q", got)
	}
	got = got[len("prefix"):]
	want, wantCase, decoded, wantErr := partReference(opts, mt, wire, path, oneof)
	switch {
	case !decoded:
		return covered, nil
	case gotErr != nil && wantErr != nil:
		return covered, nil
	case gotErr != nil:
		return covered, fmt.Errorf("the encoder failed (%v) where protojson wrote %s", gotErr, want)
	case wantErr != nil:
		return covered, fmt.Errorf("the encoder wrote %s where protojson failed (%v)", got, wantErr)
	case gotCase != wantCase:
		return covered, fmt.Errorf("the encoder found case %v, protobuf-go %v", gotCase, wantCase)
	case gotCase == nil && oneof != nil:
		if len(got) != 0 {
			return covered, fmt.Errorf("no case is set, and the encoder wrote %s", got)
		}
		return covered, nil
	}
	var gotValue, wantValue any
	if gotValue, err = decodeNumbers(got); err != nil {
		return covered, fmt.Errorf("the encoder wrote invalid JSON %s: %v", got, err)
	}
	if wantValue, err = decodeNumbers(want); err != nil {
		return covered, fmt.Errorf("protojson wrote invalid JSON %s: %v", want, err)
	}
	if !reflect.DeepEqual(gotValue, wantValue) {
		return covered, fmt.Errorf("different values:\nencoder:   %s\nprotojson: %s", got, want)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, want); err != nil {
		return covered, err
	}
	if !bytes.Equal(got, compact.Bytes()) {
		return covered, fmt.Errorf("same value, other bytes:\nencoder:   %s\nprotojson: %s", got, compact.Bytes())
	}
	return covered, nil
}

// partReference decodes wire with protobuf-go and writes the part with
// protojson: a message value as a message; another value as its member in
// the JSON of a message holding only it (written with AllowPartial, the
// required fields of the value's messages checked on their own), or, when
// protojson leaves it out, the JSON of its default. decoded is false when
// protobuf-go cannot decode the message.
func partReference(opts protojson.MarshalOptions, mt protoreflect.MessageType, wire []byte, path []protoreflect.FieldDescriptor, oneof protoreflect.OneofDescriptor) (
	_ []byte, set protoreflect.FieldDescriptor, decoded bool, err error) {
	defer func() {
		if p := recover(); p != nil {
			decoded = false
		}
	}()
	m := mt.New().Interface()
	if err := (proto.UnmarshalOptions{AllowPartial: true, Resolver: opts.Resolver}).Unmarshal(wire, m); err != nil {
		return nil, nil, false, nil
	}
	msg := m.ProtoReflect()
	if oneof != nil {
		if set = msg.WhichOneof(oneof); set == nil {
			return nil, nil, true, nil
		}
		path = []protoreflect.FieldDescriptor{set}
	}
	for _, fd := range path[:len(path)-1] {
		msg = msg.Get(fd).Message()
	}
	fd := path[len(path)-1]
	if fd.Message() != nil && !fd.IsList() && !fd.IsMap() {
		sub := msg.Get(fd).Message()
		if !sub.IsValid() {
			sub = msg.NewField(fd).Message()
		}
		b, err := opts.Marshal(sub.Interface())
		return b, set, true, err
	}
	if !opts.AllowPartial {
		var err error
		switch v := msg.Get(fd); {
		case fd.IsList() && fd.Message() != nil:
			for i := range v.List().Len() {
				err = errors.Join(err, proto.CheckInitialized(v.List().Get(i).Message().Interface()))
			}
		case fd.IsMap() && fd.MapValue().Message() != nil:
			v.Map().Range(func(_ protoreflect.MapKey, v protoreflect.Value) bool {
				err = errors.Join(err, proto.CheckInitialized(v.Message().Interface()))
				return true
			})
		}
		if err != nil {
			return nil, set, true, err
		}
	}
	// The message holding only the value, whose other fields may not be
	// valid JSON (a proto2 string with invalid UTF-8).
	partial := opts
	partial.AllowPartial = true
	alone := msg.New()
	if msg.Has(fd) {
		alone.Set(fd, msg.Get(fd))
	}
	b, err := partial.Marshal(alone.Interface())
	if err != nil {
		return nil, set, true, err
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(b, &members); err != nil {
		return nil, set, true, err
	}
	name := fd.JSONName()
	if opts.UseProtoNames {
		name = fd.TextName()
	}
	if v, ok := members[name]; ok && string(v) != "null" {
		return v, set, true, nil
	}
	switch {
	case fd.IsList():
		return []byte("[]"), set, true, nil
	case fd.IsMap():
		return []byte("{}"), set, true, nil
	}
	// The default of a scalar: the member of a message holding it, with
	// the default values written.
	holder := msg.New()
	holder.Set(fd, fd.Default())
	partial.EmitDefaultValues = true
	if b, err = partial.Marshal(holder.Interface()); err != nil {
		return nil, set, true, err
	}
	if err := json.Unmarshal(b, &members); err != nil {
		return nil, set, true, err
	}
	return members[name], set, true, nil
}

// decodeNumbers parses JSON keeping the text of numbers.
func decodeNumbers(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("data after the value")
	}
	return v, nil
}

// TestPartsDifferential runs the differential check of FuzzParts on
// pseudo-random inputs, and checks that the plans, not the protojson
// fallback, wrote nearly all the parts.
func TestPartsDifferential(t *testing.T) {
	env := newEncFuzzEnv(t)
	rng := rand.New(rand.NewPCG(13, 2))
	inputs := 2000
	if testing.Short() {
		inputs = 300
	}
	covered, compared := 0, 0
	for range inputs {
		data := make([]byte, 64+rng.IntN(256))
		for i := range data {
			data[i] = byte(rng.Uint32())
		}
		c, n := env.checkParts(t, data)
		covered, compared = covered+c, compared+n
	}
	if covered < compared*9/10 {
		t.Errorf("the plans wrote %d of %d parts, want 90%%", covered, compared)
	}
	t.Logf("the plans wrote %d of %d parts", covered, compared)
}

func FuzzParts(f *testing.F) {
	env := newEncFuzzEnv(f)
	for i := range 32 {
		seed := make([]byte, 64)
		for j := range seed {
			seed[j] = byte(i*29 + j*11)
		}
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		env.checkParts(t, data)
	})
}
