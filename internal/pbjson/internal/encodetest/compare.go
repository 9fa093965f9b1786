package encodetest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/ssegw/ssegw/internal/pbjson"
)

// Resolver is what protojson and the Encoder resolve types with.
type Resolver interface {
	protoregistry.ExtensionTypeResolver
	protoregistry.MessageTypeResolver
}

// Options returns every combination of the marshal options an Encoder
// takes, with resolver.
func Options(resolver Resolver) []protojson.MarshalOptions {
	var all []protojson.MarshalOptions
	for bits := range 1 << 5 {
		all = append(all, protojson.MarshalOptions{
			UseProtoNames:     bits&1 != 0,
			UseEnumNumbers:    bits&2 != 0,
			EmitUnpopulated:   bits&4 != 0,
			EmitDefaultValues: bits&8 != 0,
			AllowPartial:      bits&16 != 0,
			Resolver:          resolver,
		})
	}
	return all
}

// Reference is what the Encoder must match: the wire bytes decoded with
// proto.Unmarshal (required fields are checked by protojson, not here) and
// written with protojson.
//
// Some malformed map entries make protobuf-go's decoder of dynamic
// messages panic; Reference then returns ErrReferencePanicked.
func Reference(opts protojson.MarshalOptions, mt protoreflect.MessageType, wire []byte) (_ []byte, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: %v", ErrReferencePanicked, p)
		}
	}()
	m := mt.New().Interface()
	if err := (proto.UnmarshalOptions{AllowPartial: true, Resolver: opts.Resolver}).Unmarshal(wire, m); err != nil {
		return nil, err
	}
	return opts.Marshal(m)
}

// ErrReferencePanicked tells that protobuf-go panicked decoding the bytes,
// which leaves nothing to compare with.
var ErrReferencePanicked = errors.New("protobuf-go's decoder panicked")

// Compare writes wire with enc and with protojson (the Reference with
// opts, enc's options) and returns an error unless both fail or both
// write the same JSON value. The Encoder's JSON must also be compact and
// byte for byte protojson's without its white space. covered reports
// whether enc's plan wrote the message, rather than its protojson
// fallback.
func Compare(enc *pbjson.TypeEncoder, opts protojson.MarshalOptions, mt protoreflect.MessageType, wire []byte) (covered bool, err error) {
	got, gotErr := enc.MarshalWireNoFallback(nil, wire)
	covered = !errors.Is(gotErr, pbjson.ErrNotCovered)
	if !covered {
		got, gotErr = enc.MarshalWire(nil, wire)
	}
	want, wantErr := Reference(opts, mt, wire)
	switch {
	case errors.Is(wantErr, ErrReferencePanicked):
		return covered, nil
	case gotErr != nil && wantErr != nil:
		return covered, nil
	case gotErr != nil:
		return covered, fmt.Errorf("the encoder failed (%v) where protojson wrote %s", gotErr, want)
	case wantErr != nil:
		return covered, fmt.Errorf("the encoder wrote %s where protojson failed (%v)", got, wantErr)
	}
	gotValue, err := decode(got)
	if err != nil {
		return covered, fmt.Errorf("the encoder wrote invalid JSON %s: %v", got, err)
	}
	wantValue, err := decode(want)
	if err != nil {
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

// decode parses JSON keeping the text of numbers.
func decode(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("data after the value")
	}
	return v, nil
}

// Chain resolves with each resolver in turn.
type Chain []Resolver

// FindMessageByName implements Resolver.
func (c Chain) FindMessageByName(name protoreflect.FullName) (protoreflect.MessageType, error) {
	for _, r := range c {
		if mt, err := r.FindMessageByName(name); err == nil {
			return mt, nil
		}
	}
	return nil, protoregistry.NotFound
}

// FindMessageByURL implements Resolver.
func (c Chain) FindMessageByURL(url string) (protoreflect.MessageType, error) {
	for _, r := range c {
		if mt, err := r.FindMessageByURL(url); err == nil {
			return mt, nil
		}
	}
	return nil, protoregistry.NotFound
}

// FindExtensionByName implements Resolver.
func (c Chain) FindExtensionByName(name protoreflect.FullName) (protoreflect.ExtensionType, error) {
	for _, r := range c {
		if xt, err := r.FindExtensionByName(name); err == nil {
			return xt, nil
		}
	}
	return nil, protoregistry.NotFound
}

// FindExtensionByNumber implements Resolver.
func (c Chain) FindExtensionByNumber(message protoreflect.FullName, field protoreflect.FieldNumber) (protoreflect.ExtensionType, error) {
	for _, r := range c {
		if xt, err := r.FindExtensionByNumber(message, field); err == nil {
			return xt, nil
		}
	}
	return nil, protoregistry.NotFound
}
