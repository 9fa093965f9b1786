package pbjson

import (
	"fmt"
	"slices"

	"google.golang.org/protobuf/encoding/protowire"
)

// encState is the work space of writing one message: the output, and
// stacks of the entries, oneof slots and map items of the messages being
// written, each message's above its parent's. Encoders pool them.
type encState struct {
	e       *Encoder
	out     []byte
	entries []encEntry
	oneofs  []int32
	items   []encMapItem
	depth   int
	// checkRequired is false without AllowPartial, and inside Any values,
	// whose required fields protojson does not check.
	checkRequired bool
}

// encMaxKeptEntries bounds the stacks a pooled state keeps.
const encMaxKeptEntries = 4096

// reset empties s for reuse, dropping stacks that grew large.
func (s *encState) reset() {
	s.out = nil
	s.depth = 0
	if cap(s.entries) > encMaxKeptEntries {
		s.entries = nil
	}
	if cap(s.items) > encMaxKeptEntries {
		s.items = nil
	}
	s.entries, s.oneofs, s.items = s.entries[:0], s.oneofs[:0], s.items[:0]
}

// message writes the message of plan p whose wire bytes are b. typeURL,
// when not nil, is written first as "@type", for the value of an Any.
func (s *encState) message(p *encPlan, b []byte, typeURL []byte) error {
	if s.depth++; s.depth > encMaxDepth {
		return encErrDepth
	}
	var err error
	switch {
	case p.unsupported != nil:
		err = ErrNotCovered
	case p.wkt != encWKTNone && typeURL == nil:
		err = s.wellKnown(p, b)
	default:
		err = s.fields(p, b, typeURL)
	}
	s.depth--
	return err
}

// fields writes the fields of a message of plan p as a JSON object.
func (s *encState) fields(p *encPlan, b []byte, typeURL []byte) error {
	base, oneofs, err := s.scanMessage(p, b)
	if err != nil {
		return err
	}
	err = s.members(p, base, oneofs, typeURL)
	s.pop(base, oneofs)
	return err
}

// members writes the fields whose entries are s.entries[base:] as a JSON
// object.
func (s *encState) members(p *encPlan, base, oneofs int, typeURL []byte) error {
	s.out = append(s.out, '{')
	first := true
	if typeURL != nil {
		s.out = append(s.out, `"@type":`...)
		var err error
		if s.out, err = encAppendString(s.out, typeURL); err != nil {
			return err
		}
		first = false
	}
	end := len(s.entries)
	i := base
	for fi := range p.fields {
		f := &p.fields[fi]
		j := i
		for j < end && s.entries[j].f == f {
			j++
		}
		if j == i {
			if f.required && s.checkRequired {
				return fmt.Errorf("required field %s not set", f.fd.FullName())
			}
			if f.absent != nil {
				s.comma(&first)
				s.out = append(s.out, f.absent...)
			}
			continue
		}
		if f.oneof >= 0 && s.oneofs[oneofs+int(f.oneof)] != f.index {
			// Another member of the oneof came later and cleared it.
			if f.msg != nil {
				return ErrNotCovered // the decoder checks what is dropped
			}
			i = j
			continue
		}
		if err := s.field(f, i, j, &first); err != nil {
			return err
		}
		i = j
	}
	for i < end { // extensions, ordered by full name
		f := s.entries[i].f
		j := i + 1
		for j < end && s.entries[j].f == f {
			j++
		}
		if err := s.field(f, i, j, &first); err != nil {
			return err
		}
		i = j
	}
	s.out = append(s.out, '}')
	return nil
}

// scanMessage scans b into entries ordered as protojson writes fields, and
// returns where its entries and oneof slots start on their stacks.
func (s *encState) scanMessage(p *encPlan, b []byte) (base, oneofs int, err error) {
	base, oneofs = len(s.entries), len(s.oneofs)
	for range p.oneofs {
		s.oneofs = append(s.oneofs, -1)
	}
	ordered, err := s.scan(p, b, oneofs)
	if err != nil {
		s.pop(base, oneofs)
		return 0, 0, err
	}
	if !ordered {
		slices.SortStableFunc(s.entries[base:], encCompareEntries)
	}
	return base, oneofs, nil
}

// pop drops the entries and oneof slots of a message.
func (s *encState) pop(base, oneofs int) {
	clear(s.entries[base:]) // no references kept into the wire bytes
	s.entries = s.entries[:base]
	s.oneofs = s.oneofs[:oneofs]
}

// comma writes the separator before a member unless it is the first.
func (s *encState) comma(first *bool) {
	if *first {
		*first = false
		return
	}
	s.out = append(s.out, ',')
}

// field writes the field f whose entries are s.entries[i:j], if protojson
// writes it.
func (s *encState) field(f *encField, i, j int, first *bool) error {
	switch {
	case f.isMap:
		s.comma(first)
		s.out = append(s.out, f.name...)
		return s.mapValue(f, i, j)
	case f.list:
		if !s.listHasValues(i, j) {
			if f.absent != nil {
				s.comma(first)
				s.out = append(s.out, f.absent...)
			}
			return nil
		}
		s.comma(first)
		s.out = append(s.out, f.name...)
		return s.list(f, i, j)
	case f.msg != nil:
		if j-i > 1 {
			return ErrNotCovered // the occurrences merge
		}
		s.comma(first)
		s.out = append(s.out, f.name...)
		return s.message(f.msg, s.entries[i].val, nil)
	}
	last := s.entries[j-1]
	if !f.presence && encIsZero(f, last.num, last.val) {
		// Without presence, a zero value is no value.
		if f.absent != nil {
			s.comma(first)
			s.out = append(s.out, f.absent...)
		}
		return nil
	}
	s.comma(first)
	s.out = append(s.out, f.name...)
	var err error
	s.out, err = encAppendScalar(s.out, f, last.num, last.val)
	return err
}

// listHasValues reports whether entries i to j of a repeated field hold a
// value: an unpacked one, or a packed run that is not empty.
func (s *encState) listHasValues(i, j int) bool {
	for _, e := range s.entries[i:j] {
		if !(e.wt == protowire.BytesType && e.f.packable && len(e.val) == 0) {
			return true
		}
	}
	return false
}

// list writes the values of a repeated field as a JSON array.
func (s *encState) list(f *encField, i, j int) error {
	s.out = append(s.out, '[')
	first := true
	for k := i; k < j; k++ {
		e := s.entries[k]
		var err error
		switch {
		case e.wt == protowire.BytesType && f.packable:
			err = s.packed(f, e.val, &first)
		case f.msg != nil:
			s.comma(&first)
			err = s.message(f.msg, e.val, nil)
		default:
			s.comma(&first)
			s.out, err = encAppendScalar(s.out, f, e.num, e.val)
		}
		if err != nil {
			return err
		}
	}
	s.out = append(s.out, ']')
	return nil
}

// packed writes the values of a packed run.
func (s *encState) packed(f *encField, b []byte, first *bool) error {
	for len(b) > 0 {
		var v uint64
		var n int
		switch f.wt {
		case protowire.VarintType:
			v, n = protowire.ConsumeVarint(b)
		case protowire.Fixed32Type:
			var v32 uint32
			v32, n = protowire.ConsumeFixed32(b)
			v = uint64(v32)
		case protowire.Fixed64Type:
			v, n = protowire.ConsumeFixed64(b)
		}
		if n < 0 {
			return encErrDecode
		}
		b = b[n:]
		s.comma(first)
		var err error
		if s.out, err = encAppendScalar(s.out, f, v, nil); err != nil {
			return err
		}
	}
	return nil
}
