package sse

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"
)

// referenceParse interprets an event stream by following the WHATWG
// "Interpreting an event stream" steps literally: decode the whole stream,
// then process complete lines one by one. It has no size limit.
func referenceParse(input []byte, commentEvents, retryEvents bool) (events []Event, lastID string, reconnect time.Duration) {
	items, lastID, reconnect := referenceItems(input, commentEvents, retryEvents, false)
	for _, it := range items {
		events = append(events, it.ev)
	}
	return events, lastID, reconnect
}

// item is a result of Reader.NextOrComment: an event, or a comment line.
type item struct {
	ev        Event
	isComment bool
}

// referenceItems is referenceParse that, with commentLines, reports each
// comment line where it occurs instead of keeping it with its block, as
// Reader.NextOrComment does.
func referenceItems(input []byte, commentEvents, retryEvents, commentLines bool) (items []item, lastID string, reconnect time.Duration) {
	text := whatwgDecode(bytes.TrimPrefix(input, []byte(bom)))
	var (
		data, eventType, idBuffer string
		comments                  []string
		blockRetry                time.Duration
		hasRetry                  bool
	)
	for {
		i := strings.IndexAny(text, "\r\n")
		if i < 0 {
			break // an incomplete line at the end is discarded
		}
		line := text[:i]
		if strings.HasPrefix(text[i:], "\r\n") {
			text = text[i+2:]
		} else {
			text = text[i+1:]
		}
		switch {
		case line == "":
			lastID = idBuffer
			if data == "" {
				if (commentEvents && comments != nil) || (retryEvents && hasRetry) {
					ev := Event{ID: lastID, Comment: strings.Join(comments, "\n")}
					if hasRetry {
						ev.Retry = blockRetry
					}
					items = append(items, item{ev: ev})
				}
			} else {
				ev := Event{
					ID:      lastID,
					Event:   eventType,
					Data:    []byte(strings.TrimSuffix(data, "\n")),
					Comment: strings.Join(comments, "\n"),
				}
				if hasRetry {
					ev.Retry = blockRetry
				}
				items = append(items, item{ev: ev})
			}
			data, eventType, comments, hasRetry, blockRetry = "", "", nil, false, 0
		case line[0] == ':' && commentLines:
			items = append(items, item{ev: Event{ID: lastID, Comment: strings.TrimPrefix(line[1:], " ")}, isComment: true})
		case line[0] == ':':
			comments = append(comments, strings.TrimPrefix(line[1:], " "))
		default:
			name, value, _ := strings.Cut(line, ":")
			value = strings.TrimPrefix(value, " ")
			switch name {
			case "event":
				eventType = value
			case "data":
				data += value + "\n"
			case "id":
				if !strings.Contains(value, "\x00") {
					idBuffer = value
				}
			case "retry":
				if value != "" && strings.Trim(value, "0123456789") == "" {
					ms, _ := parseRetry([]byte(value))
					reconnect = time.Duration(ms) * time.Millisecond
					blockRetry, hasRetry = reconnect, true
				}
			}
		}
	}
	return items, lastID, reconnect
}

// normalizeLineBreaks replaces CRLF and lone CR with LF.
func normalizeLineBreaks(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}

// decodeString decodes s as the Reader decodes field values.
func decodeString(s string) string {
	return string(appendUTF8(nil, []byte(s)))
}

