package gateway_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/ssegw/ssegw/gateway"
)

// TestUnaryErrorStatuses: a backend failure is answered with the HTTP
// status of its code (grpc-gateway's table, as for streams) and the status
// as a JSON google.rpc.Status.
func TestUnaryErrorStatuses(t *testing.T) {
	_, conn := startKitchenSink(t)
	base := startGateway(t, conn)
	for code, want := range map[codes.Code]int{
		codes.Canceled:           499,
		codes.Unknown:            500,
		codes.InvalidArgument:    400,
		codes.DeadlineExceeded:   504,
		codes.NotFound:           404,
		codes.AlreadyExists:      409,
		codes.PermissionDenied:   403,
		codes.ResourceExhausted:  429,
		codes.FailedPrecondition: 400,
		codes.Aborted:            409,
		codes.OutOfRange:         400,
		codes.Unimplemented:      501,
		codes.Internal:           500,
		codes.Unavailable:        503,
		codes.DataLoss:           500,
		codes.Unauthenticated:    401,
	} {
		t.Run(code.String(), func(t *testing.T) {
			resp := callUnary(t, "POST", base+"/v1/answer", jsonHeader(), fmt.Sprintf(`{"failCode":%d,"failMessage":"failed on purpose"}`, code))
			if resp.status != want {
				t.Errorf("status %d, want %d", resp.status, want)
			}
			if ct := resp.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			if got, msg := statusOf(t, resp.body); got != int(code) || msg != "failed on purpose" {
				t.Errorf("status body %s", resp.body)
			}
		})
	}
}

// TestUnaryRefusedRequests: requests the gateway refuses never reach the
// backend, and are answered like a stream's: 400 with the parameter named,
// 413 for a body over the limit, 404 and 405 with Allow for routes that do
// not match, and 404 for client-streaming and bidirectional methods.
func TestUnaryRefusedRequests(t *testing.T) {
	srv, conn := startKitchenSink(t)
	base := startGateway(t, conn, gateway.WithMaxRequestBytes(64))
	for _, tc := range []struct {
		name, method, target, body string
		header                     http.Header
		status                     int
		says                       string
	}{
		{"malformed JSON", "POST", "/v1/items", `{"stringValue":`, jsonHeader(), 400, "body"},
		{"unknown field in JSON", "POST", "/v1/items", `{"bogus":1}`, jsonHeader(), 400, "bogus"},
		{"a body that is not JSON", "PUT", "/v1/items/1", `{}`, http.Header{"Content-Type": {"text/plain"}}, 400, "application/json"},
		{"a body over the limit", "POST", "/v1/items", `{"stringValue":"` + strings.Repeat("x", 100) + `"}`, jsonHeader(), 413, "larger than 64 bytes"},
		{"a bad query parameter", "GET", "/v1/items/a?int32_value=x", "", nil, 400, "int32_value"},
		{"an unknown query parameter", "DELETE", "/v1/items/a?bogus=1", "", nil, 400, "bogus"},
		{"a query parameter with body *", "POST", "/v1/items?int32_value=1", `{}`, jsonHeader(), 400, `body: "*"`},
		{"a malformed Grpc-Timeout", "POST", "/v1/items", `{}`, http.Header{"Content-Type": {"application/json"}, "Grpc-Timeout": {"soon"}}, 400, "Grpc-Timeout"},
		{"an unknown path", "GET", "/v1/nowhere", "", nil, 404, "no route"},
		{"another HTTP method", "PUT", "/v1/items", `{}`, jsonHeader(), 405, "PUT"},
		{"a bidirectional method", "POST", "/kitchensink.v1.KitchenSink/Chat", `{}`, jsonHeader(), 404, "no route"},
		{"a client-streaming method", "POST", "/kitchensink.v1.KitchenSink/Collect", `{}`, jsonHeader(), 404, "no route"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(srv.Backend.Calls())
			resp := callUnary(t, tc.method, base+tc.target, tc.header, tc.body)
			if resp.status != tc.status {
				t.Errorf("status %d, want %d: %s", resp.status, tc.status, resp.body)
			}
			if _, msg := statusOf(t, resp.body); !strings.Contains(msg, tc.says) {
				t.Errorf("message %q does not say %q", msg, tc.says)
			}
			if n := len(srv.Backend.Calls()) - before; n != 0 {
				t.Errorf("the backend received %d calls", n)
			}
		})
	}
	resp := callUnary(t, "PUT", base+"/v1/items", jsonHeader(), `{}`)
	if allow := resp.header.Get("Allow"); allow != "POST, SEARCH" {
		t.Errorf("Allow %q, want POST, SEARCH", allow)
	}
}

// TestUnaryDeadline: a Grpc-Timeout header bounds the call, which fails
// with DEADLINE_EXCEEDED (504) when the backend takes longer; a zero one
// sets no deadline, as with grpc-gateway; WithUnaryTimeout bounds every
// call, and a Grpc-Timeout header cannot lengthen it.
func TestUnaryDeadline(t *testing.T) {
	_, conn := startKitchenSink(t)
	slow := `{"delay":"20s","messages":[{"stringValue":"late"}]}`
	quick := `{"delay":"0.001s","messages":[{"stringValue":"in time"}]}`
	for _, tc := range []struct {
		name    string
		opts    []gateway.Option
		timeout string
		body    string
		status  int
	}{
		{"Grpc-Timeout", nil, "100m", slow, http.StatusGatewayTimeout},
		{"Grpc-Timeout met", nil, "20S", quick, http.StatusOK},
		{"zero Grpc-Timeout", nil, "0S", quick, http.StatusOK},
		{"WithUnaryTimeout", []gateway.Option{gateway.WithUnaryTimeout(100 * time.Millisecond)}, "", slow, http.StatusGatewayTimeout},
		{"a longer Grpc-Timeout", []gateway.Option{gateway.WithUnaryTimeout(100 * time.Millisecond)}, "1H", slow, http.StatusGatewayTimeout},
		{"a shorter Grpc-Timeout", []gateway.Option{gateway.WithUnaryTimeout(time.Hour)}, "100m", slow, http.StatusGatewayTimeout},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := startGateway(t, conn, tc.opts...)
			header := jsonHeader()
			if tc.timeout != "" {
				header.Set("Grpc-Timeout", tc.timeout)
			}
			resp := callUnary(t, "POST", base+"/v1/answer", header, tc.body)
			if resp.status != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.status, tc.status, resp.body)
			}
			if tc.status == http.StatusGatewayTimeout {
				if code, _ := statusOf(t, resp.body); code != int(codes.DeadlineExceeded) {
					t.Errorf("code %d, want DEADLINE_EXCEEDED", code)
				}
			}
		})
	}
}
