package shapetest

import (
	"testing"

	"go.uber.org/goleak"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func protojsonMarshal(m proto.Message) ([]byte, error) {
	return protojson.Marshal(m)
}
