package sseclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/ssegw/ssegw/sse"
)

// statusJSON is the JSON form of a google.rpc.Status as the gateway writes
// it, with the optional "trailers" member of error events.
type statusJSON struct {
	Code     *int32              `json:"code"`
	Message  string              `json:"message"`
	Details  []json.RawMessage   `json:"details"`
	Trailers map[string][]string `json:"trailers"`
}

// decodeStatus decodes a google.rpc.Status in JSON, and the trailers that
// an error event may carry beside it. Details whose types cannot be
// resolved are left out, so that one unknown detail does not hide the
// status.
func decodeStatus(data []byte, resolver typeResolver) (*spb.Status, metadata.MD, error) {
	var raw statusJSON
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, nil, err
	}
	if raw.Code == nil {
		return nil, nil, errors.New(`no "code" member`)
	}
	p := &spb.Status{Code: *raw.Code, Message: raw.Message}
	opts := protojson.UnmarshalOptions{DiscardUnknown: true, Resolver: resolver}
	for _, d := range raw.Details {
		a := &anypb.Any{}
		if err := opts.Unmarshal(d, a); err == nil {
			p.Details = append(p.Details, a)
		}
	}
	return p, trailersMD(raw.Trailers), nil
}

// decodeEnd returns the trailers of an end event, whose data is "{}" or
// {"trailers": {...}}. Malformed data yields no trailers.
func decodeEnd(data []byte) metadata.MD {
	var raw struct {
		Trailers map[string][]string `json:"trailers"`
	}
	if json.Unmarshal(data, &raw) != nil {
		return nil
	}
	return trailersMD(raw.Trailers)
}

func trailersMD(m map[string][]string) metadata.MD {
	if len(m) == 0 {
		return nil
	}
	md := make(metadata.MD, len(m))
	for k, v := range m {
		key := strings.ToLower(k)
		md[key] = append(md[key], v...)
	}
	return md
}

// errorEventStatus turns the data of an error event into a status error
// and trailers.
func errorEventStatus(data []byte, resolver typeResolver) (error, metadata.MD) {
	p, trailers, err := decodeStatus(data, resolver)
	if err != nil {
		return status.Errorf(codes.Internal, "sseclient: error event with malformed status %s: %v", textSnippet(data[:min(len(data), MaxErrorBodyBytes)]), err), nil
	}
	if p.GetCode() == int32(codes.OK) {
		return status.Errorf(codes.Unknown, "sseclient: error event with status OK: %s", p.GetMessage()), trailers
	}
	return status.ErrorProto(p), trailers
}

// grpcStatuser is implemented by gRPC status errors.
type grpcStatuser interface {
	error
	GRPCStatus() *status.Status
}

// toStatusError converts an error of the raw stream into what typed
// streams return: io.EOF unchanged, gRPC status errors (including
// *ResponseError) unchanged, and other errors wrapped in a status error
// that still unwraps to them:
//
//   - context cancellation and [ErrClosed]: Canceled; deadline:
//     DeadlineExceeded;
//   - an error wrapping a status error (such as a give-up after HTTP
//     failures): that status;
//   - an event over the size limit: ResourceExhausted;
//   - anything else (network errors, dropped connections): Unavailable.
func toStatusError(err error) error {
	if err == nil || err == io.EOF {
		return err
	}
	if _, ok := err.(grpcStatuser); ok {
		return err
	}
	var st *status.Status
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, ErrClosed):
		st = status.New(codes.Canceled, err.Error())
	case errors.Is(err, context.DeadlineExceeded):
		st = status.New(codes.DeadlineExceeded, err.Error())
	case errors.Is(err, sse.ErrEventTooLarge):
		st = status.New(codes.ResourceExhausted, err.Error())
	default:
		if gs, ok := errors.AsType[grpcStatuser](err); ok && gs.GRPCStatus() != nil {
			st = gs.GRPCStatus()
		} else {
			st = status.New(codes.Unavailable, err.Error())
		}
	}
	return &statusError{st: st, cause: err}
}

// internalError is the status error for a local failure.
func internalError(format string, args ...any) error {
	return status.Error(codes.Internal, fmt.Sprintf(format, args...))
}
