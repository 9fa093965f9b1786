package pbjson_test

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/ssegw/ssegw/internal/pbjson"
	"github.com/ssegw/ssegw/internal/pbjson/internal/encodetest"
)

// encWire builds wire bytes field by field, in the order given.
type encWire []byte

func (w encWire) varint(num protowire.Number, v uint64) encWire {
	return protowire.AppendVarint(protowire.AppendTag(w, num, protowire.VarintType), v)
}

func (w encWire) fixed32(num protowire.Number, v uint32) encWire {
	return protowire.AppendFixed32(protowire.AppendTag(w, num, protowire.Fixed32Type), v)
}

func (w encWire) fixed64(num protowire.Number, v uint64) encWire {
	return protowire.AppendFixed64(protowire.AppendTag(w, num, protowire.Fixed64Type), v)
}

func (w encWire) bytes(num protowire.Number, b []byte) encWire {
	return protowire.AppendBytes(protowire.AppendTag(w, num, protowire.BytesType), b)
}

func (w encWire) str(num protowire.Number, s string) encWire {
	return w.bytes(num, []byte(s))
}

func (w encWire) group(num protowire.Number, body encWire) encWire {
	w = append(protowire.AppendTag(w, num, protowire.StartGroupType), body...)
	return protowire.AppendTag(w, num, protowire.EndGroupType)
}

func (w encWire) raw(b ...byte) encWire { return append(w, b...) }

// encCase is a message's wire bytes and what the Encoder writes for them.
type encCase struct {
	name string
	typ  protoreflect.FullName
	wire encWire
	opts protojson.MarshalOptions // Resolver is set by the test
	// want is the exact JSON; wantErr a part of the error, when the
	// message cannot be written.
	want, wantErr string
	// notCovered tells that protojson writes the message, not the plan.
	notCovered bool
}

// runEncCases writes each case with an Encoder and checks the output
// against the case and against protojson.
func runEncCases(t *testing.T, cases []encCase) {
	t.Helper()
	env := newEncFuzzEnv(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mt, err := env.resolver.FindMessageByName(tc.typ)
			if err != nil {
				t.Fatal(err)
			}
			opts := tc.opts
			opts.Resolver = env.resolver
			enc := pbjson.NewEncoder(opts).Type(mt)
			got, err := enc.MarshalWireNoFallback(nil, tc.wire)
			if covered := !errors.Is(err, pbjson.ErrNotCovered); covered == tc.notCovered {
				t.Errorf("covered by the plan: %v, want %v", covered, !tc.notCovered)
			}
			if tc.notCovered {
				got, err = enc.MarshalWire(nil, tc.wire)
			}
			switch {
			case tc.wantErr != "" && err == nil:
				t.Errorf("wrote %s, want an error with %q", got, tc.wantErr)
			case tc.wantErr != "" && !strings.Contains(err.Error(), tc.wantErr):
				t.Errorf("error %q, want one with %q", err, tc.wantErr)
			case tc.wantErr == "" && err != nil:
				t.Errorf("error %v, want %s", err, tc.want)
			case tc.wantErr == "" && string(got) != tc.want:
				t.Errorf("wrote\n%s\nwant\n%s", got, tc.want)
			}
			if _, err := encodetest.Compare(enc, opts, mt, tc.wire); err != nil {
				t.Errorf("against protojson: %v", err)
			}
		})
	}
}

