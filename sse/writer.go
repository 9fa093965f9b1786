package sse

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// maxRetainedWriteBuf is the largest encoding buffer a [Writer] keeps for
// reuse; a larger buffer, needed for an unusually large event, is released
// after the write.
const maxRetainedWriteBuf = 64 << 10

// Writer encodes events to an underlying [io.Writer].
//
// Each call issues exactly one Write on the underlying writer, containing
// one complete event, with LF line endings. The encoding is built in an
// internal buffer that is reused, so writing events of a steady size does
// not allocate. Writer does not flush; when streaming over HTTP, flush the
// response (see [net/http.Flusher]) after writing.
//
// A Writer is not safe for concurrent use.
type Writer struct {
	w   io.Writer
	buf []byte
}

// NewWriter returns a Writer that writes events to w.
func NewWriter(w io.Writer) *Writer {
	return &Writer{w: w}
}

// WriteEvent validates e, encodes it and writes it with a single Write call.
//
// Fields are written in the order comment lines, event, id, retry, data
// lines, followed by a blank line. Data and Comment are split at every CRLF,
// CR and LF into one line each. An event with an empty Data and an empty
// Event gets no data line, so readers do not dispatch it (this is how to
// send a bare id, retry or comment); an event with a name and empty data
// gets one empty data line and is dispatched with empty data.
//
// If ID contains CR, LF or NUL, or Event contains CR, LF or NUL, WriteEvent
// writes nothing and returns an error wrapping [ErrInvalidField]. If e is
// nil or has nothing to encode, WriteEvent writes nothing and returns nil.
// Errors from the underlying writer are wrapped.
func (w *Writer) WriteEvent(e *Event) error {
	buf, err := AppendEvent(w.buf[:0], e)
	if err != nil {
		return err
	}
	return w.write(buf)
}

// WriteComment writes text as a comment block, ": text" followed by a blank
// line, with a single Write call. Readers ignore comments, which makes them
// suitable as heartbeats that keep idle connections open, e.g.
// WriteComment("ping"). Text containing line breaks is written as several
// comment lines; an empty text writes one empty comment line.
func (w *Writer) WriteComment(text string) error {
	buf := appendLines(w.buf[:0], ": ", text, strings.IndexByte)
	return w.write(append(buf, '\n'))
}

// WriteRetry writes a block that only sets the reconnection time,
// "retry: <milliseconds>" followed by a blank line, with a single Write call.
// d is truncated to whole milliseconds, except that a positive d below one
// millisecond is written as 1. A negative d is rejected with an error
// wrapping [ErrInvalidField] and nothing is written.
func (w *Writer) WriteRetry(d time.Duration) error {
	if d < 0 {
		return fmt.Errorf("%w: retry is negative (%v)", ErrInvalidField, d)
	}
	buf := appendRetryLine(w.buf[:0], d)
	return w.write(append(buf, '\n'))
}

// write sends buf to the underlying writer and keeps buf for reuse unless it
// has grown unusually large.
func (w *Writer) write(buf []byte) error {
	if cap(buf) <= maxRetainedWriteBuf {
		w.buf = buf[:0]
	} else {
		w.buf = nil
	}
	if len(buf) == 0 {
		return nil
	}
	n, err := w.w.Write(buf)
	if err == nil && n < len(buf) {
		err = io.ErrShortWrite
	}
	if err != nil {
		return fmt.Errorf("sse: writing event: %w", err)
	}
	return nil
}