func FuzzRoundTrip(f *testing.F) {
	f.Add("1", "update", []byte(`{"a":1}`), "", int64(0))
	f.Add("", "", []byte("line one\nline two\r\nthree\rfour"), "comment\nmore", int64(1500*time.Millisecond))
	f.Add("", "named", []byte(""), "", int64(0))
	f.Add(" id", " type", []byte(" data "), " c ", int64(time.Microsecond))
	f.Add("7", "", []byte(nil), "", int64(0))
	f.Add("", "", []byte(nil), "", int64(3*time.Second))
	f.Add("", "", []byte(nil), "\r\n", int64(-1))
	f.Add("bad\nid", "", []byte("x"), "", int64(0))
	f.Add("", "bad\x00type", []byte("x"), "", int64(0))
	f.Add("\xff", "\xe2\x82", []byte("\xf0\x80\n\xef\xbb\xbf"), "\xc0", int64(0))
	f.Add("", "", []byte("\n"), "", int64(0))
	f.Fuzz(func(t *testing.T, id, event string, data []byte, comment string, retry int64) {
		in := Event{ID: id, Event: event, Data: data, Comment: comment, Retry: time.Duration(retry)}
		enc, err := AppendEvent(nil, &in)
		invalid := strings.ContainsAny(id, "\r\n\x00") || strings.ContainsAny(event, "\r\n\x00")
		if invalid != (err != nil) {
			t.Fatalf("AppendEvent(%+v) error = %v, want an error: %t", in, err, invalid)
		}
		if err != nil {
			if !errors.Is(err, ErrInvalidField) {
				t.Fatalf("error %v does not wrap ErrInvalidField", err)
			}
			return
		}
		var buf bytes.Buffer
		if err := NewWriter(&buf).WriteEvent(&in); err != nil {
			t.Fatalf("WriteEvent: %v", err)
		}
		if !bytes.Equal(buf.Bytes(), enc) {
			t.Fatalf("WriteEvent wrote %q, AppendEvent produced %q", buf.Bytes(), enc)
		}

		r := NewReader(bytes.NewReader(enc), WithCommentEvents(), WithRetryEvents())
		got, err := readAll(r)
		if err != io.EOF {
			t.Fatalf("reading %q: %v", enc, err)
		}

		isMessage := len(data) > 0 || event != ""
		hasComment := comment != ""
		hasRetry := in.Retry > 0
		wantID := decodeString(id)
		var want []Event
		if isMessage || hasComment || hasRetry {
			ev := Event{ID: wantID}
			if isMessage {
				ev.Event = decodeString(event)
				ev.Data = []byte(decodeString(normalizeLineBreaks(string(data))))
			}
			if hasComment {
				ev.Comment = decodeString(normalizeLineBreaks(comment))
			}
			if hasRetry {
				ev.Retry = time.Duration(retryMillis(in.Retry)) * time.Millisecond
			}
			want = []Event{ev}
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("encoded %q\n got: %s\nwant: %s", enc, formatEvents(got), formatEvents(want))
		}
		if r.LastEventID() != wantID {
			t.Fatalf("LastEventID() = %q, want %q", r.LastEventID(), wantID)
		}
	})
}

// eventsEqual reports whether two event lists are equal, treating a nil
// list as empty.
func eventsEqual(a, b []Event) bool {
	return len(a) == len(b) && (len(a) == 0 || reflect.DeepEqual(a, b))
}

// fuzzChunkReader returns 1 to 7 bytes per Read, as directed by sizes,
// calling onRead, if set, before each Read.
type fuzzChunkReader struct {
	data   []byte
	sizes  []byte
	n      int
	onRead func()
}

func (c *fuzzChunkReader) Read(p []byte) (int, error) {
	if c.onRead != nil {
		c.onRead()
	}
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	size := 1
	if len(c.sizes) > 0 {
		size += int(c.sizes[c.n%len(c.sizes)] % 7)
	}
	c.n++
	n := copy(p[:min(len(p), size)], c.data)
	c.data = c.data[n:]
	return n, nil
}