func TestEncodeWireSubtleties(t *testing.T) {
	inner := encWire{}.str(1, "in").varint(2, 2)
	runEncCases(t, []encCase{{
		name: "fields out of order are written in declaration order",
		typ:  "kitchensink.v1.Everything",
		wire: encWire{}.str(14, "s").varint(3, 7).fixed64(1, math.Float64bits(1.5)).str(110, "r"),
		want: `{"doubleValue":1.5,"int32Value":7,"stringValue":"s","customName":"r"}`,
	}, {
		name: "a scalar seen twice: the last wins",
		typ:  "kitchensink.v1.Everything",
		wire: encWire{}.varint(3, 1).str(14, "first").varint(3, 2).str(14, "last"),
		want: `{"int32Value":2,"stringValue":"last"}`,
	}, {
		name: "a zero last value of a field without presence is no value",
		typ:  "kitchensink.v1.Everything",
		wire: encWire{}.varint(3, 5).varint(3, 0).varint(20, 0),
		want: `{"optionalInt32":0}`,
	}, {
		name: "an int32 of 2^32 is zero",
		typ:  "kitchensink.v1.Everything",
		wire: encWire{}.varint(3, 1<<32).varint(16, 1<<32),
		want: `{}`,
	}, {
		name: "repeated scalars packed, unpacked and both, in wire order",
		typ:  "kitchensink.v1.Everything",
		wire: encWire{}.varint(32, 1).bytes(32, protowire.AppendVarint(protowire.AppendVarint(nil, 2), 3)).varint(32, 4).bytes(32, nil),
		want: `{"repeatedInt32":[1,2,3,4]}`,
	}, {
		name: "a proto2 repeated field declared unpacked, sent packed",
		typ:  "kitchensink.v1.Legacy",
		wire: encWire{}.str(1, "x").bytes(11, []byte{1, 2}).varint(12, 3),
		want: `{"id":"x","unpacked":[1,2],"packed":[3]}`,
	}, {
		name: "an empty packed run is no value",
		typ:  "kitchensink.v1.Everything",
		wire: encWire{}.bytes(32, nil),
		want: `{}`,
	}, {
		name: "a singular message seen twice merges: protojson writes it",
		typ:  "kitchensink.v1.Everything",
		wire: encWire{}.bytes(50, encWire{}.str(1, "a")).bytes(50, encWire{}.varint(4, 3)),
		want: `{"inner":{"name":"a","count":"3"}}`, notCovered: true,
	}, {
		name: "unknown fields are dropped",
		typ:  "kitchensink.v1.Inner",
		wire: encWire{}.str(1, "n").varint(999, 1).fixed32(1000, 1).group(1001, encWire{}.varint(1, 1)).str(1002, "x"),
		want: `{"name":"n"}`,
	}, {
		name: "a field of the wrong wire type is an unknown field",
		typ:  "kitchensink.v1.Inner",
		wire: encWire{}.str(1, "n").fixed64(1, 5).varint(5, 1).str(4, "x"),
		want: `{"name":"n"}`,
	}, {
		name:    "invalid UTF-8 in a proto3 string",
		typ:     "kitchensink.v1.Inner",
		wire:    encWire{}.str(1, "a\xffb"),
		wantErr: "invalid UTF-8",
	}, {
		name:    "invalid UTF-8 in a proto3 string that a later value replaces",
		typ:     "kitchensink.v1.Inner",
		wire:    encWire{}.str(1, "\xff").str(1, "ok"),
		wantErr: "invalid UTF-8",
	}, {
		name: "invalid UTF-8 in a proto2 string that a later value replaces",
		typ:  "kitchensink.v1.Legacy",
		wire: encWire{}.str(1, "\xff").str(1, "ok"),
		want: `{"id":"ok"}`,
	}, {
		name:    "invalid UTF-8 in a proto2 string",
		typ:     "kitchensink.v1.Legacy",
		wire:    encWire{}.str(1, "\xc3"),
		wantErr: "invalid UTF-8",
	}, {
		name:    "a truncated varint",
		typ:     "kitchensink.v1.Inner",
		wire:    encWire{}.raw(0x20, 0x80),
		wantErr: "cannot parse",
	}, {
		name:    "a length beyond the message",
		typ:     "kitchensink.v1.Inner",
		wire:    encWire{}.raw(0x0a, 0x05, 'a'),
		wantErr: "cannot parse",
	}, {
		name:    "field number zero",
		typ:     "kitchensink.v1.Inner",
		wire:    encWire{}.raw(0x00, 0x01),
		wantErr: "cannot parse",
	}, {
		name:    "an end group without its start",
		typ:     "kitchensink.v1.Inner",
		wire:    encWire{}.raw(0x0c),
		wantErr: "cannot parse",
	}, {
		name:    "malformed bytes inside a nested message",
		typ:     "kitchensink.v1.Inner",
		wire:    encWire{}.bytes(5, encWire{}.raw(0x0a, 0x09)),
		wantErr: "cannot parse",
	}, {
		name:    "a malformed packed run",
		typ:     "kitchensink.v1.Everything",
		wire:    encWire{}.bytes(32, []byte{0x80}),
		wantErr: "cannot parse",
	}, {
		name: "nested messages, lists of messages",
		typ:  "kitchensink.v1.Everything",
		wire: encWire{}.bytes(50, inner).bytes(46, inner).bytes(46, nil).bytes(51, encWire{}.bytes(50, inner)),
		want: `{"repeatedInner":[{"name":"in","color":"GREEN"},{}],"inner":{"name":"in","color":"GREEN"},"child":{"inner":{"name":"in","color":"GREEN"}}}`,
	}})
}

