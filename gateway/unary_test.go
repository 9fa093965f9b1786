package gateway_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/ssegw/ssegw/gateway"
	"github.com/ssegw/ssegw/internal/kitchensink"
	"github.com/ssegw/ssegw/internal/openapi/openapitest"
)

// unaryCase is one HTTP request for a unary method of the kitchen-sink
// API: the request message the backend must receive, and the response
// body the client must get.
type unaryCase struct {
	name   string
	method string // HTTP method
	target string // path and query
	body   string
	rpc    string // the KitchenSink method that must be called
	want   string // the request it must receive, as protojson
	// response is the JSON the client must get; "" for the backend's
	// answer, the request echoed, as a whole message.
	response string
}

var unaryCases = []unaryCase{
	// GET: path variables and query parameters.
	{name: "GET with a path variable and query parameters", method: "GET", target: "/v1/items/abc?int64_value=-5&color=CRIMSON&inner.name=n",
		rpc: "Get", want: `{"stringValue":"abc","int64Value":"-5","color":"RED","inner":{"name":"n"}}`},
	{name: "GET of an additional binding, with the query alone", method: "GET", target: "/v1/items:lookup?string_value=x&repeated_color=BLUE&timestamp=2024-01-02T03:04:05Z",
		rpc: "Get", want: `{"stringValue":"x","repeatedColor":["BLUE"],"timestamp":"2024-01-02T03:04:05Z"}`},
	{name: "GET with the request parameter", method: "GET", target: "/v1/items:lookup?request=" + url.QueryEscape(`{"repeatedInner":[{"name":"a"}],"mapInner":{"k":{"count":"1"}}}`),
		rpc: "Get", want: `{"repeatedInner":[{"name":"a"}],"mapInner":{"k":{"count":"1"}}}`},
	// POST with body "*".
	{name: "POST with the request as the body", method: "POST", target: "/v1/items",
		body: `{"doubleValue":"NaN","int64Value":"-9223372036854775808","mapBool":{"true":"x"},"any":{"@type":"type.googleapis.com/kitchensink.v1.BackendOnly","secret":"s","ttl":"1s"}}`,
		rpc:  "Create", want: `{"doubleValue":"NaN","int64Value":"-9223372036854775808","mapBool":{"true":"x"},"any":{"@type":"type.googleapis.com/kitchensink.v1.BackendOnly","secret":"s","ttl":"1s"}}`},
	{name: "POST with an empty body", method: "POST", target: "/v1/items", rpc: "Create", want: `{}`, response: `{}`},
	// PUT and PATCH with a body field.
	{name: "PUT with a body field and a mask in the query", method: "PUT", target: "/v1/items/1?update_mask=int64_value,inner.name", body: `{"int64Value":"7","inner":{"name":"n"}}`,
		rpc: "Update", want: `{"item":{"stringValue":"items/1","int64Value":"7","inner":{"name":"n"}},"updateMask":"int64Value,inner.name"}`},
	{name: "PUT with a body field fills no mask", method: "PUT", target: "/v1/items/1", body: `{"int64Value":"7"}`,
		rpc: "Update", want: `{"item":{"stringValue":"items/1","int64Value":"7"}}`},
	{name: "PATCH with a body field fills the mask from the body", method: "PATCH", target: "/v1/items/1", body: `{"int64Value":"7","inner":{"name":"n"},"customName":"r"}`,
		rpc: "Update", want: `{"item":{"stringValue":"items/1","int64Value":"7","inner":{"name":"n"},"customName":"r"},"updateMask":"inner.name,int64Value,renamed"}`},
	{name: "PATCH with a mask in the query", method: "PATCH", target: "/v1/items/1?update_mask=color", body: `{"color":"BLUE","int32Value":1}`,
		rpc: "Update", want: `{"item":{"stringValue":"items/1","color":"BLUE","int32Value":1},"updateMask":"color"}`},
	// DELETE.
	{name: "DELETE", method: "DELETE", target: "/v1/items/abc?int32_value=3", rpc: "Delete", want: `{"stringValue":"abc","int32Value":3}`, response: `{}`},
	// Custom methods and verbs.
	{name: "a custom HTTP method", method: "SEARCH", target: "/v1/items", body: `{"stringValue":"s","repeatedString":["a","b"]}`,
		rpc: "Search", want: `{"stringValue":"s","repeatedString":["a","b"]}`},
	{name: "a custom verb in the path", method: "POST", target: "/v1/items:search", body: `{"choiceInt64":"-1"}`,
		rpc: "Search", want: `{"choiceInt64":"-1"}`},
	// response_body.
	{name: "response_body of a message", method: "GET", target: "/v1/items/abc/inner?inner.name=n&inner.count=3&inner.color=BLUE",
		rpc: "Pick", want: `{"stringValue":"abc","inner":{"name":"n","count":"3","color":"BLUE"}}`, response: `{"name":"n","color":"BLUE","count":"3"}`},
	{name: "response_body of a message not set", method: "GET", target: "/v1/items/abc/inner",
		rpc: "Pick", want: `{"stringValue":"abc"}`, response: `{}`},
	{name: "response_body of a repeated enum", method: "GET", target: "/v1/items/abc/colors?repeated_color=CRIMSON&repeated_color=2&repeated_color=77",
		rpc: "Pick", want: `{"stringValue":"abc","repeatedColor":["RED","GREEN",77]}`, response: `["RED","GREEN",77]`},
	{name: "response_body of an empty list", method: "GET", target: "/v1/items/abc/colors",
		rpc: "Pick", want: `{"stringValue":"abc"}`, response: `[]`},
	{name: "response_body with the request as the body", method: "POST", target: "/v1/items:pickColors", body: `{"repeatedColor":[3,"GREEN",-1]}`,
		rpc: "Pick", want: `{"repeatedColor":["BLUE","GREEN",-1]}`, response: `["BLUE","GREEN",-1]`},
	{name: "response_body of a 64-bit integer", method: "GET", target: "/v1/items/abc/count?int64_value=-9223372036854775808",
		rpc: "Pick", want: `{"stringValue":"abc","int64Value":"-9223372036854775808"}`, response: `"-9223372036854775808"`},
	{name: "response_body of a zero integer", method: "GET", target: "/v1/items/abc/count",
		rpc: "Pick", want: `{"stringValue":"abc"}`, response: `"0"`},
	{name: "response_body of a timestamp", method: "GET", target: "/v1/items/abc/time?timestamp=2024-02-29T23:59:59.5Z",
		rpc: "Pick", want: `{"stringValue":"abc","timestamp":"2024-02-29T23:59:59.5Z"}`, response: `"2024-02-29T23:59:59.500Z"`},
	{name: "response_body of a timestamp not set", method: "GET", target: "/v1/items/abc/time",
		rpc: "Pick", want: `{"stringValue":"abc"}`, response: `"1970-01-01T00:00:00Z"`},
	// No rule: the default route.
	{name: "the default route", method: "POST", target: "/kitchensink.v1.KitchenSink/Touch", body: `{"stringValue":"t","color":"GREEN","inner":{"colors":[1]}}`,
		rpc: "Touch", want: `{"stringValue":"t","color":"GREEN","inner":{"colors":["RED"]}}`},
}

