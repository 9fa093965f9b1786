package openapi

import "google.golang.org/protobuf/types/known/anypb"

// Names of the component schemas of the gateway's own JSON.
const (
	errorSchema       = "ssegw.Error"
	streamEndSchema   = "ssegw.StreamEnd"
	streamErrorSchema = "ssegw.StreamError"
	metadataSchema    = "ssegw.Metadata"
)

// errorResponse is a failure the gateway answers with before a response
// (or a stream) starts, under the name of its component.
type errorResponse struct {
	status, name, description string
	retryAfter                bool
	bodyOnly                  bool // only routes with a request body
}

// errorResponses are the HTTP statuses of the gateway's status table (gRPC
// code to HTTP status, as grpc-gateway maps them) and of its own refusals.
var errorResponses = []errorResponse{
	{status: "400", name: "BadRequest", description: "The request is invalid: an unknown or unparsable parameter or body, or the backend answered INVALID_ARGUMENT, FAILED_PRECONDITION or OUT_OF_RANGE."},
	{status: "401", name: "Unauthorized", description: "The backend answered UNAUTHENTICATED."},
	{status: "403", name: "Forbidden", description: "The backend answered PERMISSION_DENIED, or the request came from a page of an origin that the CORS policy does not allow."},
	{status: "404", name: "NotFound", description: "The backend answered NOT_FOUND."},
	{status: "408", name: "RequestTimeout", description: "The request body did not arrive within the gateway's body read timeout.", bodyOnly: true},
	{status: "409", name: "Conflict", description: "The backend answered ALREADY_EXISTS or ABORTED."},
	{status: "413", name: "ContentTooLarge", description: "The request body is larger than the gateway's limit.", bodyOnly: true},
	{status: "429", name: "TooManyRequests", description: "The backend answered RESOURCE_EXHAUSTED, or the client has as many open streams as the gateway allows one client.", retryAfter: true},
	{status: "500", name: "InternalError", description: "The backend answered INTERNAL, UNKNOWN or DATA_LOSS."},
	{status: "501", name: "NotImplemented", description: "The backend answered UNIMPLEMENTED."},
	{status: "503", name: "Unavailable", description: "The backend answered UNAVAILABLE or cannot be reached, the gateway serves as many streams as it allows, request bodies being read hold as much memory as it allows, or it is draining or starting.", retryAfter: true},
	{status: "504", name: "GatewayTimeout", description: "The backend answered DEADLINE_EXCEEDED."},
	{status: "default", name: "Error", description: "Any other failure, with the HTTP status of its gRPC code."},
}

// errorComponents adds the gateway's error schemas and responses.
func (b *builder) errorComponents() {
	anySchema := b.comps.message((&anypb.Any{}).ProtoReflect().Descriptor())
	status := func(desc string) *Schema {
		s := &Schema{Type: "object", Description: desc, Required: []string{"code", "message", "details"}, AdditionalProperties: boolSchema(false)}
		s.property("code", &Schema{Type: "integer", Format: "int32", Minimum: "0", Maximum: "16", Description: "The gRPC status code, such as 5 for NOT_FOUND."})
		s.property("message", &Schema{Type: "string", Description: "The error message."})
		s.property("details", &Schema{Type: "array", Items: anySchema, Description: "The error details the backend sent, such as google.rpc.ErrorInfo or google.rpc.BadRequest, each with its \"@type\"."})
		return s
	}
	b.comps.add(errorSchema, status("A google.rpc.Status as JSON, with every member present: the body of every error response."))
	if b.streams {
		md := &Schema{Type: "object", Description: "gRPC metadata: each key with its values (base64 for keys ending in -bin).",
			AdditionalProperties: &Schema{Type: "array", Items: &Schema{Type: "string"}}}
		b.comps.add(metadataSchema, md)
		se := status("The data of the \"error\" event that ends a failed stream: a google.rpc.Status as JSON, and the backend's trailers the gateway passes on.")
		se.property("trailers", ref(metadataSchema))
		b.comps.add(streamErrorSchema, se)
		if b.endEvents {
			end := &Schema{Type: "object", Description: "The data of the \"end\" event that ends a stream normally: {}, or the backend's trailers the gateway passes on.", AdditionalProperties: boolSchema(false)}
			end.property("trailers", ref(metadataSchema))
			b.comps.add(streamEndSchema, end)
		}
	}
	responses := &object[*response]{}
	for _, e := range errorResponses {
		if e.bodyOnly && !b.bodies {
			continue
		}
		r := &response{Description: e.description, Content: content("application/json", &mediaType{Schema: ref(errorSchema)})}
		if e.retryAfter {
			r.Headers = &object[*header]{}
			r.Headers.set("Retry-After", &header{Description: "Seconds to wait before trying again.", Schema: &Schema{Type: "integer", Minimum: "0"}})
		}
		responses.set(e.name, r)
	}
	b.doc.Components.Responses = responses
}

// errorResponsesOf adds the error responses of a route to its responses.
func (b *builder) errorResponsesOf(responses *object[*response], hasBody bool) {
	b.bodies = b.bodies || hasBody
	for _, e := range errorResponses {
		if e.bodyOnly && !hasBody {
			continue
		}
		responses.set(e.status, &response{Ref: "#/components/responses/" + e.name})
	}
}