func TestEncodeScalars(t *testing.T) {
	runEncCases(t, []encCase{{
		name: "every scalar kind",
		typ:  "kitchensink.v1.Everything",
		wire: encWire{}.fixed64(1, math.Float64bits(math.Copysign(0, -1))).fixed32(2, math.Float32bits(0.1)).
			varint(3, math.MaxUint64).varint(4, math.MaxUint64).varint(5, math.MaxUint64).varint(6, math.MaxUint64).
			varint(7, 3).varint(8, 3).fixed32(9, math.MaxUint32).fixed64(10, math.MaxUint64).
			fixed32(11, math.MaxUint32).fixed64(12, math.MaxUint64).varint(13, 2).
			str(14, "\"\\/\b\f\n\r\t\x00\x1f<>&\u2028é🎉\ufffd").bytes(15, []byte{0xfb, 0xff}).varint(16, 3),
		want: `{"doubleValue":-0,"floatValue":0.1,"int32Value":-1,"int64Value":"-1","uint32Value":4294967295,` +
			`"uint64Value":"18446744073709551615","sint32Value":-2,"sint64Value":"-2","fixed32Value":4294967295,` +
			`"fixed64Value":"18446744073709551615","sfixed32Value":-1,"sfixed64Value":"-1","boolValue":true,` +
			`"stringValue":"\"\\/\b\f\n\r\t\u0000\u001f<>&` + "\u2028é🎉\ufffd" + `","bytesValue":"+/8=","color":"BLUE"}`,
	}, {
		name: "floats: NaN, infinities, exponents",
		typ:  "kitchensink.v1.Everything",
		wire: encWire{}.fixed64(30, math.Float64bits(math.NaN())).fixed64(30, math.Float64bits(math.Inf(1))).
			fixed64(30, math.Float64bits(math.Inf(-1))).fixed64(30, math.Float64bits(1e21)).
			fixed64(30, math.Float64bits(1e-7)).fixed64(30, math.Float64bits(123456789.125)).
			fixed32(31, math.Float32bits(1e21)).fixed32(31, math.Float32bits(float32(math.Inf(-1)))).fixed32(31, math.Float32bits(3.4e38)),
		want: `{"repeatedDouble":["NaN","Infinity","-Infinity",1e+21,1e-7,123456789.125],"repeatedFloat":[1e+21,"-Infinity",3.4e+38]}`,
	}, {
		name: "enums: names, aliases, unknown numbers, numbers",
		typ:  "kitchensink.v1.Everything",
		wire: encWire{}.varint(45, 1).varint(45, 0).varint(45, 99).varint(45, math.MaxUint64),
		want: `{"repeatedColor":["RED","COLOR_UNSPECIFIED",99,-1]}`,
	}, {
		name: "enums as numbers",
		typ:  "kitchensink.v1.Everything",
		wire: encWire{}.varint(16, 2).varint(45, 1),
		opts: protojson.MarshalOptions{UseEnumNumbers: true},
		want: `{"color":2,"repeatedColor":[1]}`,
	}, {
		name: "proto names",
		typ:  "kitchensink.v1.Everything",
		wire: encWire{}.varint(3, 1).str(110, "x").varint(111, 2),
		opts: protojson.MarshalOptions{UseProtoNames: true},
		want: `{"int32_value":1,"renamed":"x","field_2_name_x":2}`,
	}})
}

