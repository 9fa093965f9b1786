// Package pbjson converts between protobuf messages and their JSON form at
// the speed a stream of events needs, with protojson as the reference.
//
// # Wire bytes to JSON
//
// An [Encoder] turns the wire bytes of a message straight into JSON,
// without building a message on the way. For every message type it
// compiles a plan once, from the type's descriptor: field numbers mapped to
// JSON names, kinds, enum names and the plans of nested messages. A message
// is then written in one pass over its bytes into a buffer the caller
// reuses.
//
// The output is exactly what protojson writes for the same options
// (protojson.MarshalOptions: UseProtoNames, UseEnumNumbers,
// EmitUnpopulated, EmitDefaultValues, AllowPartial and Resolver), with the
// same field order, escapes and number forms, but always compact and
// stable: protojson inserts random spaces that change from build to build,
// and an Encoder never does. Multiline and Indent are ignored.
//
// The wire format is read as protobuf-go's decoder reads it: fields in any
// order; repeated scalars packed or not, whatever their declaration; the
// last value of a singular field; unknown fields, and fields of an
// unexpected wire type, dropped; invalid UTF-8 and malformed bytes
// refused. Extensions are found with the resolver and written as
// "[full.name]"; google.protobuf.Any values are resolved with it too.
//
// What the plans do not cover is written by protojson, after decoding the
// bytes with proto.Unmarshal: message types that need it (a MessageSet, a
// well-known type with an unexpected shape) always, and single messages
// that need it when the plan meets them (a singular message field that
// occurs twice, whose values merge). protojson's output is then compacted,
// so that it is just as stable.
//
// Exactness is proven by differential fuzzing: the tests generate messages
// of many descriptors and random wire bytes, and check that the Encoder's
// JSON and protojson's are the same value, or that both fail, for every
// combination of options.
package pbjson
