package openapi_test

import (
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/ssegw/ssegw/internal/kitchensink"
	"github.com/ssegw/ssegw/internal/openapi"
	"github.com/ssegw/ssegw/internal/openapi/openapitest"
)

// marshalOptions are the protojson options whose output the schemas must
// describe.
var marshalOptions = map[string]protojson.MarshalOptions{
	"default":             {},
	"proto names":         {UseProtoNames: true},
	"enum numbers":        {UseEnumNumbers: true},
	"emit unpopulated":    {EmitUnpopulated: true},
	"emit default values": {EmitDefaultValues: true},
	"all":                 {UseProtoNames: true, UseEnumNumbers: true, EmitUnpopulated: true},
}

// edgeMessages are kitchen-sink messages, in protojson, with the values
// that stretch the mapping: extreme integers, non-finite floats, bytes,
// every map key kind, aliases, every well-known type, an Any of a type only
// the descriptors know, proto2 groups, defaults and extensions, and
// edition 2023 fields.
var edgeMessages = map[protoreflect.FullName][]string{
	kitchensink.Package + ".Everything": {
		`{}`,
		`{"doubleValue":"NaN","floatValue":"-Infinity","int32Value":-2147483648,"int64Value":"-9223372036854775808",
		  "uint32Value":4294967295,"uint64Value":"18446744073709551615","sint32Value":-1,"sint64Value":"9223372036854775807",
		  "fixed32Value":1,"fixed64Value":"18446744073709551615","sfixed32Value":-5,"sfixed64Value":"-5","boolValue":true,
		  "stringValue":"\u00e9\u2028<&>","bytesValue":"AP8=","color":"CRIMSON","optionalInt32":0,"optionalString":"",
		  "optionalColor":"COLOR_UNSPECIFIED","optionalDouble":-0,"optionalBool":false,
		  "repeatedDouble":[1.5,"Infinity","NaN",1e308],"repeatedFloat":[3.4028235e38],"repeatedInt64":["1","-2"],
		  "repeatedUint64":["0"],"repeatedBytes":["","/w=="],"repeatedColor":["RED","BLUE"],"repeatedInner":[{"name":"a"},{}],
		  "inner":{"name":"n","color":"GREEN","colors":["RED"],"count":"3","inner":{"inner":{}}},
		  "child":{"child":{"int64Value":"1"}},"tree":{"label":"root","next":{"label":"n"},"children":[{"named":{"x":{}}}]},
		  "mapInt32":{"-1":"a"},"mapInt64":{"-9223372036854775808":"b"},"mapUint32":{"4294967295":"c"},
		  "mapUint64":{"18446744073709551615":"d"},"mapSint32":{"0":"e"},"mapSint64":{"7":"f"},"mapFixed32":{"1":"g"},
		  "mapFixed64":{"2":"h"},"mapSfixed32":{"-3":"i"},"mapSfixed64":{"-4":"j"},"mapBool":{"true":"k","false":"l"},
		  "mapString":{"":"m"},"mapInner":{"a":{"count":"-1"}},"mapColor":{"c":"BLUE"},"mapBytes":{"b":"AQI="},
		  "mapDouble":{"n":"NaN"},"mapValue":{"v":null,"w":[1,"x",{"y":true}]},
		  "choiceInner":{"colors":["GREEN"]},
		  "timestamp":"1970-01-01T00:00:00Z","duration":"-315576000000.999999999s","fieldMask":"a.b,cD",
		  "struct":{"a":{"b":[null,false]}},"value":"text","listValue":[1,[],{}],"doubleWrapper":"NaN","floatWrapper":1,
		  "int64Wrapper":"-1","uint64Wrapper":"1","int32Wrapper":-1,"uint32Wrapper":1,"boolWrapper":false,"stringWrapper":"",
		  "bytesWrapper":"","empty":{},
		  "any":{"@type":"type.googleapis.com/kitchensink.v1.BackendOnly","secret":"s","level":"-1","color":"RED","ttl":"1.5s"},
		  "repeatedTimestamp":["2026-11-23T18:48:07.944530349Z"],
		  "repeatedAny":[{"@type":"type.googleapis.com/google.protobuf.Duration","value":"1s"},{"@type":"type.googleapis.com/kitchensink.v1.Inner"}],
		  "repeatedInt64Wrapper":["9"],"customName":"r","field2NameX":2}`,
		`{"choiceString":""}`, `{"choiceInt64":"0"}`, `{"choiceColor":"BLUE"}`, `{"choiceEmpty":{}}`, `{"choiceTime":"2000-02-29T23:59:59.5Z"}`,
		`{"value":null}`, `{"value":{"a":1}}`, `{"value":1.5}`, `{"struct":{}}`,
	},
	kitchensink.Package + ".Legacy": {
		`{"id":""}`,
		`{"id":"x","count":0,"label":"","ratio":"NaN","limit":"Infinity","floor":"-9223372036854775808","ceiling":"18446744073709551615",
		  "enabled":false,"blob":"","kind":"KIND_THREE","unpacked":[1,2],"packed":[-1],"kinds":["KIND_ONE"],"child":{"id":"c"},
		  "item":{"title":"t","rank":1},"scores":{"a":1},"pickName":"p","[kitchensink.v1.note]":"n","[kitchensink.v1.marks]":[1]}`,
	},
	kitchensink.Package + ".Modern": {
		`{"requiredId":"0"}`,
		`{"name":"","count":7,"plain":"p","requiredId":"-1","level":"LEVEL_HIGH","strictness":"STRICTNESS_LAX","packed":[1],
		  "expanded":[2],"part":{"title":"t"},"delimited":{"level":"LEVEL_LOW"},"parts":[{}],"unchecked":"u","at":"2026-01-01T00:00:00.123Z",
		  "levels":{"a":"LEVEL_UNSPECIFIED"}}`,
	},
}

