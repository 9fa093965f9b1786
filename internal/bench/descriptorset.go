package bench

import (
	"fmt"
	"os"
	"path/filepath"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"

	benchv1 "github.com/ssegw/ssegw/gen/bench/v1"
)

// descriptorSetName is the file name of the bench proto's descriptor set
// in the run's directory.
const descriptorSetName = "bench.binpb"

// descriptorSet returns the FileDescriptorSet of fd and of every file it
// imports, directly or not, each file after its imports: what `buf build
// -o` or `protoc --include_imports -o` writes for it.
func descriptorSet(fd protoreflect.FileDescriptor) *descriptorpb.FileDescriptorSet {
	set := &descriptorpb.FileDescriptorSet{}
	seen := map[string]bool{}
	var add func(fd protoreflect.FileDescriptor)
	add = func(fd protoreflect.FileDescriptor) {
		if seen[fd.Path()] {
			return
		}
		seen[fd.Path()] = true
		for i := range fd.Imports().Len() {
			add(fd.Imports().Get(i).FileDescriptor)
		}
		set.File = append(set.File, protodesc.ToFileDescriptorProto(fd))
	}
	add(fd)
	return set
}

// writeDescriptorSet writes the descriptor set of the bench proto into
// dir, for the gateway to read as a deployed sidecar does, and returns its
// path.
func writeDescriptorSet(dir string) (string, error) {
	raw, err := proto.Marshal(descriptorSet(benchv1.File_bench_v1_bench_proto))
	if err != nil {
		return "", fmt.Errorf("encoding the bench proto's descriptor set: %w", err)
	}
	path := filepath.Join(dir, descriptorSetName)
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		return "", fmt.Errorf("writing the bench proto's descriptor set: %w", err)
	}
	return path, nil
}
