package bench

import (
	"context"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"

	benchv1 "github.com/ssegw/ssegw/gen/bench/v1"
	"github.com/ssegw/ssegw/internal/descriptors"
	"github.com/ssegw/ssegw/internal/pbjson"
)

// TestDescriptorSetIsDynamic checks that the gateway of the headline rows,
// which reads the bench proto's descriptor set, has dynamic messages,
// although this program (as the bench's) links the generated types; and
// that the compiled-in gateway has the generated ones.
func TestDescriptorSetIsDynamic(t *testing.T) {
	path, err := writeDescriptorSet(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	stream := func(src descriptors.Source) (protoreflect.MethodDescriptor, *descriptors.Resolver) {
		t.Helper()
		set, err := src.Load(context.Background(), nil, []string{"bench.v1.BenchService"})
		if err != nil {
			t.Fatal(err)
		}
		return set.Services[0].Methods().ByName("Stream"), set.Types
	}

	md, types := stream(descriptors.DescriptorSetFile(path))
	for _, d := range []protoreflect.MessageDescriptor{md.Input(), md.Output()} {
		if m := descriptors.MessageType(d).New().Interface(); !isDynamic(m) {
			t.Errorf("%s from the descriptor set is a %T, want a dynamic message", d.FullName(), m)
		}
		mt, err := types.FindMessageByName(d.FullName())
		if err != nil {
			t.Fatal(err)
		}
		if m := mt.New().Interface(); !isDynamic(m) {
			t.Errorf("the descriptor set's resolver gives %s as a %T, want a dynamic message", d.FullName(), m)
		}
	}
	enc := pbjson.NewEncoder(protojson.MarshalOptions{Resolver: types})
	if err := enc.Type(descriptors.MessageType(md.Output())).Fallback(); err != nil {
		t.Errorf("%s is written by protojson, not transcoded: %v", md.Output().FullName(), err)
	}

	md, _ = stream(descriptors.Files(benchv1.File_bench_v1_bench_proto))
	if m := descriptors.MessageType(md.Output()).New().Interface(); isDynamic(m) {
		t.Errorf("%s compiled in is a %T, want *benchv1.StreamMessage", md.Output().FullName(), m)
	}
}

func isDynamic(m any) bool {
	_, ok := m.(*dynamicpb.Message)
	return ok
}
