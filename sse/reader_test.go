package sse

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

// nextResult is the outcome of one Reader.Next call.
type nextResult struct {
	ev  Event
	err error
}

// nextAsync runs r.Next in a goroutine and returns its result, failing the
// test if Next does not return within a few seconds.
func nextAsync(t *testing.T, r *Reader) (Event, error) {
	t.Helper()
	ch := make(chan nextResult, 1)
	go func() {
		ev, err := r.Next()
		ch <- nextResult{ev, err}
	}()
	select {
	case res := <-ch:
		return res.ev, res.err
	case <-time.After(5 * time.Second):
		t.Fatal("Next is blocked waiting for input after a complete event")
		return Event{}, nil
	}
}

// TestReaderDoesNotWaitForMoreInput checks that Next returns an event as
// soon as its terminating blank line has arrived, while the writer on the
// other end of a pipe sends nothing more.
func TestReaderDoesNotWaitForMoreInput(t *testing.T) {
	tests := []struct {
		name   string
		writes []string
		want   []string
	}{
		{name: "LF", writes: []string{"data: a\n\n"}, want: []string{"a"}},
		{name: "CRLF", writes: []string{"data: a\r\n\r\n"}, want: []string{"a"}},
		{name: "CR", writes: []string{"data: a\r\r"}, want: []string{"a"}},
		{name: "CRLF then CR", writes: []string{"data: a\r\n\r"}, want: []string{"a"}},
		{name: "LF after a CR that ended an event is skipped", writes: []string{"data: a\r\r", "\ndata: b\r\r"}, want: []string{"a", "b"}},
		{name: "CR and LF in separate writes", writes: []string{"data: a\r", "\ndata: b\r", "\r"}, want: []string{"a\nb"}},
		{name: "BOM", writes: []string{"\xEF\xBB\xBFdata: a\n\n"}, want: []string{"a"}},
		{name: "several events in one write", writes: []string{"data: a\n\ndata: b\n\n"}, want: []string{"a", "b"}},
		{name: "event split over writes", writes: []string{"da", "ta: a\n", "\n"}, want: []string{"a"}},
		{name: "one byte per write", writes: strings.Split("id: 1\r\ndata: a\r\n\r\n", ""), want: []string{"a"}},
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
				// Keep the stream open, sending nothing, until the test
				// is over.
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
				ev, err := nextAsync(t, r)
				if err != nil {
					t.Fatalf("event %d: Next: %v", i, err)
				}
				if string(ev.Data) != want {
					t.Fatalf("event %d: Data = %q, want %q", i, ev.Data, want)
				}
			}
		})
	}
}

func TestReaderLongLine(t *testing.T) {
	const size = 1 << 20
	payload := bytes.Repeat([]byte("0123456789abcdef"), size/16)
	stream := "id: big\ndata: " + string(payload) + "\n\ndata: after\n\n"
	feeds := []struct {
		name string
		r    io.Reader
	}{
		{"whole", strings.NewReader(stream)},
		{"4 KiB per read", &chunkReader{data: []byte(stream), size: 4 << 10}},
		{"CR terminated", strings.NewReader(strings.ReplaceAll(stream, "\n", "\r"))},
	}
	if !testing.Short() {
		feeds = append(feeds, struct {
			name string
			r    io.Reader
		}{"one byte per read", iotest.OneByteReader(strings.NewReader(stream))})
	}
	for _, f := range feeds {
		t.Run(f.name, func(t *testing.T) {
			r := NewReader(f.r)
			ev, err := r.Next()
			if err != nil {
				t.Fatalf("Next: %v", err)
			}
			if !bytes.Equal(ev.Data, payload) || ev.ID != "big" {
				t.Fatalf("got ID %q and %d bytes of data, want %q and %d bytes", ev.ID, len(ev.Data), "big", len(payload))
			}
			if n := len(r.buf); n > 2*size {
				t.Errorf("read buffer grew to %d bytes for a %d byte line", n, size)
			}
			ev, err = r.Next()
			if err != nil || string(ev.Data) != "after" {
				t.Fatalf("second Next = %q, %v", ev.Data, err)
			}
			if _, err := r.Next(); err != io.EOF {
				t.Fatalf("final Next = %v, want io.EOF", err)
			}
		})
	}
}

