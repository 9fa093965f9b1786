// Package sseclient consumes Server-Sent Events streams from Go, in
// particular the streams of an ssegw gateway, at three levels:
//
//   - [Conn] implements grpc.ClientConnInterface, so that the generated
//     client of a gRPC service calls its server-streaming methods (over
//     SSE) and its unary methods (as JSON) through the gateway, over HTTP,
//     and receives typed messages and gRPC status errors as if it spoke
//     gRPC;
//   - [Subscribe] returns a [Stream] of protobuf messages decoded from any
//     SSE endpoint whose event data is protojson;
//   - [Client.Events] iterates over the raw [sse.Event] values of any SSE
//     endpoint, and [Client.Open] reads them one by one.
//
// # Reconnection
//
// Like Ktor's SSE client plugin, a stream can reconnect by itself, invisibly
// to the code that reads it: [WithMaxReconnectionAttempts] enables it
// (0, the default, disables it) and [WithReconnectionTime] sets the base
// delay. The client sends the stream's last event ID in the Last-Event-ID
// header, so a server that resumes from it (as the gateway does for
// methods with a resume field) continues with nothing lost and nothing
// repeated. The policy:
//
//   - Which failures are retried: network errors, the read timeout
//     ([WithReadTimeout]), dropped connections, and the HTTP statuses 408,
//     429 and 5xx except 501 and 505. The first connection is retried by
//     the same policy.
//   - Which are final: 204 No Content (a normal end), other 4xx, other
//     2xx, a 200 response that is not text/event-stream, an event over
//     the size limit, and a connection that closes after the gateway's
//     "end" or "error" event.
//   - A dropped connection is resumed only if the stream has a last event
//     ID to send or has not delivered any event yet. A stream whose events
//     carry no ids cannot resume: it would start again and repeat events,
//     so the drop is reported instead, unless [WithReconnectWithoutID]
//     accepts repeats, as browsers do.
//   - The wait before attempt n of an outage is base·2^(n−1) plus up to a
//     fifth of jitter, where base is the server's latest retry field or
//     else the reconnection time, capped by [WithMaxReconnectionDelay] (or
//     by the server's retry when that is larger). A Retry-After header on
//     429 and 503 responses lengthens the wait up to the cap.
//   - Attempts are counted per outage: the count starts again once a
//     connection has delivered an event, or has stayed open for the maximum
//     reconnection delay (and at least a second), so that a server that
//     accepts and closes at once cannot keep the client busy. When the allowed attempts have failed
//     the stream ends with an error wrapping [ErrMaxReconnectionAttempts]
//     and the last failure.
//
// # Comments
//
// Comments carry no events, but a client may want to see them: heartbeats
// show that a quiet stream is alive. With [WithCommentEvents], the raw
// iterator and [EventStream.Next] return each comment line as soon as it
// has been read, as an event with only Comment and ID set, in order with
// the events around it, wherever it occurs: between events, inside the
// block of an event (whose data it does not change), or last, with no
// blank line after it. [Hooks] OnComment sees the same lines at the same
// moments on every stream, typed streams included.
//
// # Restart
//
// [EventStream.Restart] and [Stream.Restart] drop the connection and
// connect again at once with the last event ID in Last-Event-ID, so that
// a server that resumes from it continues with nothing lost and nothing
// repeated: for an application watchdog that finds a stream stale, or
// when the credentials that the HTTP client adds to its requests have
// changed. They may be called from any goroutine
// and interrupt a read, a request or a wait between reconnection
// attempts. A restart is neither a failure nor a reconnection attempt: it
// happens even with reconnection off and uses up no attempt. A
// [Restarter], given with [WithRestarter], restarts the streams whose
// methods are out of reach: those of [Client.Events] and of the generated
// client of a [Conn].
//
// # Shaped events
//
// A gateway may shape a method's events (the shape of its ssegw.v1.stream
// option, or of its configuration): each event named after the case of a
// oneof that is set, with that case's value as its data, or named by a
// field; the data one field of the response; a sentinel such as
// "data: [DONE]" in place of "end". A [Conn] reads the shape from the
// method's descriptor, or from [WithMethodOptions] when the gateway has it
// from its configuration, and its RecvMsg still returns whole response
// messages: the case set from the event's name and filled from its data,
// the data put back into its field, the naming field set from the name,
// and a numeric id field at the top of the message from the event's id.
// The sentinel ends the stream like "end". A typed stream decodes the
// events of each case as a type of their own with [WithEventType] (the
// wrapper types of google.protobuf for cases of a scalar kind, such as
// StringValue for a string), and ends at the sentinel of [WithSentinel].
//
// # Errors
//
// The raw level returns Go errors: [*ResponseError] for responses that are
// not event streams (with the HTTP status, headers and the first bytes of
// the body), and errors wrapping [sse.ErrEventTooLarge],
// [ErrConnectionLost], [ErrReadTimeout] or [ErrMaxReconnectionAttempts].
// Typed streams and Conn return gRPC status errors that still unwrap to
// those: status.FromError gives the code, message and details the backend
// sent, and errors.As finds the *ResponseError. See [Subscribe] for the
// mapping, and [CodeFromHTTPStatus] for error responses without a status
// body.
//
// # Lifetimes
//
// The package starts no goroutines of its own: connecting, reading,
// decoding and waiting between attempts happen in the goroutine that reads
// the stream, and the read timeout is a timer that cancels the request. The
// connection is closed when the stream ends, when it is closed, or at once
// when its context is cancelled.
package sseclient
