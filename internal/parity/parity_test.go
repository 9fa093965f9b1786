package parity_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/ssegw/ssegw/gateway"
	kitchensinkv1 "github.com/ssegw/ssegw/gen/testdata/kitchensink/v1"
	"github.com/ssegw/ssegw/internal/kitchensink"
)

// parityCase is one HTTP request sent to both gateways. status is what
// both must answer; a case with a difference says why, and what
// grpc-gateway answers instead.
type parityCase struct {
	name, method, target string
	contentType, body    string
	status               int
	difference           string // "" when both must agree
	grpcGatewayStatus    int    // with a difference
	lenient              bool   // sent to ssegw with WithUnknownQueryParams
}

// Intended differences, as the README lists them.
const (
	diffUnknownParam  = "query parameters that name no field are refused (WithUnknownQueryParams ignores them)"
	diffBodyStar      = `query parameters on a route with body "*" are refused, not ignored`
	diffBound         = "a query parameter naming a field the path or the body binds is refused, not ignored"
	diffUnknownJSON   = "unknown fields and unknown enum names in request JSON are refused"
	diffDefaultRoute  = "a method without an HTTP rule is served at GET /package.Service/Method"
	diffUnknownNested = "an ignored unknown nested parameter leaves its parent unset (grpc-gateway sets an empty message)"
	diffEmptyBody     = "an empty body leaves the body field unset (grpc-gateway sets an empty message)"
	diffOpenEnum      = "an open enum takes any int32 number, as in JSON"
	diffListValue     = "a ListValue can be given as a query parameter (a JSON array)"
	diffFormPOST      = "a form POST to a GET route is a 405, not a GET"
	diffMapWithoutKey = "a map is given only as field[key]=value"
	diffDotSegments   = `path variables with "." or ".." segments are refused`
	diffContentType   = "a request body must be JSON (application/json or +json)"
	diffTrailingJSON  = "a JSON body is one JSON value, nothing after it"
)