func TestReaderReleasesLargeBuffers(t *testing.T) {
	// A 1 MiB event followed by small events, sized so that the 4 KiB
	// reads end at event boundaries and the read buffer drains.
	long := "data: " + strings.Repeat("x", 1<<20-8) + "\n\n"
	small := strings.Repeat("data: 01234567\n\n", 1024)
	r := NewReader(&chunkReader{data: []byte(long + small), size: 4 << 10})
	ev, err := r.Next()
	if err != nil || len(ev.Data) != 1<<20-8 {
		t.Fatalf("Next = %d bytes, %v", len(ev.Data), err)
	}
	if len(r.buf) <= maxRetainedReadBuf || cap(r.data) != 0 {
		t.Fatalf("read buffer %d bytes, data buffer %d bytes after the long event", len(r.buf), cap(r.data))
	}
	for range 1000 {
		if _, err := r.Next(); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(r.buf); n > maxRetainedReadBuf {
		t.Errorf("read buffer of %d bytes retained after the long event", n)
	}
}

// repeatReader returns pattern forever, at most size bytes per Read if size
// is positive, calling onRead, if set, before each Read.
type repeatReader struct {
	pattern []byte
	off     int
	size    int
	onRead  func()
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.onRead != nil {
		r.onRead()
	}
	if r.size > 0 && len(p) > r.size {
		p = p[:r.size]
	}
	n := 0
	for n < len(p) {
		c := copy(p[n:], r.pattern[r.off:])
		n += c
		r.off = (r.off + c) % len(r.pattern)
	}
	return n, nil
}

func TestReaderBoundedMemory(t *testing.T) {
	const limit = 256 << 10
	tests := []struct {
		name    string
		pattern string
	}{
		{"endless line", "a"},
		{"endless line of CR-free data", "data: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"},
		{"endless comments", ": keep-alive\n"},
		{"endless data lines", "data: 0123456789\n"},
		{"endless data lines with CR", "data: 0123456789\r"},
		{"endless event and data lines", "event: e\ndata: 0123456789\r\n"},
	}
	for _, tc := range tests {
		for _, size := range []int{0, 7, 4 << 10} {
			src := &repeatReader{pattern: []byte(tc.pattern), size: size}
			r := NewReader(src, WithMaxEventSize(limit))
			var bufMax, blockMax int
			src.onRead = func() {
				bufMax = max(bufMax, len(r.buf))
				blockMax = max(blockMax, cap(r.data)+cap(r.comment)+cap(r.eventType))
			}
			_, err := r.Next()
			if !errors.Is(err, ErrEventTooLarge) {
				t.Fatalf("%s (read size %d): Next = %v, want ErrEventTooLarge", tc.name, size, err)
			}
			if !strings.Contains(err.Error(), "262144") {
				t.Errorf("%s: error %q does not state the limit", tc.name, err)
			}
			if bufMax > limit+readBufSize {
				t.Errorf("%s (read size %d): read buffer grew to %d bytes", tc.name, size, bufMax)
			}
			if blockMax > 2*limit {
				t.Errorf("%s (read size %d): block buffers grew to %d bytes", tc.name, size, blockMax)
			}
			if r.buf != nil || r.data != nil {
				t.Errorf("%s: buffers kept after a failure", tc.name)
			}
		}
	}
}

func TestReaderEndlessIgnoredLines(t *testing.T) {
	// Lines that do not accumulate (unknown fields, ids, event types
	// overwritten, blank-line separated comments) never fail; memory
	// stays at one read buffer.
	for _, pattern := range []string{"foo: bar\n", "id: 12345\n", "event: e\n", ": ping\n\n", "data: x\n\n"} {
		rr := &repeatReader{pattern: []byte(pattern)}
		r := NewReader(io.LimitReader(rr, 4<<20), WithMaxEventSize(64))
		bufMax := 0
		rr.onRead = func() { bufMax = max(bufMax, len(r.buf)) }
		for {
			_, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%q: Next: %v", pattern, err)
			}
		}
		if bufMax != readBufSize {
			t.Errorf("%q: read buffer grew to %d bytes", pattern, bufMax)
		}
	}
}

// errAfterReader returns data, then err, optionally in the same call.
type errAfterReader struct {
	data     []byte
	err      error
	together bool
}

func (r *errAfterReader) Read(p []byte) (int, error) {
	n := copy(p, r.data)
	r.data = r.data[n:]
	if len(r.data) == 0 && (r.together || n == 0) {
		return n, r.err
	}
	return n, nil
}