// TestUnaryKitchenSink calls every unary binding form of the kitchen-sink
// API (each verb, body "*", a body field, response_body, additional
// bindings, a custom method and verb, the default route) over real
// sockets, with the gateway knowing the backend only by descriptors from
// each source: the backend must receive exactly the expected request, and
// the client must get the backend's answer as JSON.
func TestUnaryKitchenSink(t *testing.T) {
	srv, conn := startKitchenSink(t)
	api := srv.Backend.Descriptors()
	for _, mode := range kitchenSinkModes(t, api) {
		t.Run(mode.name, func(t *testing.T) {
			base := startGateway(t, conn, mode.source)
			for _, tc := range unaryCases {
				t.Run(tc.name, func(t *testing.T) {
					checkUnary(t, base, srv.Backend, api, tc)
				})
			}
		})
	}
}

func checkUnary(t *testing.T, base string, backend *kitchensink.Backend, api *kitchensink.Descriptors, tc unaryCase) {
	t.Helper()
	var header http.Header
	if tc.body != "" {
		header = jsonHeader()
	}
	before := len(backend.Calls())
	resp := callUnary(t, tc.method, base+tc.target, header, tc.body)
	if resp.status != http.StatusOK {
		t.Fatalf("%s %s: status %d, body %s", tc.method, tc.target, resp.status, resp.body)
	}
	if ct := resp.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	calls := backend.Calls()
	if len(calls) != before+1 {
		t.Fatalf("the backend received %d calls, want 1", len(calls)-before)
	}
	c := calls[before]
	if want := "/" + kitchensink.ServiceName + "/" + tc.rpc; c.Method != want {
		t.Fatalf("method %s, want %s", c.Method, want)
	}
	unmarshal := protojson.UnmarshalOptions{Resolver: api.Types}
	want := c.Request.Type().New().Interface()
	if err := unmarshal.Unmarshal([]byte(tc.want), want); err != nil {
		t.Fatalf("expected request %s: %v", tc.want, err)
	}
	if !proto.Equal(c.Request, want) {
		t.Fatalf("the backend received\n  %s\nwant\n  %s", ksJSON(api, c.Request), ksJSON(api, want))
	}
	if tc.response != "" {
		if !sameJSON(resp.body, []byte(tc.response)) {
			t.Errorf("response %s, want %s", resp.body, tc.response)
		}
		return
	}
	out := api.Service.Methods().ByName(protoreflect.Name(tc.rpc)).Output()
	outType, err := api.Types.FindMessageByName(out.FullName())
	if err != nil {
		t.Fatal(err)
	}
	got := outType.New().Interface()
	if err := unmarshal.Unmarshal(resp.body, got); err != nil {
		t.Fatalf("response %s: %v", resp.body, err)
	}
	if !proto.Equal(got, c.Request) {
		t.Errorf("response %s parses to\n  %s\nbut the backend answered\n  %s", resp.body, ksJSON(api, got), ksJSON(api, c.Request))
	}
}

