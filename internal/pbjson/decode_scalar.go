package pbjson

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// scalar writes the wire form of the JSON scalar raw as a value of v's
// kind, as protojson reads it: numbers as JSON numbers or strings, floats
// also as "NaN", "Infinity" and "-Infinity", bytes as base64, enums as
// names or numbers. It reports false for an enum name that DiscardUnknown
// drops. raw is the current token.
func (r *reader) scalar(v *decodeValue, raw []byte) (bool, error) {
	b := r.wire
	switch v.kind {
	case protoreflect.BoolKind:
		switch kindOf(raw) {
		case 't':
			b = append(b, 1)
		case 'f':
			b = append(b, 0)
		default:
			return false, errFallback
		}
	case protoreflect.StringKind:
		if kindOf(raw) != '"' {
			return false, errFallback
		}
		inner := raw[1 : len(raw)-1]
		if r.lex.plainString() {
			b = protowire.AppendBytes(b, inner)
			break
		}
		if bytes.IndexByte(inner, '\\') < 0 {
			if !utf8.Valid(inner) {
				return false, errFallback
			}
			b = protowire.AppendBytes(b, inner)
			break
		}
		// The text is at most as long as its escaped form.
		at := len(b)
		size := protowire.SizeVarint(uint64(len(inner)))
		for range size {
			b = append(b, 0)
		}
		var err error
		if b, err = jsontext.AppendUnquote(b, raw); err != nil {
			return false, errFallback
		}
		b = putLength(b, at, size)
	case protoreflect.BytesKind:
		if kindOf(raw) != '"' {
			return false, errFallback
		}
		text, ok := r.lex.unquote(&r.text)
		if !ok {
			return false, errFallback
		}
		// As protojson: URL-safe if it has '-' or '_', unpadded if its
		// length is not a multiple of 4.
		enc := base64.StdEncoding
		if bytes.ContainsAny(text, "-_") {
			enc = base64.URLEncoding
		}
		if len(text)%4 != 0 {
			enc = enc.WithPadding(base64.NoPadding)
		}
		at := len(b)
		size := protowire.SizeVarint(uint64(enc.DecodedLen(len(text))))
		for range size {
			b = append(b, 0)
		}
		var err error
		if b, err = enc.AppendDecode(b, text); err != nil {
			return false, errFallback
		}
		b = putLength(b, at, size)
	case protoreflect.EnumKind:
		n, ok, err := r.enum(v.enum, raw, v.nullable)
		if err != nil || !ok {
			return false, err
		}
		b = protowire.AppendVarint(b, uint64(int64(n)))
	case protoreflect.FloatKind, protoreflect.DoubleKind:
		bits := 64
		if v.kind == protoreflect.FloatKind {
			bits = 32
		}
		f, ok := parseFloat(raw, bits)
		if !ok {
			return false, errFallback
		}
		if bits == 32 {
			b = protowire.AppendFixed32(b, math.Float32bits(float32(f)))
		} else {
			b = protowire.AppendFixed64(b, math.Float64bits(f))
		}
	default:
		n, ok := parseInteger(raw, v.kind)
		if !ok {
			return false, errFallback
		}
		b = appendInteger(b, v.kind, n)
	}
	r.wire = b
	return true, nil
}

// enum returns the number of an enum value written as its name or its
// number (or null, for NullValue). ok is false for an unknown name that
// DiscardUnknown drops.
func (r *reader) enum(e *decodeEnum, raw []byte, nullable bool) (n int32, ok bool, err error) {
	switch kindOf(raw) {
	case '"':
		name, ok := r.lex.unquote(&r.text)
		if !ok {
			return 0, false, errFallback
		}
		if n, ok := e.names[string(name)]; ok {
			return n, true, nil
		}
		if r.d.opts.DiscardUnknown {
			return 0, false, nil
		}
	case '0':
		if n, ok := parseInteger(raw, protoreflect.Int32Kind); ok && (!e.closed || e.numbers[int32(n)]) {
			return int32(n), true, nil
		}
	case 'n':
		if nullable {
			return 0, true, nil
		}
	}
	return 0, false, errFallback
}

// parseInteger parses the JSON number or string raw as an integer of
// kind k, accepting what protojson accepts in its common forms: an
// integer, or a string holding one, in range. Others (exponents,
// fractions, escapes) are left to protojson. Signed results are returned
// as their two's complement bits.
func parseInteger(raw []byte, k protoreflect.Kind) (uint64, bool) {
	text := raw
	switch kindOf(raw) {
	case '"':
		text = text[1 : len(text)-1]
	case '0':
	default:
		return 0, false
	}
	neg := len(text) > 0 && text[0] == '-'
	if neg {
		text = text[1:]
	}
	// JSON's grammar: 0, or digits without a leading zero.
	if len(text) == 0 || len(text) > 20 || text[0] == '0' && len(text) > 1 {
		return 0, false
	}
	mag, ok := parseDigits(text)
	if !ok {
		return 0, false
	}
	var limit uint64
	signed := true
	switch k {
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		limit = math.MaxInt32
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		limit = math.MaxInt64
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		limit, signed = math.MaxUint32, false
	default:
		limit, signed = math.MaxUint64, false
	}
	switch {
	case !neg && mag <= limit:
		return mag, true
	case neg && signed && mag <= limit+1:
		return -mag, true
	}
	return 0, false
}

