package sseclient

import (
	"bytes"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"
	"unicode/utf8"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// MaxErrorBodyBytes is the number of bytes of the body of a rejected
// response that a [ResponseError] keeps.
const MaxErrorBodyBytes = 512

// maxStatusBodyBytes bounds how much of a rejected response is read to
// decode a google.rpc.Status from it.
const maxStatusBodyBytes = 64 << 10

var (
	// ErrMaxReconnectionAttempts is wrapped by the error that ends a stream
	// when the reconnection attempts allowed by
	// [WithMaxReconnectionAttempts] have all failed. The error also wraps
	// the failure of the last attempt.
	ErrMaxReconnectionAttempts = errors.New("sseclient: maximum reconnection attempts reached")

	// ErrReadTimeout is wrapped by the error of a connection on which no
	// bytes arrived for the time set with [WithReadTimeout].
	ErrReadTimeout = errors.New("sseclient: read timeout")

	// ErrConnectionLost is wrapped by the error of a connection that ended
	// before the stream did: the server closed it without a terminal
	// event, or it failed while reading.
	ErrConnectionLost = errors.New("sseclient: connection lost")

	// ErrClosed is returned by a stream after its Close method was called.
	ErrClosed = errors.New("sseclient: stream closed")
)

// ResponseError is the error for a response that is not an event stream: a
// status other than 200 and 204, or a 200 response whose content type is
// not text/event-stream; and for the answer of a unary call through a
// [Conn] whose status is not 200.
//
// It carries the HTTP status, the response headers and the first bytes of
// the body for diagnostics. It is also a gRPC status error: GRPCStatus
// returns the google.rpc.Status that the gateway sends as a JSON body with
// its error responses, or, for bodies that hold none, a status whose code
// is derived from the HTTP status (see [CodeFromHTTPStatus]). So
// status.FromError and status.Code work on it directly, and errors.As finds
// it inside the errors of typed streams.
type ResponseError struct {
	// Method and URL identify the request.
	Method, URL string
	// StatusCode is the HTTP status code, such as 404.
	StatusCode int
	// Header holds the response headers.
	Header http.Header
	// Body holds the first MaxErrorBodyBytes bytes of the response body.
	Body []byte

	reason string
	status *status.Status
}

// Error describes the response: the request, the HTTP status and either
// the reason it is not an event stream or the status message.
func (e *ResponseError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "sseclient: %s %s: %d", e.Method, e.URL, e.StatusCode)
	if text := http.StatusText(e.StatusCode); text != "" {
		b.WriteString(" " + text)
	}
	switch {
	case e.reason != "":
		b.WriteString(": " + e.reason)
	case e.status != nil && e.status.Message() != "":
		fmt.Fprintf(&b, ": %s: %s", e.status.Code(), e.status.Message())
	case e.status != nil:
		fmt.Fprintf(&b, ": %s", e.status.Code())
	}
	return b.String()
}

// GRPCStatus returns the gRPC status the response stands for.
func (e *ResponseError) GRPCStatus() *status.Status {
	if e.status == nil {
		return status.New(CodeFromHTTPStatus(e.StatusCode), e.Error())
	}
	return e.status
}

// newResponseError builds the error for a rejected response whose body
// starts with body (read up to maxStatusBodyBytes).
func newResponseError(method, url string, resp *http.Response, body []byte, resolver typeResolver) *ResponseError {
	e := &ResponseError{
		Method:     method,
		URL:        url,
		StatusCode: resp.StatusCode,
		Header:     resp.Header,
		Body:       bytes.Clone(body[:min(len(body), MaxErrorBodyBytes)]),
	}
	ct := resp.Header.Get("Content-Type")
	if resp.StatusCode == http.StatusOK {
		if ct == "" {
			e.reason = "no content type, want text/event-stream"
		} else {
			e.reason = fmt.Sprintf("content type %q is not text/event-stream", ct)
		}
		e.status = status.New(codes.Unknown, e.Error())
		return e
	}
	if isJSON(ct) {
		if p, _, err := decodeStatus(body, resolver); err == nil && p.GetCode() != int32(codes.OK) {
			e.status = status.FromProto(p)
			return e
		}
	}
	msg := fmt.Sprintf("HTTP status %d", resp.StatusCode)
	if text := http.StatusText(resp.StatusCode); text != "" {
		msg += " " + text
	}
	if snippet := textSnippet(e.Body); snippet != "" {
		msg += ": " + snippet
	}
	e.status = status.New(CodeFromHTTPStatus(resp.StatusCode), msg)
	return e
}