var parityCases = []parityCase{
	// Scalars in the query.
	{name: "numbers", target: "/v1/everything?double_value=1.5&float_value=-2.25&int32_value=-2147483648&int64_value=-9223372036854775808&uint32_value=4294967295&uint64_value=18446744073709551615"},
	{name: "zigzag and fixed", target: "/v1/everything?sint32_value=-1&sint64_value=9223372036854775807&fixed32_value=1&fixed64_value=18446744073709551615&sfixed32_value=-1&sfixed64_value=-9223372036854775808"},
	{name: "NaN and infinities", target: "/v1/everything?double_value=NaN&float_value=-Infinity&optional_double=Infinity"},
	{name: "bools", target: "/v1/everything?bool_value=T&optional_bool=0&repeated_bool=true&repeated_bool=FALSE"},
	{name: "strings and bytes", target: "/v1/everything?string_value=h%C3%A9llo&optional_string=&bytes_value=AQL%2F&repeated_bytes=AQL_&repeated_bytes=AQ"},
	{name: "JSON names", target: "/v1/everything?int64Value=5&customName=r&field2NameX=2"},
	{name: "proto name of a json_name field", target: "/v1/everything?renamed=r"},
	// Enums.
	{name: "enum by name", target: "/v1/everything?color=BLUE"},
	{name: "enum by alias", target: "/v1/everything?color=CRIMSON"},
	{name: "enum by number", target: "/v1/everything?color=2"},
	{name: "repeated enums", target: "/v1/everything?repeated_color=RED&repeated_color=2&repeated_color=CRIMSON"},
	{name: "enums in nested messages", target: "/v1/everything?inner.color=GREEN&inner.colors=BLUE&inner.colors=1&inner.inner.color=RED"},
	{name: "optional enum", target: "/v1/everything?optional_color=COLOR_UNSPECIFIED"},
	{name: "enum map values", target: "/v1/everything?map_color[a]=BLUE&map_color[b]=1"},
	// Repeated fields, maps, oneofs, nesting.
	{name: "repeated scalars", target: "/v1/everything?repeated_int64=1&repeated_int64=-2&repeated_string=a&repeated_string=&repeated_double=NaN&repeated_uint64=18446744073709551615"},
	{name: "maps of every key kind", target: "/v1/everything?map_int32[-1]=a&map_int64[5]=b&map_uint32[1]=c&map_uint64[18446744073709551615]=d&map_sint32[-2]=e&map_sint64[-3]=f&map_fixed32[4]=g&map_fixed64[5]=h&map_sfixed32[-6]=i&map_sfixed64[-7]=j&map_bool[true]=k&map_string[a+b]=l"},
	{name: "map values", target: "/v1/everything?map_bytes[k]=AQ%3D%3D&map_double[n]=NaN&map_value[v]=%7B%22a%22%3A1%7D"},
	{name: "oneof scalar", target: "/v1/everything?choice_int64=-5"},
	{name: "oneof message", target: "/v1/everything?choice_inner.name=a&choice_inner.count=2"},
	{name: "recursive", target: "/v1/everything?child.child.int32_value=3&tree.next.label=x"},
	// Well-known types in the query.
	{name: "timestamp and duration", target: "/v1/everything?timestamp=2024-02-29T12:00:00.5%2B01:00&duration=1m30.5s&choice_time=1970-01-01T00:00:00Z"},
	{name: "negative duration", target: "/v1/everything?duration=-1.000000001s"},
	{name: "field mask", target: "/v1/everything?field_mask=a.b,c_d"},
	{name: "empty field mask", target: "/v1/everything?field_mask="},
	{name: "struct and value", target: "/v1/everything?struct=%7B%22a%22%3A%5B1%2Cnull%5D%7D&value=%22s%22"},
	{name: "wrappers", target: "/v1/everything?double_wrapper=NaN&float_wrapper=1.5&int64_wrapper=-9223372036854775808&uint64_wrapper=18446744073709551615&int32_wrapper=0&uint32_wrapper=1&bool_wrapper=false&string_wrapper=&bytes_wrapper=AQ"},
	{name: "empty", target: "/v1/everything?empty=&choice_empty=%7B%7D"},
	{name: "repeated well-known types", target: "/v1/everything?repeated_timestamp=1970-01-01T00:00:01Z&repeated_timestamp=2000-01-01T00:00:00Z&repeated_int64_wrapper=5"},
	{name: "fields of a well-known type", target: "/v1/everything?timestamp.seconds=5&duration.nanos=7"},
	// Path variables.
	{name: "double in the path", target: "/v1/everything/double/-1.5e300"},
	{name: "NaN in the path", target: "/v1/everything/float/NaN"},
	{name: "int64 in the path", target: "/v1/everything/int64/-9223372036854775808"},
	{name: "uint64 in the path", target: "/v1/everything/uint64/18446744073709551615"},
	{name: "sint32 in the path", target: "/v1/everything/sint32/-3"},
	{name: "bool in the path", target: "/v1/everything/bool/false"},
	{name: "string in the path", target: "/v1/everything/string/a%20b"},
	{name: "bytes in the path", target: "/v1/everything/bytes/AQL_-w"},
	{name: "enum in the path", target: "/v1/everything/color/CRIMSON"},
	{name: "enum number in the path", target: "/v1/everything/color/3"},
	{name: "optional fields in the path", target: "/v1/everything/optional/0/x"},
	{name: "nested enum in the path", target: "/v1/everything/inner/n/BLUE?inner.count=3"},
	{name: "json_name field in the path", target: "/v1/everything/renamed/r"},
	{name: "timestamp in the path", target: "/v1/everything/timestamp/2024-01-02T03:04:05.123Z"},
	{name: "duration in the path", target: "/v1/everything/duration/1.5s"},
	{name: "wrapper in the path", target: "/v1/everything/wrapper/-1"},
	{name: "template with a wildcard", target: "/v1/things/abc/echo?int32_value=1"},
	{name: "template with a deep wildcard", target: "/v1/tree/a/b/c:deep"},
	{name: "proto2 in the path and query", target: "/v1/legacy/x?kind=KIND_THREE&kinds=1&kinds=KIND_TWO&Item.title=t&item.rank=2&scores[a]=-1&pick_number=5"},
	{name: "edition 2023 in the path and query", target: "/v1/modern/p?name=n&level=LEVEL_HIGH&strictness=STRICTNESS_LAX&expanded=1&expanded=2&part.level=2&levels[a]=LEVEL_LOW&at=2020-01-01T00:00:00Z&required_id=1"},
	// Bodies.
	{name: "POST body", method: "POST", target: "/v1/everything:echo", body: `{"color":"CRIMSON","int64Value":"-1","any":{"@type":"type.googleapis.com/kitchensink.v1.BackendOnly","secret":"s"},"repeatedInner":[{"name":"a"}],"mapInner":{"k":{"count":"1"}}}`},
	{name: "POST body field", method: "POST", target: "/v1/everything/s:inner?int32_value=3", body: `{"name":"n","colors":["BLUE",1]}`},
	{name: "POST proto2 body", method: "POST", target: "/v1/legacy:echo", body: `{"id":"x","count":42,"[kitchensink.v1.note]":"n","item":{"title":"t"}}`},
	{name: "POST edition 2023 body", method: "POST", target: "/v1/modern:echo", body: `{"requiredId":"1","parts":[{"title":"a"}],"delimited":{"level":"LEVEL_HIGH"}}`},
	{name: "POST emit", method: "POST", target: "/v1/emit", body: `{"messages":[{"doubleValue":"NaN"},{"color":"BLUE"}]}`},

	// Malformed requests: the same status.
	{name: "unparsable int32", target: "/v1/everything?int32_value=x", status: 400},
	{name: "int32 overflow", target: "/v1/everything?int32_value=2147483648", status: 400},
	{name: "negative uint64", target: "/v1/everything?uint64_value=-1", status: 400},
	{name: "int64 overflow", target: "/v1/everything?int64_value=9223372036854775808", status: 400},
	{name: "float overflow", target: "/v1/everything?float_value=1e39", status: 400},
	{name: "Go's infinity spelling", target: "/v1/everything?double_value=inf", status: 400},
	{name: "hexadecimal float", target: "/v1/everything?double_value=0x1p4", status: 400},
	{name: "exponent in an integer", target: "/v1/everything?int64_value=1e3", status: 400},
	{name: "bad bool", target: "/v1/everything?bool_value=yes", status: 400},
	{name: "bad base64", target: "/v1/everything?bytes_value=%25%25", status: 400},
	{name: "bad enum name", target: "/v1/everything?color=PURPLE", status: 400},
	{name: "enum number out of range", target: "/v1/everything?color=2147483648", status: 400},
	{name: "closed enum unknown number", target: "/v1/legacy/x?kind=9", status: 400},
	{name: "bad timestamp", target: "/v1/everything?timestamp=2020-01-01", status: 400},
	{name: "timestamp before year 1", target: "/v1/everything?timestamp=0000-12-31T00:00:00Z", status: 400},
	{name: "bad duration", target: "/v1/everything?duration=soon", status: 400},
	{name: "bad struct", target: "/v1/everything?struct=%5B%5D", status: 400},
	{name: "bad empty", target: "/v1/everything?empty=x", status: 400},
	{name: "two values for a singular field", target: "/v1/everything?int32_value=1&int32_value=2", status: 400},
	{name: "proto and JSON name together", target: "/v1/everything?int64_value=1&int64Value=2", status: 400},
	{name: "two fields of a oneof", target: "/v1/everything?choice_string=a&choice_int64=1", status: 400},
	{name: "message in the query", target: "/v1/everything?inner=x", status: 400},
	{name: "Any in the query", target: "/v1/everything?any=x", status: 400},
	{name: "field of a repeated message", target: "/v1/everything?repeated_inner.name=x", status: 400},
	{name: "field of a map", target: "/v1/everything?map_inner.name=x", status: 400},
	{name: "message map value", target: "/v1/everything?map_inner[k]=x", status: 400},
	{name: "field of a scalar", target: "/v1/everything?int32_value.x=1", status: 400},
	{name: "map syntax on a scalar", target: "/v1/everything?int32_value[k]=1", status: 400},
	{name: "map key given twice", target: "/v1/everything?map_string[a]=1&map_string[a]=2", status: 400},
	{name: "bad map key", target: "/v1/everything?map_int32[x]=1", status: 400},
	{name: "unparsable int32 in the path", target: "/v1/everything/int32/x", status: 400},
	{name: "bad enum in the path", target: "/v1/everything/color/PURPLE", status: 400},
	{name: "bad bool in the path", target: "/v1/everything/bool/yes", status: 400},
	{name: "bad base64 in the path", target: "/v1/everything/bytes/%25%25", status: 400},
	{name: "Go duration in the path", target: "/v1/everything/duration/1m", status: 400},
	{name: "bad timestamp in the path", target: "/v1/everything/timestamp/yesterday", status: 400},
	{name: "malformed JSON body", method: "POST", target: "/v1/everything:echo", body: `{"color":`, status: 400},
	{name: "wrong JSON type", method: "POST", target: "/v1/everything:echo", body: `{"int32Value":"x"}`, status: 400},
	{name: "required field missing", method: "POST", target: "/v1/legacy:echo", body: `{"count":1}`, status: 400},

	// Intended differences.
	{name: "unknown query parameter", target: "/v1/everything?bogus=1", status: 400, difference: diffUnknownParam, grpcGatewayStatus: 200},
	{name: "unknown nested query parameter", target: "/v1/everything?inner.bogus=1", status: 400, difference: diffUnknownParam, grpcGatewayStatus: 200},
	{name: "query parameter with body *", method: "POST", target: "/v1/everything:echo?int32_value=1", body: `{}`, status: 400, difference: diffBodyStar, grpcGatewayStatus: 200},
	{name: "query parameter bound by the path", target: "/v1/everything/color/BLUE?color=RED", status: 400, difference: diffBound, grpcGatewayStatus: 200},
	{name: "query parameter bound by the body", method: "POST", target: "/v1/everything/s:inner?inner.name=x", body: `{}`, status: 400, difference: diffBound, grpcGatewayStatus: 200},
	{name: "unknown field in JSON", method: "POST", target: "/v1/everything:echo", body: `{"bogus":1}`, status: 400, difference: diffUnknownJSON, grpcGatewayStatus: 200},
	{name: "unknown enum name in JSON", method: "POST", target: "/v1/everything:echo", body: `{"color":"PURPLE"}`, status: 400, difference: diffUnknownJSON, grpcGatewayStatus: 200},
	{name: "unknown nested parameter, ignored", target: "/v1/everything?inner.bogus=1", status: 200, difference: diffUnknownNested, grpcGatewayStatus: 200, lenient: true},
	{name: "default route", target: "/kitchensink.v1.KitchenSink/Plain?color=GREEN", status: 200, difference: diffDefaultRoute, grpcGatewayStatus: 404},
	{name: "empty body for a body field", method: "POST", target: "/v1/everything/s:inner", status: 200, difference: diffEmptyBody, grpcGatewayStatus: 200},
	{name: "open enum unknown number", target: "/v1/everything?color=77", status: 200, difference: diffOpenEnum, grpcGatewayStatus: 400},
	{name: "open enum unknown number in the path", target: "/v1/everything/color/77", status: 200, difference: diffOpenEnum, grpcGatewayStatus: 400},
	{name: "list value", target: "/v1/everything?list_value=%5B1%5D", status: 200, difference: diffListValue, grpcGatewayStatus: 400},
	{name: "form POST to a GET route", method: "POST", target: "/v1/everything", contentType: "application/x-www-form-urlencoded", body: "int32_value=1", status: 405, difference: diffFormPOST, grpcGatewayStatus: 200},
	{name: "map given without a key", target: "/v1/everything?map_string=a&map_string=b", status: 400, difference: diffMapWithoutKey, grpcGatewayStatus: 200},
	{name: "dot-dot segment", target: "/v1/tree/a/../b:deep", status: 400, difference: diffDotSegments, grpcGatewayStatus: 200},
	{name: "body that is not JSON", method: "POST", target: "/v1/everything:echo", contentType: "text/plain", body: `{}`, status: 400, difference: diffContentType, grpcGatewayStatus: 200},
	{name: "JSON body with trailing data", method: "POST", target: "/v1/everything:echo", body: `{} {}`, status: 400, difference: diffTrailingJSON, grpcGatewayStatus: 200},
}

