package pbjson

import (
	"encoding/json"
	"fmt"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// decodeWire decodes the message of type mt whose wire bytes are wire, as
// the plans read the wire format. A panic of the decoder, which some
// malformed bytes cause in protobuf-go's decoder of dynamic messages, is
// an error.
func (e *Encoder) decodeWire(mt protoreflect.MessageType, wire []byte) (m proto.Message, err error) {
	defer func() {
		if p := recover(); p != nil {
			m, err = nil, fmt.Errorf("%s: decoding failed: %v", mt.Descriptor().FullName(), p)
		}
	}()
	m = mt.New().Interface()
	if err := (proto.UnmarshalOptions{AllowPartial: true, Resolver: e.resolver}).Unmarshal(wire, m); err != nil {
		return nil, err
	}
	return m, nil
}

// fallbackValue writes the value of fd in m with protojson: a message
// value as a message; any other as the member of fd in the JSON of a copy
// of m that holds only fd, or as fd's default when m does not hold it.
func (e *Encoder) fallbackValue(dst []byte, m protoreflect.Message, fd protoreflect.FieldDescriptor) ([]byte, error) {
	if fd.Message() != nil && !fd.IsList() && !fd.IsMap() {
		sub := m.Get(fd).Message()
		if !m.Has(fd) {
			sub = m.NewField(fd).Message()
		}
		return e.fallbackMessage(dst, sub.Interface())
	}
	if !m.Has(fd) {
		switch {
		case fd.IsMap():
			return append(dst, "{}"...), nil
		case fd.IsList():
			return append(dst, "[]"...), nil
		}
	}
	holder := m.New()
	holder.Set(fd, m.Get(fd))
	opts := e.opts
	if !fd.IsList() && !fd.IsMap() {
		opts.EmitDefaultValues = true // a zero scalar is written too
	}
	if !opts.AllowPartial {
		// The holder's own required fields are not its value's.
		opts.AllowPartial = true
		if err := checkValueInitialized(m, fd); err != nil {
			return dst, err
		}
	}
	b, err := opts.Marshal(holder.Interface())
	if err != nil {
		return dst, err
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(b, &members); err != nil {
		return dst, err
	}
	name := fd.JSONName()
	if opts.UseProtoNames {
		name = fd.TextName()
	}
	v, ok := members[name]
	if !ok {
		return dst, fmt.Errorf("pbjson: protojson wrote no %s", fd.FullName())
	}
	n := len(dst)
	dst = append(dst, v...)
	return dst[:n+encCompact(dst[n:])], nil
}

// checkValueInitialized checks the required fields of the messages in the
// list or map value of fd in m.
func checkValueInitialized(m protoreflect.Message, fd protoreflect.FieldDescriptor) error {
	switch {
	case fd.IsList() && fd.Message() != nil:
		list := m.Get(fd).List()
		for i := range list.Len() {
			if err := proto.CheckInitialized(list.Get(i).Message().Interface()); err != nil {
				return err
			}
		}
	case fd.IsMap() && fd.MapValue().Message() != nil:
		var err error
		m.Get(fd).Map().Range(func(_ protoreflect.MapKey, v protoreflect.Value) bool {
			err = proto.CheckInitialized(v.Message().Interface())
			return err == nil
		})
		return err
	}
	return nil
}

// encDefault returns the default value of a scalar field as the wire holds
// it: a varint or fixed-size number, or the bytes of a string.
func encDefault(fd protoreflect.FieldDescriptor) (num uint64, raw []byte) {
	v := fd.Default()
	switch fd.Kind() {
	case protoreflect.BoolKind:
		if v.Bool() {
			return 1, nil
		}
	case protoreflect.Int32Kind, protoreflect.Int64Kind, protoreflect.Sfixed32Kind, protoreflect.Sfixed64Kind:
		return uint64(v.Int()), nil
	case protoreflect.Sint32Kind, protoreflect.Sint64Kind:
		return protowire.EncodeZigZag(v.Int()), nil
	case protoreflect.Uint32Kind, protoreflect.Uint64Kind, protoreflect.Fixed32Kind, protoreflect.Fixed64Kind:
		return v.Uint(), nil
	case protoreflect.FloatKind:
		return uint64(math.Float32bits(float32(v.Float()))), nil
	case protoreflect.DoubleKind:
		return math.Float64bits(v.Float()), nil
	case protoreflect.EnumKind:
		return uint64(int64(v.Enum())), nil
	case protoreflect.StringKind:
		return 0, []byte(v.String())
	case protoreflect.BytesKind:
		return 0, v.Bytes()
	}
	return 0, nil
}
