package pbjson_test

import (
	"fmt"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/dynamicpb"

	demov1 "github.com/ssegw/ssegw/gen/examples/demo/v1"
	"github.com/ssegw/ssegw/internal/pbjson"
)

// An Encoder writes a message received as wire bytes as JSON, for a type
// known only by its descriptor, with protojson's options.
func ExampleTypeEncoder_MarshalWire() {
	wire, _ := proto.Marshal(&demov1.SequenceEvent{Name: "streams/demo", Seq: 8, Payload: "<b>é</b>"})

	md := demov1.File_examples_demo_v1_demo_proto.Messages().ByName("SequenceEvent")
	enc := pbjson.NewEncoder(protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true})
	events := enc.Type(dynamicpb.NewMessageType(md))

	var buf []byte // reused from message to message
	buf, err := events.MarshalWire(buf[:0], wire)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(buf))
	// Output: {"name":"streams/demo","seq":"8","payload":"<b>é</b>"}
}

// MarshalAppend writes a message value, as protojson does, compact.
func ExampleEncoder_MarshalAppend() {
	enc := pbjson.NewEncoder(protojson.MarshalOptions{EmitUnpopulated: true})
	b, err := enc.MarshalAppend(nil, &demov1.FailRequest{Code: 5, Message: "gone"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(b))
	// Output: {"code":5,"message":"gone","after":0,"violations":[],"reason":""}
}
