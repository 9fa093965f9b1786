package bench

import (
	"fmt"
	"os"
	"path/filepath"

	"google.golang.org/protobuf/proto"

	benchv1 "github.com/ssegw/ssegw/gen/bench/v1"
	"github.com/ssegw/ssegw/internal/descriptors"
)

// descriptorSetName is the file name of the bench proto's descriptor set
// in the run's directory.
const descriptorSetName = "bench.binpb"

// writeDescriptorSet writes the descriptor set of the bench proto into
// dir, for the gateway to read as a deployed sidecar does, and returns its
// path.
func writeDescriptorSet(dir string) (string, error) {
	raw, err := proto.Marshal(descriptors.SetOf(benchv1.File_bench_v1_bench_proto))
	if err != nil {
		return "", fmt.Errorf("encoding the bench proto's descriptor set: %w", err)
	}
	path := filepath.Join(dir, descriptorSetName)
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		return "", fmt.Errorf("writing the bench proto's descriptor set: %w", err)
	}
	return path, nil
}
