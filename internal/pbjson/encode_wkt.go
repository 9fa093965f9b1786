package pbjson

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// encWKT tells the well-known types that protojson writes in a form of
// their own. google.protobuf.Empty is written as any message is.
type encWKT uint8

const (
	encWKTNone encWKT = iota
	encWKTAny
	encWKTTimestamp
	encWKTDuration
	encWKTWrapper
	encWKTStruct
	encWKTValue
	encWKTListValue
	encWKTFieldMask
)

// encFieldShape is a field a well-known type must have.
type encFieldShape struct {
	num  protowire.Number
	kind protoreflect.Kind
	card protoreflect.Cardinality
	msg  protoreflect.FullName // the message type of a message field
}

// encWellKnown returns which well-known type md is, by its full name as
// protojson tells them, and refuses a descriptor of that name whose fields
// are not the ones protojson reads.
func encWellKnown(md protoreflect.MessageDescriptor) (encWKT, error) {
	name := md.FullName()
	if name.Parent() != "google.protobuf" {
		return encWKTNone, nil
	}
	const opt, rep = protoreflect.Optional, protoreflect.Repeated
	var wkt encWKT
	var shape []encFieldShape
	switch name.Name() {
	case "Any":
		wkt, shape = encWKTAny, []encFieldShape{{1, protoreflect.StringKind, opt, ""}, {2, protoreflect.BytesKind, opt, ""}}
	case "Timestamp", "Duration":
		wkt, shape = encWKTTimestamp, []encFieldShape{{1, protoreflect.Int64Kind, opt, ""}, {2, protoreflect.Int32Kind, opt, ""}}
		if name.Name() == "Duration" {
			wkt = encWKTDuration
		}
	case "BoolValue":
		wkt, shape = encWKTWrapper, []encFieldShape{{1, protoreflect.BoolKind, opt, ""}}
	case "Int32Value":
		wkt, shape = encWKTWrapper, []encFieldShape{{1, protoreflect.Int32Kind, opt, ""}}
	case "Int64Value":
		wkt, shape = encWKTWrapper, []encFieldShape{{1, protoreflect.Int64Kind, opt, ""}}
	case "UInt32Value":
		wkt, shape = encWKTWrapper, []encFieldShape{{1, protoreflect.Uint32Kind, opt, ""}}
	case "UInt64Value":
		wkt, shape = encWKTWrapper, []encFieldShape{{1, protoreflect.Uint64Kind, opt, ""}}
	case "FloatValue":
		wkt, shape = encWKTWrapper, []encFieldShape{{1, protoreflect.FloatKind, opt, ""}}
	case "DoubleValue":
		wkt, shape = encWKTWrapper, []encFieldShape{{1, protoreflect.DoubleKind, opt, ""}}
	case "StringValue":
		wkt, shape = encWKTWrapper, []encFieldShape{{1, protoreflect.StringKind, opt, ""}}
	case "BytesValue":
		wkt, shape = encWKTWrapper, []encFieldShape{{1, protoreflect.BytesKind, opt, ""}}
	case "Struct":
		wkt, shape = encWKTStruct, []encFieldShape{{1, protoreflect.MessageKind, rep, ""}}
	case "ListValue":
		wkt, shape = encWKTListValue, []encFieldShape{{1, protoreflect.MessageKind, rep, "google.protobuf.Value"}}
	case "Value":
		wkt, shape = encWKTValue, []encFieldShape{
			{1, protoreflect.EnumKind, opt, ""},
			{2, protoreflect.DoubleKind, opt, ""},
			{3, protoreflect.StringKind, opt, ""},
			{4, protoreflect.BoolKind, opt, ""},
			{5, protoreflect.MessageKind, opt, "google.protobuf.Struct"},
			{6, protoreflect.MessageKind, opt, "google.protobuf.ListValue"},
		}
	case "FieldMask":
		wkt, shape = encWKTFieldMask, []encFieldShape{{1, protoreflect.StringKind, rep, ""}}
	default:
		return encWKTNone, nil
	}
	fields := md.Fields()
	if fields.Len() != len(shape) {
		return wkt, fmt.Errorf("%s has %d fields, not %d", name, fields.Len(), len(shape))
	}
	for _, want := range shape {
		fd := fields.ByNumber(want.num)
		if fd == nil || fd.Kind() != want.kind || fd.Cardinality() != want.card ||
			(want.msg != "" && fd.Message().FullName() != want.msg) {
			return wkt, fmt.Errorf("%s: field %d is not as protojson expects", name, want.num)
		}
	}
	switch wkt {
	case encWKTStruct:
		fd := fields.ByNumber(1)
		if !fd.IsMap() || fd.MapKey().Kind() != protoreflect.StringKind ||
			fd.MapValue().Message() == nil || fd.MapValue().Message().FullName() != "google.protobuf.Value" {
			return wkt, fmt.Errorf("%s: field 1 is not a map of Values", name)
		}
	case encWKTValue:
		od := md.Oneofs().ByName("kind")
		if od == nil || od.Fields().Len() != len(shape) || od.IsSynthetic() {
			return wkt, fmt.Errorf("%s: the oneof kind is not as protojson expects", name)
		}
	}
	return wkt, nil
}

