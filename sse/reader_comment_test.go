package sse

import (
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

// comment returns the item NextOrComment yields for a comment line.
func comment(text, id string) item {
	return item{ev: Event{ID: id, Comment: text}, isComment: true}
}

// event returns the item NextOrComment yields for a dispatched event.
func event(ev Event) item {
	return item{ev: ev}
}

// readItems calls NextOrComment until it fails and returns the items and
// the error.
func readItems(r *Reader) ([]item, error) {
	var items []item
	for {
		ev, isComment, err := r.NextOrComment()
		if err != nil {
			return items, err
		}
		items = append(items, item{ev, isComment})
	}
}

// commentCases place comment lines everywhere a stream can hold them.
var commentCases = []struct {
	name string
	in   string
	opts []ReaderOption
	want []item
}{
	{name: "before a block", in: ": hi\ndata: x\n\n",
		want: []item{comment("hi", ""), event(msg("x"))}},
	{name: "inside a data block", in: "event: e\ndata: a\n: hi\ndata: b\n\n",
		want: []item{comment("hi", ""), event(Event{Event: "e", Data: []byte("a\nb")})}},
	{name: "after a block", in: "id: 1\ndata: x\n\n: hi\n\n",
		want: []item{event(Event{ID: "1", Data: []byte("x")}), comment("hi", "1")}},
	{name: "trailing, with no blank line after it", in: "data: x\n\n: bye\n",
		want: []item{event(msg("x")), comment("bye", "")}},
	{name: "only comments", in: ":\n: a\n:  two spaces\n",
		want: []item{comment("", ""), comment("a", ""), comment(" two spaces", "")}},
	{name: "unterminated at the end of the stream is discarded", in: "data: x\n\n: cut",
		want: []item{event(msg("x"))}},
	{name: "the id of a block is committed by its blank line", in: "id: 1\ndata: a\n\nid: 2\n: in\ndata: b\n\n: out\n",
		want: []item{event(Event{ID: "1", Data: []byte("a")}), comment("in", "1"), event(Event{ID: "2", Data: []byte("b")}), comment("out", "2")}},
	{name: "starting last event ID", in: ": hi\n", opts: []ReaderOption{WithLastEventID("7")},
		want: []item{comment("hi", "7")}},
	{name: "comment-only blocks are not dispatched", in: ": a\n: b\n\ndata: x\n\n", opts: []ReaderOption{WithCommentEvents()},
		want: []item{comment("a", ""), comment("b", ""), event(msg("x"))}},
	{name: "a retry-only block keeps its retry", in: "retry: 10\n: hi\n\n", opts: []ReaderOption{WithRetryEvents()},
		want: []item{comment("hi", ""), event(Event{Retry: 10 * time.Millisecond})}},
	{name: "CR, CRLF and LF", in: ": a\r: b\r\n: c\ndata: x\r\r",
		want: []item{comment("a", ""), comment("b", ""), comment("c", ""), event(msg("x"))}},
	{name: "after a byte order mark", in: "\xEF\xBB\xBF: hi\n",
		want: []item{comment("hi", "")}},
	{name: "decoded as UTF-8", in: ": caf\xC3\xA9 \xFF\n",
		want: []item{comment("café \uFFFD", "")}},
	{name: "a colon later in the line", in: ": a: b\n",
		want: []item{comment("a: b", "")}},
}

func TestNextOrCommentPlacements(t *testing.T) {
	for _, tc := range commentCases {
		t.Run(tc.name, func(t *testing.T) {
			for _, f := range feeders {
				r := NewReader(f.new(tc.in), tc.opts...)
				got, err := readItems(r)
				if err != io.EOF {
					t.Errorf("%s: error = %v, want io.EOF", f.name, err)
				}
				if !itemsEqual(got, tc.want) {
					t.Errorf("%s: got\n%swant\n%s", f.name, formatItems(got), formatItems(tc.want))
				}
			}
			// Next reads the same events, with the comments kept in
			// their blocks.
			events, err := readAll(NewReader(strings.NewReader(tc.in), tc.opts...))
			var fromItems []Event
			for _, it := range tc.want {
				if !it.isComment {
					fromItems = append(fromItems, it.ev)
				}
			}
			for i := range events {
				events[i].Comment = ""
			}
			var dataEvents []Event
			for _, ev := range events {
				if ev.Data != nil || ev.Retry != 0 {
					dataEvents = append(dataEvents, ev)
				}
			}
			if err != io.EOF || !eventsEqual(dataEvents, fromItems) {
				t.Errorf("Next: %v\n%swant\n%s", err, formatEvents(dataEvents), formatEvents(fromItems))
			}
		})
	}
}

// itemAsync runs r.NextOrComment in a goroutine and returns its result,
// failing the test if it does not return within a few seconds.
func itemAsync(t *testing.T, r *Reader) (item, error) {
	t.Helper()
	type result struct {
		it  item
		err error
	}
	ch := make(chan result, 1)
	go func() {
		ev, isComment, err := r.NextOrComment()
		ch <- result{item{ev, isComment}, err}
	}()
	select {
	case res := <-ch:
		return res.it, res.err
	case <-time.After(5 * time.Second):
		t.Fatal("NextOrComment is blocked waiting for input after a complete comment line")
		return item{}, nil
	}
}

// TestNextOrCommentDoesNotWaitForMoreInput checks that each comment line
// is returned as soon as its line ending has arrived, while the writer on
// the other end of a pipe sends nothing more: the block around it is not
// over, and no blank line follows.
func TestNextOrCommentDoesNotWaitForMoreInput(t *testing.T) {
	tests := []struct {
		name   string
		writes []string
		want   []item
	}{
		{name: "alone", writes: []string{": hi\n"}, want: []item{comment("hi", "")}},
		{name: "inside a block that is not over", writes: []string{"data: a\n: hi\n"}, want: []item{comment("hi", "")}},
		{name: "after an event", writes: []string{"data: a\n\n: hi\n"}, want: []item{event(msg("a")), comment("hi", "")}},
		{name: "ended by CR", writes: []string{": hi\r"}, want: []item{comment("hi", "")}},
		{name: "the LF after a CR is skipped", writes: []string{": a\r", "\n: b\n"}, want: []item{comment("a", ""), comment("b", "")}},
		{name: "split over writes", writes: []string{":", " h", "i", "\n"}, want: []item{comment("hi", "")}},
		{name: "one byte per write", writes: strings.Split("id: 1\r\ndata: a\r\n\r\n: hi\r\n", ""), want: []item{event(Event{ID: "1", Data: []byte("a")}), comment("hi", "1")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pr, pw := io.Pipe()
			release := make(chan struct{})
			writerDone := make(chan struct{})
			go func() {
				defer close(writerDone)
				for _, w := range tc.writes {
					if _, err := pw.Write([]byte(w)); err != nil {
						return
					}
				}
				<-release
				pw.Close()
			}()
			defer func() {
				close(release)
				pr.Close()
				<-writerDone
			}()
			r := NewReader(pr)
			for i, want := range tc.want {
				got, err := itemAsync(t, r)
				if err != nil {
					t.Fatalf("item %d: %v", i, err)
				}
				if !itemsEqual([]item{got}, []item{want}) {
					t.Fatalf("item %d:\n%swant\n%s", i, formatItems([]item{got}), formatItems([]item{want}))
				}
			}
		})
	}
}

func TestNextOrCommentSizeLimit(t *testing.T) {
	// A comment line longer than the limit fails, as a field would.
	r := NewReader(strings.NewReader(": "+strings.Repeat("c", 40)+"\n"), WithMaxEventSize(32))
	if _, _, err := r.NextOrComment(); !errors.Is(err, ErrEventTooLarge) {
		t.Errorf("long comment line: %v, want ErrEventTooLarge", err)
	}
	// Decoding counts: 20 invalid bytes become 60 bytes of U+FFFD.
	r = NewReader(strings.NewReader(": "+strings.Repeat("\xFF", 20)+"\n"), WithMaxEventSize(32))
	if _, _, err := r.NextOrComment(); !errors.Is(err, ErrEventTooLarge) {
		t.Errorf("comment line that decodes long: %v, want ErrEventTooLarge", err)
	}
	// A comment line counts together with the block it occurs in.
	r = NewReader(strings.NewReader("data: 0123456789\n: 0123456789\n\n"), WithMaxEventSize(16))
	if _, _, err := r.NextOrComment(); !errors.Is(err, ErrEventTooLarge) {
		t.Errorf("comment line in a block: %v, want ErrEventTooLarge", err)
	}
	// Comment lines are not kept: a block of endless comment lines, each
	// within the limit, never fails and keeps one read buffer, where Next
	// would fail.
	rr := &repeatReader{pattern: []byte(": 0123456789\n")}
	r = NewReader(io.LimitReader(rr, 4<<20), WithMaxEventSize(64))
	bufMax := 0
	rr.onRead = func() { bufMax = max(bufMax, len(r.buf)) }
	n := 0
	for {
		_, isComment, err := r.NextOrComment()
		if err == io.EOF {
			break
		}
		if err != nil || !isComment {
			t.Fatalf("after %d comments: comment %t, error %v", n, isComment, err)
		}
		n++
	}
	if bufMax != readBufSize || n != 4<<20/len(": 0123456789\n") {
		t.Errorf("%d comments, read buffer grew to %d bytes", n, bufMax)
	}
}

func TestNextOrCommentMixedWithNext(t *testing.T) {
	r := NewReader(strings.NewReader(": a\ndata: x\n: b\ndata: y\n\n: c\n\n"), WithCommentEvents())
	if ev, isComment, err := r.NextOrComment(); err != nil || !isComment || ev.Comment != "a" {
		t.Fatalf("NextOrComment = %+v, %t, %v", ev, isComment, err)
	}
	// Next keeps the comments it reads with their block.
	ev, err := r.Next()
	if err != nil || string(ev.Data) != "x\ny" || ev.Comment != "b" {
		t.Fatalf("Next = %s, %v", formatEvents([]Event{ev}), err)
	}
	if ev, isComment, err := r.NextOrComment(); err != nil || !isComment || ev.Comment != "c" {
		t.Fatalf("NextOrComment = %+v, %t, %v", ev, isComment, err)
	}
	if _, _, err := r.NextOrComment(); err != io.EOF {
		t.Fatalf("at the end: %v", err)
	}
}

func TestNextOrCommentAllocs(t *testing.T) {
	// A comment line costs its text and nothing more.
	r := NewReader(&repeatReader{pattern: []byte(": ping\n\n")})
	for range 1000 {
		if _, _, err := r.NextOrComment(); err != nil {
			t.Fatal(err)
		}
	}
	allocs := testing.AllocsPerRun(1000, func() {
		if _, _, err := r.NextOrComment(); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 1 {
		t.Errorf("NextOrComment allocates %v times per comment, want at most 1", allocs)
	}
}
