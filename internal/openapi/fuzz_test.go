package openapi_test

import (
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/ssegw/ssegw/internal/openapi/openapitest"
)

// FuzzSchemasAcceptProtoJSON decodes kitchen-sink messages from arbitrary
// wire bytes and checks that what protojson writes for them, with every
// marshal option, is valid by the schemas built with the same options:
// the schemas follow protojson, differentially, on any message.
func FuzzSchemasAcceptProtoJSON(f *testing.F) {
	d := compileKitchenSink(f)
	routes := kitchenSinkRoutes(f, d)
	type schemaSet struct {
		opts    protojson.MarshalOptions
		schemas map[protoreflect.FullName]*jsonschema.Schema
	}
	var sets []schemaSet
	for _, o := range marshalOptions {
		schemas := schemasFor(f, d, routes, o)
		o.Resolver = d.Types
		sets = append(sets, schemaSet{o, schemas})
	}
	for name, texts := range edgeMessages {
		for _, text := range texts {
			m, err := d.Message(name)
			if err != nil {
				f.Fatal(err)
			}
			if err := (protojson.UnmarshalOptions{Resolver: d.Types}).Unmarshal([]byte(text), m); err != nil {
				f.Fatal(err)
			}
			wire, err := proto.Marshal(m)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(wire)
		}
	}
	f.Fuzz(func(t *testing.T, wire []byte) {
		for name := range edgeMessages {
			m, err := d.Message(name)
			if err != nil {
				t.Fatal(err)
			}
			if !decode(wire, m, d.Types) {
				continue
			}
			for _, set := range sets {
				b, err := set.opts.Marshal(m)
				if err != nil {
					continue // no JSON form: invalid UTF-8, a missing required field, a timestamp out of range, …
				}
				if err := openapitest.Validate(set.schemas[name], b); err != nil {
					t.Errorf("%s %s (%+v) is not valid by its schema: %v", name, b, set.opts, err)
				}
			}
		}
	})
}

// decode decodes wire into m. proto.Unmarshal panics on some inputs for
// dynamic messages (a proto2 map entry without its key); such inputs have
// no message to check.
func decode(wire []byte, m proto.Message, types *protoregistry.Types) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	return (proto.UnmarshalOptions{Resolver: types}).Unmarshal(wire, m) == nil
}