// Ranges of the well-known types, as protojson checks them.
const (
	encMaxDurationSeconds  = 315576000000
	encMaxNanos            = 999999999
	encMinTimestampSeconds = -62135596800
	encMaxTimestampSeconds = 253402300799
)

// wellKnown writes a well-known type of plan p in its JSON form.
func (s *encState) wellKnown(p *encPlan, b []byte) error {
	base, oneofs, err := s.scanMessage(p, b)
	if err != nil {
		return err
	}
	err = s.wellKnownEntries(p, base, oneofs)
	s.pop(base, oneofs)
	return err
}

// wellKnownEntries writes a well-known type whose entries are
// s.entries[base:].
func (s *encState) wellKnownEntries(p *encPlan, base, oneofs int) error {
	var err error
	end := len(s.entries)
	// last returns the last entry of field num, or a zero entry.
	last := func(num protowire.Number) encEntry {
		for k := end - 1; k >= base; k-- {
			if s.entries[k].f.fd.Number() == num {
				return s.entries[k]
			}
		}
		return encEntry{}
	}
	// span returns the entries of field num.
	span := func(num protowire.Number) (int, int) {
		i := base
		for i < end && s.entries[i].f.fd.Number() != num {
			i++
		}
		j := i
		for j < end && s.entries[j].f.fd.Number() == num {
			j++
		}
		return i, j
	}

	switch p.wkt {
	case encWKTAny:
		return s.any(p, last(1).val, last(2).val)
	case encWKTTimestamp:
		return s.timestamp(p, int64(last(1).num), int64(int32(last(2).num)))
	case encWKTDuration:
		return s.duration(p, int64(last(1).num), int64(int32(last(2).num)))
	case encWKTWrapper:
		v := last(1)
		s.out, err = encAppendScalar(s.out, &p.fields[0], v.num, v.val)
		return err
	case encWKTStruct:
		i, j := span(1)
		return s.mapValue(p.field(1), i, j)
	case encWKTListValue:
		i, j := span(1)
		return s.list(p.field(1), i, j)
	case encWKTFieldMask:
		i, j := span(1)
		return s.fieldMask(i, j)
	case encWKTValue:
		return s.value(p, base, end, s.oneofs[oneofs+int(p.fields[0].oneof)])
	}
	return ErrNotCovered
}

// any writes a google.protobuf.Any: "@type" and the fields of the value,
// or "@type" and "value" for a well-known type, or {} when it is empty.
func (s *encState) any(p *encPlan, typeURL, value []byte) error {
	if len(typeURL) == 0 {
		if len(value) == 0 {
			s.out = append(s.out, "{}"...)
			return nil
		}
		return fmt.Errorf("%s: type_url is not set", p.md.FullName())
	}
	mt, err := s.e.resolver.FindMessageByURL(string(typeURL))
	if err != nil {
		return fmt.Errorf("%s: unable to resolve %q: %w", p.md.FullName(), typeURL, err)
	}
	vp := s.e.plan(mt.Descriptor())
	check := s.checkRequired
	s.checkRequired = false // protojson decodes Any values with AllowPartial
	defer func() { s.checkRequired = check }()
	if vp.wkt == encWKTNone {
		return s.message(vp, value, typeURL)
	}
	if vp.unsupported != nil {
		return ErrNotCovered
	}
	s.out = append(s.out, `{"@type":`...)
	if s.out, err = encAppendString(s.out, typeURL); err != nil {
		return err
	}
	s.out = append(s.out, `,"value":`...)
	if err := s.message(vp, value, nil); err != nil {
		return err
	}
	s.out = append(s.out, '}')
	return nil
}

// timestamp writes a google.protobuf.Timestamp in RFC 3339 form, in UTC,
// with 0, 3, 6 or 9 fractional digits.
func (s *encState) timestamp(p *encPlan, secs, nanos int64) error {
	if secs < encMinTimestampSeconds || secs > encMaxTimestampSeconds {
		return fmt.Errorf("%s: seconds out of range %v", p.md.FullName(), secs)
	}
	if nanos < 0 || nanos > encMaxNanos {
		return fmt.Errorf("%s: nanos out of range %v", p.md.FullName(), nanos)
	}
	s.out = append(s.out, '"')
	s.out = time.Unix(secs, nanos).UTC().AppendFormat(s.out, "2006-01-02T15:04:05.000000000")
	s.out = encTrimFraction(s.out)
	s.out = append(s.out, `Z"`...)
	return nil
}

