package pbjson

import (
	"bytes"
	"cmp"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// encMapItem is one entry of a map field, read from its wire bytes.
type encMapItem struct {
	// key is an integer or bool key (signed keys as their int64 bits),
	// skey a string key.
	key  uint64
	skey []byte
	// val is the value: num and raw as for a scalar, raw for a message.
	num     uint64
	raw     []byte
	hasVal  bool
	msgVals int // occurrences of a message value, which merge
}

// mapValue writes a map field, whose entries are s.entries[i:j], as a JSON
// object with its keys in protojson's order: numbers and bools by value,
// strings by their bytes. Of entries with one key, the last wins.
func (s *encState) mapValue(f *encField, i, j int) error {
	if s.depth += 1; s.depth > encMaxDepth {
		return encErrDepth
	}
	defer func() { s.depth-- }()
	base := len(s.items)
	defer func() {
		clear(s.items[base:])
		s.items = s.items[:base]
	}()
	for k := i; k < j; k++ {
		item, err := encReadMapEntry(f, s.entries[k].val)
		if err != nil {
			return err
		}
		s.items = append(s.items, item)
	}
	items := s.items[base:]
	slices.SortStableFunc(items, func(a, b encMapItem) int { return encCompareKeys(f.key, &a, &b) })

	s.out = append(s.out, '{')
	first := true
	for k := range items {
		it := &s.items[base+k]
		if k+1 < len(items) && encCompareKeys(f.key, it, &s.items[base+k+1]) == 0 {
			// A later entry replaces this one; the decoder has read its
			// value all the same.
			if it.msgVals > 0 {
				return ErrNotCovered
			}
			continue
		}
		if it.msgVals > 1 {
			return ErrNotCovered // the occurrences merge
		}
		s.comma(&first)
		var err error
		if s.out, err = encAppendMapKey(s.out, f.key, it); err != nil {
			return err
		}
		s.out = append(s.out, ':')
		switch {
		case f.val.msg != nil:
			err = s.message(f.val.msg, it.raw, nil)
		default:
			s.out, err = encAppendScalar(s.out, f.val, it.num, it.raw)
		}
		if err != nil {
			return err
		}
	}
	s.out = append(s.out, '}')
	return nil
}

// encReadMapEntry reads the key and value of one map entry. A key or value
// of an unexpected wire type is skipped, as an unknown field is, and a
// missing one is the zero value.
func encReadMapEntry(f *encField, b []byte) (encMapItem, error) {
	var item encMapItem
	for len(b) > 0 {
		num, wt, n := protowire.ConsumeTag(b)
		if n < 0 || num > protowire.MaxValidNumber {
			return item, encErrDecode
		}
		b = b[n:]
		var sub *encField
		switch {
		case num == 1 && wt == f.key.wt:
			sub = f.key
		case num == 2 && wt == f.val.wt:
			sub = f.val
		default:
			if n = protowire.ConsumeFieldValue(num, wt, b); n < 0 {
				return item, encErrDecode
			}
			b = b[n:]
			continue
		}
		var v uint64
		var raw []byte
		switch wt {
		case protowire.VarintType:
			v, n = protowire.ConsumeVarint(b)
		case protowire.Fixed32Type:
			var v32 uint32
			v32, n = protowire.ConsumeFixed32(b)
			v = uint64(v32)
		case protowire.Fixed64Type:
			v, n = protowire.ConsumeFixed64(b)
		case protowire.BytesType:
			raw, n = protowire.ConsumeBytes(b)
		case protowire.StartGroupType:
			raw, n = protowire.ConsumeGroup(num, b)
		}
		if n < 0 {
			return item, encErrDecode
		}
		b = b[n:]
		if sub.utf8 && !utf8.Valid(raw) {
			return item, encFieldError(sub, encErrInvalidUTF8)
		}
		if sub == f.key {
			item.key, item.skey = encKeyValue(sub.kind, v), raw
			continue
		}
		item.num, item.raw, item.hasVal = v, raw, true
		if sub.msg != nil {
			item.msgVals++
		}
	}
	return item, nil
}

// encKeyValue returns the value of an integer or bool key read from the
// wire as the key's type holds it, signed keys as their int64 bits.
func encKeyValue(k protoreflect.Kind, v uint64) uint64 {
	switch k {
	case protoreflect.Int32Kind:
		return uint64(int64(int32(v)))
	case protoreflect.Sint32Kind:
		return uint64(int64(int32(protowire.DecodeZigZag(v & math.MaxUint32))))
	case protoreflect.Sfixed32Kind:
		return uint64(int64(int32(uint32(v))))
	case protoreflect.Sint64Kind:
		return uint64(protowire.DecodeZigZag(v))
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return uint64(uint32(v))
	case protoreflect.BoolKind:
		if v != 0 {
			return 1
		}
		return 0
	}
	return v
}

// encSignedKey reports whether keys of kind k are signed integers.
func encSignedKey(k protoreflect.Kind) bool {
	switch k {
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind,
		protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return true
	}
	return false
}

// encCompareKeys orders map keys as protojson does.
func encCompareKeys(key *encField, a, b *encMapItem) int {
	switch {
	case key.kind == protoreflect.StringKind:
		return bytes.Compare(a.skey, b.skey)
	case encSignedKey(key.kind):
		return cmp.Compare(int64(a.key), int64(b.key))
	}
	return cmp.Compare(a.key, b.key)
}

// encAppendMapKey appends a map key as a JSON object name.
func encAppendMapKey(out []byte, key *encField, it *encMapItem) ([]byte, error) {
	switch {
	case key.kind == protoreflect.StringKind:
		out, err := encAppendString(out, it.skey)
		if err != nil {
			return out, encFieldError(key, err)
		}
		return out, nil
	case key.kind == protoreflect.BoolKind:
		if it.key != 0 {
			return append(out, `"true"`...), nil
		}
		return append(out, `"false"`...), nil
	}
	out = append(out, '"')
	if encSignedKey(key.kind) {
		out = strconv.AppendInt(out, int64(it.key), 10)
	} else {
		out = strconv.AppendUint(out, it.key, 10)
	}
	return append(out, '"'), nil
}