// TestParityWithGrpcGateway sends each request to grpc-gateway's generated
// handler and to ssegw (descriptor set mode), both in front of one
// kitchen-sink backend: the request messages that reach the backend are
// equal, and so are the statuses of malformed requests, except for the
// intended differences.
func TestParityWithGrpcGateway(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv, err := kitchensink.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	conn, err := grpc.NewClient(srv.Addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })

	mux := runtime.NewServeMux()
	if err := kitchensinkv1.RegisterKitchenSinkHandlerClient(ctx, mux, kitchensinkv1.NewKitchenSinkClient(conn)); err != nil {
		t.Fatal(err)
	}
	grpcGateway := httptest.NewServer(mux)
	t.Cleanup(grpcGateway.Close)

	set, err := srv.Backend.Descriptors().DescriptorSet()
	if err != nil {
		t.Fatal(err)
	}
	setFile := filepath.Join(t.TempDir(), "kitchensink.binpb")
	if err := os.WriteFile(setFile, set, 0o600); err != nil {
		t.Fatal(err)
	}
	gw, err := gateway.New(ctx, conn, gateway.WithDescriptorSetFile(setFile))
	if err != nil {
		t.Fatal(err)
	}
	ssegw := httptest.NewServer(gw)
	t.Cleanup(ssegw.Close)
	lenientGW, err := gateway.New(ctx, conn, gateway.WithDescriptorSetFile(setFile), gateway.WithUnknownQueryParams())
	if err != nil {
		t.Fatal(err)
	}
	lenient := httptest.NewServer(lenientGW)
	t.Cleanup(lenient.Close)

	api := srv.Backend.Descriptors()
	for _, tc := range parityCases {
		t.Run(tc.name, func(t *testing.T) {
			want := tc.status
			if want == 0 {
				want = http.StatusOK
			}
			wantGG := want
			if tc.difference != "" {
				wantGG = tc.grpcGatewayStatus
			}
			ggStatus, ggCall := send(t, grpcGateway.URL, srv.Backend, tc)
			sgURL := ssegw.URL
			if tc.lenient {
				sgURL = lenient.URL
			}
			sgStatus, sgCall := send(t, sgURL, srv.Backend, tc)
			if ggStatus != wantGG || sgStatus != want {
				t.Fatalf("grpc-gateway %d, ssegw %d; want %d and %d (%s)", ggStatus, sgStatus, wantGG, want, cmpOr(tc.difference, "no difference"))
			}
			if tc.difference != "" {
				if ggCall != nil && sgCall != nil && proto.Equal(ggCall.Request, sgCall.Request) {
					t.Errorf("both built the same request: the difference (%s) is gone", tc.difference)
				}
				return
			}
			if want != http.StatusOK {
				return
			}
			if ggCall == nil || sgCall == nil {
				t.Fatalf("backend calls: grpc-gateway %v, ssegw %v", ggCall != nil, sgCall != nil)
			}
			if ggCall.Method != sgCall.Method || !proto.Equal(ggCall.Request, sgCall.Request) {
				o := protojson.MarshalOptions{Resolver: api.Types}
				a, _ := o.Marshal(ggCall.Request)
				b, _ := o.Marshal(sgCall.Request)
				t.Fatalf("the backend received\n  %s %s from grpc-gateway\n  %s %s from ssegw", ggCall.Method, a, sgCall.Method, b)
			}
		})
	}
}

// send makes the request, reads the whole response, and returns its
// status and the backend call it caused, if any.
func send(t *testing.T, base string, backend *kitchensink.Backend, tc parityCase) (int, *kitchensink.Call) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	method := cmpOr(tc.method, "GET")
	req, err := http.NewRequestWithContext(ctx, method, base+tc.target, strings.NewReader(tc.body))
	if err != nil {
		t.Fatal(err)
	}
	if tc.body != "" || method == "POST" {
		req.Header.Set("Content-Type", cmpOr(tc.contentType, "application/json"))
	}
	before := len(backend.Calls())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		t.Fatal(err)
	}
	calls := backend.Calls()
	switch len(calls) - before {
	case 0:
		return resp.StatusCode, nil
	case 1:
		return resp.StatusCode, &calls[before]
	}
	t.Fatalf("%d backend calls", len(calls)-before)
	return 0, nil
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
