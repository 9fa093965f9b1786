// Package descriptors finds the protobuf descriptors of a gRPC backend's
// services, and the types to build and print its messages, from one of
// four sources:
//
//   - [Reflection]: gRPC server reflection (grpc.reflection.v1, or v1alpha)
//     on the backend connection;
//   - [DescriptorSetFile]: a serialized google.protobuf.FileDescriptorSet
//     with its imports, as `buf build -o` writes it;
//   - [ProtoFiles]: .proto sources compiled at start with protocompile
//     (editions included), with the gateway's own imports built in;
//   - [Files]: file descriptors compiled into the program.
//
// A [Source] loads a [Set]: the services, and a [Resolver] for the message
// and extension types of the backend's own files. Only the compiled-in
// source trusts the types linked into the program; for the others, the
// program's types are consulted for the well-known types and google.rpc
// error details alone, so that a sidecar never mistakes a type linked into
// it for the backend's.
package descriptors
