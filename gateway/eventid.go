package gateway

import (
	"math"
	"strconv"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/ssegw/ssegw/internal/httprequest"
)

// Event ids.
//
// An event's id is the value of the method's id field in the message,
// read from the message's wire bytes, the same bytes that become the
// event's data: the message is not decoded, except in the rare cases where
// finding the value means merging messages.

// noExtensions resolves no extension; it is never changed.
var noExtensions = new(protoregistry.Types)

// appendWireID appends the text of the value at p in the message whose
// wire bytes are b, as p.AppendText does for the decoded message: the last
// value on the wire, or the default when it is not set. ok is false when
// the path runs through an unset message, or b is malformed. When the
// value depends on messages that merge or on oneofs that clear each other,
// the message is decoded as a message of type mt to find it.
func appendWireID(dst []byte, p httprequest.ScalarPath, b []byte, mt protoreflect.MessageType) (_ []byte, ok bool) {
	v, found, holderSet, st := scanWire(p, b)
	switch st {
	case scanMalformed:
		return dst, false
	case scanIntricate:
		// The id path runs through no extension: none is looked up.
		m := mt.New()
		if err := decodeBackendMessage(proto.UnmarshalOptions{AllowPartial: true, Resolver: noExtensions}, b, m.Interface()); err != nil {
			return dst, false
		}
		return p.AppendText(dst, m)
	}
	if !holderSet {
		return dst, false
	}
	fd := p[len(p)-1]
	if !found {
		return appendValueText(dst, fd, fd.Default()), true
	}
	switch fd.Kind() {
	case protoreflect.StringKind, protoreflect.BytesKind:
		return append(dst, v.raw...), true
	}
	return appendValueText(dst, fd, v.value(fd)), true
}

// wireValue is a scalar as read from the wire: a varint or fixed-size
// number, or the bytes of a string.
type wireValue struct {
	num uint64
	raw []byte
}

// value returns the value of fd that w holds.
func (w wireValue) value(fd protoreflect.FieldDescriptor) protoreflect.Value {
	switch fd.Kind() {
	case protoreflect.BoolKind:
		return protoreflect.ValueOfBool(w.num != 0)
	case protoreflect.EnumKind:
		return protoreflect.ValueOfEnum(protoreflect.EnumNumber(int32(w.num)))
	case protoreflect.Int32Kind, protoreflect.Sfixed32Kind:
		return protoreflect.ValueOfInt32(int32(w.num))
	case protoreflect.Sint32Kind:
		return protoreflect.ValueOfInt32(int32(protowire.DecodeZigZag(w.num & math.MaxUint32)))
	case protoreflect.Int64Kind, protoreflect.Sfixed64Kind:
		return protoreflect.ValueOfInt64(int64(w.num))
	case protoreflect.Sint64Kind:
		return protoreflect.ValueOfInt64(protowire.DecodeZigZag(w.num))
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return protoreflect.ValueOfUint32(uint32(w.num))
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return protoreflect.ValueOfUint64(w.num)
	case protoreflect.FloatKind:
		return protoreflect.ValueOfFloat32(math.Float32frombits(uint32(w.num)))
	case protoreflect.DoubleKind:
		return protoreflect.ValueOfFloat64(math.Float64frombits(w.num))
	}
	return protoreflect.Value{}
}

// What scanWire found of the bytes.
const (
	scanDone      = iota
	scanMalformed // the bytes are not a message
	scanIntricate // the value depends on merging or on oneofs: decode
)

// scanWire finds the last value of the path's field in b, a message
// holding p[0]. holderSet reports whether the message holding the last
// field is set. It gives up (scanIntricate) when a message on the path
// occurs more than once, as its occurrences merge, or when another member
// of a oneof on the path occurs, as it clears the field.
func scanWire(p httprequest.ScalarPath, b []byte) (v wireValue, found, holderSet bool, st int) {
	fd := p[0]
	wantType := wireTypeOf(fd.Kind())
	oneof := fd.ContainingOneof()
	if oneof != nil && oneof.IsSynthetic() {
		oneof = nil
	}
	holderSet = len(p) == 1
	seen := false // p[0] occurred, when it is a message
	for len(b) > 0 {
		num, wt, n := protowire.ConsumeTag(b)
		if n < 0 {
			return v, false, false, scanMalformed
		}
		b = b[n:]
		n = protowire.ConsumeFieldValue(num, wt, b)
		if n < 0 {
			return v, false, false, scanMalformed
		}
		val := b[:n]
		b = b[n:]
		if num != fd.Number() || wt != wantType {
			if other := oneofMember(oneof, num); other != nil && wt == wireTypeOf(other.Kind()) {
				return v, false, false, scanIntricate
			}
			continue
		}
		var w wireValue
		switch wt {
		case protowire.VarintType:
			w.num, _ = protowire.ConsumeVarint(val)
		case protowire.Fixed32Type:
			n32, _ := protowire.ConsumeFixed32(val)
			w.num = uint64(n32)
		case protowire.Fixed64Type:
			w.num, _ = protowire.ConsumeFixed64(val)
		case protowire.BytesType:
			w.raw, _ = protowire.ConsumeBytes(val)
		case protowire.StartGroupType:
			w.raw, _ = protowire.ConsumeGroup(num, val)
		}
		if len(p) == 1 {
			v, found = w, true
			continue
		}
		if seen {
			return v, false, false, scanIntricate // the occurrences merge
		}
		seen = true
		var cst int
		if v, found, holderSet, cst = scanWire(p[1:], w.raw); cst != scanDone {
			return v, false, false, cst
		}
	}
	return v, found, holderSet, scanDone
}

// oneofMember returns the member of oneof numbered num, or nil.
func oneofMember(oneof protoreflect.OneofDescriptor, num protowire.Number) protoreflect.FieldDescriptor {
	if oneof == nil {
		return nil
	}
	return oneof.Fields().ByNumber(num)
}

// wireTypeOf returns the wire type of a singular value of kind k.
func wireTypeOf(k protoreflect.Kind) protowire.Type {
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

// appendValueText appends the text of v, a value of fd, as
// httprequest.ScalarPath.AppendText writes it.
func appendValueText(dst []byte, fd protoreflect.FieldDescriptor, v protoreflect.Value) []byte {
	switch fd.Kind() {
	case protoreflect.StringKind:
		return append(dst, v.String()...)
	case protoreflect.BytesKind:
		return append(dst, v.Bytes()...)
	case protoreflect.BoolKind:
		return strconv.AppendBool(dst, v.Bool())
	case protoreflect.EnumKind:
		return strconv.AppendInt(dst, int64(v.Enum()), 10)
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind,
		protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return strconv.AppendInt(dst, v.Int(), 10)
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind, protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return strconv.AppendUint(dst, v.Uint(), 10)
	case protoreflect.FloatKind:
		return strconv.AppendFloat(dst, v.Float(), 'g', -1, 32)
	case protoreflect.DoubleKind:
		return strconv.AppendFloat(dst, v.Float(), 'g', -1, 64)
	}
	return dst
}
