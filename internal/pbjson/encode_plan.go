package pbjson

import (
	"fmt"
	"strconv"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// encPlan is how the wire bytes of one message type become JSON: its
// fields by number, each with its JSON name and how its values are
// written. Plans are compiled once per type and shared; they are never
// changed once compiled.
type encPlan struct {
	md  protoreflect.MessageDescriptor
	wkt encWKT
	// fields are the message's fields in declaration order, the order
	// protojson writes them in.
	fields []encField
	// byNumber maps small field numbers to 1 + their index in fields (0:
	// no such field); larger numbers are in byLargeNumber.
	byNumber      []int32
	byLargeNumber map[protowire.Number]int32
	// oneofs is the number of the message's oneofs, synthetic ones
	// included, so that a oneof's index addresses its slot.
	oneofs int
	// extensible tells that the message has extension ranges.
	extensible bool
	// unsupported, when not nil, says why protojson writes this type.
	unsupported error
}

// encField is one field of a plan, or an extension.
type encField struct {
	fd    protoreflect.FieldDescriptor
	index int32 // declaration index; -1 for an extension
	kind  protoreflect.Kind
	wt    protowire.Type // the wire type of one value
	// name is the quoted JSON name and a colon; absent is what is written
	// for the field when it has no value: nothing (""), or the name and
	// null, [], {} or the zero value, as the options ask.
	name, absent []byte
	list, isMap  bool
	packable     bool // a repeated scalar, which may come packed
	presence     bool // the field keeps a zero value it was given
	required     bool
	utf8         bool  // its strings are checked for UTF-8 when decoded
	oneof        int32 // index of its (non-synthetic) oneof, or -1
	msg          *encPlan
	enum         *encEnum
	key, val     *encField // a map's key and value
}

// field returns the field numbered num, or nil.
func (p *encPlan) field(num protowire.Number) *encField {
	var i int32
	if int(num) < len(p.byNumber) {
		i = p.byNumber[num]
	} else {
		i = p.byLargeNumber[num]
	}
	if i == 0 {
		return nil
	}
	return &p.fields[i-1]
}

// encSmallNumbers bounds the field numbers a plan looks up in a slice.
const encSmallNumbers = 256

// compilePlan returns the plan of md, compiling it and the plans it refers
// to. e.mu is held.
func (e *Encoder) compilePlan(md protoreflect.MessageDescriptor) *encPlan {
	if p, ok := e.plans[md]; ok {
		return p
	}
	p := &encPlan{md: md, oneofs: md.Oneofs().Len(), extensible: md.ExtensionRanges().Len() > 0}
	e.plans[md] = p // before the fields, for recursive types
	if encIsMessageSet(md) {
		p.unsupported = fmt.Errorf("%s is a MessageSet", md.FullName())
		return p
	}
	var err error
	if p.wkt, err = encWellKnown(md); err != nil {
		p.unsupported = err
		return p
	}
	fields := md.Fields()
	p.fields = make([]encField, fields.Len())
	for i := range fields.Len() {
		fd := fields.Get(i)
		if err := e.compileField(&p.fields[i], fd, int32(i)); err != nil {
			p.unsupported = err
			return p
		}
		num := fd.Number()
		if num < encSmallNumbers {
			if p.byNumber == nil {
				p.byNumber = make([]int32, encSmallNumbers)
			}
			p.byNumber[num] = int32(i + 1)
			continue
		}
		if p.byLargeNumber == nil {
			p.byLargeNumber = map[protowire.Number]int32{}
		}
		p.byLargeNumber[num] = int32(i + 1)
	}
	if n := encUsedNumbers(p.byNumber); n < len(p.byNumber) {
		p.byNumber = p.byNumber[:n:n]
	}
	return p
}

// encUsedNumbers returns the length of byNumber up to its last field.
func encUsedNumbers(byNumber []int32) int {
	n := len(byNumber)
	for n > 0 && byNumber[n-1] == 0 {
		n--
	}
	return n
}

// encIsMessageSet reports whether md uses the MessageSet wire format,
// which protojson refuses, as protobuf-go tells it.
func encIsMessageSet(md protoreflect.MessageDescriptor) bool {
	x, ok := md.(interface{ IsMessageSet() bool })
	return ok && x.IsMessageSet()
}

// compileField fills f for fd, the index-th field of its message (-1 for
// an extension). e.mu is held.
func (e *Encoder) compileField(f *encField, fd protoreflect.FieldDescriptor, index int32) error {
	*f = encField{
		fd:       fd,
		index:    index,
		kind:     fd.Kind(),
		wt:       encWireType(fd.Kind()),
		list:     fd.IsList(),
		isMap:    fd.IsMap(),
		presence: fd.HasPresence(),
		// Required as proto.CheckInitialized tells it for a dynamic
		// message.
		required: !fd.IsExtension() && fd.ContainingMessage().RequiredNumbers().Has(fd.Number()),
		utf8:     encEnforceUTF8(fd),
		oneof:    -1,
	}
	if fd.IsWeak() {
		return fmt.Errorf("%s is a weak field", fd.FullName())
	}
	if od := fd.ContainingOneof(); od != nil && !od.IsSynthetic() {
		f.oneof = int32(od.Index())
	}
	f.packable = f.list && f.wt != protowire.BytesType && f.wt != protowire.StartGroupType
	name := fd.JSONName()
	if e.opts.UseProtoNames {
		name = fd.TextName()
	}
	quoted, err := encAppendString(nil, []byte(name))
	if err != nil {
		return fmt.Errorf("the JSON name of %s: %w", fd.FullName(), err)
	}
	f.name = append(quoted, ':')

	switch {
	case f.isMap:
		entry := fd.Message()
		f.key, f.val = &encField{}, &encField{}
		if err := e.compileField(f.key, entry.Fields().ByNumber(1), 0); err != nil {
			return err
		}
		if err := e.compileField(f.val, entry.Fields().ByNumber(2), 1); err != nil {
			return err
		}
	case f.kind == protoreflect.MessageKind || f.kind == protoreflect.GroupKind:
		f.msg = e.compilePlan(fd.Message())
	case f.kind == protoreflect.EnumKind:
		f.enum = e.compileEnum(fd.Enum())
	}

	emitDefaults := e.opts.EmitUnpopulated || e.opts.EmitDefaultValues
	switch {
	case fd.ContainingOneof() != nil || fd.IsExtension():
		// protojson never writes an unset oneof member or extension.
	case f.list && emitDefaults:
		f.absent = append(f.name[:len(f.name):len(f.name)], "[]"...)
	case f.isMap && emitDefaults:
		f.absent = append(f.name[:len(f.name):len(f.name)], "{}"...)
	case f.list || f.isMap:
	case f.presence:
		if e.opts.EmitUnpopulated {
			f.absent = append(f.name[:len(f.name):len(f.name)], "null"...)
		}
	case emitDefaults:
		zero, err := encAppendScalar(f.name[:len(f.name):len(f.name)], f, 0, nil)
		if err != nil {
			return err
		}
		f.absent = zero
	}
	return nil
}

// compileExtension returns the field of an extension, compiling it.
func (e *Encoder) compileExtension(xd protoreflect.ExtensionTypeDescriptor) (*encField, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if f, ok := e.extensions[xd]; ok {
		return f, nil
	}
	f := &encField{}
	if err := e.compileField(f, xd, -1); err != nil {
		return nil, err
	}
	e.extensions[xd] = f
	return f, nil
}

// encWireType returns the wire type of one value of kind k.
func encWireType(k protoreflect.Kind) protowire.Type {
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
	}
	return protowire.BytesType
}

