package sse

import "time"

// Event is one Server-Sent Event.
//
// The zero value is an empty event; encoding it writes nothing.
type Event struct {
	// ID is the "id" field.
	//
	// The encoder writes it when it is non-empty; it must not contain CR,
	// LF or NUL. The [Reader] sets it to the stream's last event ID at the
	// time the event is dispatched, so it persists across events that do
	// not carry an id field of their own, like the lastEventId of a
	// browser's MessageEvent.
	ID string

	// Event is the "event" field, the event type. Empty means the default
	// type "message". The encoder rejects values containing CR, LF or NUL.
	Event string

	// Data is the "data" field. It may contain line breaks; the encoder
	// writes one data line per line, so CR and CRLF in Data are received
	// as LF.
	//
	// The [Reader] allocates Data afresh for each event, so it is safe to
	// retain. It is non-nil for dispatched message events and nil for the
	// comment-only and retry-only events enabled by [WithCommentEvents] and
	// [WithRetryEvents].
	Data []byte

	// Retry is the "retry" field, the reconnection time, in whole
	// milliseconds. The encoder writes it when it is positive, truncated
	// to whole milliseconds but at least one millisecond. The [Reader]
	// sets it when the event's block carried a valid retry field.
	Retry time.Duration

	// Comment is comment text, sent as lines that start with a colon. It
	// may contain line breaks; the encoder writes one comment line per
	// line. The [Reader] sets it to the comment lines of the event's block
	// joined with LF.
	Comment string
}
