package httprequest_test

import (
	"errors"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/ssegw/ssegw/internal/httprequest"
)

// TestQueryParameters sets every field kind from query parameters of the
// kitchen-sink API, known only by descriptors, and compares with the same
// message read from JSON.
func TestQueryParameters(t *testing.T) {
	d := api(t)
	strict := newBuilder(t, d, "Everything", httprequest.Binding{}, httprequest.Options{RefuseUnknown: true, RequestParam: "request"})
	for _, tc := range []struct{ query, want string }{
		{"double_value=1.5&float_value=-2.25", `{"doubleValue":1.5,"floatValue":-2.25}`},
		{"doubleValue=NaN&floatValue=-Infinity&optional_double=Infinity", `{"doubleValue":"NaN","floatValue":"-Infinity","optionalDouble":"Infinity"}`},
		{"int32_value=-2147483648&int64_value=-9223372036854775808&uint32_value=4294967295&uint64_value=18446744073709551615",
			`{"int32Value":-2147483648,"int64Value":"-9223372036854775808","uint32Value":4294967295,"uint64Value":"18446744073709551615"}`},
		{"sint32_value=-1&sint64_value=9223372036854775807&fixed32_value=7&fixed64_value=8&sfixed32_value=-9&sfixed64_value=-10",
			`{"sint32Value":-1,"sint64Value":"9223372036854775807","fixed32Value":7,"fixed64Value":"8","sfixed32Value":-9,"sfixed64Value":"-10"}`},
		{"bool_value=true&optional_bool=0", `{"boolValue":true,"optionalBool":false}`},
		{"bool_value=T", `{"boolValue":true}`},
		{"string_value=h%C3%A9llo+world&optional_string=", `{"stringValue":"héllo world","optionalString":""}`},
		{"bytes_value=AQL%2F", `{"bytesValue":"AQL/"}`},
		{"bytes_value=AQL_", `{"bytesValue":"AQL/"}`},
		{"bytes_value=AQ", `{"bytesValue":"AQ=="}`},
		{"color=BLUE", `{"color":"BLUE"}`},
		{"color=CRIMSON", `{"color":"RED"}`},
		{"color=2", `{"color":"GREEN"}`},
		{"color=77", `{"color":77}`},
		{"optional_color=COLOR_UNSPECIFIED&optional_int32=0", `{"optionalColor":"COLOR_UNSPECIFIED","optionalInt32":0}`},
		{"repeated_color=RED&repeated_color=3&repeated_color=CRIMSON", `{"repeatedColor":["RED","BLUE","RED"]}`},
		{"repeated_int64=1&repeatedInt64=2", ``}, // duplicate: see TestQueryErrors
		{"repeated_string=a&repeated_string=b&repeated_bytes=AQ%3D%3D&repeated_bool=false&repeated_double=NaN",
			`{"repeatedString":["a","b"],"repeatedBytes":["AQ=="],"repeatedBool":[false],"repeatedDouble":["NaN"]}`},
		{"inner.name=n&inner.color=GREEN&inner.colors=RED&inner.colors=BLUE&inner.inner.count=5",
			`{"inner":{"name":"n","color":"GREEN","colors":["RED","BLUE"],"inner":{"count":"5"}}}`},
		{"child.child.int64_value=3&tree.next.label=x", `{"child":{"child":{"int64Value":"3"}},"tree":{"next":{"label":"x"}}}`},
		{"map_int32[-1]=a&map_int64[9223372036854775807]=b&map_uint32[1]=c&map_uint64[18446744073709551615]=d",
			`{"mapInt32":{"-1":"a"},"mapInt64":{"9223372036854775807":"b"},"mapUint32":{"1":"c"},"mapUint64":{"18446744073709551615":"d"}}`},
		{"map_sint32[-2]=a&map_sint64[-3]=b&map_fixed32[4]=c&map_fixed64[5]=d&map_sfixed32[-6]=e&map_sfixed64[-7]=f",
			`{"mapSint32":{"-2":"a"},"mapSint64":{"-3":"b"},"mapFixed32":{"4":"c"},"mapFixed64":{"5":"d"},"mapSfixed32":{"-6":"e"},"mapSfixed64":{"-7":"f"}}`},
		{"map_bool[true]=y&map_bool[false]=n&map_string[a+b]=c&mapString[]=empty",
			`{"mapBool":{"true":"y","false":"n"},"mapString":{"a b":"c","":"empty"}}`},
		{"map_color[x]=BLUE&map_bytes[k]=AQ%3D%3D&map_double[n]=NaN&map_value[v]=%7B%22a%22%3A1%7D",
			`{"mapColor":{"x":"BLUE"},"mapBytes":{"k":"AQ=="},"mapDouble":{"n":"NaN"},"mapValue":{"v":{"a":1}}}`},
		{"choice_color=GREEN", `{"choiceColor":"GREEN"}`},
		{"choice_inner.name=a&choice_inner.count=2", `{"choiceInner":{"name":"a","count":"2"}}`},
		{"choice_empty=", `{"choiceEmpty":{}}`},
		{"choice_time=2024-02-29T12:00:00.5%2B01:00", `{"choiceTime":"2024-02-29T11:00:00.500Z"}`},
		{"timestamp=0001-01-01T00:00:00Z&duration=1m30.5s", `{"timestamp":"0001-01-01T00:00:00Z","duration":"90.500s"}`},
		{"duration=-1.000000001s", `{"duration":"-1.000000001s"}`},
		{"field_mask=a.b,c_d&empty=%7B%7D", `{"fieldMask":"a.b,cD","empty":{}}`},
		{"field_mask=", `{"fieldMask":""}`},
		{"struct=%7B%22a%22%3A%5B1%2Cnull%5D%7D&value=%22s%22&list_value=%5B1%2Ctrue%5D",
			`{"struct":{"a":[1,null]},"value":"s","listValue":[1,true]}`},
		{"double_wrapper=NaN&float_wrapper=1.5&int64_wrapper=-9223372036854775808&uint64_wrapper=18446744073709551615",
			`{"doubleWrapper":"NaN","floatWrapper":1.5,"int64Wrapper":"-9223372036854775808","uint64Wrapper":"18446744073709551615"}`},
		{"int32_wrapper=0&uint32_wrapper=1&bool_wrapper=false&string_wrapper=&bytes_wrapper=AQ",
			`{"int32Wrapper":0,"uint32Wrapper":1,"boolWrapper":false,"stringWrapper":"","bytesWrapper":"AQ=="}`},
		{"repeated_timestamp=1970-01-01T00:00:01Z&repeated_timestamp=2000-01-01T00:00:00Z&repeated_int64_wrapper=5",
			`{"repeatedTimestamp":["1970-01-01T00:00:01Z","2000-01-01T00:00:00Z"],"repeatedInt64Wrapper":["5"]}`},
		{"customName=r&field_2_name_x=3", `{"customName":"r","field2NameX":3}`},
		{"renamed=r&field2NameX=3", `{"customName":"r","field2NameX":3}`},
		{"timestamp.seconds=5&duration.nanos=7", `{"timestamp":"1970-01-01T00:00:05Z","duration":"0.000000007s"}`},
		{"lastEventID=1&request=%7B%7D", ``}, // unknown: refused below
	} {
		if tc.want == "" {
			continue
		}
		t.Run(tc.query, func(t *testing.T) {
			got, err := strict.Build(httprequest.Request{Query: query(t, tc.query)})
			if err != nil {
				t.Fatal(err)
			}
			want := parseJSON(t, d, "Everything", tc.want)
			checkEqual(t, d, want, got)
		})
	}
}

