package pbjson_test

import (
	"fmt"

	"google.golang.org/protobuf/encoding/protojson"

	demov1 "github.com/ssegw/ssegw/gen/examples/demo/v1"
	"github.com/ssegw/ssegw/internal/pbjson"
)

func ExampleDecoder() {
	// One cache of plans for a client; decoders with other options may
	// share it.
	plans := pbjson.NewDecodePlans()
	dec := pbjson.NewDecoder(protojson.UnmarshalOptions{DiscardUnknown: true}, plans)

	for _, data := range []string{
		`{"name":"streams/demo","seq":"41","payload":"p41"}`,
		`{"name":"streams/demo","seq":42,"payload":"p42","addedLater":true}`,
		`{"seq":"forty-three"}`,
	} {
		var ev demov1.SequenceEvent
		if err := dec.Unmarshal([]byte(data), &ev); err != nil {
			fmt.Println("error:", err != nil)
			continue
		}
		fmt.Println(ev.GetName(), ev.GetSeq(), ev.GetPayload())
	}
	// Output:
	// streams/demo 41 p41
	// streams/demo 42 p42
	// error: true
}
