package httprequest

import (
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Source is the part of an HTTP request a value came from.
type Source int

// The parts of an HTTP request.
const (
	// Query is a query parameter.
	Query Source = iota
	// Path is a path variable.
	Path
	// Body is the request body.
	Body
	// RequestParam is the query parameter holding the whole request as
	// JSON.
	RequestParam
)

// Error is a part of an HTTP request that cannot be mapped to the request
// message.
type Error struct {
	// Source is where the value came from.
	Source Source
	// Name is the query parameter or path variable; empty for the body.
	Name string
	// Err says what was wrong.
	Err error
}

// Error says where the request was wrong, and how.
func (e *Error) Error() string {
	switch e.Source {
	case Path:
		return fmt.Sprintf("path variable %q: %v", e.Name, e.Err)
	case Body:
		return fmt.Sprintf("request body: %v", e.Err)
	default:
		return fmt.Sprintf("query parameter %q: %v", e.Name, e.Err)
	}
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// GRPCStatus makes the error an InvalidArgument status, for status.Convert
// and status.Code.
func (e *Error) GRPCStatus() *status.Status {
	return status.New(codes.InvalidArgument, e.Error())
}

func queryError(name string, format string, args ...any) *Error {
	return &Error{Source: Query, Name: name, Err: fmt.Errorf(format, args...)}
}