// TestWellKnownTypesHaveTheFieldsDescriptor: the well-known types are
// built from the field they go into, not the types linked into the
// program, so they fit a dynamic message.
func TestWellKnownTypesHaveTheFieldsDescriptor(t *testing.T) {
	d := api(t)
	b := newBuilder(t, d, "Everything", httprequest.Binding{}, httprequest.Options{})
	got, err := b.Build(httprequest.Request{Query: query(t, "timestamp=2020-01-01T00:00:00Z&duration=1s&field_mask=a&struct=%7B%7D&value=1&list_value=%5B%5D&int64_wrapper=1&empty=&repeated_timestamp=2020-01-01T00:00:00Z&map_value[k]=2")})
	if err != nil {
		t.Fatal(err)
	}
	m := got.ProtoReflect()
	for _, name := range []string{"timestamp", "duration", "field_mask", "struct", "value", "list_value", "int64_wrapper", "empty"} {
		fd := m.Descriptor().Fields().ByName(protoreflect.Name(name))
		if got := m.Get(fd).Message().Descriptor(); got != fd.Message() {
			t.Errorf("%s: descriptor %p, want the field's own %p", name, got, fd.Message())
		}
	}
	// And the message encodes: a linked timestamppb would not.
	if _, err := proto.Marshal(got); err != nil {
		t.Fatal(err)
	}
}