func TestEncodeMapsAndOneofs(t *testing.T) {
	entry := func(key, val encWire) []byte { return append(append(encWire{}, key...), val...) }
	runEncCases(t, []encCase{{
		name: "int keys in numeric order, the last of a key wins",
		typ:  "kitchensink.v1.Everything",
		wire: encWire{}.bytes(60, entry(encWire{}.varint(1, 10), encWire{}.str(2, "ten"))).
			bytes(60, entry(encWire{}.varint(1, math.MaxUint64), encWire{}.str(2, "minus one"))).
			bytes(60, entry(encWire{}.varint(1, 2), encWire{}.str(2, "two"))).
			bytes(60, entry(encWire{}.varint(1, 10), encWire{}.str(2, "TEN"))),
		want: `{"mapInt32":{"-1":"minus one","2":"two","10":"TEN"}}`,
	}, {
		name: "unsigned, zigzag and fixed keys",
		typ:  "kitchensink.v1.Everything",
		wire: encWire{}.bytes(63, entry(encWire{}.varint(1, math.MaxUint64), nil)).bytes(63, entry(encWire{}.varint(1, 3), nil)).
			bytes(64, entry(encWire{}.varint(1, 1), nil)).bytes(64, entry(encWire{}.varint(1, 2), nil)).
			bytes(68, entry(encWire{}.fixed32(1, math.MaxUint32), nil)),
		want: `{"mapUint64":{"3":"","18446744073709551615":""},"mapSint32":{"-1":"","1":""},"mapSfixed32":{"-1":""}}`,
	}, {
		name: "bool keys: false first",
		typ:  "kitchensink.v1.Everything",
		wire: encWire{}.bytes(70, entry(encWire{}.varint(1, 1), encWire{}.str(2, "t"))).bytes(70, entry(nil, encWire{}.str(2, "f"))),
		want: `{"mapBool":{"false":"f","true":"t"}}`,
	}, {
		name: "string keys in byte order, missing keys and values, unknown fields in entries",
		typ:  "kitchensink.v1.Everything",
		wire: encWire{}.bytes(71, entry(encWire{}.str(1, "é"), encWire{}.str(2, "e"))).
			bytes(71, entry(encWire{}.str(1, "Z"), nil)).
			bytes(71, entry(encWire{}.varint(9, 1).str(2, "v").str(1, "a"), nil)).
			bytes(71, entry(nil, encWire{}.str(2, "empty"))).
			bytes(72, entry(encWire{}.str(1, "k"), nil)),
		want: `{"mapString":{"":"empty","Z":"","a":"v","é":"e"},"mapInner":{"k":{}}}`,
	}, {
		name: "a duplicate key of a message value: protojson writes it",
		typ:  "kitchensink.v1.Everything",
		wire: encWire{}.bytes(72, entry(encWire{}.str(1, "k"), encWire{}.bytes(2, encWire{}.str(1, "a")))).
			bytes(72, entry(encWire{}.str(1, "k"), encWire{}.bytes(2, encWire{}.varint(4, 1)))),
		want: `{"mapInner":{"k":{"count":"1"}}}`, notCovered: true,
	}, {
		name: "the last member of a oneof wins",
		typ:  "kitchensink.v1.Everything",
		wire: encWire{}.str(80, "s").varint(82, 2).varint(81, 5),
		want: `{"choiceInt64":"5"}`,
	}, {
		name: "a oneof member with a zero value is written",
		typ:  "kitchensink.v1.Everything",
		wire: encWire{}.varint(81, 5).str(80, ""),
		want: `{"choiceString":""}`,
	}, {
		name: "a oneof message member replaced by a later member: protojson writes it",
		typ:  "kitchensink.v1.Everything",
		wire: encWire{}.bytes(83, encWire{}.str(1, "a")).str(80, "s"),
		want: `{"choiceString":"s"}`, notCovered: true,
	}})
}

