package pbjson

import (
	"errors"
	"fmt"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// Parts of messages.
//
// A FieldEncoder and a OneofEncoder write one part of a message as JSON
// from the wire bytes of the whole message: the value of a field, or of
// the case of a oneof that is set. They find the part in the bytes and
// write only its bytes with the plans: the rest of the message is read as
// far as its wire structure and no further. Where the part's value depends
// on occurrences that merge (a message on the way, or the value itself,
// sent more than once), on a oneof member that another one cleared, or on
// a type the plans do not cover, the whole message is decoded and the
// value written by protojson, as [TypeEncoder.MarshalWire] does.
//
// The JSON of a value is what protojson writes for it as a member of its
// message: a message as its object (the well-known types as their own
// JSON), a list as an array, a map as an object, a scalar as its JSON
// value. A value that is not set is written as the field's default: an
// empty message, list or map, or the scalar's default value.

// A FieldEncoder writes the value of one field of messages of a type, at a
// path of singular message fields, as JSON. It is safe for concurrent use.
type FieldEncoder struct {
	t    *TypeEncoder
	path []protoreflect.FieldDescriptor
	// plans and fields are the plans along path and their fields; nil when
	// a plan on the way is not covered.
	plans  []*encPlan
	fields []*encField
}

// Field returns the encoder of the field at path in messages of t's type:
// path[0] is a field of the type, and each further field a field of the
// message type of the one before it, which must be a singular message
// field.
func (t *TypeEncoder) Field(path ...protoreflect.FieldDescriptor) (*FieldEncoder, error) {
	if len(path) == 0 {
		return nil, errors.New("pbjson: an empty field path")
	}
	md := t.mt.Descriptor()
	for i, fd := range path {
		if fd.IsExtension() || md.Fields().ByNumber(fd.Number()) != fd {
			return nil, fmt.Errorf("pbjson: %s is not a field of %s", fd.FullName(), md.FullName())
		}
		if err := partOf(md); err != nil {
			return nil, err
		}
		if i == len(path)-1 {
			break
		}
		if fd.Message() == nil || fd.IsList() || fd.IsMap() {
			return nil, fmt.Errorf("pbjson: %s is not a singular message field", fd.FullName())
		}
		md = fd.Message()
	}
	f := &FieldEncoder{t: t, path: path}
	p := t.plan
	for _, fd := range path {
		if p.unsupported != nil {
			// Its fields are not compiled; the plans of the value are
			// checked as they are met.
			f.plans, f.fields = nil, nil
			return f, nil
		}
		field := p.field(fd.Number())
		f.plans, f.fields = append(f.plans, p), append(f.fields, field)
		p = field.msg
	}
	return f, nil
}

// MarshalWire appends the JSON of the field's value in the message whose
// wire bytes are wire to dst. It fails as [TypeEncoder.MarshalWire] does
// for what it writes, and on malformed wire bytes of the message.
func (f *FieldEncoder) MarshalWire(dst, wire []byte) ([]byte, error) {
	out, err := f.MarshalWireNoFallback(dst, wire)
	if !errors.Is(err, ErrNotCovered) {
		return out, err
	}
	m, err := f.t.e.decodeWire(f.t.mt, wire)
	if err != nil {
		return dst, err
	}
	msg := m.ProtoReflect()
	for _, fd := range f.path[:len(f.path)-1] {
		if !msg.Has(fd) {
			msg = msg.NewField(fd).Message()
			continue
		}
		msg = msg.Get(fd).Message()
	}
	return f.t.e.fallbackValue(dst, msg, f.path[len(f.path)-1])
}

// MarshalWireNoFallback is MarshalWire without protojson: where the plans
// do not cover the value, it returns ErrNotCovered. It tells what the
// plans cover, to tests and measurements.
func (f *FieldEncoder) MarshalWireNoFallback(dst, wire []byte) ([]byte, error) {
	if f.fields == nil {
		return dst, ErrNotCovered
	}
	return f.t.e.transcodePart(dst, func(s *encState) error { return s.pathValue(f.plans, f.fields, wire) })
}

// A OneofEncoder writes the value of the case that is set of one oneof of
// messages of a type as JSON. It is safe for concurrent use.
type OneofEncoder struct {
	t    *TypeEncoder
	od   protoreflect.OneofDescriptor
	plan *encPlan // nil when the plans do not cover the type
}

// Oneof returns the encoder of the oneof od of t's type, which must not
// be synthetic (the oneof of a proto3 optional field).
func (t *TypeEncoder) Oneof(od protoreflect.OneofDescriptor) (*OneofEncoder, error) {
	md := t.mt.Descriptor()
	if od.Parent() != md || md.Oneofs().Get(od.Index()) != od {
		return nil, fmt.Errorf("pbjson: %s is not a oneof of %s", od.FullName(), md.FullName())
	}
	if od.IsSynthetic() {
		return nil, fmt.Errorf("pbjson: %s is the oneof of an optional field", od.FullName())
	}
	if err := partOf(md); err != nil {
		return nil, err
	}
	o := &OneofEncoder{t: t, od: od}
	if t.plan.unsupported == nil {
		o.plan = t.plan
	}
	return o, nil
}

// MarshalWire appends the JSON of the value of the case that is set in the
// message whose wire bytes are wire to dst, and returns that case's field.
// When no case is set, it returns dst and a nil field. It fails as
// [TypeEncoder.MarshalWire] does for what it writes, and on malformed wire
// bytes of the message.
func (o *OneofEncoder) MarshalWire(dst, wire []byte) (_ []byte, set protoreflect.FieldDescriptor, err error) {
	out, set, err := o.MarshalWireNoFallback(dst, wire)
	if !errors.Is(err, ErrNotCovered) {
		return out, set, err
	}
	m, err := o.t.e.decodeWire(o.t.mt, wire)
	if err != nil {
		return dst, nil, err
	}
	msg := m.ProtoReflect()
	fd := msg.WhichOneof(o.od)
	if fd == nil {
		return dst, nil, nil
	}
	if out, err = o.t.e.fallbackValue(dst, msg, fd); err != nil {
		return dst, nil, err
	}
	return out, fd, nil
}

// MarshalWireNoFallback is MarshalWire without protojson: where the plans
// do not cover the value, it returns ErrNotCovered. It tells what the
// plans cover, to tests and measurements.
func (o *OneofEncoder) MarshalWireNoFallback(dst, wire []byte) (_ []byte, set protoreflect.FieldDescriptor, err error) {
	if o.plan == nil {
		return dst, nil, ErrNotCovered
	}
	out, err := o.t.e.transcodePart(dst, func(s *encState) error {
		set, err = s.oneofValue(o.plan, o.od.Index(), wire)
		return err
	})
	if err != nil {
		return dst, nil, err
	}
	return out, set, nil
}

// partOf refuses to take parts of a message type that JSON writes in a
// form of its own, a well-known type or a MessageSet.
func partOf(md protoreflect.MessageDescriptor) error {
	if isWellKnown(md.FullName()) || encIsMessageSet(md) {
		return fmt.Errorf("pbjson: %s is written whole in JSON: its fields have no JSON of their own", md.FullName())
	}
	return nil
}

// transcodePart runs write, which writes a part of a message, with a state
// of e whose output starts at dst.
func (e *Encoder) transcodePart(dst []byte, write func(s *encState) error) ([]byte, error) {
	s := e.states.Get().(*encState)
	s.out = dst
	s.checkRequired = !e.opts.AllowPartial
	err := write(s)
	out := s.out
	s.reset()
	e.states.Put(s)
	if err != nil {
		return dst, err
	}
	return out, nil
}

// pathValue writes the value of fields[len(fields)-1], reached through the
// singular message fields before it, in b, a message of plans[0].
func (s *encState) pathValue(plans []*encPlan, fields []*encField, b []byte) error {
	last := len(fields) - 1
	for k, f := range fields {
		base, oneofs, err := s.scanMessage(plans[k], b)
		if err != nil {
			return err
		}
		i, j, err := s.entriesOf(f, base, oneofs)
		if err != nil || k == last {
			if err == nil {
				err = s.partValue(f, i, j)
			}
			s.pop(base, oneofs)
			return err
		}
		switch {
		case i == j:
			// An unset message: the value is the default.
			s.pop(base, oneofs)
			return s.partValue(fields[last], 0, 0)
		case j-i > 1:
			s.pop(base, oneofs)
			return ErrNotCovered // the occurrences merge
		}
		b = s.entries[i].val
		s.pop(base, oneofs)
	}
	return nil
}

// oneofValue writes the value of the case that is set of the oneof
// numbered index in b, a message of plan p, and returns the case's field,
// or nil when no case is set.
func (s *encState) oneofValue(p *encPlan, index int, b []byte) (protoreflect.FieldDescriptor, error) {
	base, oneofs, err := s.scanMessage(p, b)
	if err != nil {
		return nil, err
	}
	defer s.pop(base, oneofs)
	winner := s.oneofs[oneofs+index]
	if winner < 0 {
		return nil, nil
	}
	f := &p.fields[winner]
	i, j, err := s.entriesOf(f, base, oneofs)
	if err == nil {
		err = s.partValue(f, i, j)
	}
	if err != nil {
		return nil, err
	}
	return f.fd, nil
}

// entriesOf returns where the entries of field f are among those of a
// message, s.entries[base:]: none (i == j) when the field does not occur,
// or occurs as a member of a oneof that a later member cleared.
func (s *encState) entriesOf(f *encField, base, oneofs int) (i, j int, err error) {
	i = base
	for i < len(s.entries) && s.entries[i].f != f {
		i++
	}
	j = i
	for j < len(s.entries) && s.entries[j].f == f {
		j++
	}
	if j > i && f.oneof >= 0 && s.oneofs[oneofs+int(f.oneof)] != f.index {
		if f.msg != nil {
			return 0, 0, ErrNotCovered // the decoder checks what is dropped
		}
		return i, i, nil
	}
	return i, j, nil
}

// partValue writes the value of field f whose entries are s.entries[i:j], or
// its default when there are none.
func (s *encState) partValue(f *encField, i, j int) error {
	switch {
	case f.isMap:
		if i == j {
			s.out = append(s.out, "{}"...)
			return nil
		}
		return s.mapValue(f, i, j)
	case f.list:
		if !s.listHasValues(i, j) {
			s.out = append(s.out, "[]"...)
			return nil
		}
		return s.list(f, i, j)
	case f.msg != nil:
		switch {
		case i == j:
			return s.message(f.msg, nil, nil)
		case j-i > 1:
			return ErrNotCovered // the occurrences merge
		}
		return s.message(f.msg, s.entries[i].val, nil)
	}
	var err error
	if i == j {
		num, raw := encDefault(f.fd)
		s.out, err = encAppendScalar(s.out, f, num, raw)
		return err
	}
	last := s.entries[j-1]
	s.out, err = encAppendScalar(s.out, f, last.num, last.val)
	return err
}
