package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/ssegw/ssegw/gateway"
	"github.com/ssegw/ssegw/internal/kitchensink"
)

// eventDataMessages are kitchen-sink messages, as protojson, that the
// backend's Emit method sends back.
var eventDataMessages = []string{
	`{}`,
	`{"doubleValue":-0.5,"floatValue":1e21,"int32Value":-7,"int64Value":"-9007199254740993","uint64Value":"18446744073709551615",
	  "sint32Value":-3,"fixed64Value":"1","sfixed32Value":-1,"boolValue":true,"stringValue":"é\"\\\u0001<>&\u2028","bytesValue":"AP8=",
	  "color":"CRIMSON","optionalInt32":0,"optionalString":"","repeatedDouble":["NaN","Infinity",1e-7],"repeatedColor":["BLUE",42],
	  "repeatedInner":[{"name":"a"},{}],"customName":"renamed","field2NameX":2}`,
	`{"mapInt32":{"-1":"a","10":"b","2":"c"},"mapUint64":{"18446744073709551615":"max","0":"zero"},"mapBool":{"true":"t","false":"f"},
	  "mapString":{"b":"","a":"x","":"empty","é":"e"},"mapInner":{"k":{"color":"RED"}},"mapValue":{"n":null,"s":"x","l":[1,{"a":true}]}}`,
	`{"choiceInner":{"name":"c","inner":{"count":"3"}},"tree":{"label":"root","children":[{"label":"leaf"}],"named":{"x":{}}}}`,
	`{"timestamp":"1970-01-01T00:00:01.500Z","duration":"-0.000001s","fieldMask":"fooBar,a.bC","struct":{"z":1,"a":[]},
	  "value":"v","listValue":[null,false],"doubleWrapper":"-Infinity","int64Wrapper":"5","bytesWrapper":"","empty":{},
	  "any":{"@type":"type.googleapis.com/kitchensink.v1.BackendOnly","secret":"s","level":"2","color":"GREEN","ttl":"60s"},
	  "repeatedAny":[{"@type":"type.googleapis.com/google.protobuf.Duration","value":"1s"},{"@type":"type.googleapis.com/google.protobuf.Empty"}],
	  "repeatedTimestamp":["9999-12-31T23:59:59.999999999Z"],"repeatedInt64Wrapper":["1","0"]}`,
}