func TestEncodeProto2AndEditions(t *testing.T) {
	runEncCases(t, []encCase{{
		name: "proto2 presence: zero values are kept, defaults are not written",
		typ:  "kitchensink.v1.Legacy",
		wire: encWire{}.str(1, "x").varint(2, 0).str(3, "").varint(8, 0),
		want: `{"id":"x","count":0,"label":"","enabled":false}`,
	}, {
		name: "proto2 unpopulated fields are null",
		typ:  "kitchensink.v1.Legacy",
		wire: encWire{}.str(1, "x"),
		opts: protojson.MarshalOptions{EmitUnpopulated: true},
		want: `{"id":"x","count":null,"label":null,"ratio":null,"limit":null,"floor":null,"ceiling":null,` +
			`"enabled":null,"blob":null,"kind":null,"unpacked":[],"packed":[],"kinds":[],"child":null,"item":null,"scores":{}}`,
	}, {
		name: "proto2 default values are not emitted as defaults",
		typ:  "kitchensink.v1.Legacy",
		wire: encWire{}.str(1, "x"),
		opts: protojson.MarshalOptions{EmitDefaultValues: true},
		want: `{"id":"x","unpacked":[],"packed":[],"kinds":[],"scores":{}}`,
	}, {
		name:    "a missing required field",
		typ:     "kitchensink.v1.Legacy",
		wire:    encWire{}.varint(2, 1),
		wantErr: "required field kitchensink.v1.Legacy.id not set",
	}, {
		name:    "a missing required field in a nested message",
		typ:     "kitchensink.v1.Legacy",
		wire:    encWire{}.str(1, "x").bytes(14, encWire{}.varint(2, 1)),
		wantErr: "required field kitchensink.v1.Legacy.id not set",
	}, {
		name: "a missing required field, partial allowed",
		typ:  "kitchensink.v1.Legacy",
		wire: encWire{}.varint(2, 1),
		opts: protojson.MarshalOptions{AllowPartial: true},
		want: `{"count":1}`,
	}, {
		name: "a closed enum with a number it does not declare",
		typ:  "kitchensink.v1.Legacy",
		wire: encWire{}.str(1, "x").varint(10, 7).varint(13, 1).varint(13, 9),
		want: `{"id":"x","kind":7,"kinds":["KIND_ONE",9]}`,
	}, {
		name: "a group, a oneof and extensions by full name",
		typ:  "kitchensink.v1.Legacy",
		wire: encWire{}.varint(101, 3).str(1, "x").group(15, encWire{}.str(16, "t").varint(17, 2)).varint(20, 4).str(100, "n").varint(101, 4),
		want: `{"id":"x","item":{"title":"t","rank":2},"pickNumber":4,"[kitchensink.v1.marks]":[3,4],"[kitchensink.v1.note]":"n"}`,
	}, {
		name: "a group's proto name is its type's name",
		typ:  "kitchensink.v1.Legacy",
		wire: encWire{}.str(1, "x").group(15, encWire{}.varint(17, 2)),
		opts: protojson.MarshalOptions{UseProtoNames: true},
		want: `{"id":"x","Item":{"rank":2}}`,
	}, {
		name: "a group sent length-delimited is an unknown field",
		typ:  "kitchensink.v1.Legacy",
		wire: encWire{}.str(1, "x").bytes(15, encWire{}.varint(17, 2)),
		want: `{"id":"x"}`,
	}, {
		name: "edition 2023: presence, implicit, delimited, closed enum, expanded",
		typ:  "kitchensink.v1.Modern",
		wire: encWire{}.varint(4, 9).varint(2, 0).str(3, "").varint(6, 5).bytes(7, []byte{1, 2}).varint(8, 3).varint(8, 4).
			group(10, encWire{}.str(1, "d")).bytes(9, encWire{}.varint(2, 1)),
		want: `{"count":0,"requiredId":"9","strictness":5,"packed":[1,2],"expanded":[3,4],"part":{"level":"LEVEL_LOW"},"delimited":{"title":"d"}}`,
	}, {
		name: "edition 2023: unpopulated",
		typ:  "kitchensink.v1.Modern",
		wire: encWire{}.varint(4, 9),
		opts: protojson.MarshalOptions{EmitUnpopulated: true},
		want: `{"name":null,"count":null,"plain":"","requiredId":"9","level":null,"strictness":null,"packed":[],` +
			`"expanded":[],"part":null,"delimited":null,"parts":[],"unchecked":null,"at":null,"levels":{}}`,
	}, {
		name: "edition 2023: a missing legacy-required field",
		typ:  "kitchensink.v1.Modern",
		wire: encWire{}.str(1, "n"),
		// protocompile's descriptors leave LEGACY_REQUIRED out of
		// RequiredNumbers, which protobuf-go checks for dynamic messages.
		want: `{"name":"n"}`,
	}})
}

