package sse

import "unicode/utf8"

// replacementChar is the UTF-8 encoding of U+FFFD REPLACEMENT CHARACTER.
const replacementChar = "\uFFFD"

// appendUTF8 appends src to dst, replacing ill-formed UTF-8 the way the UTF-8
// decoder of the WHATWG Encoding Standard does: each maximal subpart of an
// ill-formed sequence (a valid lead byte followed by as many bytes as remain
// valid for it, or else a single byte) becomes one U+FFFD.
//
// Decoding a stream line by line gives the same result as decoding it whole,
// because an ill-formed sequence never extends over an ASCII byte such as CR
// or LF.
func appendUTF8(dst, src []byte) []byte {
	if utf8.Valid(src) {
		return append(dst, src...)
	}
	start := 0
	for i := 0; i < len(src); {
		if src[i] < utf8.RuneSelf {
			i++
			continue
		}
		if r, size := utf8.DecodeRune(src[i:]); r != utf8.RuneError || size > 1 {
			i += size
			continue
		}
		dst = append(dst, src[start:i]...)
		dst = append(dst, replacementChar...)
		i += maximalSubpart(src[i:])
		start = i
	}
	return append(dst, src[start:]...)
}

// maximalSubpart returns the length of the maximal subpart of the ill-formed
// UTF-8 sequence at the start of b: the lead byte and the continuation bytes
// that follow it while they are still valid for that lead byte.
func maximalSubpart(b []byte) int {
	lo, hi := byte(0x80), byte(0xBF)
	var need int
	switch c := b[0]; {
	case c >= 0xC2 && c <= 0xDF:
		need = 1
	case c == 0xE0:
		need, lo = 2, 0xA0
	case c == 0xED:
		need, hi = 2, 0x9F
	case c >= 0xE1 && c <= 0xEF:
		need = 2
	case c == 0xF0:
		need, lo = 3, 0x90
	case c == 0xF4:
		need, hi = 3, 0x8F
	case c >= 0xF1 && c <= 0xF3:
		need = 3
	default:
		return 1
	}
	n := 1
	for ; n <= need && n < len(b); n++ {
		if b[n] < lo || b[n] > hi {
			return n
		}
		lo, hi = 0x80, 0xBF
	}
	return n
}
