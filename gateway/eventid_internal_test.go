package gateway

import (
	"bytes"
	"context"
	"math"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/ssegw/ssegw/internal/httprequest"
	"github.com/ssegw/ssegw/internal/kitchensink"
)

// idPaths are event id fields of the kitchen-sink messages: scalars of
// every kind, nested ones, oneof members, proto2 defaults.
var idPaths = []struct {
	msg  protoreflect.FullName
	path string
}{
	{"kitchensink.v1.Everything", "int64_value"},
	{"kitchensink.v1.Everything", "sint32_value"},
	{"kitchensink.v1.Everything", "sfixed64_value"},
	{"kitchensink.v1.Everything", "float_value"},
	{"kitchensink.v1.Everything", "double_value"},
	{"kitchensink.v1.Everything", "bool_value"},
	{"kitchensink.v1.Everything", "string_value"},
	{"kitchensink.v1.Everything", "bytes_value"},
	{"kitchensink.v1.Everything", "color"},
	{"kitchensink.v1.Everything", "optional_color"},
	{"kitchensink.v1.Everything", "choice_int64"},
	{"kitchensink.v1.Everything", "inner.count"},
	{"kitchensink.v1.Everything", "child.inner.name"},
	{"kitchensink.v1.Everything", "choice_inner.count"},
	{"kitchensink.v1.Legacy", "count"},
	{"kitchensink.v1.Legacy", "kind"},
	{"kitchensink.v1.Legacy", "item.rank"},
	{"kitchensink.v1.Legacy", "child.label"},
}

// FuzzEventID checks that the event id read from a message's wire bytes is
// the one read from the decoded message, for every message that decodes.
func FuzzEventID(f *testing.F) {
	d, err := kitchensink.Compile(context.Background())
	if err != nil {
		f.Fatal(err)
	}
	type idCase struct {
		mt   protoreflect.MessageType
		path httprequest.ScalarPath
	}
	var cases []idCase
	for _, p := range idPaths {
		mt, err := d.Types.FindMessageByName(p.msg)
		if err != nil {
			f.Fatal(err)
		}
		path, err := httprequest.ResolveScalarPath(mt.Descriptor(), p.path)
		if err != nil {
			f.Fatal(err)
		}
		cases = append(cases, idCase{mt, path})
	}
	tag := protowire.AppendTag
	inner := tag(nil, 4, protowire.VarintType)
	inner = protowire.AppendVarint(inner, 7)
	for _, seed := range [][]byte{
		nil,
		protowire.AppendVarint(tag(nil, 4, protowire.VarintType), math.MaxUint64),
		protowire.AppendBytes(tag(nil, 50, protowire.BytesType), inner),
		// A message seen twice merges; another oneof member clears.
		protowire.AppendBytes(tag(protowire.AppendBytes(tag(nil, 50, protowire.BytesType), inner), 50, protowire.BytesType), nil),
		protowire.AppendString(tag(protowire.AppendVarint(tag(nil, 81, protowire.VarintType), 5), 80, protowire.BytesType), "s"),
		protowire.AppendFixed32(tag(nil, 2, protowire.Fixed32Type), math.Float32bits(0.1)),
		protowire.AppendString(tag(nil, 14, protowire.BytesType), "id-1"),
		protowire.AppendVarint(tag(nil, 2, protowire.Fixed64Type), 1),
		{0x0a, 0x05},
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, wire []byte) {
		for _, c := range cases {
			m := c.mt.New()
			if err := (proto.UnmarshalOptions{AllowPartial: true}).Unmarshal(wire, m.Interface()); err != nil {
				continue // the message cannot be written: no event, no id
			}
			want, wantOK := c.path.AppendText(nil, m)
			got, gotOK := appendWireID(nil, c.path, wire, c.mt)
			if gotOK != wantOK || !bytes.Equal(got, want) {
				t.Fatalf("%s %s in %x: %q %v, want %q %v", c.mt.Descriptor().FullName(), c.path, wire, got, gotOK, want, wantOK)
			}
		}
	})
}
