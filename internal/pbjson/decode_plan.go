package pbjson

import (
	"sync"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"
)

// DecodePlans caches the decoding plans of message types, compiled once
// per message descriptor. It is safe for concurrent use.
type DecodePlans struct {
	mu    sync.Mutex // serialises compiling
	plans sync.Map   // protoreflect.MessageDescriptor → *decodePlan (nil: protojson only)
}

// NewDecodePlans returns an empty cache of decoding plans.
func NewDecodePlans() *DecodePlans { return &DecodePlans{} }

// plan returns the plan of md, compiling it on first use; nil means that
// messages of md are decoded by protojson as a whole.
func (p *DecodePlans) plan(md protoreflect.MessageDescriptor) *decodePlan {
	if v, ok := p.plans.Load(md); ok {
		return v.(*decodePlan)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if v, ok := p.plans.Load(md); ok {
		return v.(*decodePlan)
	}
	c := decodeCompiler{plans: map[protoreflect.MessageDescriptor]*decodePlan{}}
	plan := c.message(md)
	p.plans.Store(md, plan)
	return plan
}

// decodePlan reads the JSON object of one message type.
type decodePlan struct {
	// names finds the field of every name protojson accepts for a
	// field: its JSON name or its proto name.
	names fieldNames
	// fieldWords and words size the bit sets of seen fields and oneofs.
	fieldWords, words int
}

// field returns the field that protojson finds by name, or nil.
func (p *decodePlan) field(name []byte) *decodeField {
	return p.names.find(name)
}

// decodeField reads one field.
type decodeField struct {
	num   protowire.Number
	index int // the field's bit in the set of seen fields
	oneof int // the bit of its oneof (synthetic ones included), or -1
	list  bool
	isMap bool
	// keepNull: JSON null is not "unset" but a value (or, for a list,
	// an error) as for google.protobuf.Value and NullValue.
	keepNull bool
	// scalar: a singular field of a scalar kind, read by a short path;
	// integer: one of an integer kind, by a shorter one.
	scalar, integer bool
	// tag is the field's tag with the wire type of its values.
	tag   uint64
	value decodeValue // the value, each element, or each map value
	key   decodeValue // map keys
}

// decodeValue reads one value of a field.
type decodeValue struct {
	kind protoreflect.Kind
	wire protowire.Type
	msg  *decodePlan // message and group kinds with a plan
	// wkt is the type of a well-known type, read by protojson.
	wkt protoreflect.MessageType
	// protojsonOnly: any value of this field is left to protojson (a
	// message type that has no plan).
	protojsonOnly bool
	enum          *decodeEnum
	// nullable: null is a value (google.protobuf.Value, NullValue).
	nullable bool
}

// decodeEnum reads enum values.
type decodeEnum struct {
	names map[string]int32
	// numbers holds the values of a closed enum, whose other numbers
	// protojson stores as values but proto.Unmarshal as unknown fields.
	numbers map[int32]bool
	closed  bool
}

// decodeCompiler compiles the plans of a message type and of the types it
// reaches.
type decodeCompiler struct {
	plans map[protoreflect.MessageDescriptor]*decodePlan
}

// isWellKnown reports whether protojson reads messages of the named type
// in a form of their own.
func isWellKnown(name protoreflect.FullName) bool {
	switch name {
	case "google.protobuf.Any", "google.protobuf.Timestamp", "google.protobuf.Duration",
		"google.protobuf.BoolValue", "google.protobuf.Int32Value", "google.protobuf.Int64Value",
		"google.protobuf.UInt32Value", "google.protobuf.UInt64Value", "google.protobuf.FloatValue",
		"google.protobuf.DoubleValue", "google.protobuf.StringValue", "google.protobuf.BytesValue",
		"google.protobuf.Struct", "google.protobuf.ListValue", "google.protobuf.Value",
		"google.protobuf.FieldMask", "google.protobuf.Empty":
		return true
	}
	return false
}

const (
	valueTypeName     = "google.protobuf.Value"
	nullValueEnumName = "google.protobuf.NullValue"
)

// message returns the plan of md, or nil for a type protojson reads as a
// whole: a well-known type, or a message set.
func (c *decodeCompiler) message(md protoreflect.MessageDescriptor) *decodePlan {
	if isWellKnown(md.FullName()) || isMessageSet(md) {
		return nil
	}
	if p, ok := c.plans[md]; ok {
		return p
	}
	fields := md.Fields()
	fieldWords := (fields.Len() + 63) / 64
	p := &decodePlan{
		fieldWords: fieldWords,
		words:      fieldWords + (md.Oneofs().Len()+63)/64,
	}
	c.plans[md] = p
	byField := make(map[protoreflect.FieldDescriptor]*decodeField, fields.Len())
	for i := range fields.Len() {
		byField[fields.Get(i)] = c.field(fields.Get(i))
	}
	// protojson looks a name up as a JSON name first, then as a proto
	// name.
	names := make(map[string]*decodeField, 2*fields.Len())
	for i := range fields.Len() {
		fd := fields.Get(i)
		for _, name := range []string{fd.JSONName(), string(fd.TextName())} {
			target := fields.ByJSONName(name)
			if target == nil {
				target = fields.ByTextName(name)
			}
			if target != nil {
				names[name] = byField[target]
			}
		}
	}
	p.names = newFieldNames(names)
	return p
}

func (c *decodeCompiler) field(fd protoreflect.FieldDescriptor) *decodeField {
	f := &decodeField{
		num:   fd.Number(),
		index: fd.Index(),
		oneof: -1,
		list:  fd.IsList(),
		isMap: fd.IsMap(),
	}
	if od := fd.ContainingOneof(); od != nil {
		f.oneof = od.Index()
	}
	switch {
	case fd.Message() != nil && fd.Message().FullName() == valueTypeName:
		f.keepNull = true
	case fd.Enum() != nil && fd.Enum().FullName() == nullValueEnumName:
		f.keepNull = true
	}
	if f.isMap {
		f.key = c.value(fd.MapKey())
		f.value = c.value(fd.MapValue())
	} else {
		f.value = c.value(fd)
	}
	f.tag = protowire.EncodeTag(f.num, f.value.wire)
	f.scalar = !f.list && !f.isMap && !f.keepNull && f.value.wire != protowire.StartGroupType &&
		f.value.kind != protoreflect.MessageKind
	f.integer = f.scalar && isInteger(f.value.kind)
	return f
}

func (c *decodeCompiler) value(fd protoreflect.FieldDescriptor) decodeValue {
	v := decodeValue{kind: fd.Kind(), wire: wireType(fd.Kind())}
	switch fd.Kind() {
	case protoreflect.MessageKind, protoreflect.GroupKind:
		md := fd.Message()
		switch {
		case isWellKnown(md.FullName()):
			v.wkt = dynamicpb.NewMessageType(md)
			v.nullable = md.FullName() == valueTypeName
		default:
			v.msg = c.message(md)
			v.protojsonOnly = v.msg == nil
		}
	case protoreflect.EnumKind:
		ed := fd.Enum()
		e := &decodeEnum{names: map[string]int32{}, closed: ed.IsClosed()}
		if e.closed {
			e.numbers = map[int32]bool{}
		}
		values := ed.Values()
		for i := range values.Len() {
			ev := values.Get(i)
			e.names[string(ev.Name())] = int32(ev.Number())
			if e.closed {
				e.numbers[int32(ev.Number())] = true
			}
		}
		v.enum = e
		v.nullable = ed.FullName() == nullValueEnumName
	}
	return v
}

// isMessageSet reports whether md is a proto1 message set, which protojson
// refuses.
func isMessageSet(md protoreflect.MessageDescriptor) bool {
	opts, ok := md.Options().(*descriptorpb.MessageOptions)
	return ok && opts.GetMessageSetWireFormat()
}

// wireType is the wire type of one value of kind k.
func wireType(k protoreflect.Kind) protowire.Type {
	switch k {
	case protoreflect.BoolKind, protoreflect.EnumKind,
		protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Uint32Kind,
		protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Uint64Kind:
		return protowire.VarintType
	case protoreflect.Fixed32Kind, protoreflect.Sfixed32Kind, protoreflect.FloatKind:
		return protowire.Fixed32Type
	case protoreflect.Fixed64Kind, protoreflect.Sfixed64Kind, protoreflect.DoubleKind:
		return protowire.Fixed64Type
	case protoreflect.GroupKind:
		return protowire.StartGroupType
	default:
		return protowire.BytesType
	}
}

// isInteger reports whether k is one of the integer kinds.
func isInteger(k protoreflect.Kind) bool {
	switch k {
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Uint32Kind,
		protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Uint64Kind,
		protoreflect.Fixed32Kind, protoreflect.Sfixed32Kind,
		protoreflect.Fixed64Kind, protoreflect.Sfixed64Kind:
		return true
	}
	return false
}

// packable reports whether a repeated field of kind k can be packed.
func packable(k protoreflect.Kind) bool {
	switch wireType(k) {
	case protowire.VarintType, protowire.Fixed32Type, protowire.Fixed64Type:
		return true
	}
	return false
}
