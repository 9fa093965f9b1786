package sse

import "errors"

// ErrEventTooLarge is returned, wrapped together with the configured limit,
// by [Reader.Next] when the fields of a single event block exceed the
// reader's maximum event size (see [WithMaxEventSize]).
var ErrEventTooLarge = errors.New("sse: event too large")

// ErrInvalidField is returned, wrapped with the name of the offending field
// and the reason, by the encoder when an [Event] field cannot be represented
// on the wire.
var ErrInvalidField = errors.New("sse: invalid field")
