package sse

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// AppendEvent appends the wire encoding of e to dst and returns the extended
// buffer. It follows the same rules as [Writer.WriteEvent] and is meant for
// callers that batch several events into a single write.
//
// If e is invalid, AppendEvent returns dst unchanged and an error wrapping
// [ErrInvalidField]. If e has nothing to encode (a nil pointer or the zero
// Event), dst is returned unchanged and the error is nil.
func AppendEvent(dst []byte, e *Event) ([]byte, error) {
	if e == nil {
		return dst, nil
	}
	if err := validateEvent(e); err != nil {
		return dst, err
	}
	start := len(dst)
	if e.Comment != "" {
		dst = appendLines(dst, ": ", e.Comment, strings.IndexByte)
	}
	if e.Event != "" {
		dst = append(dst, "event: "...)
		dst = append(dst, e.Event...)
		dst = append(dst, '\n')
	}
	if e.ID != "" {
		dst = append(dst, "id: "...)
		dst = append(dst, e.ID...)
		dst = append(dst, '\n')
	}
	if e.Retry > 0 {
		dst = appendRetryLine(dst, e.Retry)
	}
	// A named event is written with at least one (possibly empty) data line
	// so that readers dispatch it; without data and without a name no data
	// line is written, leaving an id, retry or comment block that readers
	// do not dispatch as a message.
	if len(e.Data) > 0 || e.Event != "" {
		dst = appendLines(dst, "data: ", e.Data, bytes.IndexByte)
	}
	if len(dst) == start {
		return dst, nil
	}
	return append(dst, '\n'), nil
}

// validateEvent reports whether the fields of e can be encoded.
func validateEvent(e *Event) error {
	if err := validateValue("id", e.ID); err != nil {
		return err
	}
	return validateValue("event", e.Event)
}

// validateValue rejects single-line field values that contain a line break,
// which would end the field early, or NUL, which makes browsers ignore an id
// and is never meaningful in an event type.
func validateValue(field, v string) error {
	i := strings.IndexAny(v, "\r\n\x00")
	if i < 0 {
		return nil
	}
	var what string
	switch v[i] {
	case '\r':
		what = "carriage return"
	case '\n':
		what = "line feed"
	default:
		what = "NUL"
	}
	return fmt.Errorf("%w: %s contains %s at byte %d", ErrInvalidField, field, what, i)
}

// appendLines appends v as one or more lines, each starting with prefix and
// ending with LF. v is split at every CRLF, lone CR and lone LF, the line
// terminators a reader recognises; an empty v yields one empty line.
func appendLines[T string | []byte](dst []byte, prefix string, v T, indexByte func(T, byte) int) []byte {
	for {
		dst = append(dst, prefix...)
		i := indexLineBreak(v, indexByte)
		if i < 0 {
			dst = append(dst, v...)
			return append(dst, '\n')
		}
		dst = append(dst, v[:i]...)
		dst = append(dst, '\n')
		if v[i] == '\r' && i+1 < len(v) && v[i+1] == '\n' {
			i++
		}
		v = v[i+1:]
	}
}

// indexLineBreak returns the index of the first CR or LF in v, or -1.
func indexLineBreak[T string | []byte](v T, indexByte func(T, byte) int) int {
	lf := indexByte(v, '\n')
	head := v
	if lf >= 0 {
		head = v[:lf]
	}
	if cr := indexByte(head, '\r'); cr >= 0 {
		return cr
	}
	return lf
}

// appendRetryLine appends a "retry" field line for d, which must not be
// negative.
func appendRetryLine(dst []byte, d time.Duration) []byte {
	dst = append(dst, "retry: "...)
	dst = strconv.AppendInt(dst, retryMillis(d), 10)
	return append(dst, '\n')
}

// retryMillis converts d to the whole milliseconds written on the wire,
// rounding positive durations below one millisecond up to one so that a
// positive duration never turns into an immediate reconnect.
func retryMillis(d time.Duration) int64 {
	ms := int64(d / time.Millisecond)
	if ms == 0 && d > 0 {
		ms = 1
	}
	return ms
}