func TestEncodeWellKnownTypes(t *testing.T) {
	any := func(url string, value encWire) encWire { return encWire{}.str(1, url).bytes(2, value) }
	runEncCases(t, []encCase{{
		name: "timestamps with 0, 3, 6 and 9 fractional digits",
		typ:  "kitchensink.v1.Everything",
		wire: encWire{}.bytes(107, encWire{}.varint(1, 1700000000)).bytes(107, encWire{}.varint(1, 1).varint(2, 5e8)).
			bytes(107, encWire{}.varint(2, 1000)).bytes(107, encWire{}.varint(1, math.MaxUint64).varint(2, 1)).
			bytes(107, encWire{}.varint(1, 253402300799).varint(2, 999999999)).bytes(107, encWire{}.varint(1, uint64(1<<64-62135596800))),
		want: `{"repeatedTimestamp":["2023-11-14T22:13:20Z","1970-01-01T00:00:01.500Z","1970-01-01T00:00:00.000001Z",` +
			`"1969-12-31T23:59:59.000000001Z","9999-12-31T23:59:59.999999999Z","0001-01-01T00:00:00Z"]}`,
	}, {
		name:    "a timestamp after year 9999",
		typ:     "kitchensink.v1.Everything",
		wire:    encWire{}.bytes(90, encWire{}.varint(1, 253402300800)),
		wantErr: "seconds out of range",
	}, {
		name:    "a timestamp with negative nanos",
		typ:     "kitchensink.v1.Everything",
		wire:    encWire{}.bytes(90, encWire{}.varint(2, math.MaxUint64)),
		wantErr: "nanos out of range",
	}, {
		name: "a list value",
		typ:  "google.protobuf.ListValue",
		wire: encWire{}.bytes(1, encWire{}.str(3, "s")).bytes(1, encWire{}.varint(1, 0)),
		want: `["s",null]`,
	}, {
		name: "a duration",
		typ:  "kitchensink.v1.Everything",
		wire: encWire{}.bytes(91, encWire{}.varint(1, math.MaxUint64).varint(2, uint64(1<<64-500000000))),
		want: `{"duration":"-1.500s"}`,
	}, {
		name: "a value holding an empty list",
		typ:  "google.protobuf.Value",
		wire: encWire{}.bytes(6, encWire{}),
		want: `[]`,
	}, {
		name: "a duration of 315576000000 seconds and its nanos",
		typ:  "google.protobuf.Duration",
		wire: encWire{}.varint(1, 315576000000).varint(2, 999999999),
		want: `"315576000000.999999999s"`,
	}, {
		name: "a duration of a few nanoseconds below zero",
		typ:  "google.protobuf.Duration",
		wire: encWire{}.varint(2, uint64(1<<64-5)),
		want: `"-0.000000005s"`,
	}, {
		name: "a zero duration",
		typ:  "google.protobuf.Duration",
		wire: nil,
		want: `"0s"`,
	}, {
		name:    "a duration out of range",
		typ:     "google.protobuf.Duration",
		wire:    encWire{}.varint(1, 315576000001),
		wantErr: "seconds out of range",
	}, {
		name:    "a duration with signs that do not match",
		typ:     "google.protobuf.Duration",
		wire:    encWire{}.varint(1, 1).varint(2, math.MaxUint64),
		wantErr: "signs of seconds and nanos do not match",
	}, {
		name: "a field mask",
		typ:  "google.protobuf.FieldMask",
		wire: encWire{}.str(1, "foo_bar").str(1, "a.b_c.d"),
		want: `"fooBar,a.bC.d"`,
	}, {
		name:    "a field mask path that does not turn back",
		typ:     "google.protobuf.FieldMask",
		wire:    encWire{}.str(1, "fooBar"),
		wantErr: "irreversible",
	}, {
		name: "wrappers, set and empty",
		typ:  "kitchensink.v1.Everything",
		wire: encWire{}.bytes(96, encWire{}.fixed64(1, math.Float64bits(math.NaN()))).bytes(98, encWire{}.varint(1, 5)).
			bytes(99, nil).bytes(102, encWire{}.varint(1, 1)).bytes(103, encWire{}.str(1, "s")).bytes(104, encWire{}.str(1, "\x00")).
			bytes(109, encWire{}.varint(1, 1)).bytes(109, nil),
		want: `{"doubleWrapper":"NaN","int64Wrapper":"5","uint64Wrapper":"0","boolWrapper":true,"stringWrapper":"s","bytesWrapper":"AA==","repeatedInt64Wrapper":["1","0"]}`,
	}, {
		name: "struct, value and list value",
		typ:  "kitchensink.v1.Everything",
		wire: encWire{}.bytes(93, encWire{}.
			bytes(1, encWire{}.str(1, "z").bytes(2, encWire{}.varint(1, 0))).
			bytes(1, encWire{}.str(1, "a").bytes(2, encWire{}.bytes(6, encWire{}.
				bytes(1, encWire{}.fixed64(2, math.Float64bits(1.5))).
				bytes(1, encWire{}.varint(4, 1)).
				bytes(1, encWire{}.bytes(5, encWire{})))))).
			bytes(94, encWire{}.str(3, "first").fixed64(2, math.Float64bits(2))).
			bytes(95, nil).bytes(105, nil),
		want: `{"struct":{"a":[1.5,true,{}],"z":null},"value":2,"listValue":[],"empty":{}}`,
	}, {
		name:    "a value with nothing set",
		typ:     "google.protobuf.Value",
		wire:    nil,
		wantErr: "none of the oneof fields is set",
	}, {
		name:    "a value that is not a number",
		typ:     "google.protobuf.Value",
		wire:    encWire{}.fixed64(2, math.Float64bits(math.Inf(1))),
		wantErr: "invalid",
	}, {
		name: "an empty Any",
		typ:  "google.protobuf.Any",
		wire: nil,
		want: `{}`,
	}, {
		name: "an Any of a type the resolver knows",
		typ:  "google.protobuf.Any",
		wire: any("type.googleapis.com/kitchensink.v1.BackendOnly", encWire{}.str(1, "s").bytes(4, encWire{}.varint(1, 60))),
		want: `{"@type":"type.googleapis.com/kitchensink.v1.BackendOnly","secret":"s","ttl":"60s"}`,
	}, {
		name: "an Any of a well-known type, of Empty, of an Any",
		typ:  "kitchensink.v1.Everything",
		wire: encWire{}.bytes(108, any("type.googleapis.com/google.protobuf.Timestamp", encWire{}.varint(1, 1))).
			bytes(108, any("type.googleapis.com/google.protobuf.Empty", nil)).
			bytes(108, any("type.googleapis.com/google.protobuf.Any", any("example.com/google.protobuf.Int64Value", encWire{}.varint(1, 3)))),
		want: `{"repeatedAny":[{"@type":"type.googleapis.com/google.protobuf.Timestamp","value":"1970-01-01T00:00:01Z"},` +
			`{"@type":"type.googleapis.com/google.protobuf.Empty"},` +
			`{"@type":"type.googleapis.com/google.protobuf.Any","value":{"@type":"example.com/google.protobuf.Int64Value","value":"3"}}]}`,
	}, {
		name: "an Any with unpopulated fields",
		typ:  "google.protobuf.Any",
		wire: any("type.googleapis.com/kitchensink.v1.Inner", nil),
		opts: protojson.MarshalOptions{EmitUnpopulated: true},
		want: `{"@type":"type.googleapis.com/kitchensink.v1.Inner","name":"","color":"COLOR_UNSPECIFIED","colors":[],"count":"0","inner":null}`,
	}, {
		name: "required fields are not checked inside an Any",
		typ:  "google.protobuf.Any",
		wire: any("type.googleapis.com/kitchensink.v1.Legacy", encWire{}.varint(2, 1)),
		want: `{"@type":"type.googleapis.com/kitchensink.v1.Legacy","count":1}`,
	}, {
		name:    "an Any whose type cannot be resolved",
		typ:     "google.protobuf.Any",
		wire:    any("type.googleapis.com/no.Such", encWire{}.varint(1, 1)),
		wantErr: "unable to resolve",
	}, {
		name:    "an Any with a value and no type",
		typ:     "google.protobuf.Any",
		wire:    encWire{}.bytes(2, encWire{}.varint(1, 1)),
		wantErr: "type_url is not set",
	}, {
		name:    "an Any whose value is malformed",
		typ:     "google.protobuf.Any",
		wire:    any("type.googleapis.com/kitchensink.v1.Inner", encWire{}.raw(0x0a)),
		wantErr: "cannot parse",
	}})
}

