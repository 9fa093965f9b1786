package descriptors_test

import (
	"testing"

	"go.uber.org/goleak"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/ssegw/ssegw/internal/kitchensink"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// TestKitchenSinkTypesAreNotLinked keeps this test binary honest: the
// sources must find the kitchen-sink API through descriptors alone.
func TestKitchenSinkTypesAreNotLinked(t *testing.T) {
	if _, err := protoregistry.GlobalTypes.FindMessageByName(kitchensink.Package + ".Everything"); err == nil {
		t.Fatal("the kitchen-sink Go types are linked into this test binary")
	}
}
