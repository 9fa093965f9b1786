package descriptors

import (
	"context"
	"fmt"
	"os"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
)

// DescriptorSetFile reads a serialized google.protobuf.FileDescriptorSet,
// as written by `buf build -o file.binpb` or `protoc --include_imports -o
// file.pb`. The set must hold the imports of its files.
func DescriptorSetFile(path string) Source { return descriptorSetFile{path: path} }

type descriptorSetFile struct{ path string }

func (s descriptorSetFile) Load(_ context.Context, _ grpc.ClientConnInterface, names []string) (*Set, error) {
	raw, err := os.ReadFile(s.path)
	if err != nil {
		return nil, fmt.Errorf("reading descriptor set: %w", err)
	}
	var set descriptorpb.FileDescriptorSet
	if err := proto.Unmarshal(raw, &set); err != nil {
		return nil, fmt.Errorf("decoding descriptor set %s: %w", s.path, err)
	}
	files, err := protodesc.NewFiles(&set)
	if err != nil {
		return nil, fmt.Errorf("loading descriptor set %s (was it built with its imports?): %w", s.path, err)
	}
	all := make([]protoreflect.FileDescriptor, 0, len(set.File))
	for _, fdp := range set.File { // in the set's order, so that routes are too
		fd, err := files.FindFileByPath(fdp.GetName())
		if err != nil {
			return nil, fmt.Errorf("loading descriptor set %s: %w", s.path, err)
		}
		all = append(all, fd)
	}
	return newSet(all, names, false)
}

// Files takes the descriptors of files compiled into the program, such as
// demov1.File_examples_demo_v1_demo_proto. Messages are the program's
// generated types, and the program's types resolve Any values.
func Files(files ...protoreflect.FileDescriptor) Source { return compiledIn{files: files} }

type compiledIn struct{ files []protoreflect.FileDescriptor }

func (s compiledIn) Load(_ context.Context, _ grpc.ClientConnInterface, names []string) (*Set, error) {
	return newSet(s.files, names, true)
}
