package gateway_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/ssegw/ssegw/gateway"
	"github.com/ssegw/ssegw/internal/kitchensink"
)

// ksCase is one HTTP request to the kitchen-sink API and the request
// message the backend must receive, as protojson.
type ksCase struct {
	name   string
	method string // HTTP method
	target string // path and query
	header http.Header
	body   string
	rpc    string // the KitchenSink method that must be called
	want   string // the request it must receive
}

// ksField is one value of a field kind, the way each way of building a
// request writes it. want is the request as JSON, which is also what the
// request parameter and a POST body "*" send; path and query are "" when
// that way cannot write the value.
type ksField struct {
	name, path, query, want string
}

// ksFields sends every field kind through the path (the per-kind bindings
// of service.proto), the query, the request parameter and a POST body.
var ksFields = []ksField{
	{"double", "/v1/everything/double/1.5", "double_value=1.5", `{"doubleValue":1.5}`},
	{"double NaN", "/v1/everything/double/NaN", "doubleValue=NaN", `{"doubleValue":"NaN"}`},
	{"double -Infinity", "/v1/everything/double/-Infinity", "double_value=-Infinity", `{"doubleValue":"-Infinity"}`},
	{"float", "/v1/everything/float/-2.25", "float_value=-2.25", `{"floatValue":-2.25}`},
	{"float Infinity", "/v1/everything/float/Infinity", "floatValue=Infinity", `{"floatValue":"Infinity"}`},
	{"int32 min", "/v1/everything/int32/-2147483648", "int32_value=-2147483648", `{"int32Value":-2147483648}`},
	{"int64 min", "/v1/everything/int64/-9223372036854775808", "int64_value=-9223372036854775808", `{"int64Value":"-9223372036854775808"}`},
	{"int64 max", "/v1/everything/int64/9223372036854775807", "int64Value=9223372036854775807", `{"int64Value":"9223372036854775807"}`},
	{"uint32 max", "/v1/everything/uint32/4294967295", "uint32_value=4294967295", `{"uint32Value":4294967295}`},
	{"uint64 max", "/v1/everything/uint64/18446744073709551615", "uint64_value=18446744073709551615", `{"uint64Value":"18446744073709551615"}`},
	{"sint32", "/v1/everything/sint32/-7", "sint32_value=-7", `{"sint32Value":-7}`},
	{"sint64", "/v1/everything/sint64/-9223372036854775808", "sint64_value=-9223372036854775808", `{"sint64Value":"-9223372036854775808"}`},
	{"fixed32", "/v1/everything/fixed32/4294967295", "fixed32_value=4294967295", `{"fixed32Value":4294967295}`},
	{"fixed64", "/v1/everything/fixed64/18446744073709551615", "fixed64_value=18446744073709551615", `{"fixed64Value":"18446744073709551615"}`},
	{"sfixed32", "/v1/everything/sfixed32/-2147483648", "sfixed32_value=-2147483648", `{"sfixed32Value":-2147483648}`},
	{"sfixed64", "/v1/everything/sfixed64/-1", "sfixed64_value=-1", `{"sfixed64Value":"-1"}`},
	{"bool", "/v1/everything/bool/true", "bool_value=true", `{"boolValue":true}`},
	{"string", "/v1/everything/string/h%C3%A9llo%20w%C3%B6rld", "string_value=h%C3%A9llo+w%C3%B6rld", `{"stringValue":"héllo wörld"}`},
	{"bytes URL-safe", "/v1/everything/bytes/AQL_-w", "bytes_value=AQL_-w", `{"bytesValue":"AQL/+w=="}`},
	{"bytes standard", "", "bytes_value=AQL%2F%2Bw%3D%3D", `{"bytesValue":"AQL/+w=="}`},
	{"enum by name", "/v1/everything/color/BLUE", "color=BLUE", `{"color":"BLUE"}`},
	{"enum by alias", "/v1/everything/color/CRIMSON", "color=CRIMSON", `{"color":"RED"}`},
	{"enum by number", "/v1/everything/color/2", "color=2", `{"color":"GREEN"}`},
	{"enum unknown number", "/v1/everything/color/77", "color=77", `{"color":77}`},
	{"optional scalars", "/v1/everything/optional/0/", "optional_int32=0&optional_string=", `{"optionalInt32":0,"optionalString":""}`},
	{"nested enum", "/v1/everything/inner/n/CRIMSON", "inner.name=n&inner.color=CRIMSON", `{"inner":{"name":"n","color":"RED"}}`},
	{"json_name", "/v1/everything/renamed/r", "customName=r", `{"customName":"r"}`},
	{"json_name by proto name", "", "renamed=r&field_2_name_x=2", `{"customName":"r","field2NameX":2}`},
	{"timestamp", "/v1/everything/timestamp/2024-02-29T23:59:59.123456789Z", "timestamp=2024-02-29T23:59:59.123456789Z", `{"timestamp":"2024-02-29T23:59:59.123456789Z"}`},
	{"duration", "/v1/everything/duration/-1.5s", "duration=-1.5s", `{"duration":"-1.500s"}`},
	{"wrapper", "/v1/everything/wrapper/-9223372036854775808", "int64_wrapper=-9223372036854775808", `{"int64Wrapper":"-9223372036854775808"}`},
	{"single-segment template", "/v1/things/abc/echo", "", `{"stringValue":"things/abc"}`},
	{"multi-segment template", "/v1/tree/a/b/c:deep", "", `{"stringValue":"tree/a/b/c"}`},
	{"repeated enums", "", "repeated_color=RED&repeated_color=2&repeated_color=CRIMSON&repeated_color=9", `{"repeatedColor":["RED","GREEN","RED",9]}`},
	{"repeated enums in a nested message", "", "inner.colors=BLUE&inner.colors=1", `{"inner":{"colors":["BLUE","RED"]}}`},
	{"repeated scalars", "", "repeated_int64=-1&repeated_int64=9223372036854775807&repeated_string=a&repeated_string=&repeated_bytes=AQ%3D%3D&repeated_bool=false&repeated_double=NaN&repeated_float=-Infinity",
		`{"repeatedInt64":["-1","9223372036854775807"],"repeatedString":["a",""],"repeatedBytes":["AQ=="],"repeatedBool":[false],"repeatedDouble":["NaN"],"repeatedFloat":["-Infinity"]}`},
	{"repeated unsigned", "", "repeated_uint32=1&repeated_uint64=18446744073709551615&repeated_sint32=-1&repeated_sint64=-2&repeated_fixed32=3&repeated_fixed64=4&repeated_sfixed32=-5&repeated_sfixed64=-6&repeated_int32=7",
		`{"repeatedUint32":[1],"repeatedUint64":["18446744073709551615"],"repeatedSint32":[-1],"repeatedSint64":["-2"],"repeatedFixed32":[3],"repeatedFixed64":["4"],"repeatedSfixed32":[-5],"repeatedSfixed64":["-6"],"repeatedInt32":[7]}`},
	{"maps of integer keys", "", "map_int32[-1]=a&map_int64[-9223372036854775808]=b&map_uint32[4294967295]=c&map_uint64[18446744073709551615]=d&map_sint32[-2]=e&map_sint64[3]=f",
		`{"mapInt32":{"-1":"a"},"mapInt64":{"-9223372036854775808":"b"},"mapUint32":{"4294967295":"c"},"mapUint64":{"18446744073709551615":"d"},"mapSint32":{"-2":"e"},"mapSint64":{"3":"f"}}`},
	{"maps of fixed, bool and string keys", "", "map_fixed32[1]=a&map_fixed64[2]=b&map_sfixed32[-3]=c&map_sfixed64[-4]=d&map_bool[true]=e&map_bool[false]=f&map_string[a+b]=g",
		`{"mapFixed32":{"1":"a"},"mapFixed64":{"2":"b"},"mapSfixed32":{"-3":"c"},"mapSfixed64":{"-4":"d"},"mapBool":{"true":"e","false":"f"},"mapString":{"a b":"g"}}`},
	{"maps of enums, bytes, doubles and values", "", "map_color[x]=CRIMSON&map_color[y]=5&map_bytes[k]=AQ&map_double[n]=NaN&map_value[v]=%5B1%2C%22s%22%5D",
		`{"mapColor":{"x":"RED","y":5},"mapBytes":{"k":"AQ=="},"mapDouble":{"n":"NaN"},"mapValue":{"v":[1,"s"]}}`},
	{"oneof scalar", "", "choice_color=GREEN", `{"choiceColor":"GREEN"}`},
	{"oneof message", "", "choice_inner.name=a&choice_inner.count=-3", `{"choiceInner":{"name":"a","count":"-3"}}`},
	{"oneof well-known type", "", "choice_time=1970-01-01T00:00:00Z", `{"choiceTime":"1970-01-01T00:00:00Z"}`},
	{"oneof empty", "", "choice_empty=%7B%7D", `{"choiceEmpty":{}}`},
	{"recursive", "", "child.child.color=BLUE&tree.next.next.label=x", `{"child":{"child":{"color":"BLUE"}},"tree":{"next":{"next":{"label":"x"}}}}`},
	{"field mask, struct, value, list", "", "field_mask=a.b,c&struct=%7B%22k%22%3A%7B%22n%22%3Anull%7D%7D&value=1.5&list_value=%5Btrue%2C%22x%22%5D",
		`{"fieldMask":"a.b,c","struct":{"k":{"n":null}},"value":1.5,"listValue":[true,"x"]}`},
	{"wrappers", "", "double_wrapper=NaN&float_wrapper=-Infinity&uint64_wrapper=18446744073709551615&int32_wrapper=-1&uint32_wrapper=4294967295&bool_wrapper=false&string_wrapper=&bytes_wrapper=AQ",
		`{"doubleWrapper":"NaN","floatWrapper":"-Infinity","uint64Wrapper":"18446744073709551615","int32Wrapper":-1,"uint32Wrapper":4294967295,"boolWrapper":false,"stringWrapper":"","bytesWrapper":"AQ=="}`},
	{"empty and repeated well-known types", "", "empty=&repeated_timestamp=2000-01-01T00:00:00Z&repeated_timestamp=1999-12-31T23:00:00-01:00&repeated_int64_wrapper=5",
		`{"empty":{},"repeatedTimestamp":["2000-01-01T00:00:00Z","2000-01-01T00:00:00Z"],"repeatedInt64Wrapper":["5"]}`},
	{"Any of a backend-only type", "", "", `{"any":{"@type":"type.googleapis.com/kitchensink.v1.BackendOnly","secret":"s","color":"BLUE","ttl":"1s"},"repeatedAny":[{"@type":"type.googleapis.com/google.protobuf.Duration","value":"2s"}]}`},
	{"repeated and mapped messages", "", "", `{"repeatedInner":[{"name":"a"},{"colors":["GREEN"]}],"mapInner":{"k":{"count":"1"}},"tree":{"children":[{"label":"c"}],"named":{"n":{"label":"m"}}}}`},
}