// TestUnaryRoutes: every binding of a unary method is a route, marked
// Unary with its body and response_body; client-streaming and
// bidirectional methods get none; WithoutUnary leaves the streams alone.
func TestUnaryRoutes(t *testing.T) {
	_, conn := startKitchenSink(t)
	routes := newGateway(t, conn).Routes()
	want := []gateway.Route{
		{HTTPMethod: "GET", Path: "/v1/items/{string_value}", GRPCMethod: "/kitchensink.v1.KitchenSink/Get", Unary: true},
		{HTTPMethod: "GET", Path: "/v1/items:lookup", GRPCMethod: "/kitchensink.v1.KitchenSink/Get", Unary: true},
		{HTTPMethod: "POST", Path: "/v1/items", Body: "*", GRPCMethod: "/kitchensink.v1.KitchenSink/Create", Unary: true},
		{HTTPMethod: "PUT", Path: "/v1/{item.string_value=items/*}", Body: "item", GRPCMethod: "/kitchensink.v1.KitchenSink/Update", Unary: true},
		{HTTPMethod: "PATCH", Path: "/v1/{item.string_value=items/*}", Body: "item", GRPCMethod: "/kitchensink.v1.KitchenSink/Update", Unary: true},
		{HTTPMethod: "DELETE", Path: "/v1/items/{string_value}", GRPCMethod: "/kitchensink.v1.KitchenSink/Delete", Unary: true},
		{HTTPMethod: "SEARCH", Path: "/v1/items", Body: "*", GRPCMethod: "/kitchensink.v1.KitchenSink/Search", Unary: true},
		{HTTPMethod: "POST", Path: "/v1/items:search", Body: "*", GRPCMethod: "/kitchensink.v1.KitchenSink/Search", Unary: true},
		{HTTPMethod: "GET", Path: "/v1/items/{string_value}/inner", ResponseBody: "inner", GRPCMethod: "/kitchensink.v1.KitchenSink/Pick", Unary: true},
		{HTTPMethod: "GET", Path: "/v1/items/{string_value}/colors", ResponseBody: "repeated_color", GRPCMethod: "/kitchensink.v1.KitchenSink/Pick", Unary: true},
		{HTTPMethod: "GET", Path: "/v1/items/{string_value}/count", ResponseBody: "int64_value", GRPCMethod: "/kitchensink.v1.KitchenSink/Pick", Unary: true},
		{HTTPMethod: "GET", Path: "/v1/items/{string_value}/time", ResponseBody: "timestamp", GRPCMethod: "/kitchensink.v1.KitchenSink/Pick", Unary: true},
		{HTTPMethod: "POST", Path: "/v1/items:pickColors", Body: "*", ResponseBody: "repeated_color", GRPCMethod: "/kitchensink.v1.KitchenSink/Pick", Unary: true},
		{HTTPMethod: "POST", Path: "/kitchensink.v1.KitchenSink/Touch", Body: "*", GRPCMethod: "/kitchensink.v1.KitchenSink/Touch", Unary: true},
		{HTTPMethod: "POST", Path: "/v1/answer", Body: "*", GRPCMethod: "/kitchensink.v1.KitchenSink/Answer", Unary: true},
	}
	var unary []gateway.Route
	streams := 0
	for _, rt := range routes {
		switch {
		case rt.Unary:
			unary = append(unary, rt)
		default:
			streams++
		}
		if rt.GRPCMethod == "/kitchensink.v1.KitchenSink/Chat" || rt.GRPCMethod == "/kitchensink.v1.KitchenSink/Collect" {
			t.Errorf("a client-streaming or bidirectional method is served: %+v", rt)
		}
	}
	if !slices.Equal(unary, want) {
		t.Errorf("unary routes\n  %+v\nwant\n  %+v", unary, want)
	}

	onlyStreams := newGateway(t, conn, gateway.WithoutUnary()).Routes()
	if len(onlyStreams) != streams || slices.ContainsFunc(onlyStreams, func(rt gateway.Route) bool { return rt.Unary }) {
		t.Errorf("WithoutUnary: routes %+v, want the %d stream routes alone", onlyStreams, streams)
	}
}