// TestEncodeStrings writes strings of every length up to 40 made of
// characters that need escaping, non-ASCII characters and invalid UTF-8,
// at every position of the eight-byte words the encoder reads, and checks
// them against protojson: in a proto3 field (checked for UTF-8 when
// decoded) and in a proto2 field (checked when written).
func TestEncodeStrings(t *testing.T) {
	env := newEncFuzzEnv(t)
	pieces := []string{"a", "Z", " ", "\"", "\\", "\n", "\x00", "\x1f", "\x7f", "é", "日", "🎉", "\u2028", "\xff", "\xc3", "<"}
	rng := rand.New(rand.NewPCG(3, 4))
	for _, name := range []protoreflect.FullName{"google.protobuf.StringValue", "kitchensink.v1.Legacy"} {
		mt, err := env.resolver.FindMessageByName(name)
		if err != nil {
			t.Fatal(err)
		}
		opts := protojson.MarshalOptions{Resolver: env.resolver, AllowPartial: true}
		enc := pbjson.NewEncoder(opts).Type(mt)
		for range 3000 {
			var s strings.Builder
			for n := rng.IntN(41); s.Len() < n; {
				p := pieces[rng.IntN(len(pieces))]
				if rng.IntN(3) > 0 {
					p = "abcdefgh"[:1+rng.IntN(8)]
				}
				s.WriteString(p)
			}
			wire := encWire{}.str(1, s.String())
			if covered, err := encodetest.Compare(enc, opts, mt, wire); err != nil || !covered {
				t.Fatalf("%s %q: covered %v, %v", name, s.String(), covered, err)
			}
		}
	}
}

