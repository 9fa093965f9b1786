// Package sse implements the Server-Sent Events wire format: an encoder for
// the text/event-stream media type and a parser that follows the WHATWG HTML
// Living Standard, section "Interpreting an event stream".
//
// # Wire format
//
// An event stream is UTF-8 text made of lines. A line ends with CRLF, a lone
// LF or a lone CR. A line of the form "name: value" sets a field, a line that
// starts with a colon is a comment, and an empty line ends the block of
// fields and dispatches it as one event:
//
//	: a comment
//	event: update
//	id: 42
//	retry: 3000
//	data: {"price": 10}
//
// Only blocks that carry at least one "data" line are dispatched as events
// by browsers; blocks with only an id, an event type, a retry value or
// comments update the stream state but produce no event.
//
// # Encoding
//
// [Writer] and [AppendEvent] encode an [Event] with LF line endings, in a
// fixed field order (comments, event, id, retry, data), always putting one
// space after the colon so that values that begin with a space survive the
// round trip. Multi-line data is split into several data lines.
//
// # Decoding
//
// [Reader] parses a stream exactly as a browser's EventSource does, including
// the handling of a leading byte order mark, replacement of invalid UTF-8 by
// U+FFFD, all three line terminators, the persistent last event ID and the
// validation of retry values. It bounds the memory used by a single event
// (see [WithMaxEventSize]) and returns each event as soon as its terminating
// blank line has been read. Comments are not events: [Reader.Next] keeps
// them with the block they occur in, and [Reader.NextOrComment] returns
// each comment line on its own as soon as it has been read, for clients
// that show comments such as heartbeats as they arrive.
package sse