// TestDynamicEventDataIsCompactProtojson streams the kitchen-sink messages from a backend
// the gateway knows only by server reflection (dynamic messages), with
// several marshal options, and checks that each event's data is exactly
// protojson's JSON for the message, compact.
func TestDynamicEventDataIsCompactProtojson(t *testing.T) {
	if _, err := protoregistry.GlobalTypes.FindMessageByName("kitchensink.v1.Everything"); err == nil {
		t.Fatal("the generated kitchen-sink types are linked: this test is about dynamic messages")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ks, err := kitchensink.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer ks.Stop()
	conn := dial(t, ks.Addr)
	types := ks.Backend.Descriptors().Types
	body := `{"messages":[` + strings.Join(eventDataMessages, ",") + `]}`

	for _, opts := range []protojson.MarshalOptions{
		{},
		{UseProtoNames: true, UseEnumNumbers: true},
		{EmitUnpopulated: true},
		{EmitDefaultValues: true, UseProtoNames: true},
	} {
		base := startGateway(t, conn, gateway.WithMarshalOptions(opts))
		s := open(t, "POST", base+"/v1/emit", nil, body)
		events := s.rest(t)
		if len(events) != len(eventDataMessages)+1 || events[len(events)-1].Event != gateway.EndEvent {
			t.Fatalf("options %+v: %d events, want %d messages and end", opts, len(events), len(eventDataMessages))
		}
		opts.Resolver = types
		for i, text := range eventDataMessages {
			msg, err := ks.Backend.Descriptors().Message("kitchensink.v1.Everything")
			if err != nil {
				t.Fatal(err)
			}
			if err := (protojson.UnmarshalOptions{Resolver: types}).Unmarshal([]byte(text), msg); err != nil {
				t.Fatalf("message %d: %v", i, err)
			}
			want, err := opts.Marshal(msg)
			if err != nil {
				t.Fatal(err)
			}
			var compact bytes.Buffer
			if err := json.Compact(&compact, want); err != nil {
				t.Fatal(err)
			}
			if got := events[i].Data; !bytes.Equal(got, compact.Bytes()) {
				t.Errorf("options %+v, message %d:\ngot  %s\nwant %s", opts, i, got, compact.Bytes())
			}
		}
	}
}

// TestEventDataShowsExtensions echoes a proto2 message with extensions and
// a group: the gateway resolves the extensions from the backend's
// descriptors and writes them as protojson does.
func TestEventDataShowsExtensions(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ks, err := kitchensink.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer ks.Stop()
	base := startGateway(t, dial(t, ks.Addr))
	s := open(t, "POST", base+"/v1/legacy:echo", nil,
		`{"id":"x","count":0,"item":{"title":"t"},"[kitchensink.v1.note]":"n","[kitchensink.v1.marks]":[1,2]}`)
	events := s.rest(t)
	want := `{"id":"x","count":0,"item":{"title":"t"},"[kitchensink.v1.marks]":[1,2],"[kitchensink.v1.note]":"n"}`
	if len(events) != 2 || string(events[0].Data) != want {
		t.Fatalf("events %q, want data %s and end", events, want)
	}
}

// TestTypeWrittenByProtojsonIsLogged builds a gateway for a method whose
// messages the plans do not cover (a google.protobuf.BoolValue declared
// with a string value) and checks that it says so once, at debug level,
// and serves the messages all the same.
func TestTypeWrittenByProtojsonIsLogged(t *testing.T) {
	str := descriptorpb.FieldDescriptorProto_TYPE_STRING.Enum()
	opt := descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum()
	fd, err := protodesc.NewFile(&descriptorpb.FileDescriptorProto{
		Name:    proto.String("odd/wrappers.proto"),
		Package: proto.String("google.protobuf"),
		Syntax:  proto.String("proto3"),
		MessageType: []*descriptorpb.DescriptorProto{{
			Name:  proto.String("BoolValue"),
			Field: []*descriptorpb.FieldDescriptorProto{{Name: proto.String("value"), Number: proto.Int32(1), Label: opt, Type: str}},
		}},
		Service: []*descriptorpb.ServiceDescriptorProto{{
			Name: proto.String("Odd"),
			Method: []*descriptorpb.MethodDescriptorProto{{
				Name: proto.String("Watch"), InputType: proto.String(".google.protobuf.BoolValue"),
				OutputType: proto.String(".google.protobuf.BoolValue"), ServerStreaming: proto.Bool(true),
			}},
		}},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	conn := startSilentBackend(t, func(_ any, ss grpc.ServerStream) error {
		msg := dynamicpb.NewMessage(fd.Messages().Get(0))
		msg.Set(msg.Descriptor().Fields().Get(0), protoreflect.ValueOfString("yes"))
		return ss.SendMsg(msg)
	})
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	base := startGateway(t, conn, gateway.WithFiles(fd), gateway.WithLogger(logger))
	if n := strings.Count(logs.String(), "messages are written by protojson"); n != 1 ||
		!strings.Contains(logs.String(), "method=/google.protobuf.Odd/Watch") || !strings.Contains(logs.String(), "google.protobuf.BoolValue") {
		t.Errorf("logs:\n%s\nwant one line about google.protobuf.Odd/Watch's messages", logs.String())
	}
	events := open(t, "GET", base+"/google.protobuf.Odd/Watch", nil, "").rest(t)
	if len(events) != 2 || string(events[0].Data) != `"yes"` {
		t.Errorf("events %q, want data \"yes\" and end", events)
	}
}
