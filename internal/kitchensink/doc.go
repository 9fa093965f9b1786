// Package kitchensink is a test backend for the kitchen-sink API
// (proto/testdata/kitchensink/v1): a real gRPC service whose types exist
// only as descriptors compiled at start from the embedded .proto sources,
// never as Go types linked into the program. A gateway in the same process
// therefore sees its messages exactly as a sidecar sees a backend it did
// not build with: through server reflection, a descriptor set or the
// .proto sources, as dynamic messages.
//
// The Echo methods stream the request they received back as their one
// message; Emit sends the messages of its request; Watch is a resumable
// counter; Feed and Wrapped send the events of their request, whose
// shaping (ssegw.v1.Shape) Feed's option sets and tests give Wrapped. The
// unary methods answer with their request (Delete with an empty message;
// Answer with a message, metadata, a delay or a failure its request
// chooses). Chat (bidirectional) and Collect (client streaming) echo what
// they receive. Every call but those of Chat and Collect is recorded, with
// its metadata, for tests to read.
package kitchensink