func FuzzReader(f *testing.F) {
	f.Add([]byte("data: a\n\n"), []byte{0}, uint8(0xFF))
	f.Add([]byte("\xEF\xBB\xBFid: 1\r\nevent: e\r\ndata: x\r\ndata: y\r\n\r\n"), []byte{1, 2, 3}, uint8(0xFC))
	f.Add([]byte("data: a\rdata: b\r\r: c\n\nretry: 10\n\n"), []byte{6}, uint8(0x13))
	f.Add([]byte("data: 0123456789012345678901234567890123456789\n\n"), []byte{5, 1}, uint8(0x08))
	f.Add([]byte(": endless comment without a blank line\n: more\n: more\n"), []byte{}, uint8(0x21))
	f.Add([]byte("id: a\x00b\ndata: \xF0\x80\xE2\x82A\n\nid\n\n"), []byte{2}, uint8(0xF3))
	f.Add([]byte("retry: 99999999999999999999999\ndata\n\n"), []byte{0, 6}, uint8(0xFE))
	f.Fuzz(func(t *testing.T, input, sizes []byte, flags uint8) {
		commentEvents, retryEvents := flags&1 != 0, flags&2 != 0
		limit := 4 + 4*int(flags>>2) // 4 to 256 bytes
		opts := []ReaderOption{WithMaxEventSize(limit)}
		if commentEvents {
			opts = append(opts, WithCommentEvents())
		}
		if retryEvents {
			opts = append(opts, WithRetryEvents())
		}

		src := &fuzzChunkReader{data: input, sizes: sizes}
		r := NewReader(src, opts...)
		check := func() {
			if n := len(r.buf); n > limit+readBufSize {
				t.Fatalf("read buffer holds %d bytes, limit %d", n, limit)
			}
			if n := r.pending(); n > limit {
				t.Fatalf("pending block holds %d bytes, limit %d", n, limit)
			}
			if n := r.wpos - r.rpos; n > limit+readBufSize {
				t.Fatalf("%d unread bytes buffered, limit %d", n, limit)
			}
		}
		src.onRead = check
		var got []Event
		var err error
		for {
			var ev Event
			ev, err = r.Next()
			check()
			if err != nil {
				break
			}
			if n := len(ev.Data) + len(ev.Event) + len(ev.Comment); n > limit {
				t.Fatalf("event of %d bytes returned, limit %d", n, limit)
			}
			got = append(got, ev)
		}
		if err != io.EOF && !errors.Is(err, ErrEventTooLarge) {
			t.Fatalf("unexpected error %v", err)
		}

		// Reading the input whole gives the same result.
		whole, wholeErr := readAll(NewReader(bytes.NewReader(input), opts...))
		if !eventsEqual(got, whole) || (err == io.EOF) != (wholeErr == io.EOF) {
			t.Fatalf("chunked: %v\n%s\nwhole: %v\n%s", err, formatEvents(got), wholeErr, formatEvents(whole))
		}

		// The result agrees with the literal reading of the standard, up
		// to the point where the size limit stopped the reader.
		ref, refID, refRetry := referenceParse(input, commentEvents, retryEvents)
		if err == io.EOF {
			if !eventsEqual(got, ref) {
				t.Fatalf("got:\n%s\nreference:\n%s", formatEvents(got), formatEvents(ref))
			}
			if r.LastEventID() != refID || r.Retry() != refRetry {
				t.Fatalf("LastEventID, Retry = %q, %v; reference %q, %v", r.LastEventID(), r.Retry(), refID, refRetry)
			}
		} else if len(got) > len(ref) || !eventsEqual(got, ref[:len(got)]) {
			t.Fatalf("got:\n%s\nnot a prefix of reference:\n%s", formatEvents(got), formatEvents(ref))
		}

		// NextOrComment returns the same events, with each comment line
		// on its own where it occurred.
		lineSrc := &fuzzChunkReader{data: input, sizes: sizes}
		lr := NewReader(lineSrc, opts...)
		lineSrc.onRead = func() {
			if n := lr.pending(); n > limit {
				t.Fatalf("NextOrComment: pending block holds %d bytes, limit %d", n, limit)
			}
		}
		var items []item
		for {
			var it item
			it.ev, it.isComment, err = lr.NextOrComment()
			if err != nil {
				break
			}
			if n := len(it.ev.Data) + len(it.ev.Event) + len(it.ev.Comment); n > limit {
				t.Fatalf("NextOrComment returned %d bytes, limit %d", n, limit)
			}
			items = append(items, it)
		}
		refItems, _, _ := referenceItems(input, commentEvents, retryEvents, true)
		switch {
		case err == io.EOF:
			if !itemsEqual(items, refItems) {
				t.Fatalf("NextOrComment:\n%s\nreference:\n%s", formatItems(items), formatItems(refItems))
			}
			if lr.LastEventID() != refID || lr.Retry() != refRetry {
				t.Fatalf("NextOrComment: LastEventID, Retry = %q, %v; reference %q, %v", lr.LastEventID(), lr.Retry(), refID, refRetry)
			}
		case errors.Is(err, ErrEventTooLarge):
			if len(items) > len(refItems) || !itemsEqual(items, refItems[:len(items)]) {
				t.Fatalf("NextOrComment:\n%s\nnot a prefix of reference:\n%s", formatItems(items), formatItems(refItems))
			}
		default:
			t.Fatalf("NextOrComment: unexpected error %v", err)
		}
	})
}

// itemsEqual reports whether two item lists are equal, treating a nil
// list as empty.
func itemsEqual(a, b []item) bool {
	return len(a) == len(b) && (len(a) == 0 || reflect.DeepEqual(a, b))
}

// formatItems renders items for failure messages.
func formatItems(items []item) string {
	var b strings.Builder
	for _, it := range items {
		if it.isComment {
			fmt.Fprintf(&b, "\tcomment %q (ID %q)\n", it.ev.Comment, it.ev.ID)
			continue
		}
		b.WriteString(formatEvents([]Event{it.ev}))
	}
	if len(items) == 0 {
		b.WriteString("\t(none)\n")
	}
	return b.String()
}