// duration writes a google.protobuf.Duration as seconds with 0, 3, 6 or 9
// fractional digits and an "s".
func (s *encState) duration(p *encPlan, secs, nanos int64) error {
	if secs < -encMaxDurationSeconds || secs > encMaxDurationSeconds {
		return fmt.Errorf("%s: seconds out of range %v", p.md.FullName(), secs)
	}
	if nanos < -encMaxNanos || nanos > encMaxNanos {
		return fmt.Errorf("%s: nanos out of range %v", p.md.FullName(), nanos)
	}
	if (secs > 0 && nanos < 0) || (secs < 0 && nanos > 0) {
		return fmt.Errorf("%s: signs of seconds and nanos do not match", p.md.FullName())
	}
	s.out = append(s.out, '"')
	if secs < 0 || nanos < 0 {
		s.out = append(s.out, '-')
		secs, nanos = -secs, -nanos
	}
	s.out = strconv.AppendInt(s.out, secs, 10)
	var fraction [10]byte
	fraction[0] = '.'
	for i := 9; i > 0; i-- {
		fraction[i] = '0' + byte(nanos%10)
		nanos /= 10
	}
	s.out = encTrimFraction(append(s.out, fraction[:]...))
	s.out = append(s.out, `s"`...)
	return nil
}

// encTrimFraction drops trailing zeros of a nine-digit fraction at the end
// of b three at a time, and the fraction with its point when it is zero.
func encTrimFraction(b []byte) []byte {
	for range 2 {
		if n := len(b); n >= 3 && string(b[n-3:]) == "000" {
			b = b[:n-3]
		}
	}
	if n := len(b); n >= 4 && string(b[n-4:]) == ".000" {
		b = b[:n-4]
	}
	return b
}

// value writes a google.protobuf.Value: the member of its oneof that is
// set (winner, the index of the member that came last, or -1), written as
// that field is.
func (s *encState) value(p *encPlan, base, end int, winner int32) error {
	if winner < 0 {
		return fmt.Errorf("%s: none of the oneof fields is set", p.md.FullName())
	}
	f := &p.fields[winner]
	i, j := -1, -1
	for k := base; k < end; k++ {
		switch e := s.entries[k]; {
		case e.f == f:
			if i < 0 {
				i = k
			}
			j = k + 1
		case e.f.msg != nil:
			return ErrNotCovered // a message the decoder read and dropped
		}
	}
	if f.msg != nil {
		if j-i > 1 {
			return ErrNotCovered // the occurrences merge
		}
		return s.message(f.msg, s.entries[i].val, nil)
	}
	e := s.entries[j-1]
	if f.kind == protoreflect.DoubleKind {
		if v := math.Float64frombits(e.num); math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%s: invalid %v value", f.fd.FullName(), v)
		}
	}
	var err error
	s.out, err = encAppendScalar(s.out, f, e.num, e.val)
	return err
}

// fieldMask writes a google.protobuf.FieldMask: its paths in lowerCamelCase,
// joined by commas.
func (s *encState) fieldMask(i, j int) error {
	s.out = append(s.out, '"')
	for k := i; k < j; k++ {
		path := s.entries[k].val
		if !protoreflect.FullName(path).IsValid() {
			return fmt.Errorf("google.protobuf.FieldMask.paths contains invalid path: %q", path)
		}
		if k > i {
			s.out = append(s.out, ',')
		}
		start := len(s.out)
		s.out = encAppendCamelCase(s.out, path)
		if !encSnakeCaseOf(s.out[start:], path) {
			return fmt.Errorf("google.protobuf.FieldMask.paths contains irreversible value %q", path)
		}
	}
	s.out = append(s.out, '"')
	return nil
}

// encAppendCamelCase appends the lowerCamelCase form of a path, as
// protojson makes it: underscores dropped, a lower-case letter after one
// made upper-case.
func encAppendCamelCase(out, s []byte) []byte {
	underscore := false
	for _, c := range s {
		if c != '_' {
			if underscore && 'a' <= c && c <= 'z' {
				c -= 'a' - 'A'
			}
			out = append(out, c)
		}
		underscore = c == '_'
	}
	return out
}

// encSnakeCaseOf reports whether snake is what protojson turns camel back
// into: each upper-case letter as an underscore and the lower-case letter.
func encSnakeCaseOf(camel, snake []byte) bool {
	k := 0
	for _, c := range camel {
		if 'A' <= c && c <= 'Z' {
			if k >= len(snake) || snake[k] != '_' {
				return false
			}
			k++
			c += 'a' - 'A'
		}
		if k >= len(snake) || snake[k] != c {
			return false
		}
		k++
	}
	return k == len(snake)
}