// TestEncodeTypeNotCovered gives a message type whose plan protojson must
// write: a google.protobuf.BoolValue declared with a string value, which
// protojson writes as a wrapper of its field whatever its kind. The type's
// encoder says why, and writes protojson's JSON.
func TestEncodeTypeNotCovered(t *testing.T) {
	fdp := &descriptorpb.FileDescriptorProto{
		Name:    proto.String("odd/wrappers.proto"),
		Package: proto.String("google.protobuf"),
		Syntax:  proto.String("proto3"),
		MessageType: []*descriptorpb.DescriptorProto{{
			Name: proto.String("BoolValue"),
			Field: []*descriptorpb.FieldDescriptorProto{{
				Name: proto.String("value"), Number: proto.Int32(1),
				Label: descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum(),
				Type:  descriptorpb.FieldDescriptorProto_TYPE_STRING.Enum(),
			}},
		}, {
			Name: proto.String("Holder"),
			Field: []*descriptorpb.FieldDescriptorProto{{
				Name: proto.String("flag"), Number: proto.Int32(1),
				Label:    descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum(),
				Type:     descriptorpb.FieldDescriptorProto_TYPE_MESSAGE.Enum(),
				TypeName: proto.String(".google.protobuf.BoolValue"),
			}},
		}},
	}
	fd, err := protodesc.NewFile(fdp, nil)
	if err != nil {
		t.Fatal(err)
	}
	mt := dynamicpb.NewMessageType(fd.Messages().ByName("Holder"))
	opts := protojson.MarshalOptions{}
	enc := pbjson.NewEncoder(opts).Type(mt)
	if err := enc.Fallback(); err == nil || !strings.Contains(err.Error(), "google.protobuf.BoolValue") {
		t.Errorf("Fallback() = %v, want why google.protobuf.BoolValue is not covered", err)
	}
	wire := encWire{}.bytes(1, encWire{}.str(1, "yes"))
	got, err := enc.MarshalWire(nil, wire)
	if err != nil || string(got) != `{"flag":"yes"}` {
		t.Errorf(`wrote %s, %v; want {"flag":"yes"}`, got, err)
	}
	if _, err := enc.MarshalWireNoFallback(nil, wire); !errors.Is(err, pbjson.ErrNotCovered) {
		t.Errorf("without the fallback: %v, want ErrNotCovered", err)
	}
	opts.Resolver = protoregistry.GlobalTypes
	if _, err := encodetest.Compare(enc, opts, mt, wire); err != nil {
		t.Error(err)
	}
}
