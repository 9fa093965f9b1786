// Package foreigntest holds end-to-end tests against gRPC servers this
// project did not write: grpc-go's route_guide example and its interop
// TestService, both built from their modules (the tool directives of
// go.mod pin them) and run as processes without server reflection, each
// served by the gateway command run as a process too, with descriptors
// from .proto files or a descriptor set.
package foreigntest