func ksCases() []ksCase {
	var cases []ksCase
	for _, f := range ksFields {
		if f.path != "" {
			cases = append(cases, ksCase{name: f.name + " in the path", method: "GET", target: f.path, rpc: "Echo", want: f.want})
		}
		if f.query != "" {
			cases = append(cases, ksCase{name: f.name + " in the query", method: "GET", target: "/v1/everything?" + f.query, rpc: "Echo", want: f.want})
		}
		cases = append(cases,
			ksCase{name: f.name + " in the request parameter", method: "GET", target: "/v1/everything?request=" + url.QueryEscape(f.want), rpc: "Echo", want: f.want},
			ksCase{name: f.name + " in a POST body", method: "POST", target: "/v1/everything:echo", body: f.want, rpc: "Echo", want: f.want})
	}
	return append(cases,
		ksCase{name: "enum by alias and number in JSON", method: "POST", target: "/v1/everything:echo", body: `{"color":"CRIMSON","repeatedColor":[2,"BLUE"]}`, rpc: "Echo", want: `{"color":"RED","repeatedColor":["GREEN","BLUE"]}`},
		ksCase{name: "proto names in JSON", method: "GET", target: "/v1/everything?request=" + url.QueryEscape(`{"int64_value":"1","renamed":"r"}`), rpc: "Echo", want: `{"int64Value":"1","customName":"r"}`},
		ksCase{name: "request parameter under path and query", method: "GET", target: "/v1/everything/color/BLUE?int32_value=2&request=" + url.QueryEscape(`{"color":"RED","int32Value":1,"int64Value":"3"}`), rpc: "Echo", want: `{"color":"BLUE","int32Value":2,"int64Value":"3"}`},
		ksCase{name: "POST body field", method: "POST", target: "/v1/everything/s:inner?int32_value=3", body: `{"name":"n","color":"CRIMSON","colors":["BLUE",1],"inner":{"count":"-1"}}`, rpc: "Echo",
			want: `{"stringValue":"s","int32Value":3,"inner":{"name":"n","color":"RED","colors":["BLUE","RED"],"inner":{"count":"-1"}}}`},
		ksCase{name: "POST body field, empty body", method: "POST", target: "/v1/everything/s:inner?int32_value=4", rpc: "Echo", want: `{"stringValue":"s","int32Value":4}`},
		ksCase{name: "default route", method: "GET", target: "/kitchensink.v1.KitchenSink/Plain?color=GREEN&colors=RED&inner.inner.name=x", rpc: "Plain", want: `{"color":"GREEN","colors":["RED"],"inner":{"inner":{"name":"x"}}}`},
		ksCase{name: "proto2 in the path and query", method: "GET", target: "/v1/legacy/x?kind=KIND_THREE&kinds=1&kinds=KIND_TWO&count=42&Item.title=t&item.rank=2&scores[a]=-1&pick_number=5&ratio=NaN&ceiling=18446744073709551615",
			rpc: "EchoLegacy", want: `{"id":"x","kind":"KIND_THREE","kinds":["KIND_ONE","KIND_TWO"],"count":42,"item":{"title":"t","rank":2},"scores":{"a":-1},"pickNumber":5,"ratio":"NaN","ceiling":"18446744073709551615"}`},
		ksCase{name: "proto2 defaults set explicitly and extensions", method: "POST", target: "/v1/legacy:echo",
			body: `{"id":"x","count":42,"label":"hello","ratio":"NaN","limit":"Infinity","floor":"-9223372036854775808","ceiling":"18446744073709551615","enabled":true,"blob":"AQL/","kind":"KIND_TWO","unpacked":[1,2],"packed":[3],"child":{"id":"c"},"[kitchensink.v1.note]":"n","[kitchensink.v1.marks]":[1,2]}`,
			rpc:  "EchoLegacy", want: `{"id":"x","count":42,"label":"hello","ratio":"NaN","limit":"Infinity","floor":"-9223372036854775808","ceiling":"18446744073709551615","enabled":true,"blob":"AQL/","kind":"KIND_TWO","unpacked":[1,2],"packed":[3],"child":{"id":"c"},"[kitchensink.v1.note]":"n","[kitchensink.v1.marks]":[1,2]}`},
		ksCase{name: "proto2 with only the required field", method: "POST", target: "/v1/legacy:echo", body: `{"id":"only"}`, rpc: "EchoLegacy", want: `{"id":"only"}`},
		ksCase{name: "edition 2023 in the path and query", method: "GET", target: "/v1/modern/p?name=n&count=7&required_id=-1&level=LEVEL_HIGH&strictness=STRICTNESS_LAX&expanded=1&expanded=2&packed=3&part.level=9&delimited.title=d&levels[a]=LEVEL_LOW&at=2020-01-01T00:00:00Z",
			rpc: "EchoModern", want: `{"plain":"p","name":"n","count":7,"requiredId":"-1","level":"LEVEL_HIGH","strictness":"STRICTNESS_LAX","expanded":[1,2],"packed":[3],"part":{"level":9},"delimited":{"title":"d"},"levels":{"a":"LEVEL_LOW"},"at":"2020-01-01T00:00:00Z"}`},
		ksCase{name: "edition 2023 in a POST body", method: "POST", target: "/v1/modern:echo",
			body: `{"requiredId":"1","plain":"","count":7,"parts":[{"title":"a"},{"level":"LEVEL_LOW"}],"delimited":{"level":5},"unchecked":"u"}`,
			rpc:  "EchoModern", want: `{"requiredId":"1","count":7,"parts":[{"title":"a"},{"level":"LEVEL_LOW"}],"delimited":{"level":5},"unchecked":"u"}`},
		ksCase{name: "emitted values queries cannot express", method: "POST", target: "/v1/emit", rpc: "Emit", body: ksEmitted, want: ksEmitted},
		ksCase{name: "Last-Event-ID into the resume field", method: "GET", target: "/v1/counters/a/watch?last_seq=3&interval=0.001s&level=LEVEL_HIGH",
			header: http.Header{"Last-Event-Id": {"1"}}, rpc: "Watch", want: `{"name":"counters/a","afterSeq":"1","lastSeq":"3","interval":"0.001s","level":"LEVEL_HIGH"}`},
	)
}

