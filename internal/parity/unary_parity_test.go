package parity_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
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

// unaryParityCase is one HTTP request for a unary method sent to both
// gateways. Both must answer status with the same JSON body, and send the
// backend the same request; a case with a difference says why, and what
// grpc-gateway answers instead.
type unaryParityCase struct {
	name, method, target string
	contentType, body    string
	header               http.Header
	status               int
	difference           string
	grpcGatewayStatus    int  // with a difference
	defaults             bool // sent to ssegw with its default marshal options
	// codeOnly compares the codes of failures, not their messages, which
	// depend on which side of the connection a deadline ends first.
	codeOnly bool
}

// Intended differences of unary methods, as the README lists them.
const (
	diffEmitUnpopulated  = "zero values are left out by default (WithMarshalOptions with EmitUnpopulated writes them, as grpc-gateway does)"
	diffScalarBody       = "a 64-bit integer response_body is a string, as protojson writes it inside its message (grpc-gateway writes a number)"
	diffUnknownEnumBody  = "an unknown enum number in a response_body list is a number, as protojson writes it (grpc-gateway writes a string)"
	diffDefaultPost      = "a unary method without an HTTP rule is served at POST /package.Service/Method"
	diffEmptyPatch       = "an empty PATCH body leaves the field mask unset (grpc-gateway sets an empty one)"
	diffMethodNotAllowed = "a path served for other HTTP methods answers 405 with Allow (grpc-gateway answers 501)"
)