// TestUnaryMarshalOptions: the gateway's marshal options shape unary
// responses, whole or a response_body field, as they shape events.
func TestUnaryMarshalOptions(t *testing.T) {
	srv, conn := startKitchenSink(t)
	api := srv.Backend.Descriptors()
	base := startGateway(t, conn, gateway.WithMarshalOptions(protojson.MarshalOptions{UseProtoNames: true, UseEnumNumbers: true, EmitUnpopulated: true}))
	inner, err := api.Message(kitchensink.Package + ".Inner")
	if err != nil {
		t.Fatal(err)
	}
	emptyInner, err := protojson.MarshalOptions{EmitUnpopulated: true, UseProtoNames: true, UseEnumNumbers: true}.Marshal(inner)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ target, want string }{
		{"/v1/items/abc/colors?repeated_color=BLUE&repeated_color=RED", `[3,1]`},
		{"/v1/items/abc/colors", `[]`},
		{"/v1/items/abc/count", `"0"`},
		{"/v1/items/abc/inner?inner.color=GREEN", `{"name":"","color":2,"colors":[],"count":"0","inner":null}`},
		{"/v1/items/abc/inner", string(emptyInner)},
	} {
		resp := callUnary(t, "GET", base+tc.target, nil, "")
		if resp.status != http.StatusOK || !sameJSON(resp.body, []byte(tc.want)) {
			t.Errorf("%s: %d %s, want %s", tc.target, resp.status, resp.body, tc.want)
		}
	}
	resp := callUnary(t, "GET", base+"/v1/items/abc?int64_value=5&color=BLUE", nil, "")
	var whole map[string]any
	if err := json.Unmarshal(resp.body, &whole); err != nil {
		t.Fatal(err)
	}
	if whole["string_value"] != "abc" || whole["int64_value"] != "5" || whole["color"] != float64(3) || whole["bool_value"] != false {
		t.Errorf("response %s: want proto names, enum numbers and unpopulated fields", resp.body)
	}
}

