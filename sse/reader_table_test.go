package sse

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

// readerCase is one row of the reader's rule table.
type readerCase struct {
	name   string
	in     string
	opts   []ReaderOption
	want   []Event
	err    error // expected final error; nil means io.EOF
	lastID string
	retry  time.Duration
}

// msg returns a dispatched message event with the given data.
func msg(data string) Event {
	return Event{Data: []byte(data)}
}

var readerCases = []readerCase{
	// Dispatch.
	{name: "blank line dispatches event", in: "data: hello\n\n", want: []Event{msg("hello")}},
	{name: "empty stream yields no events", in: ""},
	{name: "blank lines alone dispatch nothing", in: "\n\n\r\n\r\r"},
	{name: "consecutive events", in: "data: a\n\ndata: b\n\n", want: []Event{msg("a"), msg("b")}},
	{name: "extra blank lines between events", in: "data: a\n\n\n\ndata: b\n\n", want: []Event{msg("a"), msg("b")}},

	// Line terminators.
	{name: "CRLF terminates lines", in: "data: a\r\n\r\ndata: b\r\n\r\n", want: []Event{msg("a"), msg("b")}},
	{name: "lone CR terminates lines", in: "data: a\r\rdata: b\r\r", want: []Event{msg("a"), msg("b")}},
	{name: "mixed terminators", in: "data: a\rdata: b\ndata: c\r\n\n", want: []Event{msg("a\nb\nc")}},
	{name: "CR LF is a single line break", in: "data: a\r\ndata: b\r\n\r\n", want: []Event{msg("a\nb")}},
	{name: "LF CR is two line breaks", in: "data: a\n\rdata: b\n\n", want: []Event{msg("a"), msg("b")}},
	{name: "CR CR LF is a line and a blank line", in: "data: a\r\r\ndata: b\n\n", want: []Event{msg("a"), msg("b")}},
	{name: "LF after skipped LF is a blank line", in: "data: a\r\n\ndata: b\n\n", want: []Event{msg("a"), msg("b")}},

	// Byte order mark.
	{name: "leading BOM is stripped", in: "\xEF\xBB\xBFdata: a\n\n", want: []Event{msg("a")}},
	{name: "leading BOM before blank line", in: "\xEF\xBB\xBF\ndata: a\n\n", want: []Event{msg("a")}},
	{name: "second BOM is not stripped", in: "\xEF\xBB\xBF\xEF\xBB\xBFdata: a\n\ndata: b\n\n", want: []Event{msg("b")}},
	{name: "BOM after the first line is not stripped", in: "\n\xEF\xBB\xBFdata: a\n\ndata: b\n\n", want: []Event{msg("b")}},
	{name: "BOM in a value is kept", in: "data: \xEF\xBB\xBFa\n\n", want: []Event{msg("\uFEFFa")}},
	{name: "partial BOM is ordinary input", in: "\xEF\xBBdata: a\n\ndata: b\n\n", want: []Event{msg("b")}},
	{name: "partial BOM at end of stream", in: "\xEF\xBB"},
	{name: "stream of only a BOM", in: "\xEF\xBB\xBF"},

	// UTF-8 decoding.
	{name: "valid UTF-8 is kept", in: "data: héllo 世界 🎉\n\n", want: []Event{msg("héllo 世界 🎉")}},
	{name: "U+FFFD in input is kept", in: "data: \xEF\xBF\xBD\n\n", want: []Event{msg("\uFFFD")}},
	{name: "truncated sequence is one replacement", in: "data: \xE2\x82A\n\n", want: []Event{msg("\uFFFDA")}},
	{name: "invalid second byte after F0", in: "data: \xF0\x80\n\n", want: []Event{msg("\uFFFD\uFFFD")}},
	{name: "lone continuation byte", in: "data: a\x80b\n\n", want: []Event{msg("a\uFFFDb")}},
	{name: "overlong encoding", in: "data: \xC0\xAF\n\n", want: []Event{msg("\uFFFD\uFFFD")}},
	{name: "overlong three-byte encoding", in: "data: \xE0\x80\xAF\n\n", want: []Event{msg("\uFFFD\uFFFD\uFFFD")}},
	{name: "surrogate code point", in: "data: \xED\xA0\x80\n\n", want: []Event{msg("\uFFFD\uFFFD\uFFFD")}},
	{name: "code point above U+10FFFF", in: "data: \xF4\x90\x80\x80\n\n", want: []Event{msg("\uFFFD\uFFFD\uFFFD\uFFFD")}},
	{name: "sequence truncated by line end", in: "data: \xF0\x9F\x98\n\n", want: []Event{msg("\uFFFD")}},
	{name: "sequence truncated by CR", in: "data: \xF0\x9F\x98\rdata: x\r\r", want: []Event{msg("\uFFFD\nx")}},
	{name: "bytes that never start a sequence", in: "data: \xF5\xFF\xC1\n\n", want: []Event{msg("\uFFFD\uFFFD\uFFFD")}},
	{name: "invalid UTF-8 in event type", in: "event: \xFFx\ndata: a\n\n", want: []Event{{Event: "\uFFFDx", Data: []byte("a")}}},
	{name: "invalid UTF-8 in id", in: "id: \xE2\x82\ndata: a\n\n", want: []Event{{ID: "\uFFFD", Data: []byte("a")}}, lastID: "\uFFFD"},
	{name: "invalid UTF-8 in field name ignores the field", in: "d\xFFata: a\n\n"},
	{
		name: "invalid UTF-8 in comment", in: ":\xFF\n\n", opts: []ReaderOption{WithCommentEvents()},
		want: []Event{{Comment: "\uFFFD"}},
	},

	// Line interpretation.
	{name: "comment line is not a field", in: ": data: x\ndata: a\n\n", want: []Event{{Data: []byte("a"), Comment: "data: x"}}},
	{name: "comment-only block is not dispatched", in: ": ping\n\n"},
	{name: "colon alone is an empty comment", in: ":\n\n"},
	{name: "line without colon is a field name with empty value", in: "data\n\n", want: []Event{msg("")}},
	{name: "event without colon sets empty type", in: "event: x\nevent\ndata: a\n\n", want: []Event{msg("a")}},
	{name: "one leading space is removed", in: "data: a\n\n", want: []Event{msg("a")}},
	{name: "value without leading space", in: "data:a\n\n", want: []Event{msg("a")}},
	{name: "only one leading space is removed", in: "data:  a\n\n", want: []Event{msg(" a")}},
	{name: "leading tab is kept", in: "data:\ta\n\n", want: []Event{msg("\ta")}},
	{name: "trailing space is kept", in: "data: a \n\n", want: []Event{msg("a ")}},
	{name: "value is split at the first colon only", in: "data: a: b:c\n\n", want: []Event{msg("a: b:c")}},
	{name: "space before the colon is part of the name", in: "data : a\n\n"},
	{name: "field names are case-sensitive", in: "Data: a\n\nDATA: b\n\n"},
	{name: "unknown field is ignored", in: "foo: bar\ndata: a\nfoo\n\n", want: []Event{msg("a")}},
	{name: "NUL in data is kept", in: "data: a\x00b\n\n", want: []Event{msg("a\x00b")}},

	// The data field.
	{name: "data lines are joined with LF", in: "data: a\ndata: b\ndata: c\n\n", want: []Event{msg("a\nb\nc")}},
	{name: "only one trailing LF is removed", in: "data: a\ndata:\n\n", want: []Event{msg("a\n")}},
	{name: "empty data line dispatches empty data", in: "data:\n\n", want: []Event{msg("")}},
	{name: "two empty data lines", in: "data\ndata\n\n", want: []Event{msg("\n")}},
	{name: "leading empty data line", in: "data:\ndata: a\n\n", want: []Event{msg("\na")}},

	// The event field.
	{name: "event field sets the type", in: "event: add\ndata: a\n\n", want: []Event{{Event: "add", Data: []byte("a")}}},
	{name: "last event field wins", in: "event: a\nevent: b\ndata: x\n\n", want: []Event{{Event: "b", Data: []byte("x")}}},
	{name: "event field after data", in: "data: a\nevent: x\n\n", want: []Event{{Event: "x", Data: []byte("a")}}},
	{name: "empty event field means default type", in: "event:\ndata: a\n\n", want: []Event{msg("a")}},
	{
		name: "event type is reset after dispatch", in: "event: add\ndata: a\n\ndata: b\n\n",
		want: []Event{{Event: "add", Data: []byte("a")}, msg("b")},
	},
	{name: "event without data is not dispatched and is reset", in: "event: add\n\ndata: b\n\n", want: []Event{msg("b")}},
	{name: "event type value keeps extra spaces", in: "event:  x \ndata: a\n\n", want: []Event{{Event: " x ", Data: []byte("a")}}},

	// The id field.
	{name: "id field sets the event ID", in: "id: 1\ndata: a\n\n", want: []Event{{ID: "1", Data: []byte("a")}}, lastID: "1"},
	{
		name: "id persists across events", in: "id: 1\ndata: a\n\ndata: b\n\n",
		want: []Event{{ID: "1", Data: []byte("a")}, {ID: "1", Data: []byte("b")}}, lastID: "1",
	},
	{
		name: "id without value resets the ID", in: "id: 1\ndata: a\n\nid\ndata: b\n\n",
		want: []Event{{ID: "1", Data: []byte("a")}, msg("b")},
	},
	{
		name: "empty id value resets the ID", in: "id: 1\ndata: a\n\nid:\ndata: b\n\n",
		want: []Event{{ID: "1", Data: []byte("a")}, msg("b")},
	},
	{
		name: "id containing NUL is ignored", in: "id: 1\ndata: a\n\nid: 2\x003\ndata: b\n\n",
		want: []Event{{ID: "1", Data: []byte("a")}, {ID: "1", Data: []byte("b")}}, lastID: "1",
	},
	{name: "id-only block updates the last event ID", in: "id: 7\n\n", lastID: "7"},
	{name: "id is committed only by a blank line", in: "id: 1\n\nid: 2\ndata: x\n", lastID: "1"},
	{name: "id after data in the same block", in: "data: a\nid: 5\n\n", want: []Event{{ID: "5", Data: []byte("a")}}, lastID: "5"},
	{name: "last id field in a block wins", in: "id: 1\nid: 2\ndata: a\n\n", want: []Event{{ID: "2", Data: []byte("a")}}, lastID: "2"},
	{name: "id keeps a second leading space", in: "id:  x\ndata: a\n\n", want: []Event{{ID: " x", Data: []byte("a")}}, lastID: " x"},
	{name: "id-only block then event", in: "id: 9\n\ndata: a\n\n", want: []Event{{ID: "9", Data: []byte("a")}}, lastID: "9"},

	// The retry field.
	{name: "retry sets the reconnection time", in: "retry: 1500\n\n", retry: 1500 * time.Millisecond},
	{
		name: "retry on a data event", in: "retry: 10\ndata: a\n\n",
		want: []Event{{Data: []byte("a"), Retry: 10 * time.Millisecond}}, retry: 10 * time.Millisecond,
	},
	{name: "retry with a non-digit is ignored", in: "retry: 1a\n\n"},
	{name: "negative retry is ignored", in: "retry: -1\n\n"},
	{name: "retry with plus sign is ignored", in: "retry: +5\n\n"},
	{name: "decimal retry is ignored", in: "retry: 1.5\n\n"},
	{name: "empty retry is ignored", in: "retry:\n\nretry\n\n"},
	{name: "retry with a second leading space is ignored", in: "retry:  100\n\n"},
	{name: "retry with trailing space is ignored", in: "retry: 100 \n\n"},
	{name: "retry with non-ASCII digits is ignored", in: "retry: \u0661\u0662\n\n"},
	{name: "invalid retry keeps the previous value", in: "retry: 100\n\nretry: x\n\n", retry: 100 * time.Millisecond},
	{name: "retry zero is valid", in: "retry: 100\n\nretry: 0\n\n", retry: 0},
	{name: "retry with leading zeros", in: "retry: 007\n\n", retry: 7 * time.Millisecond},
	{name: "retry overflow saturates", in: "retry: 99999999999999999999999\n\n", retry: time.Duration(maxRetryMillis) * time.Millisecond},
	{name: "retry at the saturation point", in: "retry: 9223372036854\n\n", retry: 9223372036854 * time.Millisecond},
	{name: "retry applies without a blank line", in: "retry: 42\n", retry: 42 * time.Millisecond},

	// End of stream.
	{name: "unterminated event is discarded", in: "data: a\n"},
	{name: "final line without terminator is discarded", in: "data: a\n\ndata: b", want: []Event{msg("a")}},
	{name: "event ended by a single CR at end of stream is discarded", in: "data: a\r"},
	{name: "blank line without terminator at end of stream", in: "data: a\n\ndata: b\n", want: []Event{msg("a")}},

	// WithCommentEvents and WithRetryEvents.
	{name: "comment events", in: ": ping\n\n", opts: []ReaderOption{WithCommentEvents()}, want: []Event{{Comment: "ping"}}},
	{
		name: "comment events join lines", in: ": a\n:b\n:  c\n\n", opts: []ReaderOption{WithCommentEvents()},
		want: []Event{{Comment: "a\nb\n c"}},
	},
	{name: "empty comment event", in: ":\n\n", opts: []ReaderOption{WithCommentEvents()}, want: []Event{{Comment: ""}}},
	{
		name: "comment event carries the last event ID", in: "id: 3\n: x\n\n", opts: []ReaderOption{WithCommentEvents()},
		want: []Event{{ID: "3", Comment: "x"}}, lastID: "3",
	},
	{
		name: "comment event carries a retry", in: ": x\nretry: 5\n\n", opts: []ReaderOption{WithCommentEvents()},
		want: []Event{{Comment: "x", Retry: 5 * time.Millisecond}}, retry: 5 * time.Millisecond,
	},
	{
		name: "comment event drops the event type", in: "event: e\n: x\n\ndata: a\n\n", opts: []ReaderOption{WithCommentEvents()},
		want: []Event{{Comment: "x"}, msg("a")},
	},
	{name: "comment events ignore retry-only blocks", in: "retry: 5\n\n", opts: []ReaderOption{WithCommentEvents()}, retry: 5 * time.Millisecond},
	{
		name: "retry events", in: "retry: 5\n\n", opts: []ReaderOption{WithRetryEvents()},
		want: []Event{{Retry: 5 * time.Millisecond}}, retry: 5 * time.Millisecond,
	},
	{name: "retry events ignore invalid retry", in: "retry: x\n\n", opts: []ReaderOption{WithRetryEvents()}},
	{name: "retry events ignore comment-only blocks", in: ": x\n\n", opts: []ReaderOption{WithRetryEvents()}},
	{
		name: "retry event carries comments", in: ": x\nretry: 5\n\n", opts: []ReaderOption{WithRetryEvents()},
		want: []Event{{Comment: "x", Retry: 5 * time.Millisecond}}, retry: 5 * time.Millisecond,
	},
	{
		name: "data events are unchanged by the options", in: ": c\ndata: a\n\n", opts: []ReaderOption{WithCommentEvents(), WithRetryEvents()},
		want: []Event{{Comment: "c", Data: []byte("a")}},
	},

	// Maximum event size.
	{name: "line at the limit", in: "data: 0123456789\n\n", opts: []ReaderOption{WithMaxEventSize(16)}, want: []Event{msg("0123456789")}},
	{name: "line over the limit", in: "data: 01234567890\n\n", opts: []ReaderOption{WithMaxEventSize(16)}, err: ErrEventTooLarge},
	{name: "block over the limit", in: "data: 012345\ndata: 012345\n\n", opts: []ReaderOption{WithMaxEventSize(16)}, err: ErrEventTooLarge},
	{name: "comments count towards the limit", in: ":aaaaaaa\n:bbbbbbb\n:ccc\n\n", opts: []ReaderOption{WithMaxEventSize(16)}, err: ErrEventTooLarge},
	{name: "event type counts towards the limit", in: "event: 012345\ndata: 01234\n\n", opts: []ReaderOption{WithMaxEventSize(16)}, err: ErrEventTooLarge},
	{name: "ignored field line counts towards the limit", in: "foo: 123456789\n\n", opts: []ReaderOption{WithMaxEventSize(8)}, err: ErrEventTooLarge},
	{
		name: "limit applies per block", in: "data: 0123456789\n\ndata: 0123456789\n\n", opts: []ReaderOption{WithMaxEventSize(16)},
		want: []Event{msg("0123456789"), msg("0123456789")},
	},
	{
		name: "events before an oversized one are returned", in: "data: a\n\ndata: 01234567890123\n\n", opts: []ReaderOption{WithMaxEventSize(16)},
		want: []Event{msg("a")}, err: ErrEventTooLarge,
	},
	{name: "oversized unterminated line at end of stream", in: "data: 0123456789", opts: []ReaderOption{WithMaxEventSize(8)}, err: ErrEventTooLarge},
	{name: "replacement characters count towards the limit", in: "data:\xFF\xFF\xFF\xFF\xFF\xFF\n\n", opts: []ReaderOption{WithMaxEventSize(16)}, err: ErrEventTooLarge},
	{name: "non-positive limit selects the default", in: "data: a\n\n", opts: []ReaderOption{WithMaxEventSize(0)}, want: []Event{msg("a")}},
}

