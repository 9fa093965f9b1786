package gateway

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/ssegw/ssegw/internal/kitchensink"
)

// TestZeroJSON: the JSON of a response_body field that is not set is
// what protojson writes for it with EmitUnpopulated, for every field of
// the kitchen-sink's proto3 and proto2 messages that protojson writes, with
// JSON or proto names and enum names or numbers.
func TestZeroJSON(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	api, err := kitchensink.Compile(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []protoreflect.FullName{kitchensink.Package + ".Everything", kitchensink.Package + ".Legacy"} {
		msg, err := api.Message(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, opts := range []protojson.MarshalOptions{{}, {UseProtoNames: true, UseEnumNumbers: true}} {
			g := &Gateway{cfg: config{marshal: opts}}
			opts.EmitUnpopulated = true
			opts.Resolver = api.Types
			opts.AllowPartial = true
			whole, err := opts.Marshal(msg)
			if err != nil {
				t.Fatal(err)
			}
			var members map[string]json.RawMessage
			if err := json.Unmarshal(whole, &members); err != nil {
				t.Fatal(err)
			}
			fields := msg.Descriptor().Fields()
			checked := 0
			for i := range fields.Len() {
				fd := fields.Get(i)
				key := fd.JSONName()
				if opts.UseProtoNames {
					key = string(fd.Name())
				}
				want, ok := members[key]
				if !ok || (fd.Message() != nil && !fd.IsList() && !fd.IsMap()) {
					continue // oneofs and proto3 optional fields, and messages, which are not zeroJSON's
				}
				checked++
				if got := g.zeroJSON(fd); string(got) != string(want) {
					t.Errorf("%s (%+v): zeroJSON %s, protojson %s", fd.FullName(), g.cfg.marshal, got, want)
				}
			}
			if checked < 10 {
				t.Errorf("%s: only %d fields checked", name, checked)
			}
		}
	}
}
