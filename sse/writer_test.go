package sse_test

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ssegw/ssegw/sse"
)

func TestAppendEvent(t *testing.T) {
	tests := []struct {
		name string
		ev   sse.Event
		want string
	}{
		{"data only", sse.Event{Data: []byte("hello")}, "data: hello\n\n"},
		{
			"all fields in order",
			sse.Event{Comment: "c", Event: "e", ID: "1", Retry: 1500 * time.Millisecond, Data: []byte("d")},
			": c\nevent: e\nid: 1\nretry: 1500\ndata: d\n\n",
		},
		{"multi-line data", sse.Event{Data: []byte("a\nb\nc")}, "data: a\ndata: b\ndata: c\n\n"},
		{"CRLF in data", sse.Event{Data: []byte("a\r\nb")}, "data: a\ndata: b\n\n"},
		{"CR in data", sse.Event{Data: []byte("a\rb")}, "data: a\ndata: b\n\n"},
		{"CR CR in data", sse.Event{Data: []byte("a\r\rb")}, "data: a\ndata: \ndata: b\n\n"},
		{"LF CR in data", sse.Event{Data: []byte("a\n\rb")}, "data: a\ndata: \ndata: b\n\n"},
		{"trailing LF in data", sse.Event{Data: []byte("a\n")}, "data: a\ndata: \n\n"},
		{"only LF in data", sse.Event{Data: []byte("\n")}, "data: \ndata: \n\n"},
		{"leading space in data", sse.Event{Data: []byte(" a")}, "data:  a\n\n"},
		{"colon in data", sse.Event{Data: []byte(": not a comment")}, "data: : not a comment\n\n"},
		{"named event with empty data", sse.Event{Event: "ping"}, "event: ping\ndata: \n\n"},
		{"id only", sse.Event{ID: "42"}, "id: 42\n\n"},
		{"id with leading space", sse.Event{ID: " x", Data: []byte("a")}, "id:  x\ndata: a\n\n"},
		{"retry only", sse.Event{Retry: 2 * time.Second}, "retry: 2000\n\n"},
		{"retry truncated to milliseconds", sse.Event{Retry: 1999999 * time.Microsecond}, "retry: 1999\n\n"},
		{"retry below a millisecond", sse.Event{Retry: 500 * time.Microsecond}, "retry: 1\n\n"},
		{"negative retry not written", sse.Event{Retry: -time.Second, Data: []byte("a")}, "data: a\n\n"},
		{"comment only", sse.Event{Comment: "hi"}, ": hi\n\n"},
		{"multi-line comment", sse.Event{Comment: "a\nb\r\nc\rd"}, ": a\n: b\n: c\n: d\n\n"},
		{"NUL in data", sse.Event{Data: []byte("a\x00b")}, "data: a\x00b\n\n"},
		{"unicode", sse.Event{Event: "grüße", Data: []byte("世界")}, "event: grüße\ndata: 世界\n\n"},
		{"empty event writes nothing", sse.Event{}, ""},
		{"empty non-nil data writes nothing", sse.Event{Data: []byte{}}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := sse.AppendEvent([]byte("prev"), &tc.ev)
			if err != nil {
				t.Fatalf("AppendEvent: %v", err)
			}
			if string(got) != "prev"+tc.want {
				t.Errorf("AppendEvent = %q, want %q", got, "prev"+tc.want)
			}
			var buf bytes.Buffer
			if err := sse.NewWriter(&buf).WriteEvent(&tc.ev); err != nil {
				t.Fatalf("WriteEvent: %v", err)
			}
			if buf.String() != tc.want {
				t.Errorf("WriteEvent wrote %q, want %q", buf.String(), tc.want)
			}
		})
	}
}

func TestAppendEventNil(t *testing.T) {
	got, err := sse.AppendEvent([]byte("x"), nil)
	if err != nil || string(got) != "x" {
		t.Fatalf("AppendEvent(nil) = %q, %v", got, err)
	}
	var buf bytes.Buffer
	if err := sse.NewWriter(&buf).WriteEvent(nil); err != nil || buf.Len() != 0 {
		t.Fatalf("WriteEvent(nil) wrote %q, %v", buf.String(), err)
	}
}