// isJSON reports whether a content type is JSON.
func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

// isEventStream reports whether a content type is text/event-stream.
func isEventStream(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && mt == "text/event-stream"
}

// textSnippet returns b as one trimmed line of text, or "" when b is not
// text.
func textSnippet(b []byte) string {
	if !utf8.Valid(b) {
		return ""
	}
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) > 200 {
		s = s[:200]
		for !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
		s += "…"
	}
	return s
}

// CodeFromHTTPStatus maps the status of an HTTP error response that does
// not carry a google.rpc.Status body to a gRPC code. It inverts the
// mapping the gateway (and grpc-gateway) use, and fills the gaps:
//
//	400 Bad Request             InvalidArgument
//	401 Unauthorized            Unauthenticated
//	403 Forbidden               PermissionDenied
//	404 Not Found               NotFound
//	405 Method Not Allowed      Unimplemented
//	408 Request Timeout         DeadlineExceeded
//	409 Conflict                Aborted
//	412 Precondition Failed     FailedPrecondition
//	416 Range Not Satisfiable   OutOfRange
//	429 Too Many Requests       ResourceExhausted
//	499 Client Closed Request   Canceled
//	500 Internal Server Error   Internal
//	501 Not Implemented         Unimplemented
//	502 Bad Gateway             Unavailable
//	503 Service Unavailable     Unavailable
//	504 Gateway Timeout         DeadlineExceeded
//	other 4xx                   FailedPrecondition
//	other 5xx                   Internal
//	anything else               Unknown
func CodeFromHTTPStatus(httpStatus int) codes.Code {
	switch httpStatus {
	case http.StatusBadRequest:
		return codes.InvalidArgument
	case http.StatusUnauthorized:
		return codes.Unauthenticated
	case http.StatusForbidden:
		return codes.PermissionDenied
	case http.StatusNotFound:
		return codes.NotFound
	case http.StatusMethodNotAllowed:
		return codes.Unimplemented
	case http.StatusRequestTimeout:
		return codes.DeadlineExceeded
	case http.StatusConflict:
		return codes.Aborted
	case http.StatusPreconditionFailed:
		return codes.FailedPrecondition
	case http.StatusRequestedRangeNotSatisfiable:
		return codes.OutOfRange
	case http.StatusTooManyRequests:
		return codes.ResourceExhausted
	case 499:
		return codes.Canceled
	case http.StatusInternalServerError:
		return codes.Internal
	case http.StatusNotImplemented:
		return codes.Unimplemented
	case http.StatusBadGateway, http.StatusServiceUnavailable:
		return codes.Unavailable
	case http.StatusGatewayTimeout:
		return codes.DeadlineExceeded
	}
	switch {
	case httpStatus >= 400 && httpStatus < 500:
		return codes.FailedPrecondition
	case httpStatus >= 500 && httpStatus < 600:
		return codes.Internal
	}
	return codes.Unknown
}

// statusError is a gRPC status error that keeps the error it was made
// from, so that errors.Is and errors.As see through it.
type statusError struct {
	st    *status.Status
	cause error
}

func (e *statusError) Error() string {
	return fmt.Sprintf("rpc error: code = %s desc = %s", e.st.Code(), e.cause.Error())
}

func (e *statusError) GRPCStatus() *status.Status { return e.st }

func (e *statusError) Unwrap() error { return e.cause }
