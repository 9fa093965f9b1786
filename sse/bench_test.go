package sse_test

import (
	"bytes"
	"io"
	"testing"

	"github.com/ssegw/ssegw/sse"
)

// benchData is a typical already-marshalled JSON payload of about 100 bytes.
var benchData = []byte(`{"symbol":"ACME","price":1234.5678,"volume":987654,"ts":"2025-01-02T03:04:05.678Z","open":true}`)

func BenchmarkWriteEvent(b *testing.B) {
	w := sse.NewWriter(io.Discard)
	ev := &sse.Event{Event: "quote", ID: "1234567", Data: benchData}
	b.ReportAllocs()
	b.SetBytes(int64(len(benchData)))
	for b.Loop() {
		if err := w.WriteEvent(ev); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendEvent(b *testing.B) {
	ev := &sse.Event{Event: "quote", ID: "1234567", Data: benchData}
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	b.SetBytes(int64(len(benchData)))
	for b.Loop() {
		var err error
		buf, err = sse.AppendEvent(buf[:0], ev)
		if err != nil {
			b.Fatal(err)
		}
	}
}

// loopReader returns its data over and over.
type loopReader struct {
	data []byte
	off  int
}

func (l *loopReader) Read(p []byte) (int, error) {
	n := copy(p, l.data[l.off:])
	l.off = (l.off + n) % len(l.data)
	return n, nil
}

func BenchmarkReader(b *testing.B) {
	// A stream of ~100-byte events with an event type and a changing id.
	var stream bytes.Buffer
	w := sse.NewWriter(&stream)
	const events = 1000
	for i := range events {
		id := []byte("id-0000")
		id[3], id[4], id[5], id[6] = '0'+byte(i/1000%10), '0'+byte(i/100%10), '0'+byte(i/10%10), '0'+byte(i%10)
		if err := w.WriteEvent(&sse.Event{Event: "quote", ID: string(id), Data: benchData}); err != nil {
			b.Fatal(err)
		}
	}
	r := sse.NewReader(&loopReader{data: stream.Bytes()})
	b.ReportAllocs()
	b.SetBytes(int64(stream.Len() / events))
	n := 0
	for b.Loop() {
		if _, err := r.Next(); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
}