var unaryParityCases = []unaryParityCase{
	// Each verb and body form.
	{name: "GET with path and query", method: "GET", target: "/v1/items/abc?int64_value=-5&color=CRIMSON&inner.name=n&double_value=NaN&bytes_value=AQL_"},
	{name: "GET of an additional binding", method: "GET", target: "/v1/items:lookup?string_value=x&repeated_color=BLUE&timestamp=2024-01-02T03:04:05Z&duration=1.5s"},
	{name: "POST with the request as the body", method: "POST", target: "/v1/items",
		body: `{"doubleValue":"NaN","int64Value":"-9223372036854775808","uint64Value":"18446744073709551615","mapBool":{"true":"x"},"mapInt64":{"-1":"y"},"repeatedInner":[{"name":"a"}],"any":{"@type":"type.googleapis.com/kitchensink.v1.BackendOnly","secret":"s","ttl":"1s"},"struct":{"a":[1,null]},"fieldMask":"a.bC","optionalInt32":0}`},
	{name: "POST with an empty object", method: "POST", target: "/v1/items", body: `{}`},
	{name: "PUT with a body field", method: "PUT", target: "/v1/items/1", body: `{"int64Value":"7","inner":{"name":"n"}}`},
	{name: "PUT with a mask in the query", method: "PUT", target: "/v1/items/1?update_mask=int64_value,inner.name", body: `{"int64Value":"7"}`},
	{name: "PATCH fills the mask from the body", method: "PATCH", target: "/v1/items/1", body: `{"int64Value":"7","inner":{"name":"n","inner":{"count":"1"}},"customName":"r","struct":{"a":{"b":1}},"repeatedString":["x"]}`},
	{name: "PATCH with a mask in the query", method: "PATCH", target: "/v1/items/1?update_mask=color", body: `{"color":"BLUE"}`},
	{name: "PATCH with an empty object", method: "PATCH", target: "/v1/items/1", body: `{}`},
	{name: "DELETE", method: "DELETE", target: "/v1/items/abc?int32_value=3"},
	{name: "a custom HTTP method", method: "SEARCH", target: "/v1/items", body: `{"stringValue":"s","repeatedString":["a","b"]}`},
	{name: "a custom verb in the path", method: "POST", target: "/v1/items:search", body: `{"choiceInt64":"-1"}`},
	// response_body.
	{name: "response_body of a message", method: "GET", target: "/v1/items/abc/inner?inner.name=n&inner.count=3&inner.color=BLUE"},
	{name: "response_body of a message not set", method: "GET", target: "/v1/items/abc/inner"},
	{name: "response_body of a repeated enum", method: "GET", target: "/v1/items/abc/colors?repeated_color=CRIMSON&repeated_color=2"},
	{name: "response_body of an empty list", method: "GET", target: "/v1/items/abc/colors"},
	{name: "response_body with the request as the body", method: "POST", target: "/v1/items:pickColors", body: `{"repeatedColor":["BLUE",1]}`},
	{name: "response_body of a timestamp", method: "GET", target: "/v1/items/abc/time?timestamp=2024-02-29T23:59:59.5Z"},
	{name: "response_body of a timestamp not set", method: "GET", target: "/v1/items/abc/time"},
	// The backend's answers and failures.
	{name: "an answer", method: "POST", target: "/v1/answer", body: `{"messages":[{"int64Value":"1","color":77,"mapColor":{"k":"GREEN"},"timestamp":"9999-12-31T23:59:59.999999999Z","value":null}]}`},
	{name: "NOT_FOUND", method: "POST", target: "/v1/answer", body: `{"failCode":5,"failMessage":"gone"}`, status: 404},
	{name: "PERMISSION_DENIED", method: "POST", target: "/v1/answer", body: `{"failCode":7,"failMessage":"no"}`, status: 403},
	{name: "UNAVAILABLE", method: "POST", target: "/v1/answer", body: `{"failCode":14,"failMessage":"later"}`, status: 503},
	{name: "UNAUTHENTICATED", method: "POST", target: "/v1/answer", body: `{"failCode":16,"failMessage":"who"}`, status: 401},
	{name: "a deadline from Grpc-Timeout", method: "POST", target: "/v1/answer", body: `{"delay":"20s"}`, header: http.Header{"Grpc-Timeout": {"100m"}}, status: 504, codeOnly: true},
	{name: "a zero Grpc-Timeout", method: "POST", target: "/v1/answer", body: `{"delay":"0.001s"}`, header: http.Header{"Grpc-Timeout": {"0S"}}},

	// Malformed requests: the same status.
	{name: "malformed JSON", method: "POST", target: "/v1/items", body: `{"stringValue":`, status: 400},
	{name: "wrong JSON type", method: "PUT", target: "/v1/items/1", body: `{"int32Value":"x"}`, status: 400},
	{name: "a bad query parameter", method: "DELETE", target: "/v1/items/a?int32_value=x", status: 400},
	{name: "a bad path variable", method: "GET", target: "/v1/items/a/count?int64_value=1e3", status: 400},
	{name: "a malformed Grpc-Timeout", method: "POST", target: "/v1/items", body: `{}`, header: http.Header{"Grpc-Timeout": {"soon"}}, status: 400},
	{name: "an unknown path", method: "GET", target: "/v1/nowhere", status: 404},

	// Intended differences.
	{name: "zero values by default", method: "GET", target: "/v1/items/abc", status: 200, difference: diffEmitUnpopulated, grpcGatewayStatus: 200, defaults: true},
	{name: "response_body of a 64-bit integer", method: "GET", target: "/v1/items/abc/count?int64_value=-5", status: 200, difference: diffScalarBody, grpcGatewayStatus: 200},
	{name: "response_body with an unknown enum number", method: "POST", target: "/v1/items:pickColors", body: `{"repeatedColor":[77,"RED"]}`, status: 200, difference: diffUnknownEnumBody, grpcGatewayStatus: 200},
	{name: "the default route", method: "POST", target: "/kitchensink.v1.KitchenSink/Touch", body: `{"stringValue":"t"}`, status: 200, difference: diffDefaultPost, grpcGatewayStatus: 404},
	{name: "an empty PATCH body", method: "PATCH", target: "/v1/items/1", status: 200, difference: diffEmptyPatch, grpcGatewayStatus: 200},
	{name: "an unknown query parameter", method: "DELETE", target: "/v1/items/a?bogus=1", status: 400, difference: diffUnknownParam, grpcGatewayStatus: 200},
	{name: "an unknown field in JSON", method: "PUT", target: "/v1/items/1", body: `{"bogus":1}`, status: 400, difference: diffUnknownJSON, grpcGatewayStatus: 200},
	{name: "another HTTP method", method: "PUT", target: "/v1/items", body: `{}`, status: 405, difference: diffMethodNotAllowed, grpcGatewayStatus: 501},
	{name: "a body that is not JSON", method: "POST", target: "/v1/items", contentType: "text/plain", body: `{}`, status: 400, difference: diffContentType, grpcGatewayStatus: 200},
}