func TestReaderReadError(t *testing.T) {
	errBoom := errors.New("boom")
	for _, together := range []bool{false, true} {
		r := NewReader(&errAfterReader{data: []byte("data: a\n\ndata: b\n\ndata: c"), err: errBoom, together: together})
		got, err := readAll(r)
		if !errors.Is(err, errBoom) {
			t.Fatalf("error = %v, want %v", err, errBoom)
		}
		if len(got) != 2 || string(got[0].Data) != "a" || string(got[1].Data) != "b" {
			t.Fatalf("events = %s", formatEvents(got))
		}
		// The error is sticky.
		if _, err := r.Next(); !errors.Is(err, errBoom) {
			t.Fatalf("second error = %v, want %v", err, errBoom)
		}
	}
}

func TestReaderStickyErrors(t *testing.T) {
	r := NewReader(strings.NewReader("data: 0123456789\n\ndata: a\n\n"), WithMaxEventSize(8))
	for range 3 {
		if _, err := r.Next(); !errors.Is(err, ErrEventTooLarge) {
			t.Fatalf("Next = %v, want ErrEventTooLarge", err)
		}
	}
	r = NewReader(strings.NewReader(""))
	for range 3 {
		if _, err := r.Next(); err != io.EOF {
			t.Fatalf("Next = %v, want io.EOF", err)
		}
	}
}

// readerFunc adapts a function to io.Reader.
type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

func TestReaderNoProgress(t *testing.T) {
	calls := 0
	r := NewReader(readerFunc(func([]byte) (int, error) { calls++; return 0, nil }))
	if _, err := r.Next(); !errors.Is(err, io.ErrNoProgress) {
		t.Fatalf("Next = %v, want io.ErrNoProgress", err)
	}
	if calls != maxEmptyReads {
		t.Errorf("Read called %d times, want %d", calls, maxEmptyReads)
	}
}

func TestReaderInvalidReadCount(t *testing.T) {
	for _, n := range []int{-1, 1 << 30} {
		r := NewReader(readerFunc(func([]byte) (int, error) { return n, nil }))
		if _, err := r.Next(); err == nil || err == io.EOF {
			t.Fatalf("Read returning %d: Next = %v, want an error", n, err)
		}
	}
}

func TestReaderDataIsNotReused(t *testing.T) {
	var stream strings.Builder
	for i := range 2000 {
		stream.WriteString("event: tick\ndata: ")
		stream.WriteString(strings.Repeat(string(rune('a'+i%26)), 50))
		stream.WriteString("\n\n")
	}
	r := NewReader(strings.NewReader(stream.String()))
	events, err := readAll(r)
	if err != io.EOF || len(events) != 2000 {
		t.Fatalf("read %d events, error %v", len(events), err)
	}
	for i, ev := range events {
		want := strings.Repeat(string(rune('a'+i%26)), 50)
		if string(ev.Data) != want || ev.Event != "tick" {
			t.Fatalf("event %d = %q %q, want %q", i, ev.Event, ev.Data, want)
		}
	}
}

func TestReaderAllocs(t *testing.T) {
	// Steady state: the data copy and the new id are the only
	// allocations; the repeated event type is not copied again.
	src := &repeatReader{pattern: []byte("event: update\nid: 12345\ndata: " + strings.Repeat("x", 100) + "\n\n")}
	r := NewReader(src)
	for range 1000 {
		if _, err := r.Next(); err != nil {
			t.Fatal(err)
		}
	}
	allocs := testing.AllocsPerRun(1000, func() {
		if _, err := r.Next(); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 1 {
		t.Errorf("Next allocates %v times per event, want at most 1 (the data)", allocs)
	}
}

func TestReaderWithLastEventID(t *testing.T) {
	r := NewReader(strings.NewReader("data: a\n\nid: 9\ndata: b\n\nid\ndata: c\n\n"), WithLastEventID("7"))
	if got := r.LastEventID(); got != "7" {
		t.Fatalf("LastEventID before reading: %q, want 7", got)
	}
	for _, want := range []string{"7", "9", ""} {
		ev, err := r.Next()
		if err != nil {
			t.Fatal(err)
		}
		if ev.ID != want {
			t.Errorf("event %q: id %q, want %q", ev.Data, ev.ID, want)
		}
	}
}
