package pbjson

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// Errors of reading the wire format, as protobuf-go's decoder reports them.
var (
	encErrDecode = errors.New("cannot parse invalid wire-format data")
	encErrDepth  = errors.New("exceeded maximum recursion depth")
)

// ErrNotCovered is the error of [TypeEncoder.MarshalWireNoFallback] for a
// message that its type's plan does not cover.
var ErrNotCovered = errors.New("pbjson: the plan does not cover this message")

// encMaxDepth is protobuf-go's default recursion limit for decoding.
const encMaxDepth = protowire.DefaultRecursionLimit

// encEntry is one occurrence of a known field in a message's wire bytes.
type encEntry struct {
	f   *encField
	wt  protowire.Type
	num uint64 // a varint or fixed-size value
	val []byte // a length-delimited value, or a group's contents
}

// scan appends an entry for every occurrence of a known field in b, a
// message of plan p, to s.entries, and records the last member of each
// oneof in s.oneofs[oneofs:]. Unknown fields, and fields with another wire
// type than their declaration's, are skipped as protobuf-go's decoder
// keeps them aside. It reports whether the entries are in the order
// protojson writes fields in.
func (s *encState) scan(p *encPlan, b []byte, oneofs int) (ordered bool, err error) {
	ordered = true
	var prev *encField
	for len(b) > 0 {
		num, wt, n := protowire.ConsumeTag(b)
		if n < 0 || num > protowire.MaxValidNumber {
			return false, encErrDecode
		}
		b = b[n:]
		f := p.field(num)
		if f == nil && p.extensible && p.md.ExtensionRanges().Has(num) {
			if f, err = s.e.extension(p, num); err != nil {
				return false, err
			}
		}
		if f == nil || (wt != f.wt && !(f.packable && wt == protowire.BytesType)) {
			n = protowire.ConsumeFieldValue(num, wt, b)
			if n < 0 {
				return false, encErrDecode
			}
			b = b[n:]
			continue
		}
		e := encEntry{f: f, wt: wt}
		switch wt {
		case protowire.VarintType:
			e.num, n = protowire.ConsumeVarint(b)
		case protowire.Fixed32Type:
			var v uint32
			v, n = protowire.ConsumeFixed32(b)
			e.num = uint64(v)
		case protowire.Fixed64Type:
			e.num, n = protowire.ConsumeFixed64(b)
		case protowire.BytesType:
			e.val, n = protowire.ConsumeBytes(b)
			if n >= 0 && f.utf8 && !utf8.Valid(e.val) {
				return false, encFieldError(f, encErrInvalidUTF8)
			}
		case protowire.StartGroupType:
			e.val, n = protowire.ConsumeGroup(num, b)
		}
		if n < 0 {
			return false, encErrDecode
		}
		b = b[n:]
		if f.oneof >= 0 {
			s.oneofs[oneofs+int(f.oneof)] = f.index
		}
		if prev != nil && prev != f && encFieldAfter(prev, f) {
			ordered = false
		}
		prev = f
		s.entries = append(s.entries, e)
	}
	return ordered, nil
}

// encFieldAfter reports whether protojson writes field a after field b:
// fields in declaration order, then extensions by full name.
func encFieldAfter(a, b *encField) bool {
	switch {
	case a.index >= 0 && b.index >= 0:
		return a.index > b.index
	case a.index >= 0:
		return false
	case b.index >= 0:
		return true
	}
	return a.fd.FullName() > b.fd.FullName()
}

// encCompareEntries orders entries as protojson writes their fields,
// keeping the wire order of one field's entries when the sort is stable.
func encCompareEntries(a, b encEntry) int {
	switch {
	case a.f == b.f:
		return 0
	case encFieldAfter(a.f, b.f):
		return 1
	}
	return -1
}

// extension returns the extension of p's message numbered num, or nil when
// the resolver does not know it.
func (e *Encoder) extension(p *encPlan, num protowire.Number) (*encField, error) {
	xt, err := e.resolver.FindExtensionByNumber(p.md.FullName(), num)
	switch {
	case errors.Is(err, protoregistry.NotFound):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("%v: unable to resolve extension %v: %w", p.md.FullName(), num, err)
	}
	xd := xt.TypeDescriptor()
	if xd.ContainingMessage().FullName() != p.md.FullName() {
		return nil, nil
	}
	return e.compileExtension(xd)
}

// encFieldError says which field an error is about.
func encFieldError(f *encField, err error) error {
	return fmt.Errorf("%s: %w", strings.TrimPrefix(string(f.fd.FullName()), "."), err)
}