// parseDigits parses decimal digits as a uint64, failing for any other
// byte and for a value that overflows.
func parseDigits(text []byte) (uint64, bool) {
	var mag uint64
	// Nineteen digits cannot overflow: only the twentieth needs a check.
	head, i := min(len(text), 19), 0
	for ; i+8 <= head; i += 8 {
		eight, ok := parseEightDigits(text[i : i+8])
		if !ok {
			return 0, false
		}
		mag = mag*1e8 + eight
	}
	for ; i < head; i++ {
		c := text[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		mag = mag*10 + uint64(c-'0')
	}
	for _, c := range text[head:] {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if mag > (math.MaxUint64-d)/10 {
			return 0, false
		}
		mag = mag*10 + d
	}
	return mag, true
}

// parseEightDigits parses eight decimal digits at once, as the bytes of
// one uint64 (the first digit in the lowest byte).
func parseEightDigits(text []byte) (uint64, bool) {
	const (
		ones  = 0x0101010101010101
		highs = 0xf0f0f0f0f0f0f0f0
	)
	v := binary.LittleEndian.Uint64(text)
	// Every byte is '0' to '9': its high nibble is 3, and adding 6
	// leaves it 3 (no byte then reaches 0xfa, to carry into the next).
	if v&highs != 0x30*ones || (v+6*ones)&highs != 0x30*ones {
		return 0, false
	}
	v -= 0x30 * ones
	// Each step joins neighbouring groups into one of twice the digits,
	// in the lower group's place: pairs, then fours, then the eight.
	v = (v*10 + v>>8) & 0x00ff00ff00ff00ff
	v = (v*100 + v>>16) & 0x0000ffff0000ffff
	v = (v*10000 + v>>32) & 0xffffffff
	return v, true
}

// appendInteger writes the integer n (bits of a signed value) as kind k.
func appendInteger(b []byte, k protoreflect.Kind, n uint64) []byte {
	switch k {
	case protoreflect.Sint32Kind, protoreflect.Sint64Kind:
		return protowire.AppendVarint(b, protowire.EncodeZigZag(int64(n)))
	case protoreflect.Fixed32Kind, protoreflect.Sfixed32Kind:
		return protowire.AppendFixed32(b, uint32(n))
	case protoreflect.Fixed64Kind, protoreflect.Sfixed64Kind:
		return protowire.AppendFixed64(b, n)
	}
	return protowire.AppendVarint(b, n)
}

// parseFloat parses the JSON number or string raw as a float of the given
// bits, as protojson does: a number, or a string holding a number or
// "NaN", "Infinity" or "-Infinity", in range.
func parseFloat(raw []byte, bits int) (float64, bool) {
	text := []byte(raw)
	switch kindOf(raw) {
	case '0':
		if !isJSONNumber(text) {
			return 0, false
		}
	case '"':
		text = text[1 : len(text)-1]
		switch string(text) {
		case "NaN":
			return math.NaN(), true
		case "Infinity":
			return math.Inf(1), true
		case "-Infinity":
			return math.Inf(-1), true
		}
		if !isJSONNumber(text) {
			return 0, false
		}
	default:
		return 0, false
	}
	f, err := strconv.ParseFloat(string(text), bits)
	return f, err == nil
}

// isJSONNumber reports whether b is a number by JSON's grammar.
func isJSONNumber(b []byte) bool {
	i := 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		i = skipDigits(b, i)
	default:
		return false
	}
	if i < len(b) && b[i] == '.' {
		j := skipDigits(b, i+1)
		if j == i+1 {
			return false
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := skipDigits(b, i)
		if j == i {
			return false
		}
		i = j
	}
	return i == len(b)
}

func skipDigits(b []byte, i int) int {
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	return i
}

// appendMapKey writes the map key written as the JSON name text, read as
// protojson reads keys of kind k: strconv's decimal forms for integers,
// "true" and "false" for bools.
func appendMapKey(b []byte, k protoreflect.Kind, text []byte) ([]byte, bool) {
	switch k {
	case protoreflect.StringKind:
		return protowire.AppendBytes(b, text), true
	case protoreflect.BoolKind:
		switch string(text) {
		case "true":
			return append(b, 1), true
		case "false":
			return append(b, 0), true
		}
		return b, false
	}
	n, ok := parseKey(text, k)
	if !ok {
		return b, false
	}
	return appendInteger(b, k, n), true
}

// parseKey parses an integer map key as strconv.ParseInt or ParseUint
// with base 10 does for protojson: an optional sign (for signed kinds) and
// decimal digits, leading zeros allowed.
func parseKey(text []byte, k protoreflect.Kind) (uint64, bool) {
	signed := k != protoreflect.Uint32Kind && k != protoreflect.Uint64Kind &&
		k != protoreflect.Fixed32Kind && k != protoreflect.Fixed64Kind
	neg := false
	if signed && len(text) > 0 && (text[0] == '+' || text[0] == '-') {
		neg = text[0] == '-'
		text = text[1:]
	}
	if len(text) == 0 {
		return 0, false
	}
	mag, ok := parseDigits(text)
	if !ok {
		return 0, false
	}
	var limit uint64
	switch k {
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		limit = math.MaxInt32
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		limit = math.MaxInt64
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		limit = math.MaxUint32
	default:
		limit = math.MaxUint64
	}
	switch {
	case !neg && mag <= limit:
		return mag, true
	case neg && mag <= limit+1:
		return -mag, true
	}
	return 0, false
}

// putLength writes, at b[at:at+size], the length of what follows as a
// varint of exactly size bytes, moving the bytes back when the length
// needs fewer.
func putLength(b []byte, at, size int) []byte {
	n := len(b) - at - size
	need := protowire.SizeVarint(uint64(n))
	if need < size {
		copy(b[at+need:], b[at+size:])
		b = b[:len(b)-(size-need)]
	}
	protowire.AppendVarint(b[:at], uint64(n))
	return b
}

// kindOf is the kind of the JSON scalar raw: its first byte, '0' for
// numbers.
func kindOf(raw []byte) byte {
	switch c := raw[0]; c {
	case '-', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return '0'
	default:
		return c
	}
}
