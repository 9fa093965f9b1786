package sse_test

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/ssegw/ssegw/sse"
)

// Benchmarks of the codec at the sizes cmd/ssebench streams (about 100
// bytes and 4 KiB of JSON), and of the heartbeat comment. Writing an event
// whose data is marshalled already does not allocate.

func benchPayload(size int) []byte {
	prefix := `{"seq":"123456","sentUnixNano":"1780000000000000000","payload":"`
	return []byte(prefix + strings.Repeat("x", max(size-len(prefix)-2, 0)) + `"}`)
}

func BenchmarkWriteEventSizes(b *testing.B) {
	for _, size := range []int{100, 4096} {
		b.Run(fmt.Sprintf("%dB", size), func(b *testing.B) {
			w := sse.NewWriter(io.Discard)
			ev := &sse.Event{ID: "123456", Data: benchPayload(size)}
			b.ReportAllocs()
			b.SetBytes(int64(size))
			for b.Loop() {
				if err := w.WriteEvent(ev); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkWriteEventMultiline(b *testing.B) {
	w := sse.NewWriter(io.Discard)
	data := bytes.Repeat([]byte("a line of text\n"), 8)
	ev := &sse.Event{Event: "log", Data: data}
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if err := w.WriteEvent(ev); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWriteComment(b *testing.B) {
	w := sse.NewWriter(io.Discard)
	b.ReportAllocs()
	for b.Loop() {
		if err := w.WriteComment("ping"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReaderSizes(b *testing.B) {
	for _, size := range []int{100, 4096} {
		b.Run(fmt.Sprintf("%dB", size), func(b *testing.B) {
			var stream bytes.Buffer
			w := sse.NewWriter(&stream)
			const events = 256
			for i := range events {
				if err := w.WriteEvent(&sse.Event{ID: fmt.Sprint(i), Data: benchPayload(size)}); err != nil {
					b.Fatal(err)
				}
			}
			r := sse.NewReader(&loopReader{data: stream.Bytes()})
			b.ReportAllocs()
			b.SetBytes(int64(size))
			for b.Loop() {
				if _, err := r.Next(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
