// Package openapi describes a gateway's routes as an OpenAPI 3.2 document,
// built at run time from the descriptors the routes come from: server
// reflection, a descriptor set or .proto files compiled at start, with no
// code generated per service.
//
// [Build] takes a list of [Route]s (an HTTP method, a path template in
// google.api.http syntax, the body and response body fields, the gRPC
// method's descriptor, and for a server-streaming route how its events are
// named and shaped) and returns the document as JSON:
//
//   - every route with its path parameters (a variable of several
//     segments is written out, segment by segment, as OpenAPI parameters
//     hold no "/": {name=shelves/*} gives the path shelves/{shelf}), its
//     query parameters (typed, by dotted JSON field names, repeated fields
//     as arrays, maps as name[key]=value; none on a route whose body is the
//     whole request), the gateway's own request and last event id
//     parameters, the Last-Event-ID header of resumable streams, and its
//     request body;
//   - a unary route's JSON response; a streaming route's text/event-stream
//     response, whose itemSchema (OpenAPI 3.2's description of each event)
//     lists the kinds of events: the messages (or their shaped cases) with
//     data whose contentSchema is the message's schema, named heartbeats,
//     and the terminal "end" (or a sentinel) and "error" events;
//   - the error responses of the gateway's HTTP status table, each a JSON
//     google.rpc.Status;
//   - a component schema per message and enum, in JSON Schema 2020-12,
//     following protojson's mapping with the gateway's marshal options:
//     64-bit integers as strings, non-finite floats as "NaN" and
//     "Infinity", bytes as base64, enums by name (and number, for values an
//     open enum does not name), maps as objects, at most one field of a
//     oneof, json_name, proto2 required fields and extensions, and the
//     well-known types in their JSON forms; recursive messages refer to
//     themselves. Comments of the .proto sources become descriptions when
//     the descriptors carry source information.
//
// Each streaming method's event schema is also a component
// ("package.Service.Method.Event"), so that generators that do not read
// itemSchema yet, such as openapi-typescript, still give it a type.
package openapi
