package encodetest

import (
	"math"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// wellKnown appends the fields of a well-known type, with values that are
// mostly valid and sometimes just out of range. It reports false for the
// types that are generated as any message is.
func (w *Wire) wellKnown(b []byte, md protoreflect.MessageDescriptor, depth int) ([]byte, bool) {
	fields := md.Fields()
	switch md.FullName().Name() {
	case "Timestamp":
		secs := []int64{0, 1, -1, 1700000000, -62135596800, 253402300799, -62135596801, 253402300800, math.MinInt64}
		nanos := []int64{0, 1, 1000, 1000000, 999999999, 123456789, 1000000000, -1}
		return w.secondsNanos(b, secs[w.src.Intn(len(secs))], nanos[w.src.Intn(len(nanos))]), true
	case "Duration":
		secs := []int64{0, 1, -1, 3600, -3600, 315576000000, -315576000000, 315576000001, -315576000001}
		nanos := []int64{0, 1, -1, 1000, -1000000, 999999999, -999999999, 1000000000, -1000000000, 500000000}
		return w.secondsNanos(b, secs[w.src.Intn(len(secs))], nanos[w.src.Intn(len(nanos))]), true
	case "Any":
		return w.any(b, depth), true
	case "Value":
		fd := fields.Get(w.src.Intn(fields.Len()))
		if fd.Kind() == protoreflect.EnumKind {
			b = protowire.AppendTag(b, fd.Number(), protowire.VarintType)
			return protowire.AppendVarint(b, 0), true
		}
		return w.field(b, fd, depth), true
	case "Struct", "ListValue":
		for range w.src.Intn(4) {
			b = w.field(b, fields.ByNumber(1), depth)
		}
		return b, true
	case "FieldMask":
		paths := []string{"a", "foo_bar", "foo.bar_baz", "x_1", "fooBar", "a__b", "", "1a", "a.", "_a", "a_"}
		for range w.src.Intn(4) {
			b = protowire.AppendTag(b, 1, protowire.BytesType)
			b = protowire.AppendString(b, paths[w.src.Intn(len(paths))])
		}
		return b, true
	}
	return b, false
}

// secondsNanos appends the fields of a Timestamp or a Duration, leaving
// out zeros now and then.
func (w *Wire) secondsNanos(b []byte, secs, nanos int64) []byte {
	if secs != 0 || w.src.Chance(4) {
		b = protowire.AppendTag(b, 1, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(secs))
	}
	if nanos != 0 || w.src.Chance(4) {
		b = protowire.AppendTag(b, 2, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(nanos))
	}
	return b
}

// any appends the fields of an Any holding one of w.AnyTypes, or one whose
// type cannot be resolved, or nothing.
func (w *Wire) any(b []byte, depth int) []byte {
	var url string
	var value []byte
	switch r := w.src.Intn(10); {
	case r == 0:
		// Empty.
	case r == 1:
		url = "type.googleapis.com/no.such.Type"
	case r == 2:
		value = []byte{0x08, 0x01} // a value without a type
	case len(w.AnyTypes) > 0:
		md := w.AnyTypes[w.src.Intn(len(w.AnyTypes))]
		url = "type.googleapis.com/" + string(md.FullName())
		if w.src.Chance(6) {
			url = "example.com/types/" + string(md.FullName())
		}
		value = w.message(nil, md, depth+1)
	}
	if url != "" {
		b = protowire.AppendTag(b, 1, protowire.BytesType)
		b = protowire.AppendString(b, url)
	}
	if len(value) > 0 || w.src.Chance(4) {
		b = protowire.AppendTag(b, 2, protowire.BytesType)
		b = protowire.AppendBytes(b, value)
	}
	return b
}