// ksEmitted asks Emit for messages with values no query can express.
const ksEmitted = `{"messages":[
	{"doubleValue":"NaN","floatValue":"-Infinity","optionalDouble":"Infinity","repeatedDouble":["NaN","Infinity",-0]},
	{"int64Value":"-9223372036854775808","uint64Value":"18446744073709551615","sint64Value":"9223372036854775807","fixed64Value":"18446744073709551615","sfixed64Value":"-9223372036854775808","int32Value":-2147483648,"uint32Value":4294967295},
	{"color":77,"optionalColor":-5,"repeatedColor":[0,1000],"mapColor":{"u":42},"inner":{"colors":[123]}},
	{"any":{"@type":"type.googleapis.com/kitchensink.v1.BackendOnly","secret":"s","level":"-9223372036854775808","color":99,"ttl":"315576000000s"}},
	{"mapInt32":{"-2147483648":"a"},"mapInt64":{"9223372036854775807":"b"},"mapUint32":{"0":"c"},"mapUint64":{"18446744073709551615":"d"},"mapSint32":{"2147483647":"e"},"mapSint64":{"-9223372036854775808":"f"},"mapFixed32":{"4294967295":"g"},"mapFixed64":{"0":"h"},"mapSfixed32":{"-1":"i"},"mapSfixed64":{"1":"j"},"mapBool":{"false":"k"},"mapString":{"":"l","\u2028":"m"}},
	{"struct":{"a":{"b":[1,"x",null,true]}},"value":null,"listValue":[],"fieldMask":"a.bC,d","timestamp":"9999-12-31T23:59:59.999999999Z","duration":"-315576000000.999999999s","empty":{},"choiceEmpty":{}},
	{"bytesValue":"//79/A==","stringValue":"\u0000\"\\\n","repeatedBytes":[""],"mapBytes":{"k":""}}
]}`