// TestQueryErrors: each malformed parameter is an InvalidArgument error
// that names the parameter and says what was wrong.
func TestQueryErrors(t *testing.T) {
	d := api(t)
	strict := newBuilder(t, d, "Everything", httprequest.Binding{}, httprequest.Options{RefuseUnknown: true, RequestParam: "request"})
	lenient := newBuilder(t, d, "Everything", httprequest.Binding{}, httprequest.Options{RequestParam: "request"})
	for _, tc := range []struct {
		query, param, message string
		lenientOK             bool
	}{
		{"nope=1", "nope", `kitchensink.v1.Everything has no field "nope"`, true},
		{"inner.nope=1", "inner.nope", `kitchensink.v1.Inner has no field "nope"`, true},
		{"int32_value=x", "int32_value", `"x" is not a valid int32`, false},
		{"int32_value=2147483648", "int32_value", "2147483648 is out of range for int32", false},
		{"int32_value=", "int32_value", `"" is not a valid int32`, false},
		{"int32_value=1e3", "int32_value", "not a valid int32", false},
		{"int32_value=0x10", "int32_value", "not a valid int32", false},
		{"uint32_value=-1", "uint32_value", "not a valid uint32", false},
		{"int64_value=9223372036854775808", "int64_value", "out of range for int64", false},
		{"uint64_value=18446744073709551616", "uint64_value", "out of range for uint64", false},
		{"float_value=1e39", "float_value", "out of range for float", false},
		{"double_value=inf", "double_value", "not a valid double", false},
		{"double_value=0x1p4", "double_value", "not a valid double", false},
		{"bool_value=yes", "bool_value", `"yes" is not a bool`, false},
		{"bytes_value=%25%25", "bytes_value", "not base64", false},
		{"color=PURPLE", "color", `"PURPLE" is not a value of enum kitchensink.v1.Color`, false},
		{"color=2147483648", "color", "not a value of enum", false},
		{"timestamp=2020-01-01", "timestamp", "not an RFC 3339 timestamp", false},
		{"timestamp=0000-12-31T00:00:00Z", "timestamp", "outside the years", false},
		{"duration=5", "duration", "not a duration", false},
		{"struct=%5B%5D", "struct", "not a JSON object", false},
		{"empty=x", "empty", "an Empty is written as nothing or {}", false},
		{"int32_value=1&int32_value=2", "int32_value", "given 2 times, but field kitchensink.v1.Everything.int32_value is not repeated", false},
		{"int64_value=1&int64Value=2", "int64_value", "given twice", false},
		{"renamed=a&customName=b", "renamed", "given twice", false},
		{"choice_string=a&choice_int64=1", "choice_string", "oneof choice, whose field choice_int64 is already set", false},
		{"inner=x", "inner", `message kitchensink.v1.Inner, which a query parameter cannot express; give it in the "request" parameter`, false},
		{"any=x", "any", `"request" parameter`, false},
		{"repeated_inner=x", "repeated_inner", `"request" parameter`, false},
		{"repeated_inner.name=x", "repeated_inner.name", `repeated message kitchensink.v1.Inner, which query parameters cannot reach into; give it in the "request" parameter`, false},
		{"map_inner.name=x", "map_inner.name", `"request" parameter`, false},
		{"map_inner[k]=x", "map_inner[k]", `"request" parameter`, false},
		{"tree.children.label=x", "tree.children.label", `"request" parameter`, false},
		{"int32_value.x=1", "int32_value.x", "is a int32, not a message", false},
		{"int32_value[k]=1", "int32_value[k]", "not a map", false},
		{"map_string=a", "map_string", "give each entry as map_string[key]=value", false},
		{"map_string[a]=1&map_string[a]=2", "map_string[a]", `map key "a" of field kitchensink.v1.Everything.map_string is given 2 times`, false},
		{"map_int32[x]=1", "map_int32[x]", `key of field kitchensink.v1.Everything.map_int32: "x" is not a valid int32`, false},
		{"map_bool[yes]=1", "map_bool[yes]", "not a bool", false},
		{"map_color[k]=NOPE", "map_color[k]", "not a value of enum", false},
	} {
		t.Run(tc.query, func(t *testing.T) {
			_, err := strict.Build(httprequest.Request{Query: query(t, tc.query)})
			checkError(t, err, httprequest.Query, tc.param, tc.message)
			_, err = lenient.Build(httprequest.Request{Query: query(t, tc.query)})
			if tc.lenientOK && err != nil {
				t.Errorf("with unknown parameters allowed: %v", err)
			}
			if !tc.lenientOK && err == nil {
				t.Errorf("with unknown parameters allowed: accepted")
			}
		})
	}
}

func checkError(t *testing.T, err error, source httprequest.Source, param, message string) {
	t.Helper()
	var e *httprequest.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T), want *httprequest.Error", err, err)
	}
	if e.Source != source || e.Name != param {
		t.Errorf("error names %v %q, want %v %q: %v", e.Source, e.Name, source, param, err)
	}
	if !strings.Contains(err.Error(), message) {
		t.Errorf("error %q does not say %q", err, message)
	}
	if status.Code(err) != codes.InvalidArgument {
		t.Errorf("code %v, want InvalidArgument", status.Code(err))
	}
}