// feeders deliver a test input to a Reader in different read patterns; all
// must produce identical results.
var feeders = []struct {
	name string
	new  func(string) io.Reader
}{
	{"whole", func(s string) io.Reader { return strings.NewReader(s) }},
	{"one byte per read", func(s string) io.Reader { return iotest.OneByteReader(strings.NewReader(s)) }},
	{"half per read", func(s string) io.Reader { return iotest.HalfReader(strings.NewReader(s)) }},
	{"EOF with last data", func(s string) io.Reader { return iotest.DataErrReader(strings.NewReader(s)) }},
	{"three bytes per read", func(s string) io.Reader { return &chunkReader{data: []byte(s), size: 3} }},
}

// chunkReader returns at most size bytes per Read.
type chunkReader struct {
	data []byte
	size int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), c.size)], c.data)
	c.data = c.data[n:]
	return n, nil
}

// readAll calls Next until it fails and returns the events and the error.
func readAll(r *Reader) ([]Event, error) {
	var events []Event
	for {
		ev, err := r.Next()
		if err != nil {
			return events, err
		}
		events = append(events, ev)
	}
}

func TestReaderRules(t *testing.T) {
	for _, tc := range readerCases {
		t.Run(tc.name, func(t *testing.T) {
			wantErr := tc.err
			if wantErr == nil {
				wantErr = io.EOF
			}
			for _, f := range feeders {
				r := NewReader(f.new(tc.in), tc.opts...)
				got, err := readAll(r)
				if !errors.Is(err, wantErr) {
					t.Errorf("%s: error = %v, want %v", f.name, err, wantErr)
				}
				if !reflect.DeepEqual(got, tc.want) {
					t.Errorf("%s: events =\n%s\nwant\n%s", f.name, formatEvents(got), formatEvents(tc.want))
				}
				if err == io.EOF {
					if id := r.LastEventID(); id != tc.lastID {
						t.Errorf("%s: LastEventID() = %q, want %q", f.name, id, tc.lastID)
					}
					if d := r.Retry(); d != tc.retry {
						t.Errorf("%s: Retry() = %v, want %v", f.name, d, tc.retry)
					}
				}
			}
		})
	}
}

// formatEvents renders events for failure messages.
func formatEvents(events []Event) string {
	var b bytes.Buffer
	for _, e := range events {
		fmt.Fprintf(&b, "\t{ID: %q, Event: %q, Data: %q (nil=%t), Retry: %v, Comment: %q}\n",
			e.ID, e.Event, e.Data, e.Data == nil, e.Retry, e.Comment)
	}
	if len(events) == 0 {
		b.WriteString("\t(none)\n")
	}
	return b.String()
}
