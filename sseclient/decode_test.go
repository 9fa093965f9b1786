package sseclient_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/ssegw/ssegw/internal/kitchensink"
	"github.com/ssegw/ssegw/sseclient"
)

// TestSubscribeDecodesAsProtojson sends events whose data protojson reads
// in its several forms, into a type known only from descriptors, and
// checks that each typed message is the one protojson decodes (ignoring
// unknown fields), and that data protojson rejects fails the stream.
func TestSubscribeDecodesAsProtojson(t *testing.T) {
	d, err := kitchensink.Compile(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := protoregistry.GlobalTypes.FindMessageByName("kitchensink.v1.Everything"); err == nil {
		t.Fatal("the generated kitchen-sink types are linked")
	}
	everything, err := d.Message("kitchensink.v1.Everything")
	if err != nil {
		t.Fatal(err)
	}
	data := []string{
		`{"int32Value":1,"int64Value":"-9","uint64Value":"18446744073709551615","doubleValue":"NaN","color":"BLUE","repeatedColor":["RED",2],"inner":{"name":"n","colors":["GREEN"]},"mapInt32":{"7":"seven"},"bytesValue":"AQID","customName":"c"}`,
		`{"int32_value":"12","string_value":"caf\u00e9","optional_bool":false,"map_bool":{"true":"t"},"choice_inner":{"count":"3"},"timestamp":"2026-12-02T10:00:00.5Z","struct":{"a":[1,null]}}`,
		`{"newerField":{"x":[1,2]},"color":"NEWER_COLOR","repeatedInner":[{"name":"a"},{"name":"b","inner":{"inner":{}}}],"field2NameX":-1}`,
		`{"int32Value":1e1,"floatValue":"-Infinity","duration":"-1.5s"}`,
	}
	bad := `{"int32Value":"ten"}`
	srv := startSSEServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		var b strings.Builder
		for i, text := range data {
			fmt.Fprintf(&b, "event: e\nid: %d\ndata: %s\n\n", i, text)
		}
		fmt.Fprintf(&b, "event: e\ndata: %s\n\n", bad)
		writeSSE(w, b.String())
	})
	s, err := sseclient.Subscribe[proto.Message](testContext(t), newClient(t, srv.URL, nil), "/", sseclient.WithEventType("e", everything))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, text := range data {
		got, err := s.Recv()
		if err != nil {
			t.Fatalf("Recv of %s: %v", text, err)
		}
		want := everything.ProtoReflect().New().Interface()
		if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal([]byte(text), want); err != nil {
			t.Fatal(err)
		}
		if !proto.Equal(got, want) {
			t.Errorf("Recv of %s = %v, protojson decodes %v", text, got, want)
		}
	}
	if _, err := s.Recv(); status.Code(err) != codes.Internal || !strings.Contains(err.Error(), "kitchensink.v1.Everything") {
		t.Errorf("Recv of %s = %v, want Internal naming the type", bad, err)
	}
}