// TestKitchenSink sends every field kind of the kitchen-sink API through
// every way of building a request, to a backend the gateway knows only by
// descriptors: from server reflection, a descriptor set file, and .proto
// sources compiled at start. The backend must receive exactly the
// expected message, and every event's data must parse to the message the
// backend sent.
func TestKitchenSink(t *testing.T) {
	if _, err := protoregistry.GlobalTypes.FindMessageByName(kitchensink.Package + ".Everything"); err == nil {
		t.Fatal("the kitchen-sink Go types are linked into this test; it must work from descriptors only")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srv, err := kitchensink.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	conn := dial(t, srv.Addr)
	api := srv.Backend.Descriptors()

	setFile := kitchenSinkSetFile(t, api)
	// The .proto sources compiled at start, as a user's tree holds them:
	// google/api and ssegw/v1 are left out, so that they come from the
	// gateway's built-in copies.
	sources := t.TempDir()
	if err := kitchensink.WriteSources(sources); err != nil {
		t.Fatal(err)
	}
	for _, builtIn := range []string{"google", "ssegw"} {
		if err := os.RemoveAll(filepath.Join(sources, builtIn)); err != nil {
			t.Fatal(err)
		}
	}

	for _, mode := range []struct {
		name   string
		source gateway.Option
	}{
		{"reflection", gateway.WithReflection()},
		{"descriptor set", gateway.WithDescriptorSetFile(setFile)},
		{"proto sources", gateway.WithProtoFiles(kitchensink.SourceFiles, sources)},
	} {
		t.Run(mode.name, func(t *testing.T) {
			base := startGateway(t, conn, mode.source)
			for _, tc := range ksCases() {
				t.Run(tc.name, func(t *testing.T) {
					checkKitchenSink(t, base, srv.Backend, api, tc)
				})
			}
		})
	}
}

func checkKitchenSink(t *testing.T, base string, backend *kitchensink.Backend, api *kitchensink.Descriptors, tc ksCase) {
	header := tc.header.Clone()
	if tc.body != "" {
		if header == nil {
			header = http.Header{}
		}
		header.Set("Content-Type", "application/json")
	}
	before := len(backend.Calls())
	events := open(t, tc.method, base+tc.target, header, tc.body).rest(t)
	calls := backend.Calls()
	if len(calls) != before+1 {
		t.Fatalf("the backend received %d calls, want 1", len(calls)-before)
	}
	call := calls[before]
	if want := "/" + kitchensink.ServiceName + "/" + tc.rpc; call.Method != want {
		t.Fatalf("method %s, want %s", call.Method, want)
	}
	unmarshal := protojson.UnmarshalOptions{Resolver: api.Types}
	want := call.Request.Type().New().Interface()
	if err := unmarshal.Unmarshal([]byte(tc.want), want); err != nil {
		t.Fatalf("expected request %s: %v", tc.want, err)
	}
	if !proto.Equal(call.Request, want) {
		t.Fatalf("the backend received\n  %s\nwant\n  %s", ksJSON(api, call.Request), ksJSON(api, want))
	}

	// What the backend sent: Echo methods their request, Emit the
	// request's messages, Watch counters the test cannot know.
	var sent []proto.Message
	switch tc.rpc {
	case "Emit":
		list := call.Request.Get(call.Request.Descriptor().Fields().ByName("messages")).List()
		for i := range list.Len() {
			sent = append(sent, list.Get(i).Message().Interface())
		}
	case "Watch":
		if len(events) != 3 || events[0].ID != "2" || events[1].ID != "3" || events[2].Event != "end" {
			t.Fatalf("events %q: want ids 2 and 3 and end", events)
		}
		return
	default:
		sent = []proto.Message{call.Request}
	}
	if len(events) != len(sent)+1 || events[len(sent)].Event != "end" {
		t.Fatalf("events %q: want %d messages and end", events, len(sent))
	}
	out := api.Service.Methods().ByName(protoreflect.Name(tc.rpc)).Output()
	outType, err := api.Types.FindMessageByName(out.FullName())
	if err != nil {
		t.Fatal(err)
	}
	for i, ev := range events[:len(sent)] {
		got := outType.New().Interface()
		if err := unmarshal.Unmarshal(ev.Data, got); err != nil {
			t.Fatalf("event %d data %s: %v", i, ev.Data, err)
		}
		if !proto.Equal(got, sent[i]) {
			t.Errorf("event %d: data %s parses to\n  %s\nbut the backend sent\n  %s", i, ev.Data, ksJSON(api, got), ksJSON(api, sent[i]))
		}
	}
}

func ksJSON(api *kitchensink.Descriptors, m proto.Message) string {
	b, err := protojson.MarshalOptions{Resolver: api.Types}.Marshal(m)
	if err != nil {
		return fmt.Sprintf("%v (%v)", m, err)
	}
	return strings.ReplaceAll(string(b), " ", "")
}

var _ grpc.ClientConnInterface = (*grpc.ClientConn)(nil)
