package sse

// DefaultMaxEventSize is the default limit, in bytes, on the size of a single
// event block read by a [Reader]; see [WithMaxEventSize].
const DefaultMaxEventSize = 8 << 20

// readerConfig holds the settings applied by [ReaderOption] values.
type readerConfig struct {
	maxEventSize  int
	commentEvents bool
	retryEvents   bool
	lastEventID   string
}

// ReaderOption configures a [Reader]; pass options to [NewReader].
type ReaderOption func(*readerConfig)

// WithMaxEventSize limits the size of a single event block to n bytes.
//
// The size of a block is the number of bytes of its decoded data (including
// the LF that joins data lines), event type and comments, plus the length of
// the line being read. When it exceeds n, [Reader.Next] returns an error
// wrapping [ErrEventTooLarge]. The limit also bounds the memory the reader
// buffers to about n plus one read buffer. A value of n <= 0 selects
// [DefaultMaxEventSize].
func WithMaxEventSize(n int) ReaderOption {
	return func(c *readerConfig) {
		if n <= 0 {
			n = DefaultMaxEventSize
		}
		c.maxEventSize = n
	}
}

// WithCommentEvents makes [Reader.Next] also return blocks that carry
// comments but no data, which are otherwise not dispatched. Such an event
// has Comment set, ID set to the last event ID, Retry set if the block had a
// valid retry field, and a nil Data. For each comment line as soon as it
// has been read, use [Reader.NextOrComment] instead.
func WithCommentEvents() ReaderOption {
	return func(c *readerConfig) { c.commentEvents = true }
}

// WithRetryEvents makes [Reader.Next] also return blocks that carry a valid
// retry field but no data, which are otherwise not dispatched. Such an event
// has Retry set, ID set to the last event ID, Comment set if the block had
// comments, and a nil Data.
func WithRetryEvents() ReaderOption {
	return func(c *readerConfig) { c.retryEvents = true }
}

// WithLastEventID starts the reader with id as its last event ID, as a
// browser's EventSource keeps its last event ID across reconnections: a
// client that reconnects with Last-Event-ID gives the new connection's
// reader the same id, so that events without an id field of their own
// carry it, and LastEventID reports it until the stream sets another.
func WithLastEventID(id string) ReaderOption {
	return func(c *readerConfig) { c.lastEventID = id }
}