// schemasFor builds the kitchen-sink document with marshal options o and
// compiles the component schema of each edge message type.
func schemasFor(t testing.TB, d *kitchensink.Descriptors, routes []openapi.Route, o protojson.MarshalOptions) map[protoreflect.FullName]*jsonschema.Schema {
	t.Helper()
	raw, err := openapi.Build(openapi.Info{}, routes, openapi.WithMarshalOptions(o))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := openapitest.New(raw)
	if err != nil {
		t.Fatal(err)
	}
	out := map[protoreflect.FullName]*jsonschema.Schema{}
	for name := range edgeMessages {
		if out[name], err = doc.Component(string(name)); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// TestSchemasAcceptWhatProtoJSONWrites checks that protojson's output for
// the edge messages, with every marshal option, is valid by the schemas
// built with the same options.
func TestSchemasAcceptWhatProtoJSONWrites(t *testing.T) {
	d := compileKitchenSink(t)
	routes := kitchenSinkRoutes(t, d)
	messages := map[protoreflect.FullName][]proto.Message{}
	for name, texts := range edgeMessages {
		for _, text := range texts {
			m, err := d.Message(name)
			if err != nil {
				t.Fatal(err)
			}
			if err := (protojson.UnmarshalOptions{Resolver: d.Types}).Unmarshal([]byte(text), m); err != nil {
				t.Fatalf("%s %s: %v", name, text, err)
			}
			messages[name] = append(messages[name], m)
		}
	}
	// An open enum holds numbers it does not name; protojson writes them
	// as numbers.
	unknown, _ := d.Message(kitchensink.Package + ".Everything")
	unknown.Set(unknown.Descriptor().Fields().ByName("color"), protoreflect.ValueOfEnum(99))
	messages[kitchensink.Package+".Everything"] = append(messages[kitchensink.Package+".Everything"], unknown)

	for optName, o := range marshalOptions {
		t.Run(optName, func(t *testing.T) {
			schemas := schemasFor(t, d, routes, o)
			o.Resolver = d.Types
			for name, list := range messages {
				for _, m := range list {
					b, err := o.Marshal(m)
					if err != nil {
						t.Fatal(err)
					}
					if err := openapitest.Validate(schemas[name], b); err != nil {
						t.Errorf("%s %s is not valid by its schema: %v", name, b, err)
					}
				}
			}
		})
	}
}

// TestSchemasRefuseWhatProtoJSONDoesNotWrite checks that the schemas have
// teeth: JSON that protojson would not write for these types is invalid.
func TestSchemasRefuseWhatProtoJSONDoesNotWrite(t *testing.T) {
	d := compileKitchenSink(t)
	schemas := schemasFor(t, d, kitchenSinkRoutes(t, d), protojson.MarshalOptions{})
	for _, tc := range []struct{ name, json string }{
		{"Everything", `{"int64Value":5}`},
		{"Everything", `{"int64Value":"05"}`},
		{"Everything", `{"uint64Value":"-1"}`},
		{"Everything", `{"int32Value":2147483648}`},
		{"Everything", `{"uint32Value":-1}`},
		{"Everything", `{"doubleValue":"nan"}`},
		{"Everything", `{"bytesValue":"not base64!"}`},
		{"Everything", `{"color":"PURPLE"}`},
		{"Everything", `{"color":1.5}`},
		{"Everything", `{"renamed":"x"}`},
		{"Everything", `{"unknownField":1}`},
		{"Everything", `{"choiceString":"a","choiceInt64":"1"}`},
		{"Everything", `{"mapBool":{"yes":"x"}}`},
		{"Everything", `{"mapInt32":{"one":"x"}}`},
		{"Everything", `{"timestamp":"yesterday"}`},
		{"Everything", `{"duration":"1h"}`},
		{"Everything", `{"any":{"@type":1}}`},
		{"Everything", `{"empty":{"a":1}}`},
		{"Everything", `{"repeatedInt64":"1"}`},
		{"Everything", `{"inner":{"count":1}}`},
		{"Everything", `{"inner":null}`},
		{"Legacy", `{}`},
		{"Legacy", `{"id":"x","kind":"KIND_NINE"}`},
		{"Legacy", `{"id":"x","Item":{}}`},
		{"Modern", `{"name":"x"}`},
		{"Modern", `{"requiredId":"1","strictness":"STRICTNESS_UNKNOWN"}`},
	} {
		if err := openapitest.Validate(schemas[protoreflect.FullName(kitchensink.Package+"."+tc.name)], []byte(tc.json)); err == nil {
			t.Errorf("%s %s is valid by its schema", tc.name, tc.json)
		}
	}
}
