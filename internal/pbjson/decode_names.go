package pbjson

import "math/bits"

// fieldNames finds a message's field by one of the names protojson
// accepts for it. It is an open-addressed hash table whose hash reads
// only a name's length and three of its bytes, sized when it is built so
// that any name is found in a probe or two: a lookup costs about one
// comparison of strings.
type fieldNames struct {
	slots []namedField
	// shift turns a hash into a slot: the table has 1<<(32-shift) slots.
	shift uint
}

// namedField is a field under one of its names; an empty slot has a nil
// field.
type namedField struct {
	name  string
	field *decodeField
}

// maxProbes is the longest search the table is sized for.
const maxProbes = 2

// newFieldNames builds the table of names, doubling its size (up to 16
// times the number of names) until no name needs more than maxProbes
// probes.
func newFieldNames(names map[string]*decodeField) fieldNames {
	size := 8
	for size < 2*len(names) {
		size *= 2
	}
	for {
		t := fieldNames{
			slots: make([]namedField, size),
			shift: uint(32 - bits.TrailingZeros(uint(size))),
		}
		longest := 0
		for name, f := range names {
			longest = max(longest, t.insert(name, f))
		}
		if longest <= maxProbes || size >= 16*len(names) {
			return t
		}
		size *= 2
	}
}

// insert adds name and returns the number of probes it took.
func (t *fieldNames) insert(name string, f *decodeField) int {
	mask := uint32(len(t.slots) - 1)
	i := nameHash(name) >> t.shift
	for probes := 1; ; probes++ {
		if t.slots[i].field == nil {
			t.slots[i] = namedField{name, f}
			return probes
		}
		i = (i + 1) & mask
	}
}

// find returns the field named name, or nil.
func (t *fieldNames) find(name []byte) *decodeField {
	mask := uint32(len(t.slots) - 1)
	i := nameHash(name) >> t.shift
	for {
		s := &t.slots[i]
		if s.field == nil || s.name == string(name) {
			return s.field
		}
		i = (i + 1) & mask
	}
}

// nameHash mixes the length and the first, middle and last bytes of name
// (Fibonacci hashing); the table takes its top bits.
func nameHash[T string | []byte](name T) uint32 {
	n := len(name)
	h := uint32(n)
	if n > 0 {
		h = h<<24 ^ uint32(name[0])<<16 ^ uint32(name[n/2])<<8 ^ uint32(name[n-1])
	}
	return h * 0x9e3779b1
}