// TestUnaryParityWithGrpcGateway sends each request to grpc-gateway's
// generated handler and to ssegw (descriptor set mode, with grpc-gateway's
// EmitUnpopulated), both in front of one kitchen-sink backend: the
// requests that reach the backend are equal, and so are the statuses and
// the JSON bodies of the answers (compared as JSON values, since
// protojson varies its whitespace), except for the intended differences.
// A failure the gateway finds itself must have the same code; one from
// the backend the same whole status.
func TestUnaryParityWithGrpcGateway(t *testing.T) {
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
	serve := func(opts ...gateway.Option) string {
		gw, err := gateway.New(ctx, conn, append([]gateway.Option{gateway.WithDescriptorSetFile(setFile)}, opts...)...)
		if err != nil {
			t.Fatal(err)
		}
		s := httptest.NewServer(gw)
		t.Cleanup(s.Close)
		return s.URL
	}
	ssegw := serve(gateway.WithMarshalOptions(protojson.MarshalOptions{EmitUnpopulated: true}))
	defaults := serve()

	api := srv.Backend.Descriptors()
	for _, tc := range unaryParityCases {
		t.Run(tc.name, func(t *testing.T) {
			want := cmpOr2(tc.status, http.StatusOK)
			wantGG := want
			if tc.difference != "" {
				wantGG = tc.grpcGatewayStatus
			}
			gg := sendUnary(t, grpcGateway.URL, srv.Backend, tc)
			base := ssegw
			if tc.defaults {
				base = defaults
			}
			sg := sendUnary(t, base, srv.Backend, tc)
			if gg.status != wantGG || sg.status != want {
				t.Fatalf("grpc-gateway %d %s, ssegw %d %s; want %d and %d (%s)", gg.status, gg.body, sg.status, sg.body, wantGG, want, cmpOr(tc.difference, "no difference"))
			}
			if tc.difference != "" {
				sameCall := gg.call != nil && sg.call != nil && proto.Equal(gg.call.Request, sg.call.Request)
				if sameCall && sameJSON(gg.body, sg.body) {
					t.Errorf("both gave the same answer to the same request: the difference (%s) is gone", tc.difference)
				}
				return
			}
			if (gg.call == nil) != (sg.call == nil) {
				t.Fatalf("backend calls: grpc-gateway %v, ssegw %v", gg.call != nil, sg.call != nil)
			}
			if gg.call != nil && (gg.call.Method != sg.call.Method || !proto.Equal(gg.call.Request, sg.call.Request)) {
				o := protojson.MarshalOptions{Resolver: api.Types}
				a, _ := o.Marshal(gg.call.Request)
				b, _ := o.Marshal(sg.call.Request)
				t.Fatalf("the backend received\n  %s %s from grpc-gateway\n  %s %s from ssegw", gg.call.Method, a, sg.call.Method, b)
			}
			for _, r := range []unaryAnswer{gg, sg} {
				if ct := r.header.Get("Content-Type"); ct != "application/json" {
					t.Errorf("Content-Type %q", ct)
				}
			}
			if want == http.StatusOK || (gg.call != nil && !tc.codeOnly) {
				if !sameJSON(gg.body, sg.body) {
					t.Errorf("answers differ:\n  grpc-gateway %s\n  ssegw        %s", gg.body, sg.body)
				}
				return
			}
			var a, b struct{ Code int }
			if json.Unmarshal(gg.body, &a) != nil || json.Unmarshal(sg.body, &b) != nil || a.Code != b.Code {
				t.Errorf("error codes differ:\n  grpc-gateway %s\n  ssegw        %s", gg.body, sg.body)
			}
		})
	}

	// Metadata: grpc-gateway passes every header metadata key with a
	// Grpc-Metadata- prefix; ssegw passes the allowlisted keys, header and
	// trailer alike, with their own names, as on its streams.
	allowlisted := serve(gateway.WithOutgoingMetadata("x-header", "x-trailer"))
	tc := unaryParityCase{method: "POST", target: "/v1/answer", body: `{"headerMetadata":{"x-header":"h","x-other":"o"},"trailerMetadata":{"x-trailer":"t"}}`}
	gg, sg := sendUnary(t, grpcGateway.URL, srv.Backend, tc), sendUnary(t, allowlisted, srv.Backend, tc)
	if gg.header.Get("Grpc-Metadata-X-Header") != "h" || gg.header.Get("Grpc-Metadata-X-Other") != "o" || gg.header.Get("X-Header") != "" {
		t.Errorf("grpc-gateway's headers %v", gg.header)
	}
	if sg.header.Get("X-Header") != "h" || sg.header.Get("X-Trailer") != "t" || sg.header.Get("X-Other") != "" || sg.header.Get("Grpc-Metadata-X-Header") != "" {
		t.Errorf("ssegw's headers %v", sg.header)
	}
}

// unaryAnswer is an answer read whole, and the backend call it caused.
type unaryAnswer struct {
	status int
	header http.Header
	body   []byte
	call   *kitchensink.Call
}

// sendUnary makes the request of tc and reads its answer whole.
func sendUnary(t *testing.T, base string, backend *kitchensink.Backend, tc unaryParityCase) unaryAnswer {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, tc.method, base+tc.target, strings.NewReader(tc.body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range tc.header {
		req.Header[k] = v
	}
	if tc.body != "" {
		req.Header.Set("Content-Type", cmpOr(tc.contentType, "application/json"))
	}
	before := len(backend.Calls())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	a := unaryAnswer{status: resp.StatusCode, header: resp.Header, body: body}
	switch calls := backend.Calls(); len(calls) - before {
	case 0:
	case 1:
		a.call = &calls[before]
	default:
		t.Fatalf("%d backend calls", len(calls)-before)
	}
	return a
}

// sameJSON reports whether a and b hold the same JSON value, whatever
// their whitespace and member order.
func sameJSON(a, b []byte) bool {
	var va, vb any
	da, db := json.NewDecoder(bytes.NewReader(a)), json.NewDecoder(bytes.NewReader(b))
	da.UseNumber()
	db.UseNumber()
	if da.Decode(&va) != nil || db.Decode(&vb) != nil {
		return false
	}
	return reflect.DeepEqual(va, vb)
}

func cmpOr2(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}
