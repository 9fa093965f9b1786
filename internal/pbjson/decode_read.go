package pbjson

import (
	"bytes"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// reader turns JSON into wire bytes by a plan. Its methods mirror
// protojson's decoder: what protojson accepts is written as the wire bytes
// of the same message; anything else returns errFallback and is left to
// protojson.
type reader struct {
	lex decodeLexer
	decodeBuffers
	d *Decoder
	// depth is how many more levels of nesting protojson's
	// RecursionLimit allows; level is the nesting of the message being
	// read.
	depth, level int
}

// message reads a JSON object into the wire bytes of p's message.
func (r *reader) message(p *decodePlan) error {
	r.depth--
	r.level++
	if r.depth < 0 || r.level > maxPlanDepth {
		return errFallback
	}
	lex := &r.lex
	if lex.kind() != '{' {
		return errFallback
	}
	lex.next()
	base := len(r.seen)
	for range p.words {
		r.seen = append(r.seen, 0)
	}
	for lex.kind() != '}' {
		if lex.kind() != '"' {
			return errFallback
		}
		name, ok := lex.unquote(&r.text)
		if !ok {
			return errFallback
		}
		f := p.field(name)
		lex.next()
		if lex.kind() != ':' {
			return errFallback
		}
		lex.next()
		if err := r.field(p, f, base, name); err != nil {
			return err
		}
		switch lex.kind() {
		case ',':
			lex.next()
			if lex.kind() != '"' {
				return errFallback
			}
		case '}':
		default:
			return errFallback
		}
	}
	lex.next()
	r.seen = r.seen[:base]
	r.depth++
	r.level--
	return nil
}

// field reads the value of the field f (nil for an unknown field named
// name) of p's message, whose sets of seen fields and oneofs start at
// r.seen[base].
func (r *reader) field(p *decodePlan, f *decodeField, base int, name []byte) error {
	lex := &r.lex
	if f == nil {
		// protojson skips the value, and holds its nesting to the
		// RecursionLimit.
		if !r.d.opts.DiscardUnknown || isExtensionName(name) {
			return errFallback
		}
		if _, ok := lex.skip(r.depth, &r.text); !ok {
			return errFallback
		}
		return nil
	}
	seen := r.seen[base : base+p.words]
	if !setBit(seen, f.index) {
		return errFallback // duplicate field
	}
	if lex.kind() == 'n' && !f.keepNull {
		lex.next()
		return nil
	}
	switch {
	case f.list:
		return r.list(f)
	case f.isMap:
		return r.mapField(f)
	}
	if f.oneof >= 0 && !setBit(seen[p.fieldWords:], f.oneof) {
		return errFallback // oneof already set
	}
	if f.scalar {
		return r.scalarField(f)
	}
	return r.singular(f)
}

// singular reads the value of a field that is neither a list nor a map.
func (r *reader) singular(f *decodeField) error {
	start := len(r.wire)
	r.wire = appendTag(r.wire, f.tag)
	set, err := r.value(f.num, &f.value)
	if err == nil && !set {
		r.wire = r.wire[:start]
	}
	return err
}

// scalarField reads the value, not null, of a singular field of a scalar
// kind: what singular does, by a shorter path for the most common fields.
func (r *reader) scalarField(f *decodeField) error {
	lex := &r.lex
	switch lex.kind() {
	case '"', '0', 't', 'f':
	default:
		return errFallback
	}
	switch {
	case f.value.kind == protoreflect.StringKind && lex.kind() == '"' && lex.plainString():
		r.wire = appendTag(r.wire, f.tag)
		r.wire = protowire.AppendBytes(r.wire, lex.cur[1:len(lex.cur)-1])
		lex.next()
		return nil
	case f.integer:
		n, ok := parseInteger(lex.cur, f.value.kind)
		if !ok {
			return errFallback
		}
		r.wire = appendInteger(appendTag(r.wire, f.tag), f.value.kind, n)
		lex.next()
		return nil
	}
	start := len(r.wire)
	r.wire = appendTag(r.wire, f.tag)
	set, err := r.scalar(&f.value, lex.cur)
	if err != nil {
		return err
	}
	if !set {
		r.wire = r.wire[:start]
	}
	lex.next()
	return nil
}

// appendTag appends a tag written as a varint.
func appendTag(b []byte, tag uint64) []byte {
	if tag < 0x80 {
		return append(b, byte(tag))
	}
	return protowire.AppendVarint(b, tag)
}

// list reads the JSON array of a repeated field, packing scalars.
func (r *reader) list(f *decodeField) error {
	lex := &r.lex
	if lex.kind() != '[' {
		return errFallback
	}
	lex.next()
	if lex.kind() == ']' {
		lex.next()
		return nil
	}
	v := &f.value
	packed := packable(v.kind)
	start, at := len(r.wire), 0
	if packed {
		r.wire = protowire.AppendTag(r.wire, f.num, protowire.BytesType)
		at = r.openLength()
	}
	for {
		elem := len(r.wire)
		if !packed {
			r.wire = protowire.AppendTag(r.wire, f.num, v.wire)
		}
		set, err := r.value(f.num, v)
		if err != nil {
			return err
		}
		if !set {
			r.wire = r.wire[:elem]
		}
		if lex.kind() == ']' {
			break
		}
		if lex.kind() != ',' {
			return errFallback
		}
		lex.next()
	}
	lex.next()
	if packed {
		if len(r.wire) == at+1 {
			r.wire = r.wire[:start]
		} else {
			r.closeLength(at)
		}
	}
	return nil
}

// maxMapEntries is the largest map a plan reads; protojson reads larger
// ones, for which looking for duplicate keys would cost more than it.
const maxMapEntries = 256

// mapField reads the JSON object of a map field.
func (r *reader) mapField(f *decodeField) error {
	lex := &r.lex
	if lex.kind() != '{' {
		return errFallback
	}
	lex.next()
	base := len(r.keys)
	for lex.kind() != '}' {
		if lex.kind() != '"' || len(r.keys)-base == maxMapEntries {
			return errFallback
		}
		name, ok := lex.unquote(&r.text)
		if !ok {
			return errFallback
		}
		r.wire = protowire.AppendTag(r.wire, f.num, protowire.BytesType)
		at := r.openLength()
		key := keySpan{start: len(r.wire)}
		r.wire = protowire.AppendTag(r.wire, 1, f.key.wire)
		if r.wire, ok = appendMapKey(r.wire, f.key.kind, name); !ok {
			return errFallback
		}
		key.end = len(r.wire)
		for _, k := range r.keys[base:] {
			if bytes.Equal(r.wire[k.start:k.end], r.wire[key.start:key.end]) {
				return errFallback // duplicate key
			}
		}
		r.keys = append(r.keys, key)
		lex.next()
		if lex.kind() != ':' {
			return errFallback
		}
		lex.next()
		r.wire = protowire.AppendTag(r.wire, 2, f.value.wire)
		set, err := r.value(2, &f.value)
		if err != nil {
			return err
		}
		if !set {
			// protojson leaves the key out, and then accepts it again.
			return errFallback
		}
		before := len(r.wire)
		r.closeLength(at)
		if moved := len(r.wire) - before; moved > 0 {
			k := &r.keys[len(r.keys)-1]
			k.start += moved
			k.end += moved
		}
		switch lex.kind() {
		case ',':
			lex.next()
			if lex.kind() != '"' {
				return errFallback
			}
		case '}':
		default:
			return errFallback
		}
	}
	lex.next()
	r.keys = r.keys[:base]
	return nil
}

// value reads one value of v's kind, after its tag (num is the field's
// number, for groups). It reports false for an enum name that
// DiscardUnknown drops, which writes nothing.
func (r *reader) value(num protowire.Number, v *decodeValue) (set bool, err error) {
	lex := &r.lex
	if lex.kind() == 'n' && !v.nullable {
		return false, errFallback // protojson: null is not a value here
	}
	switch {
	case v.protojsonOnly:
		return false, errFallback
	case v.wkt != nil:
		return true, r.wellKnown(v)
	case v.msg != nil && v.wire == protowire.StartGroupType:
		if err := r.message(v.msg); err != nil {
			return false, err
		}
		r.wire = protowire.AppendTag(r.wire, num, protowire.EndGroupType)
		return true, nil
	case v.msg != nil:
		at := r.openLength()
		if err := r.message(v.msg); err != nil {
			return false, err
		}
		r.closeLength(at)
		return true, nil
	}
	switch lex.kind() {
	case '"', '0', 't', 'f', 'n':
	default:
		return false, errFallback
	}
	set, err = r.scalar(v, lex.cur)
	lex.next()
	return set, err
}

// wellKnown reads a value of a well-known type with protojson.
func (r *reader) wellKnown(v *decodeValue) error {
	lex := &r.lex
	start := lex.start()
	if r.depth <= 0 {
		return errFallback
	}
	end, ok := lex.skip(r.depth, &r.text)
	if !ok {
		return errFallback
	}
	raw := lex.data[start:end]
	opts := r.d.opts
	opts.RecursionLimit = r.depth
	m := v.wkt.New().Interface()
	if err := opts.Unmarshal(raw, m); err != nil {
		return errFallback
	}
	at := r.openLength()
	var err error
	r.wire, err = proto.MarshalOptions{AllowPartial: true}.MarshalAppend(r.wire, m)
	if err != nil {
		return errFallback
	}
	r.closeLength(at)
	return nil
}

// openLength writes a one-byte placeholder for the length of what follows
// and returns its position for closeLength.
func (r *reader) openLength() int {
	r.wire = append(r.wire, 0)
	return len(r.wire) - 1
}

// closeLength writes the length of what follows the placeholder at at,
// moving it when the length needs more than one byte.
func (r *reader) closeLength(at int) {
	r.wire = closeLength(r.wire, at, len(r.wire)-at-1)
}

// closeLength writes n as the varint at b[at], which holds a one-byte
// placeholder followed by the n bytes it measures.
func closeLength(b []byte, at, n int) []byte {
	if n < 0x80 {
		b[at] = byte(n)
		return b
	}
	size := protowire.SizeVarint(uint64(n))
	for range size - 1 {
		b = append(b, 0)
	}
	copy(b[at+size:], b[at+1:at+1+n])
	protowire.AppendVarint(b[:at], uint64(n))
	return b
}

// isExtensionName reports whether name has the form protojson gives
// extensions, "[full.name]".
func isExtensionName(name []byte) bool {
	return len(name) >= 2 && name[0] == '[' && name[len(name)-1] == ']'
}

// setBit sets bit i of set and reports whether it was clear.
func setBit(set []uint64, i int) bool {
	w, m := i/64, uint64(1)<<(i%64)
	if set[w]&m != 0 {
		return false
	}
	set[w] |= m
	return true
}
