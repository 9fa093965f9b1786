package pbjson

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"math"
	"strconv"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// encErrInvalidUTF8 reports a string that is not valid UTF-8, which JSON
// cannot carry.
var encErrInvalidUTF8 = errors.New("invalid UTF-8")

// encAppendScalar appends the JSON of one value of a scalar or enum field:
// num holds varint and fixed-size values as read from the wire, raw the
// bytes of strings and bytes. It is protojson's marshalSingular for every
// kind but messages.
func encAppendScalar(out []byte, f *encField, num uint64, raw []byte) ([]byte, error) {
	switch f.kind {
	case protoreflect.BoolKind:
		if num != 0 {
			return append(out, "true"...), nil
		}
		return append(out, "false"...), nil
	case protoreflect.Int32Kind:
		return strconv.AppendInt(out, int64(int32(num)), 10), nil
	case protoreflect.Sint32Kind:
		return strconv.AppendInt(out, int64(int32(protowire.DecodeZigZag(num&math.MaxUint32))), 10), nil
	case protoreflect.Sfixed32Kind:
		return strconv.AppendInt(out, int64(int32(uint32(num))), 10), nil
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return strconv.AppendUint(out, uint64(uint32(num)), 10), nil
	case protoreflect.Int64Kind, protoreflect.Sfixed64Kind:
		out = append(out, '"')
		out = strconv.AppendInt(out, int64(num), 10)
		return append(out, '"'), nil
	case protoreflect.Sint64Kind:
		out = append(out, '"')
		out = strconv.AppendInt(out, protowire.DecodeZigZag(num), 10)
		return append(out, '"'), nil
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		out = append(out, '"')
		out = strconv.AppendUint(out, num, 10)
		return append(out, '"'), nil
	case protoreflect.FloatKind:
		return encAppendFloat(out, float64(math.Float32frombits(uint32(num))), 32), nil
	case protoreflect.DoubleKind:
		return encAppendFloat(out, math.Float64frombits(num), 64), nil
	case protoreflect.StringKind:
		// Strings the decoder checks were checked when scanned.
		out, err := encAppendStringChecked(out, raw, f.utf8)
		if err != nil {
			return out, encFieldError(f, err)
		}
		return out, nil
	case protoreflect.BytesKind:
		out = append(out, '"')
		out = base64.StdEncoding.AppendEncode(out, raw)
		return append(out, '"'), nil
	case protoreflect.EnumKind:
		return f.enum.appendValue(out, protoreflect.EnumNumber(int32(num))), nil
	}
	return out, encFieldError(f, errors.New("not a scalar field"))
}

// encIsZero reports whether a value read from the wire is the zero value
// of field f, which a field without presence does not keep: 32-bit
// integers are zero when their low 32 bits are, and floats only when all
// their bits are (-0 is kept).
func encIsZero(f *encField, num uint64, raw []byte) bool {
	switch f.wt {
	case protowire.BytesType:
		return len(raw) == 0
	case protowire.VarintType:
		switch f.kind {
		case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Uint32Kind, protoreflect.EnumKind:
			return uint32(num) == 0
		}
	}
	return num == 0
}

// encAppendString appends s as a JSON string, escaped as protojson escapes
// it: the control characters, '"' and '\\', nothing else. It fails on
// invalid UTF-8.
func encAppendString(out, s []byte) ([]byte, error) {
	return encAppendStringChecked(out, s, false)
}

// encAppendStringChecked is encAppendString for s that may be known to be
// valid UTF-8 already.
func encAppendStringChecked(out, s []byte, valid bool) ([]byte, error) {
	out = append(out, '"')
	start, i := 0, 0
	for i < len(s) {
		// Eight bytes at a time while none needs a look.
		for i+8 <= len(s) && encPlainWord(binary.LittleEndian.Uint64(s[i:]), valid) {
			i += 8
		}
		if i >= len(s) {
			break
		}
		c := s[i]
		if c >= utf8.RuneSelf {
			if valid {
				i++
				continue
			}
			r, n := utf8.DecodeRune(s[i:])
			if r == utf8.RuneError && n == 1 {
				return out, encErrInvalidUTF8
			}
			i += n
			continue
		}
		if c >= ' ' && c != '"' && c != '\\' {
			i++
			continue
		}
		out = append(out, s[start:i]...)
		out = append(out, '\\')
		switch c {
		case '"', '\\':
			out = append(out, c)
		case '\b':
			out = append(out, 'b')
		case '\f':
			out = append(out, 'f')
		case '\n':
			out = append(out, 'n')
		case '\r':
			out = append(out, 'r')
		case '\t':
			out = append(out, 't')
		default:
			const hex = "0123456789abcdef"
			out = append(out, 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		i++
		start = i
	}
	out = append(out, s[start:]...)
	return append(out, '"'), nil
}

// encPlainWord reports whether the eight bytes of x are written as they
// are: none is a control character, '"' or '\\', and, unless the string
// is known to be valid UTF-8, none is outside ASCII.
func encPlainWord(x uint64, valid bool) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	control := (x - ones*' ') &^ x & highs
	q := x ^ (ones * '"')
	quote := (q - ones) &^ q & highs
	bs := x ^ (ones * '\\')
	backslash := (bs - ones) &^ bs & highs
	special := control | quote | backslash
	if !valid {
		special |= x & highs
	}
	return special == 0
}

// encAppendFloat appends n as protojson writes a float of bitSize bits:
// "NaN", "Infinity" and "-Infinity" as strings, other values as the
// shortest decimal that reads back the same, in exponent form below 1e-6
// and from 1e21.
func encAppendFloat(out []byte, n float64, bitSize int) []byte {
	switch {
	case math.IsNaN(n):
		return append(out, `"NaN"`...)
	case math.IsInf(n, +1):
		return append(out, `"Infinity"`...)
	case math.IsInf(n, -1):
		return append(out, `"-Infinity"`...)
	}
	format := byte('f')
	if abs := math.Abs(n); abs != 0 {
		if bitSize == 64 && (abs < 1e-6 || abs >= 1e21) ||
			bitSize == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			format = 'e'
		}
	}
	out = strconv.AppendFloat(out, n, format, -1, bitSize)
	if format == 'e' {
		// "1e-07" becomes "1e-7", as encoding/json writes it.
		if k := len(out); k >= 4 && out[k-4] == 'e' && out[k-3] == '-' && out[k-2] == '0' {
			out[k-2] = out[k-1]
			out = out[:k-1]
		}
	}
	return out
}