func TestAppendEventInvalid(t *testing.T) {
	tests := []struct {
		name  string
		ev    sse.Event
		field string
	}{
		{"LF in id", sse.Event{ID: "a\nb", Data: []byte("x")}, "id"},
		{"CR in id", sse.Event{ID: "a\rb", Data: []byte("x")}, "id"},
		{"NUL in id", sse.Event{ID: "a\x00b", Data: []byte("x")}, "id"},
		{"LF in event", sse.Event{Event: "a\nb", Data: []byte("x")}, "event"},
		{"CR in event", sse.Event{Event: "a\r", Data: []byte("x")}, "event"},
		{"NUL in event", sse.Event{Event: "\x00", Data: []byte("x")}, "event"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dst := []byte("prev")
			got, err := sse.AppendEvent(dst, &tc.ev)
			if !errors.Is(err, sse.ErrInvalidField) {
				t.Fatalf("AppendEvent error = %v, want ErrInvalidField", err)
			}
			if !strings.Contains(err.Error(), tc.field) {
				t.Errorf("error %q does not name the field %q", err, tc.field)
			}
			if string(got) != "prev" {
				t.Errorf("AppendEvent returned %q, want dst unchanged", got)
			}
			var buf bytes.Buffer
			if err := sse.NewWriter(&buf).WriteEvent(&tc.ev); !errors.Is(err, sse.ErrInvalidField) {
				t.Fatalf("WriteEvent error = %v, want ErrInvalidField", err)
			}
			if buf.Len() != 0 {
				t.Errorf("WriteEvent wrote %q for an invalid event", buf.String())
			}
		})
	}
}

func TestWriteComment(t *testing.T) {
	tests := []struct{ text, want string }{
		{"ping", ": ping\n\n"},
		{"", ": \n\n"},
		{"a\nb", ": a\n: b\n\n"},
		{"a\r\nb\rc", ": a\n: b\n: c\n\n"},
		{" padded", ":  padded\n\n"},
	}
	for _, tc := range tests {
		var buf bytes.Buffer
		if err := sse.NewWriter(&buf).WriteComment(tc.text); err != nil {
			t.Fatal(err)
		}
		if buf.String() != tc.want {
			t.Errorf("WriteComment(%q) wrote %q, want %q", tc.text, buf.String(), tc.want)
		}
	}
}

func TestWriteRetry(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{3 * time.Second, "retry: 3000\n\n"},
		{0, "retry: 0\n\n"},
		{time.Microsecond, "retry: 1\n\n"},
		{1500 * time.Microsecond, "retry: 1\n\n"},
	}
	for _, tc := range tests {
		var buf bytes.Buffer
		if err := sse.NewWriter(&buf).WriteRetry(tc.d); err != nil {
			t.Fatal(err)
		}
		if buf.String() != tc.want {
			t.Errorf("WriteRetry(%v) wrote %q, want %q", tc.d, buf.String(), tc.want)
		}
	}
	var buf bytes.Buffer
	if err := sse.NewWriter(&buf).WriteRetry(-time.Second); !errors.Is(err, sse.ErrInvalidField) || buf.Len() != 0 {
		t.Errorf("WriteRetry(-1s) = %v and wrote %q, want ErrInvalidField and nothing", err, buf.String())
	}
}

// TestWriterRoundTrip checks that the Reader receives what the Writer sent.
func TestWriterRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	w := sse.NewWriter(&buf)
	send := []sse.Event{
		{Event: "update", ID: "1", Data: []byte(`{"a":1}`)},
		{Data: []byte("line one\nline two\r\nline three\rline four")},
		{Event: "empty"},
		{Data: []byte("  two leading spaces")},
		{Data: []byte("trailing newline\n")},
		{Data: []byte("\n")},
		{ID: "2"},
		{Retry: 2500 * time.Millisecond},
		{Comment: "just a comment"},
		{Comment: "note\nsecond line", Data: []byte("with comment")},
		{ID: " spaced id", Event: " spaced type", Data: []byte(" spaced data")},
	}
	for i := range send {
		if err := w.WriteEvent(&send[i]); err != nil {
			t.Fatalf("WriteEvent(%d): %v", i, err)
		}
	}
	if err := w.WriteComment("ping"); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteRetry(time.Second); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteEvent(&sse.Event{Data: []byte("last")}); err != nil {
		t.Fatal(err)
	}

	want := []sse.Event{
		{Event: "update", ID: "1", Data: []byte(`{"a":1}`)},
		{ID: "1", Data: []byte("line one\nline two\nline three\nline four")},
		{ID: "1", Event: "empty", Data: []byte{}},
		{ID: "1", Data: []byte("  two leading spaces")},
		{ID: "1", Data: []byte("trailing newline\n")},
		{ID: "1", Data: []byte("\n")},
		// The id-only block is not dispatched but sets the last event ID.
		{ID: "2", Retry: 2500 * time.Millisecond},
		{ID: "2", Comment: "just a comment"},
		{ID: "2", Comment: "note\nsecond line", Data: []byte("with comment")},
		{ID: " spaced id", Event: " spaced type", Data: []byte(" spaced data")},
		{ID: " spaced id", Comment: "ping"},
		{ID: " spaced id", Retry: time.Second},
		{ID: " spaced id", Data: []byte("last")},
	}
	r := sse.NewReader(&buf, sse.WithCommentEvents(), sse.WithRetryEvents())
	var got []sse.Event
	for {
		ev, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ev)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("round trip mismatch\n got: %+v\nwant: %+v", got, want)
	}
	if r.Retry() != time.Second {
		t.Errorf("Retry() = %v, want 1s", r.Retry())
	}

	// Without the options, the empty named event is still dispatched.
	buf.Reset()
	if err := w.WriteEvent(&sse.Event{Event: "empty"}); err != nil {
		t.Fatal(err)
	}
	ev, err := sse.NewReader(&buf).Next()
	if err != nil || ev.Event != "empty" || ev.Data == nil || len(ev.Data) != 0 {
		t.Fatalf("empty named event: got %+v, %v", ev, err)
	}
}