// TestUnaryAnswersMatchTheOpenAPIDocument: every answer of the unary
// table, whole messages and response_body fields alike, is valid by the
// 200 response schema of its operation in the gateway's OpenAPI document.
func TestUnaryAnswersMatchTheOpenAPIDocument(t *testing.T) {
	srv, conn := startKitchenSink(t)
	gw := newGateway(t, conn)
	base := serveHTTP(t, gw)
	raw, err := gw.OpenAPI(gateway.OpenAPIInfo{})
	if err != nil {
		t.Fatal(err)
	}
	doc, err := openapitest.New(raw)
	if err != nil {
		t.Fatal(err)
	}
	var described struct{ Paths map[string]map[string]any }
	if err := json.Unmarshal(raw, &described); err != nil {
		t.Fatal(err)
	}
	pointer := strings.NewReplacer("~", "~0", "/", "~1")
	for _, tc := range unaryCases {
		t.Run(tc.name, func(t *testing.T) {
			var header http.Header
			if tc.body != "" {
				header = jsonHeader()
			}
			before := len(srv.Backend.Calls())
			resp := callUnary(t, tc.method, base+tc.target, header, tc.body)
			if resp.status != http.StatusOK || len(srv.Backend.Calls()) != before+1 {
				t.Fatalf("status %d: %s", resp.status, resp.body)
			}
			// The operation that describes it: the one of this HTTP method
			// whose OpenAPI path matches the path.
			path := strings.SplitN(tc.target, "?", 2)[0]
			var op string
			for p, item := range described.Paths {
				if !openAPIPathMatches(p, path) {
					continue
				}
				switch tc.method {
				case "GET", "PUT", "POST", "DELETE", "PATCH":
					if item[strings.ToLower(tc.method)] != nil {
						op = "/paths/" + pointer.Replace(p) + "/" + strings.ToLower(tc.method)
					}
				default:
					if extra, ok := item["additionalOperations"].(map[string]any); ok && extra[tc.method] != nil {
						op = "/paths/" + pointer.Replace(p) + "/additionalOperations/" + tc.method
					}
				}
			}
			if op == "" {
				t.Fatalf("no route for %s %s", tc.method, path)
			}
			s, err := doc.Schema(op + "/responses/200/content/application~1json/schema")
			if err != nil {
				t.Fatal(err)
			}
			if err := openapitest.Validate(s, resp.body); err != nil {
				t.Errorf("answer %s is not valid by %s: %v", resp.body, op, err)
			}
		})
	}
}

// openAPIPathMatches reports whether a path matches an OpenAPI path, each
// of whose parameters is one segment.
func openAPIPathMatches(openAPIPath, path string) bool {
	parts := regexp.MustCompile(`\{[^}]+\}`).Split(openAPIPath, -1)
	for i, p := range parts {
		parts[i] = regexp.QuoteMeta(p)
	}
	return regexp.MustCompile("^" + strings.Join(parts, "[^/]+") + "$").MatchString(path)
}
