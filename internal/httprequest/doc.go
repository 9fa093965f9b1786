// Package httprequest builds a request message from the parts of an HTTP
// request, from the message's own descriptors: the JSON body or the
// request parameter (the whole request as JSON), then path variables, then
// query parameters, with grpc-gateway's rules for each field kind.
//
// It exists because grpc-gateway's parameter parsing
// (runtime.PopulateQueryParameters, runtime.PopulateFieldFromPath) looks
// enums up in protobuf's global registry and builds well-known types as the
// Go types linked into the program. A gateway that knows its backend only
// through descriptors (server reflection, a descriptor set, .proto files)
// has dynamic messages whose types are in no global registry: an enum in a
// query parameter then fails with "enum … is not registered", and a
// timestamppb.Timestamp cannot be set into a dynamic message whose
// Timestamp descriptor is another one. Here every value is parsed with the
// field's descriptor and every message is made from the field itself
// (dynamicpb for a dynamic parent), never from the global registry.
//
// Routing and path templates stay grpc-gateway's (runtime.ServeMux);
// QueryParser implements its runtime.QueryParameterParser interface.
//
// The caller reads the HTTP request (and bounds the body's size); this
// package only maps what was read. Errors are *Error values that name the
// parameter and say what was wrong; they convert to InvalidArgument gRPC
// statuses.
package httprequest
