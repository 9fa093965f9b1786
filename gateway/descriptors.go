package gateway

import (
	"errors"
	"fmt"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/ssegw/ssegw/internal/descriptors"
)

// ErrNoReflection is the error, wrapped, of New when the descriptors are to
// come from server reflection (the default) and the backend does not offer
// it. Give them with WithDescriptorSetFile, WithProtoFiles or WithFiles
// instead.
var ErrNoReflection = descriptors.ErrNoReflection

// WithReflection discovers the backend's services and their descriptors
// with gRPC server reflection (grpc.reflection.v1, or v1alpha) on the
// backend connection. It is the default when no other descriptor source is
// given. A backend without reflection makes New fail with an error that
// wraps ErrNoReflection.
func WithReflection() Option {
	return func(c *config) { c.source = descriptors.Reflection() }
}

// WithDescriptorSetFile reads descriptors from a serialized
// google.protobuf.FileDescriptorSet, as written by `buf build -o file.binpb`
// or `protoc --include_imports -o file.pb`.
func WithDescriptorSetFile(path string) Option {
	return func(c *config) { c.source = descriptors.DescriptorSetFile(path) }
}

// WithProtoFiles compiles .proto files in New, in the process, as protoc
// would, without protoc or buf: proto2, proto3 and editions (2023).
//
// Files are named as they are imported, relative to one of importPaths
// ("acme/prices/v1/prices.proto"), or by their file name inside one of
// them. Imports are looked for in importPaths in order (default: the
// current directory); those not found there come from the gateway's own
// copies: google/api/annotations.proto, google/api/http.proto,
// ssegw/v1/options.proto and the well-known types (google/protobuf/*.proto).
// The services served are those of the files and of the files they import.
// New fails with every compile error (up to 20), each naming the file,
// line and column.
func WithProtoFiles(files []string, importPaths ...string) Option {
	return func(c *config) { c.source = descriptors.ProtoFiles(files, importPaths...) }
}

// WithFiles takes descriptors from file descriptors compiled into the
// program, such as demov1.File_examples_demo_v1_demo_proto.
func WithFiles(files ...protoreflect.FileDescriptor) Option {
	return func(c *config) { c.source = descriptors.Files(files...) }
}

// sourceError explains a descriptor source's failure.
func sourceError(err error) error {
	if errors.Is(err, ErrNoReflection) {
		return fmt.Errorf("%w: give its descriptors with WithDescriptorSetFile, WithProtoFiles or WithFiles", err)
	}
	return err
}
