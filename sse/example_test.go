package sse_test

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/ssegw/ssegw/sse"
)

func ExampleWriter() {
	w := sse.NewWriter(os.Stdout)
	_ = w.WriteRetry(5 * time.Second)
	_ = w.WriteEvent(&sse.Event{ID: "1", Event: "greeting", Data: []byte("hello\nworld")})
	_ = w.WriteComment("ping")
	// Output:
	// retry: 5000
	//
	// event: greeting
	// id: 1
	// data: hello
	// data: world
	//
	// : ping
}

func ExampleWriter_invalid() {
	w := sse.NewWriter(os.Stdout)
	err := w.WriteEvent(&sse.Event{ID: "1\n2", Data: []byte("x")})
	fmt.Println(errors.Is(err, sse.ErrInvalidField))
	fmt.Println(err)
	// Output:
	// true
	// sse: invalid field: id contains line feed at byte 1
}

func ExampleAppendEvent() {
	var buf []byte
	for i, price := range []string{"10.5", "10.7"} {
		var err error
		buf, err = sse.AppendEvent(buf, &sse.Event{ID: fmt.Sprint(i + 1), Data: []byte(price)})
		if err != nil {
			panic(err)
		}
	}
	os.Stdout.Write(buf) // both events in one write
	// Output:
	// id: 1
	// data: 10.5
	//
	// id: 2
	// data: 10.7
}

func ExampleReader() {
	stream := "\xEF\xBB\xBF: stream start\r\n" +
		"retry: 2000\r\n" +
		"\r\n" +
		"event: add\r\n" +
		"id: 1\r\n" +
		"data: first line\r\n" +
		"data: second line\r\n" +
		"\r\n" +
		"id: 2\n" +
		"data:  leading space kept\n" +
		"\n" +
		"data: unterminated event is discarded\n"
	r := sse.NewReader(strings.NewReader(stream))
	for {
		ev, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Println("error:", err)
			return
		}
		fmt.Printf("id=%q event=%q data=%q\n", ev.ID, ev.Event, ev.Data)
	}
	fmt.Println("last event ID:", r.LastEventID())
	fmt.Println("retry:", r.Retry())
	// Output:
	// id="1" event="add" data="first line\nsecond line"
	// id="2" event="" data=" leading space kept"
	// last event ID: 2
	// retry: 2s
}

func ExampleWithCommentEvents() {
	r := sse.NewReader(strings.NewReader(": ping\n\ndata: x\n\n"), sse.WithCommentEvents())
	for {
		ev, err := r.Next()
		if err != nil {
			break
		}
		if ev.Data == nil {
			fmt.Printf("comment %q\n", ev.Comment)
			continue
		}
		fmt.Printf("data %q\n", ev.Data)
	}
	// Output:
	// comment "ping"
	// data "x"
}

// NextOrComment returns each comment line as soon as it has been read, in
// order with the events around it; the events are those Next returns.
func ExampleReader_NextOrComment() {
	r := sse.NewReader(strings.NewReader(": connected\n\ndata: a\n: inside\ndata: b\n\n: ping\n"))
	for {
		ev, isComment, err := r.NextOrComment()
		if err != nil {
			break
		}
		if isComment {
			fmt.Printf("comment %q\n", ev.Comment)
			continue
		}
		fmt.Printf("data %q\n", ev.Data)
	}
	// Output:
	// comment "connected"
	// comment "inside"
	// data "a\nb"
	// comment "ping"
}
