package encodetest

import (
	"math"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// Wire generates wire bytes of messages from a Source: mostly well-formed
// values of the declared fields, in any order, some of them more than
// once, packed and unpacked, with unknown fields, values of the wrong
// wire type, extensions, invalid UTF-8, values out of range for the
// well-known types, and now and then a malformed byte.
type Wire struct {
	src *Source
	// AnyTypes are the message types an Any may hold, resolvable by the
	// resolver of the test.
	AnyTypes []protoreflect.MessageDescriptor
	// Extensions, when not nil, gives extensions of the messages.
	Extensions *protoregistry.Types
	// MaxDepth bounds the nesting of messages.
	MaxDepth int
}

// NewWire generates from src.
func NewWire(src *Source) *Wire {
	return &Wire{src: src, MaxDepth: 4}
}

// Message returns the wire bytes of a message of type md, now and then
// mutated into something malformed.
func (w *Wire) Message(md protoreflect.MessageDescriptor) []byte {
	b := w.message(nil, md, 0)
	if w.src.Chance(16) && len(b) > 0 {
		switch w.src.Intn(3) {
		case 0:
			b[w.src.Intn(len(b))] ^= w.src.Byte() | 1
		case 1:
			b = b[:w.src.Intn(len(b))]
		default:
			b = append(b, w.src.Bytes(w.src.Intn(8))...)
		}
	}
	return b
}

// message appends the fields of a message of type md to b.
func (w *Wire) message(b []byte, md protoreflect.MessageDescriptor, depth int) []byte {
	if depth > w.MaxDepth {
		return b
	}
	if md.FullName().Parent() == "google.protobuf" && !w.src.Chance(8) {
		if out, ok := w.wellKnown(b, md, depth); ok {
			return out
		}
	}
	fields := md.Fields()
	// Required fields first, most of the time, so that messages are
	// complete more often than not.
	for i := range fields.Len() {
		if fd := fields.Get(i); fd.Cardinality() == protoreflect.Required && !w.src.Chance(10) {
			b = w.field(b, fd, depth)
		}
	}
	n := w.src.Intn(7)
	if depth > 1 {
		n = w.src.Intn(3)
	}
	for range n {
		switch r := w.src.Intn(16); {
		case r == 0:
			b = w.unknown(b)
		case r == 1 && w.Extensions != nil:
			var exts []protoreflect.ExtensionType
			w.Extensions.RangeExtensionsByMessage(md.FullName(), func(xt protoreflect.ExtensionType) bool {
				exts = append(exts, xt)
				return true
			})
			if len(exts) > 0 {
				b = w.field(b, exts[w.src.Intn(len(exts))].TypeDescriptor(), depth)
			}
		case fields.Len() > 0:
			b = w.field(b, fields.Get(w.src.Intn(fields.Len())), depth)
		}
	}
	return b
}

// unknown appends a field of a number no message here declares.
func (w *Wire) unknown(b []byte) []byte {
	num := protowire.Number(1000 + w.src.Intn(200))
	switch w.src.Intn(4) {
	case 0:
		b = protowire.AppendTag(b, num, protowire.VarintType)
		return protowire.AppendVarint(b, w.varint())
	case 1:
		b = protowire.AppendTag(b, num, protowire.Fixed32Type)
		return protowire.AppendFixed32(b, uint32(w.src.Uint64()))
	case 2:
		b = protowire.AppendTag(b, num, protowire.StartGroupType)
		b = protowire.AppendTag(b, num+1, protowire.VarintType)
		b = protowire.AppendVarint(b, 1)
		return protowire.AppendTag(b, num, protowire.EndGroupType)
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, w.src.Bytes(w.src.Intn(6)))
}

// field appends one occurrence of fd.
func (w *Wire) field(b []byte, fd protoreflect.FieldDescriptor, depth int) []byte {
	num := fd.Number()
	if w.src.Chance(24) {
		// The wrong wire type: the decoder keeps it as an unknown field.
		switch w.src.Intn(3) {
		case 0:
			b = protowire.AppendTag(b, num, protowire.VarintType)
			return protowire.AppendVarint(b, w.varint())
		case 1:
			b = protowire.AppendTag(b, num, protowire.Fixed64Type)
			return protowire.AppendFixed64(b, w.src.Uint64())
		}
		b = protowire.AppendTag(b, num, protowire.BytesType)
		return protowire.AppendBytes(b, w.src.Bytes(w.src.Intn(4)))
	}
	switch {
	case fd.IsMap():
		b = protowire.AppendTag(b, num, protowire.BytesType)
		return protowire.AppendBytes(b, w.mapEntry(nil, fd, depth))
	case fd.IsList() && packable(fd.Kind()) && w.src.Intn(2) == 0:
		var run []byte
		for range w.src.Intn(4) {
			run = w.scalar(run, fd)
		}
		b = protowire.AppendTag(b, num, protowire.BytesType)
		return protowire.AppendBytes(b, run)
	case fd.Kind() == protoreflect.GroupKind:
		b = protowire.AppendTag(b, num, protowire.StartGroupType)
		b = w.message(b, fd.Message(), depth+1)
		return protowire.AppendTag(b, num, protowire.EndGroupType)
	case fd.Kind() == protoreflect.MessageKind:
		b = protowire.AppendTag(b, num, protowire.BytesType)
		return protowire.AppendBytes(b, w.message(nil, fd.Message(), depth+1))
	}
	b = protowire.AppendTag(b, num, wireType(fd.Kind()))
	return w.scalar(b, fd)
}

// mapEntry appends a map entry: usually a key and a value, now and then
// one of them missing, repeated or out of order.
func (w *Wire) mapEntry(b []byte, fd protoreflect.FieldDescriptor, depth int) []byte {
	key, val := fd.MapKey(), fd.MapValue()
	switch w.src.Intn(8) {
	case 0:
		return w.field(b, val, depth)
	case 1:
		return w.field(b, key, depth)
	case 2:
		b = w.field(b, val, depth)
		return w.field(b, key, depth)
	case 3:
		b = w.field(b, key, depth)
		b = w.unknown(b)
		b = w.field(b, val, depth)
		return w.field(b, key, depth)
	}
	b = w.field(b, key, depth)
	return w.field(b, val, depth)
}

// scalar appends one value of a scalar or enum field, without its tag.
func (w *Wire) scalar(b []byte, fd protoreflect.FieldDescriptor) []byte {
	switch fd.Kind() {
	case protoreflect.BoolKind:
		return protowire.AppendVarint(b, []uint64{0, 1, 1, 2, math.MaxUint64}[w.src.Intn(5)])
	case protoreflect.EnumKind:
		values := fd.Enum().Values()
		if values.Len() > 0 && !w.src.Chance(4) {
			return protowire.AppendVarint(b, uint64(int64(values.Get(w.src.Intn(values.Len())).Number())))
		}
		return protowire.AppendVarint(b, w.varint())
	case protoreflect.FloatKind:
		return protowire.AppendFixed32(b, w.float32Bits())
	case protoreflect.DoubleKind:
		return protowire.AppendFixed64(b, w.float64Bits())
	case protoreflect.Fixed32Kind, protoreflect.Sfixed32Kind:
		return protowire.AppendFixed32(b, uint32(w.varint()))
	case protoreflect.Fixed64Kind, protoreflect.Sfixed64Kind:
		return protowire.AppendFixed64(b, w.varint())
	case protoreflect.StringKind:
		return protowire.AppendBytes(b, w.text())
	case protoreflect.BytesKind:
		return protowire.AppendBytes(b, w.src.Bytes(w.src.Intn(12)))
	}
	return protowire.AppendVarint(b, w.varint())
}

// varint returns an integer, often one at the edge of a range.
func (w *Wire) varint() uint64 {
	edges := []uint64{
		0, 1, 2, 127, 128, 300,
		math.MaxInt32, math.MaxInt32 + 1, math.MaxUint32, math.MaxUint32 + 1,
		math.MaxInt64, math.MaxInt64 + 1, math.MaxUint64, math.MaxUint64 - 1,
		1 << 53, 1<<53 + 1,
	}
	if i := w.src.Intn(len(edges) + 3); i < len(edges) {
		return edges[i]
	}
	return w.src.Uint64() >> w.src.Intn(64)
}

func (w *Wire) float32Bits() uint32 {
	edges := []float32{0, 1, -1, 0.1, 1e-7, 1e-6, 1e21, 1e20, math.MaxFloat32, math.SmallestNonzeroFloat32, 123456.78}
	switch i := w.src.Intn(len(edges) + 5); {
	case i < len(edges):
		return math.Float32bits(edges[i])
	case i == len(edges):
		return math.Float32bits(float32(math.Copysign(0, -1)))
	case i == len(edges)+1:
		return math.Float32bits(float32(math.Inf(w.src.Intn(2)*2 - 1)))
	case i == len(edges)+2:
		return 0x7fc00001 // a NaN
	}
	return uint32(w.src.Uint64())
}

func (w *Wire) float64Bits() uint64 {
	edges := []float64{0, 1, -1, 0.1, 1e-7, 1e-6, 1e21, 1e20, math.MaxFloat64, math.SmallestNonzeroFloat64, 1 << 53, 123456.789e-3}
	switch i := w.src.Intn(len(edges) + 5); {
	case i < len(edges):
		return math.Float64bits(edges[i])
	case i == len(edges):
		return math.Float64bits(math.Copysign(0, -1))
	case i == len(edges)+1:
		return math.Float64bits(math.Inf(w.src.Intn(2)*2 - 1))
	case i == len(edges)+2:
		return 0x7ff8000000000001 // a NaN
	}
	return w.src.Uint64()
}

// text returns a string, mostly valid UTF-8 and now and then not.
func (w *Wire) text() []byte {
	texts := []string{
		"", "a", "héllo", "日本", "\x00\x01\x1f\"\\/<>&'\u2028\u2029\u007f",
		"\ufffd", "emoji 🎉", "tab\tnew\nline\rcr\bb\ff",
		"\xff", "a\xc3", "\xed\xa0\x80", // invalid UTF-8
	}
	if i := w.src.Intn(len(texts) + 2); i < len(texts) {
		return []byte(texts[i])
	}
	return w.src.Bytes(w.src.Intn(10))
}

// packable reports whether repeated fields of kind k may be packed.
func packable(k protoreflect.Kind) bool {
	switch k {
	case protoreflect.StringKind, protoreflect.BytesKind, protoreflect.MessageKind, protoreflect.GroupKind:
		return false
	}
	return true
}

// wireType returns the wire type of one value of kind k.
func wireType(k protoreflect.Kind) protowire.Type {
	switch k {
	case protoreflect.FloatKind, protoreflect.Fixed32Kind, protoreflect.Sfixed32Kind:
		return protowire.Fixed32Type
	case protoreflect.DoubleKind, protoreflect.Fixed64Kind, protoreflect.Sfixed64Kind:
		return protowire.Fixed64Type
	case protoreflect.StringKind, protoreflect.BytesKind, protoreflect.MessageKind:
		return protowire.BytesType
	case protoreflect.GroupKind:
		return protowire.StartGroupType
	}
	return protowire.VarintType
}
