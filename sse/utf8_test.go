package sse

import (
	"testing"
	"unicode/utf8"
)

// whatwgDecode is a literal transcription of the UTF-8 decoder of the WHATWG
// Encoding Standard (without BOM handling), used as a reference.
func whatwgDecode(in []byte) string {
	var out []rune
	var codePoint rune
	bytesSeen, bytesNeeded := 0, 0
	lower, upper := byte(0x80), byte(0xBF)
	for i := 0; i <= len(in); i++ {
		if i == len(in) {
			if bytesNeeded != 0 {
				out = append(out, utf8.RuneError)
			}
			break
		}
		b := in[i]
		if bytesNeeded == 0 {
			switch {
			case b <= 0x7F:
				out = append(out, rune(b))
			case b >= 0xC2 && b <= 0xDF:
				bytesNeeded, codePoint = 1, rune(b&0x1F)
			case b >= 0xE0 && b <= 0xEF:
				if b == 0xE0 {
					lower = 0xA0
				}
				if b == 0xED {
					upper = 0x9F
				}
				bytesNeeded, codePoint = 2, rune(b&0xF)
			case b >= 0xF0 && b <= 0xF4:
				if b == 0xF0 {
					lower = 0x90
				}
				if b == 0xF4 {
					upper = 0x8F
				}
				bytesNeeded, codePoint = 3, rune(b&0x7)
			default:
				out = append(out, utf8.RuneError)
			}
			continue
		}
		if b < lower || b > upper {
			codePoint, bytesNeeded, bytesSeen = 0, 0, 0
			lower, upper = 0x80, 0xBF
			i-- // prepend b to the stream
			out = append(out, utf8.RuneError)
			continue
		}
		lower, upper = 0x80, 0xBF
		codePoint = codePoint<<6 | rune(b&0x3F)
		bytesSeen++
		if bytesSeen != bytesNeeded {
			continue
		}
		out = append(out, codePoint)
		codePoint, bytesNeeded, bytesSeen = 0, 0, 0
	}
	return string(out)
}

func TestAppendUTF8Examples(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"plain ASCII", "plain ASCII"},
		{"héllo 世界 🎉", "héllo 世界 🎉"},
		{"\xE2\x82A", "\uFFFDA"},
		{"\xF0\x80", "\uFFFD\uFFFD"},
		{"\xF0\x9F\x98", "\uFFFD"},
		{"\xF0\x9F\x98A", "\uFFFDA"},
		{"\xC0\xAF", "\uFFFD\uFFFD"},
		{"\xED\xA0\x80", "\uFFFD\uFFFD\uFFFD"},
		{"\xED\x9F\xBF", "\uD7FF"},
		{"\xF4\x8F\xBF\xBF", "\U0010FFFF"},
		{"\xF4\x90\x80\x80", "\uFFFD\uFFFD\uFFFD\uFFFD"},
		{"\xFF\xFE", "\uFFFD\uFFFD"},
		{"a\x80b\xBFc", "a\uFFFDb\uFFFDc"},
		{"\xE1\x80\xE1\x80\x80", "\uFFFD\u1000"},
	}
	for _, tc := range tests {
		got := string(appendUTF8([]byte("prefix:"), []byte(tc.in)))
		if got != "prefix:"+tc.want {
			t.Errorf("appendUTF8(%q) = %q, want %q", tc.in, got, "prefix:"+tc.want)
		}
		if ref := whatwgDecode([]byte(tc.in)); ref != tc.want {
			t.Errorf("reference decoder(%q) = %q, want %q", tc.in, ref, tc.want)
		}
	}
}

// TestAppendUTF8MatchesReference compares appendUTF8 with the reference
// decoder on every sequence of up to two bytes and on every sequence of up
// to four bytes drawn from the boundary values of UTF-8.
func TestAppendUTF8MatchesReference(t *testing.T) {
	check := func(in []byte) {
		if got, want := string(appendUTF8(nil, in)), whatwgDecode(in); got != want {
			t.Fatalf("appendUTF8(% X) = %q, want %q", in, got, want)
		}
	}
	for a := range 256 {
		check([]byte{byte(a)})
		for b := range 256 {
			check([]byte{byte(a), byte(b)})
		}
	}
	edges := []byte{0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF,
		0xE0, 0xE1, 0xEC, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xFF}
	for _, a := range edges {
		for _, b := range edges {
			for _, c := range edges {
				check([]byte{a, b, c})
				for _, d := range edges {
					check([]byte{a, b, c, d, 'x'})
				}
			}
		}
	}
}

func TestAppendUTF8ValidDoesNotCopyTwice(t *testing.T) {
	src := []byte("valid UTF-8: ü")
	dst := make([]byte, 0, 64)
	if allocs := testing.AllocsPerRun(100, func() { dst = appendUTF8(dst[:0], src) }); allocs != 0 {
		t.Errorf("appendUTF8 of valid input allocates %v times", allocs)
	}
}

func FuzzAppendUTF8(f *testing.F) {
	f.Add([]byte("\xE2\x82A\xF0\x80"))
	f.Add([]byte("héllo \xED\xA0\x80 \xF4\x90"))
	f.Fuzz(func(t *testing.T, in []byte) {
		got := appendUTF8(nil, in)
		if want := whatwgDecode(in); string(got) != want {
			t.Fatalf("appendUTF8(% X) = %q, want %q", in, got, want)
		}
		if !utf8.Valid(got) {
			t.Fatalf("appendUTF8(% X) = %q is not valid UTF-8", in, got)
		}
	})
}
