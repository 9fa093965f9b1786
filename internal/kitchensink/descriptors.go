package kitchensink

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/bufbuild/protocompile"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/ssegw/ssegw/internal/descriptors"
	protos "github.com/ssegw/ssegw/proto"
)

// Names of the API's service and package.
const (
	ServiceName = "kitchensink.v1.KitchenSink"
	Package     = "kitchensink.v1"
)

// SourceFiles are the import paths of the API's .proto files, the service
// file first.
var SourceFiles = []string{
	"testdata/kitchensink/v1/service.proto",
	"testdata/kitchensink/v1/types.proto",
	"testdata/kitchensink/v1/legacy.proto",
	"testdata/kitchensink/v1/modern.proto",
}

// Descriptors are the API's descriptors, compiled from the embedded
// sources, with the types to build and resolve its messages.
type Descriptors struct {
	// Files holds the API's files and everything they import.
	Files *protoregistry.Files
	// Types holds a dynamic type for every message and extension in Files.
	Types *protoregistry.Types
	// Service is kitchensink.v1.KitchenSink.
	Service protoreflect.ServiceDescriptor
}

// Compile compiles the API's sources, with source information (comments)
// as buf and protoc record it.
func Compile(ctx context.Context) (*Descriptors, error) {
	c := protocompile.Compiler{
		Resolver: protocompile.WithStandardImports(&protocompile.SourceResolver{
			Accessor: func(path string) (io.ReadCloser, error) { return protos.FS.Open(path) },
		}),
		SourceInfoMode: protocompile.SourceInfoStandard,
	}
	compiled, err := c.Compile(ctx, SourceFiles...)
	if err != nil {
		return nil, fmt.Errorf("kitchensink: compiling %v: %w", SourceFiles, err)
	}
	d := &Descriptors{Files: &protoregistry.Files{}, Types: &protoregistry.Types{}}
	var register func(fd protoreflect.FileDescriptor) error
	register = func(fd protoreflect.FileDescriptor) error {
		if _, err := d.Files.FindFileByPath(fd.Path()); err == nil {
			return nil
		}
		for i := range fd.Imports().Len() {
			if err := register(fd.Imports().Get(i).FileDescriptor); err != nil {
				return err
			}
		}
		if err := d.Files.RegisterFile(fd); err != nil {
			return err
		}
		return registerTypes(d.Types, fd.Messages(), fd.Extensions())
	}
	for _, fd := range compiled {
		if err := register(fd); err != nil {
			return nil, fmt.Errorf("kitchensink: %w", err)
		}
	}
	sd, err := d.Files.FindDescriptorByName(ServiceName)
	if err != nil {
		return nil, fmt.Errorf("kitchensink: %w", err)
	}
	d.Service = sd.(protoreflect.ServiceDescriptor)
	return d, nil
}

func registerTypes(types *protoregistry.Types, msgs protoreflect.MessageDescriptors, exts protoreflect.ExtensionDescriptors) error {
	for i := range msgs.Len() {
		md := msgs.Get(i)
		if _, err := types.FindMessageByName(md.FullName()); err == nil {
			continue
		}
		if err := types.RegisterMessage(dynamicpb.NewMessageType(md)); err != nil {
			return err
		}
		if err := registerTypes(types, md.Messages(), md.Extensions()); err != nil {
			return err
		}
	}
	for i := range exts.Len() {
		if err := types.RegisterExtension(dynamicpb.NewExtensionType(exts.Get(i))); err != nil {
			return err
		}
	}
	return nil
}

// Message returns a new, empty message of the named type.
func (d *Descriptors) Message(name protoreflect.FullName) (*dynamicpb.Message, error) {
	mt, err := d.Types.FindMessageByName(name)
	if err != nil {
		return nil, fmt.Errorf("kitchensink: %w", err)
	}
	return mt.New().Interface().(*dynamicpb.Message), nil
}

// DescriptorSet returns the API as a serialized FileDescriptorSet with all
// its imports, as `buf build -o` or `protoc --include_imports -o` writes it.
func (d *Descriptors) DescriptorSet() ([]byte, error) {
	return proto.MarshalOptions{Deterministic: true}.Marshal(descriptors.SetOf(d.Service.ParentFile()))
}

// WriteSources writes the API's .proto files, and the imports that are not
// well-known types (google/api/…, ssegw/v1/…), under dir by their import
// paths, as a user's source tree would hold them.
func WriteSources(dir string) error {
	return fs.WalkDir(protos.FS, ".", func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || filepath.Ext(path) != ".proto" {
			return err
		}
		raw, err := fs.ReadFile(protos.FS, path)
		if err != nil {
			return err
		}
		out := filepath.Join(dir, filepath.FromSlash(path))
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return err
		}
		return os.WriteFile(out, raw, 0o644)
	})
}
