package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/ssegw/ssegw/sse"
)

// Helpers of the tests of shaped events.

// shapedEvents sends a request with client and returns the events of the
// stream it opens, without the retry hint, up to the stream's end.
func shapedEvents(t *testing.T, client *http.Client, method, url, body string) []sse.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("%s %s: %s %s", method, url, resp.Status, b)
	}
	r := sse.NewReader(resp.Body)
	var out []sse.Event
	for range 10_000 {
		ev, err := r.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if ev.Data != nil {
			out = append(out, ev)
		}
	}
	t.Fatal("the stream did not end")
	return nil
}

// wantEvent is an event a test expects: its name, id and data.
type wantEvent struct {
	name, id, data string
}

// checkEventsAre compares events with want.
func checkEventsAre(t *testing.T, got []sse.Event, want []wantEvent) {
	t.Helper()
	for i := range max(len(got), len(want)) {
		var g, w wantEvent
		if i < len(got) {
			g = wantEvent{got[i].Event, got[i].ID, string(got[i].Data)}
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w {
			t.Errorf("event %d: %+v, want %+v", i, g, w)
		}
	}
}

// requestParam returns the query that carries a request message as JSON.
func requestParam(jsonText string) string {
	var compact bytes.Buffer
	if err := json.Compact(&compact, []byte(jsonText)); err != nil {
		panic(err)
	}
	return "request=" + url.QueryEscape(compact.String())
}

// fill sets random values in some fields of m, down to depth levels of
// messages: every scalar kind with its edge values, unknown enum
// numbers, lists, maps and nested messages. Fields of the well-known types
// are left unset but for timestamps and wrappers, whose values any JSON
// writes.
func fill(rng *rand.Rand, m protoreflect.Message, depth int) {
	fields := m.Descriptor().Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		if rng.IntN(3) == 0 {
			continue
		}
		if md := fd.Message(); md != nil && !fd.IsMap() {
			if depth == 0 || !fillable(md) {
				continue
			}
			if fd.IsList() {
				list := m.Mutable(fd).List()
				for range rng.IntN(3) {
					v := list.NewElement()
					fillMessage(rng, v.Message(), depth-1)
					list.Append(v)
				}
				continue
			}
			fillMessage(rng, m.Mutable(fd).Message(), depth-1)
			continue
		}
		switch {
		case fd.IsMap():
			if fd.MapValue().Message() != nil && (depth == 0 || !fillable(fd.MapValue().Message())) {
				continue
			}
			mp := m.Mutable(fd).Map()
			for range rng.IntN(3) {
				v := mp.NewValue()
				if fd.MapValue().Message() != nil {
					fillMessage(rng, v.Message(), depth-1)
				} else {
					v = randomScalar(rng, fd.MapValue())
				}
				mp.Set(randomScalar(rng, fd.MapKey()).MapKey(), v)
			}
		case fd.IsList():
			list := m.Mutable(fd).List()
			for range rng.IntN(4) {
				list.Append(randomScalar(rng, fd))
			}
		default:
			m.Set(fd, randomScalar(rng, fd))
		}
	}
}

// fillable reports whether fill sets fields of type md.
func fillable(md protoreflect.MessageDescriptor) bool {
	if md.ParentFile().Package() != "google.protobuf" {
		return true
	}
	return md.Name() == "Timestamp" || strings.HasSuffix(string(md.Name()), "Value") && md.Name() != "Value" && md.Name() != "ListValue"
}

// fillMessage fills m, a timestamp within its range.
func fillMessage(rng *rand.Rand, m protoreflect.Message, depth int) {
	if m.Descriptor().FullName() == "google.protobuf.Timestamp" {
		fields := m.Descriptor().Fields()
		m.Set(fields.ByName("seconds"), protoreflect.ValueOfInt64(rng.Int64N(253402300800)))
		m.Set(fields.ByName("nanos"), protoreflect.ValueOfInt32(rng.Int32N(1e9)))
		return
	}
	fill(rng, m, depth)
}

// randomScalar returns a random value of a scalar or enum field.
func randomScalar(rng *rand.Rand, fd protoreflect.FieldDescriptor) protoreflect.Value {
	pick := func(edges ...uint64) uint64 {
		if rng.IntN(2) == 0 {
			return edges[rng.IntN(len(edges))]
		}
		return rng.Uint64()
	}
	switch fd.Kind() {
	case protoreflect.BoolKind:
		return protoreflect.ValueOfBool(rng.IntN(2) == 0)
	case protoreflect.EnumKind:
		values := fd.Enum().Values()
		if rng.IntN(4) == 0 {
			return protoreflect.ValueOfEnum(protoreflect.EnumNumber(rng.Int32N(1000) - 500))
		}
		return protoreflect.ValueOfEnum(values.Get(rng.IntN(values.Len())).Number())
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		return protoreflect.ValueOfInt32(int32(pick(0, math.MaxInt32, 1<<31)))
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return protoreflect.ValueOfInt64(int64(pick(0, math.MaxInt64, 1<<63)))
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return protoreflect.ValueOfUint32(uint32(pick(0, math.MaxUint32)))
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return protoreflect.ValueOfUint64(pick(0, math.MaxUint64))
	case protoreflect.FloatKind:
		return protoreflect.ValueOfFloat32(math.Float32frombits(uint32(pick(0, 0x7fc00000, 0x7f800000, 0xff800000, 0x80000000))))
	case protoreflect.DoubleKind:
		return protoreflect.ValueOfFloat64(math.Float64frombits(pick(0, 0x7ff8000000000001, 0x7ff0000000000000, 0x8000000000000000)))
	case protoreflect.StringKind:
		parts := []string{"a", "é", "\"", "\\", "\n", "\u2028", "<b>", "\x00", "😀", " "}
		var b strings.Builder
		for range rng.IntN(6) {
			b.WriteString(parts[rng.IntN(len(parts))])
		}
		return protoreflect.ValueOfString(b.String())
	case protoreflect.BytesKind:
		b := make([]byte, rng.IntN(6))
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return protoreflect.ValueOfBytes(b)
	}
	panic("not a scalar: " + fd.FullName())
}
