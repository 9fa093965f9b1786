package descriptors_test

import (
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/proto"

	demov1 "github.com/ssegw/ssegw/gen/examples/demo/v1"
	"github.com/ssegw/ssegw/internal/descriptors"
)

// TestSetOfHasEveryImportBeforeItsUsers checks that SetOf lists each file
// once, after the files it imports, and that DescriptorSetFile reads it.
func TestSetOfHasEveryImportBeforeItsUsers(t *testing.T) {
	demo := demov1.File_examples_demo_v1_demo_proto
	set := descriptors.SetOf(demo, demo)
	at := map[string]int{}
	for i, f := range set.GetFile() {
		if _, dup := at[f.GetName()]; dup {
			t.Fatalf("%s twice", f.GetName())
		}
		at[f.GetName()] = i
	}
	for _, f := range set.GetFile() {
		for _, dep := range f.GetDependency() {
			if i, ok := at[dep]; !ok || i > at[f.GetName()] {
				t.Errorf("%s: its import %s is missing or comes after it", f.GetName(), dep)
			}
		}
	}
	if last := set.GetFile()[len(set.GetFile())-1].GetName(); last != demo.Path() {
		t.Errorf("last file %s, want %s", last, demo.Path())
	}
	raw, err := proto.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "demo.binpb")
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	loaded, err := descriptors.DescriptorSetFile(path).Load(t.Context(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(loaded.Services) != 1 || loaded.Services[0].FullName() != "examples.demo.v1.DemoService" {
		t.Errorf("services %v, want the demo's", loaded.Services)
	}
}