// encEnforceUTF8 reports whether protobuf-go's decoder checks the strings
// of fd for UTF-8, as its internal strs.EnforceUTF8 decides.
func encEnforceUTF8(fd protoreflect.FieldDescriptor) bool {
	if fd.Kind() != protoreflect.StringKind {
		return false
	}
	if fd.Syntax() == protoreflect.Editions {
		if x, ok := fd.(interface{ EnforceUTF8() bool }); ok {
			return x.EnforceUTF8()
		}
		return false
	}
	return fd.Syntax() == protoreflect.Proto3
}

// encEnum writes the values of one enum type.
type encEnum struct {
	// null tells google.protobuf.NullValue, whose values are all null.
	null bool
	// names holds the quoted name of small non-negative numbers ("" for
	// none); others are in largeNames. Both are nil when enums are written
	// as numbers.
	names      [][]byte
	largeNames map[protoreflect.EnumNumber][]byte
}

// compileEnum returns how the values of ed are written. e.mu is held.
func (e *Encoder) compileEnum(ed protoreflect.EnumDescriptor) *encEnum {
	if en, ok := e.enums[ed]; ok {
		return en
	}
	en := &encEnum{null: ed.FullName() == "google.protobuf.NullValue"}
	e.enums[ed] = en
	if e.opts.UseEnumNumbers || en.null {
		return en
	}
	values := ed.Values()
	for i := range values.Len() {
		num := values.Get(i).Number()
		// For aliases, protojson writes the name ByNumber returns.
		quoted, err := encAppendString(nil, []byte(values.ByNumber(num).Name()))
		if err != nil {
			continue // never: names are identifiers
		}
		if num >= 0 && num < encSmallNumbers {
			if int(num) >= len(en.names) {
				en.names = append(en.names, make([][]byte, int(num)+1-len(en.names))...)
			}
			en.names[num] = quoted
			continue
		}
		if en.largeNames == nil {
			en.largeNames = map[protoreflect.EnumNumber][]byte{}
		}
		en.largeNames[num] = quoted
	}
	return en
}

// appendValue appends the JSON of the enum value n: its name, or its
// number when it has none or names are not wanted, or null.
func (en *encEnum) appendValue(out []byte, n protoreflect.EnumNumber) []byte {
	if en.null {
		return append(out, "null"...)
	}
	var name []byte
	if n >= 0 && int(n) < len(en.names) {
		name = en.names[n]
	} else if en.largeNames != nil {
		name = en.largeNames[n]
	}
	if name == nil {
		return strconv.AppendInt(out, int64(n), 10)
	}
	return append(out, name...)
}