// countingWriter records each Write call.
type countingWriter struct {
	writes []string
}

func (c *countingWriter) Write(p []byte) (int, error) {
	c.writes = append(c.writes, string(p))
	return len(p), nil
}

func TestWriterOneWritePerEvent(t *testing.T) {
	var cw countingWriter
	w := sse.NewWriter(&cw)
	if err := w.WriteEvent(&sse.Event{Comment: "c", Event: "e", ID: "1", Data: []byte("a\nb\nc")}); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteComment("x\ny"); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteRetry(time.Second); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteEvent(&sse.Event{}); err != nil {
		t.Fatal(err)
	}
	want := []string{": c\nevent: e\nid: 1\ndata: a\ndata: b\ndata: c\n\n", ": x\n: y\n\n", "retry: 1000\n\n"}
	if !reflect.DeepEqual(cw.writes, want) {
		t.Errorf("writes = %q, want %q", cw.writes, want)
	}
}

// failingWriter fails every Write, optionally as a short write.
type failingWriter struct {
	err   error
	short bool
}

func (f failingWriter) Write(p []byte) (int, error) {
	if f.short {
		return len(p) / 2, nil
	}
	return 0, f.err
}

func TestWriterErrors(t *testing.T) {
	errBoom := errors.New("boom")
	w := sse.NewWriter(failingWriter{err: errBoom})
	if err := w.WriteEvent(&sse.Event{Data: []byte("a")}); !errors.Is(err, errBoom) {
		t.Errorf("WriteEvent = %v, want %v", err, errBoom)
	}
	if err := w.WriteComment("a"); !errors.Is(err, errBoom) {
		t.Errorf("WriteComment = %v, want %v", err, errBoom)
	}
	if err := w.WriteRetry(time.Second); !errors.Is(err, errBoom) {
		t.Errorf("WriteRetry = %v, want %v", err, errBoom)
	}
	w = sse.NewWriter(failingWriter{short: true})
	if err := w.WriteEvent(&sse.Event{Data: []byte("a")}); !errors.Is(err, io.ErrShortWrite) {
		t.Errorf("short WriteEvent = %v, want io.ErrShortWrite", err)
	}
}

func TestWriterLargeEvent(t *testing.T) {
	var buf bytes.Buffer
	w := sse.NewWriter(&buf)
	big := bytes.Repeat([]byte("x"), 1<<20)
	if err := w.WriteEvent(&sse.Event{Data: big}); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteEvent(&sse.Event{Data: []byte("small")}); err != nil {
		t.Fatal(err)
	}
	if want := "data: " + string(big) + "\n\ndata: small\n\n"; buf.String() != want {
		t.Errorf("wrote %d bytes, want %d", buf.Len(), len(want))
	}
}

func TestWriteEventAllocs(t *testing.T) {
	w := sse.NewWriter(io.Discard)
	ev := &sse.Event{Event: "update", ID: "12345", Data: []byte(`{"a":1,"b":"two"}`)}
	allocs := testing.AllocsPerRun(1000, func() {
		if err := w.WriteEvent(ev); err != nil {
			t.Fatal(err)
		}
		if err := w.WriteComment("ping"); err != nil {
			t.Fatal(err)
		}
		if err := w.WriteRetry(time.Second); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("writing allocates %v times per event, want 0", allocs)
	}
}
