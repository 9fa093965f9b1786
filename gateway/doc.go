// Package gateway serves server-streaming gRPC methods as Server-Sent Events
// routes, and unary methods as JSON.
//
// A Gateway is an http.Handler. It is built from a connection to a backend
// and a source of descriptors (server reflection, a descriptor set file,
// .proto files compiled at start, or descriptors compiled into the
// program), and it maps every server-streaming method it finds to one or
// more routes:
//
//   - the method's google.api.http rules: GET rules, and POST rules with a
//     body for fetch-based clients, including additional_bindings and path
//     templates such as "/v1/{name=shelves/*}/events";
//   - for a method without such a rule, GET /<package.Service>/<Method>.
//
// The request message is built from the method's own descriptors, with
// grpc-gateway's rules: from the whole request as protojson in the
// "request" query parameter, the POST body, path variables and query
// parameters. Each response message becomes one event whose data is the
// message's JSON exactly as protojson writes it, but compact and the same
// in every build, written straight from the received wire bytes (see
// [WithMarshalOptions]). The event name, the
// field that becomes the event id, the request field that receives a
// reconnecting client's Last-Event-ID and the heartbeat are set per method
// with the ssegw.v1.stream method option, or with [WithMethodOptions]. Its
// shape (ssegw.v1.Shape) takes the event names and data from the messages
// instead: each event named after the case of a oneof that is set, with
// that case's value as its data, or named by a string or enum field; the
// data one field of the message; and a sentinel, such as "[DONE]", in
// place of the "end" event.
//
// The stream ends with an "end" event (or the sentinel) when the backend
// finishes, or with an "error" event carrying a google.rpc.Status as JSON
// when it fails. A
// failure before the stream starts is answered with the HTTP status that
// corresponds to the gRPC code and a JSON google.rpc.Status body.
//
// # Unary methods
//
// Unary methods are served as JSON from the same descriptors and rules, so
// that one gateway fronts a whole service: each binding of a method's
// google.api.http rule becomes a route, with any verb (get, put, post,
// delete, patch, or a custom method), its body ("*" or a field) and its
// response_body; a method without a rule is served at
// POST /<package.Service>/<Method> with the request as the body. The
// request is built as for a stream (a PATCH with a body field also fills
// the request's only FieldMask field from the body, as grpc-gateway does),
// the response is the message (or its response_body field) as protojson
// with the gateway's marshal options, and a failure is the same JSON
// google.rpc.Status with the same HTTP status as a stream's. The backend's
// header and trailer metadata on the allowlist become response headers.
// A Grpc-Timeout header sets the call's deadline, within
// [WithUnaryTimeout]. Header allowlists, CORS, cookies and access tokens,
// the request size limit, metrics, the access log, tracing and Drain apply
// to them; the stream limits do not. [WithoutUnary] serves streams alone.
// Client-streaming and bidirectional methods are not served.
//
// # Operations
//
// A gateway deployed beside a backend is observed and bounded with options:
// [WithMetrics] registers Prometheus metrics (open streams per route,
// events, bytes and heartbeats sent, stream ends by reason and gRPC code,
// durations, time to first event, slow-consumer disconnects, and unary
// calls by code with their durations);
// [WithAccessLog] logs one line per stream end and per unary call, never
// with credentials; [WithTracerProvider] opens a span per stream and per
// unary call, and W3C trace context is always forwarded to the backend. [WithWriteTimeout] disconnects a client
// that stops reading and cancels its backend call; [WithStreamLimits] caps
// concurrent streams, in all and per client, answering 503 and 429 with
// Retry-After; request bodies are read before a stream takes its slot,
// within [WithBodyReadTimeout] (408 after it) and, all bodies together,
// [WithMaxBodyBufferBytes] of memory; [WithMaxStreamLifetime] rotates long
// connections. On
// shutdown, [Gateway.Drain] tells every open stream to reconnect and waits
// for them to end. [Join] serves the routes of several gateways, one per
// backend, as one handler.
//
// A backend that freezes (a stopped process, a peer whose network went
// away) answers nothing, so its calls would wait for ever: dial it with
// gRPC keepalive, grpc.WithKeepaliveParams(keepalive.ClientParameters{Time:
// 5 * time.Minute, Timeout: 20 * time.Second}), which a stock grpc-go server
// accepts (it refuses pings more frequent than its MinTime, 5 minutes by
// default, and pings on a connection without calls). The method option
// max_message_gap bounds, per method, the wait for the backend's next
// message.
package gateway
